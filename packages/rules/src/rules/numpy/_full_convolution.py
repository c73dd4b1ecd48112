"""The rules of one-dimensional convolutions as crops of a full convolution, shared by
`convolution` (`convolve`, `correlate`) and `polynomials` (`polymul`, the full convolution of
two coefficient arrays).

- `convolution_rrule(f, a, v, mode, correlate)`: `f(a, v, mode)` and its pullback, named
  `<f>_pullback`. The seed is placed where NumPy's `mode` window lies in the full convolution,
  whose adjoint in each operand is a "valid" correlation. `correlate=True` reads `f(a, v)` as
  the convolution of `a` with `conj(v)` reversed: `v`'s cotangent is conjugated and reversed
  back;
- `convolution_frule(f, tangents, a, v, mode)`: `f` is linear in each operand (`correlate`
  conjugate-linear in `v`), so the tangent is `f(da, v, mode) + f(a, dv, mode)`.

Both differentiate `a` and `v` only: the pullback returns `(NoTangent(), da, dv)`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rules.numpy._arguments import is_zero, project_to
from rulescore import NoTangent, ProjectTo, ZeroTangent, unthunk

__all__ = ["convolution_frule", "convolution_rrule"]


def _full_offset(m: int, n: int, mode: str, reversed_when_shorter: bool) -> int:
    """Where NumPy's `mode` output starts in the full convolution of lengths `m` and `n`.

    NumPy swaps the operands when the first is the shorter; `correlate` then reverses its
    result, which moves the centre of an even-length "same" window by one.
    """
    short = min(m, n)
    if mode.startswith("f"):
        return 0
    if mode.startswith("v"):
        return short - 1
    return short // 2 if reversed_when_shorter and m < n else short - 1 - short // 2


def _full_seed(dy: Any, m: int, n: int, offset: int) -> Any:
    dy = np.atleast_1d(dy)
    full = np.zeros(m + n - 1, dtype=dy.dtype)
    full[offset : offset + dy.shape[0]] = dy
    return full


def convolution_rrule(f: Callable[..., Any], a: Any, v: Any, mode: str, correlate: bool) -> Any:
    project_a, project_v = project_to(a), project_to(v)
    y = f(a, v, mode)
    a1, v1 = np.atleast_1d(a), np.atleast_1d(v)
    m, n = a1.shape[0], v1.shape[0]
    offset = _full_offset(m, n, mode, reversed_when_shorter=correlate)
    # correlate(a, v) is the convolution of a with conj(v) reversed
    kernel = np.conj(v1[::-1]) if correlate else v1

    def convolution_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return NoTangent(), project_a(dy), project_v(dy)
        full = _full_seed(dy, m, n, offset)
        # the adjoint of a full convolution in each operand is a valid correlation
        da = np.correlate(full, kernel, "valid")
        dkernel = np.correlate(full, a1, "valid")
        dv = np.conj(dkernel[::-1]) if correlate else dkernel
        return (
            NoTangent(),
            project_a(np.reshape(da, np.shape(a))),
            project_v(np.reshape(dv, np.shape(v))),
        )

    name = f"{f.__name__.strip('_')}_pullback"
    convolution_pullback.__name__ = convolution_pullback.__qualname__ = name
    return y, convolution_pullback


def convolution_frule(f: Callable[..., Any], tangents: Any, a: Any, v: Any, mode: str) -> Any:
    y = f(a, v, mode)
    da, dv = unthunk(tangents[1]), unthunk(tangents[2])
    dy: Any = ZeroTangent()
    if not is_zero(da):
        dy = f(da, v, mode)
    if not is_zero(dv):
        dy = dy + f(a, dv, mode)
    return y, ProjectTo(y)(dy)
