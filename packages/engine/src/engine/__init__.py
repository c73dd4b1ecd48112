"""engine: automatic-differentiation engines and the user API over rulescore's rules.

The engines (`reverse`, `forward`, `tape`) and the user API of DESIGN.md are built on the
rule API of `rulescore`; this package finds rule packages, `rules` included, through the
`rulescore.rules` entry-point group and never imports them directly.
"""

__all__: list[str] = []
