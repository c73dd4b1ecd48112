"""Rules for NumPy's rounding and cleaning functions that are not ufuncs: `round`/`around`
(and `ndarray.round`), `fix`, `nan_to_num`, `real_if_close`.

Rounding is piecewise constant: its derivative is zero (`ZeroTangent()`), the derivative of
the step the value lands on, as `floor` and `rint` have; `decimals` gets `NoTangent()`.
`nan_to_num` passes the derivative through where the input is finite and gives zero where it
replaced a nan or an infinity. `real_if_close` is the identity, or the real part when it
drops a negligible imaginary part.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    alias_rules,
    frule,
    rrule,
    unthunk,
)


def _piecewise_constant(f: Callable[..., Any]) -> None:
    """Both rules of a function whose derivative is zero in its first argument."""

    def constant_rrule(a: Any, *args: Any, **kwargs: Any) -> Any:
        def rounding_pullback(dy: Any) -> tuple[Any, ...]:
            return (NoTangent(), ZeroTangent(), *(NoTangent() for _ in args))

        rounding_pullback.__name__ = f"{f.__name__}_pullback"
        return f(a, *args, **kwargs), rounding_pullback

    def constant_frule(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        return f(a, *args, **kwargs), ZeroTangent()

    rrule.register(f)(constant_rrule)
    frule.register(f)(constant_frule)


for _f in (np.round, np.around, np.fix):
    _piecewise_constant(_f)
alias_rules(np.ndarray.round, np.round)


@rrule.register(np.nan_to_num)
def _(x: Any, *args: Any, **kwargs: Any) -> Any:
    finite = np.isfinite(x)
    project = ProjectTo(x)

    def nan_to_num_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        return (NoTangent(), project(np.where(finite, dy, 0)), *(NoTangent() for _ in args))

    return np.nan_to_num(x, *args, **kwargs), nan_to_num_pullback


@frule.register(np.nan_to_num)
def _(tangents: tuple[Any, ...], x: Any, *args: Any, **kwargs: Any) -> Any:
    y = np.nan_to_num(x, *args, **kwargs)
    dx = unthunk(tangents[1])
    if isinstance(dx, AbstractZero):
        return y, ZeroTangent()
    return y, ProjectTo(y)(np.where(np.isfinite(x), dx, 0))


@rrule.register(np.real_if_close)
def _(a: Any, *args: Any, **kwargs: Any) -> Any:
    project = ProjectTo(a)

    def real_if_close_pullback(dy: Any) -> tuple[Any, ...]:
        # A real output is the real part: its cotangent is real, as the projection makes it.
        return (NoTangent(), project(unthunk(dy)), *(NoTangent() for _ in args))

    return np.real_if_close(a, *args, **kwargs), real_if_close_pullback


@frule.register(np.real_if_close)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = np.real_if_close(a, *args, **kwargs)
    return y, ProjectTo(y)(unthunk(tangents[1]))
