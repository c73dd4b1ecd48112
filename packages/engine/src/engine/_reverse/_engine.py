"""`ReverseEngine`: the source-to-source reverse mode, as a `RuleConfig` that rules (and the
user API) call back into."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from engine._collector import gc_paused
from engine._crossmode import ForwardFromPullbacks
from engine._plugins import load_plugins
from engine._reverse import _dispatch
from engine._reverse._compile import transformed
from engine._reverse._runtime import NO, Z
from rulescore import HasReverseMode, ProjectTo, RuleConfig

__all__ = ["ReverseEngine"]


class ReverseEngine(ForwardFromPullbacks, RuleConfig, HasReverseMode):
    """The `reverse` engine: differentiates Python functions from their source.

    >>> engine = ReverseEngine()
    >>> y, back = engine.rrule_via_ad(lambda x: 5 * x + 3, 10.0)
    >>> y, back(1.0)
    (53.0, (NoTangent(), 5.0))
    """

    name = "reverse"
    # Cotangents of arrays read from globals and closures reach `Params` (see `_params`).
    implicit_parameters = True

    def rrule_via_ad(self, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """`(y, pullback)` of `f(*args, **kwargs)`; `pullback(dy)` gives `(df, dx1, ...)`."""
        load_plugins()  # the rule packages, on the first differentiation
        with gc_paused():
            y, back = _dispatch.call(f, *args, **kwargs)
        if back is None:
            return y, _zero_pullback(args)
        return y, _paused(back)

    def show(self, f: Callable[..., Any]) -> str:
        """The code generated for the Python function `f` (forward pass and pullback)."""
        if not isinstance(f, types.FunctionType):
            raise TypeError(f"show needs a Python function, got {type(f).__name__}")
        return transformed(f).source


def _paused(back: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def paused_pullback(dy: Any) -> Any:
        with gc_paused():
            return back(dy)

    return paused_pullback


def _zero_pullback(args: tuple[Any, ...]) -> Callable[[Any], tuple[Any, ...]]:
    def zero_pullback(dy: Any) -> tuple[Any, ...]:
        return (NO, *(ProjectTo(a)(Z) for a in args))

    return zero_pullback


_dispatch.set_config(ReverseEngine())
