"""rules: derivative rules for Python operators and builtins, `math`, NumPy and SciPy.

Importing this package registers its rules with `rulescore.rrule` / `rulescore.frule`;
engines import it through the `rulescore.rules` entry point. One module per namespace and
topic (`rules.python.math`, later `rules.numpy.ufuncs`, `rules.scipy.special`, ...).
"""

__all__: list[str] = []
