"""The `reverse` engine: source-to-source reverse mode in the manner of Zygote.

The pipeline, one pass per module: `_source` (the function's tree, found exactly),
`_checks` (refuse what cannot be differentiated), `_anf` (one operation per statement),
`_jumps` (no `break`/`continue`/early `return`), `_adjoint` (forward and backward code);
`_compile` runs them and caches per code object; `_markers`, `_names` and `_scopes` are
what the passes share (their node types, generated names, the scopes of names). At run
time generated code calls `_dispatch.call` for every operation, which resolves it to a
rule (`_scalar` for real scalars), the callee's transformed source, or a handler of
`_objects` (constructors, operators of user classes); `_primitives`, `_substitutes` and
`_runtime` hold what it calls besides; `_nested` lets the engine differentiate its own
generated code (higher order).
"""

from engine._reverse import _nested  # noqa: F401 (registers the rules of nested differentiation)
from engine._reverse._engine import ReverseEngine

__all__ = ["ReverseEngine"]
