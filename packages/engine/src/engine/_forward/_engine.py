"""`ForwardEngine`: forward mode from frules, on the rewritten source of plain Python code."""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from engine._crossmode import pullback_from_pushforwards
from engine._forward import _dispatch
from engine._forward._compile import transformed
from engine._forward._dual import extract, join, new_level
from engine._plugins import load_plugins
from rulescore import HasForwardMode, RuleConfig, Tangent

__all__ = ["ForwardEngine"]


class ForwardEngine(RuleConfig, HasForwardMode):
    """The `forward` engine: pushes tangents through a function's rewritten source.

    `frule_via_ad((df, dx1, ...), f, *args)` returns `(y, dy)`. Its `rrule_via_ad` builds
    the Jacobian with one forward pass per real coordinate of the inputs, so every user
    function (`gradient`, `jacobian`, ...) works with `backend="forward"`; it is the right
    choice for few inputs and many outputs.

    >>> from rulescore import NoTangent
    >>> engine = ForwardEngine()
    >>> engine.frule_via_ad((NoTangent(), 1.0), lambda x: 5 * x + 3, 10.0)
    (53.0, 5.0)
    >>> y, back = engine.rrule_via_ad(lambda x, y: x * y, 2.0, 3.0)
    >>> y, back(1.0)
    (6.0, (NoTangent(), 3.0, 2.0))
    """

    name = "forward"

    def frule_via_ad(
        self, tangents: tuple[Any, ...], f: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """`(y, dy)` of `f(*args, **kwargs)` along `tangents = (df, dx1, ...)`."""
        load_plugins()
        df, *dargs = tangents
        if isinstance(df, Tangent):
            raise NotImplementedError(
                "the forward engine takes the tangent of the function as NoTangent(): "
                "pass the values it closes over as arguments"
            )
        level = new_level()
        duals = [join(x, dx, level) for x, dx in zip(args, dargs, strict=True)]
        return extract(_dispatch.call(f, *duals, **kwargs), level)

    def rrule_via_ad(self, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """`(y, pullback)` from the Jacobian, one forward pass per input coordinate."""
        return pullback_from_pushforwards(self.frule_via_ad, f, args, kwargs)

    def show(self, f: Callable[..., Any]) -> str:
        """The code the forward engine runs for the Python function `f`."""
        if not isinstance(f, types.FunctionType):
            raise TypeError(f"show needs a Python function, got {type(f).__name__}")
        return transformed(f).source


_dispatch.set_config(ForwardEngine())
_dispatch.RUN_AS_IS.add(ForwardEngine.frule_via_ad)
