"""The `forward` engine: forward mode from frules, on the rewritten source of the code.

Modules: `_dual` (values with tangents), `_rewrite` (the one pass over a function's tree),
`_compile` (cache and instantiation), `_dispatch` (what each call does), `_engine`
(`ForwardEngine`), `_nested` (forward over reverse).
"""

from engine._forward import _nested  # noqa: F401  (registers the forward-over-reverse rules)
from engine._forward._dispatch import call
from engine._forward._dual import dispatch
from engine._forward._engine import ForwardEngine

dispatch.append(call)

__all__ = ["ForwardEngine"]
