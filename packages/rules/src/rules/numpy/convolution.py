"""Rules for NumPy's one-dimensional convolutions: `convolve` and `correlate`.

Covered, with an rrule and an frule each: `convolve`, `correlate` (`a`, `v`), in the modes
"full", "same" and "valid" (by name or as NumPy's 2, 1, 0), real or complex, either operand
the longer.

Conventions:

- Only `a` and `v` are differentiated; a positional `mode` gets `NoTangent()`.
- `correlate` conjugates its second argument, and so does its derivative: `correlate(a, v)`
  is holomorphic in `a` and anti-holomorphic in `v`.
- Both rules pull a crop of the full convolution back through that full convolution
  (`rules.numpy._full_convolution`, which `polymul`'s rules use too).

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.convolve, np.array([1.0, 2.0]), np.array([1.0, 1.0, 1.0]))
>>> y
array([1., 3., 3., 2.])
>>> back(np.array([1.0, 0.0, 0.0, 0.0]))[1:]
(array([1., 0.]), array([1., 0., 0.]))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rules.numpy._arguments import Call
from rules.numpy._full_convolution import convolution_frule, convolution_rrule
from rulescore import NoTangent, frule, rrule

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# convolve, correlate: crops of a full convolution


def _mode_name(mode: Any) -> str:
    return {0: "valid", 1: "same", 2: "full"}[mode] if isinstance(mode, int) else str(mode)


def _convolution_arguments(f: Callable[..., Any], args: Any, kwargs: Any) -> tuple[Any, ...]:
    call = Call(f, args, kwargs)
    default = "full" if f is np.convolve else "valid"
    return call.get("a"), call.get("v"), _mode_name(call.get("mode", default)), len(args)


@rrule.register(np.convolve)
def _(*args: Any, **kwargs: Any) -> Any:
    a, v, mode, nargs = _convolution_arguments(np.convolve, args, kwargs)
    y, pullback = convolution_rrule(np.convolve, a, v, mode, correlate=False)
    return y, _with_trailing(pullback, nargs - 2)


@frule.register(np.convolve)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    a, v, mode, _ = _convolution_arguments(np.convolve, args, kwargs)
    return convolution_frule(np.convolve, tangents, a, v, mode)


@rrule.register(np.correlate)
def _(*args: Any, **kwargs: Any) -> Any:
    a, v, mode, nargs = _convolution_arguments(np.correlate, args, kwargs)
    y, pullback = convolution_rrule(np.correlate, a, v, mode, correlate=True)
    return y, _with_trailing(pullback, nargs - 2)


@frule.register(np.correlate)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    a, v, mode, _ = _convolution_arguments(np.correlate, args, kwargs)
    return convolution_frule(np.correlate, tangents, a, v, mode)


def _with_trailing(pullback: Callable[[Any], tuple[Any, ...]], extra: int) -> Any:
    """`pullback` with `NoTangent()` appended for `extra` positional options (a mode)."""
    if not extra:
        return pullback

    def with_options_pullback(dy: Any) -> tuple[Any, ...]:
        return (*pullback(dy), *(NoTangent(),) * extra)

    with_options_pullback.__name__ = with_options_pullback.__qualname__ = pullback.__name__
    return with_options_pullback
