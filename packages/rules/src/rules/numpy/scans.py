"""Rules for NumPy's scans: an rrule and an frule for `cumsum`, `cumprod`, `nancumsum`,
`nancumprod`, `ndarray.cumsum`, `ndarray.cumprod` (the methods share their function's rule).

Options are honoured, never differentiated: `axis` (None, the flattened array; an int,
negative) and `dtype`; given positionally they get `NoTangent()`. Calls outside that (an
`out=` array) get no rule (`None`), so that an engine differentiates NumPy's own code or
says that it cannot (see `rules.numpy._reducing`).

Conventions:

- `cumprod`: no division anywhere (a scan), so zeros are exact: one zero in a slice gives
  that entry the product of the others and the rest zero; two or more give every entry zero.
- The nan-functions give NaN entries (and all-NaN slices) zero cotangents; NaN counts as 0
  in `nancumsum` and as 1 in `nancumprod`, as in NumPy.
- Complex inputs: the pullbacks multiply by conjugated derivatives.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from rules.numpy._reducing import (
    Options,
    _mask,
    _masked,
    _named,
    _options,
    _prepare,
    _rest,
    _tangent,
)
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    rrule,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------
# cumsum, cumprod and their nan-twins: scans along one axis (the flattened array for None)
# ---------------------------------------------------------------------------------------

_SCAN_OPTIONS = {"axis", "dtype"}


def _along_last(x: Any, options: Options) -> tuple[Any, int]:
    """`x` with the scanned axis moved last (raveled for `axis=None`), and that axis."""
    axis = options.get("axis")
    if axis is None:
        return np.ravel(x), 0
    axis = normalize_axis_index(axis, np.ndim(x))
    return np.moveaxis(x, axis, -1), axis


def _from_last(dx: Any, axis: int, x: Any, options: Options) -> Any:
    if options.get("axis") is None:
        return np.reshape(dx, np.shape(x))
    return np.moveaxis(dx, -1, axis)


def _linear_scan(coef: Any, values: Any) -> Any:
    """`s[k] = values[k] + coef[k] * s[k-1]` along the last axis (`s[-1] = 0`), in log2(n)
    vectorized steps (Hillis and Steele's scan of the affine maps `s -> coef * s + value`),
    with no division."""
    n, shift = values.shape[-1], 1
    while shift < n:
        values = np.concatenate(
            [values[..., :shift], values[..., shift:] + coef[..., shift:] * values[..., :-shift]],
            axis=-1,
        )
        coef = np.concatenate([coef[..., :shift], coef[..., shift:] * coef[..., :-shift]], axis=-1)
        shift *= 2
    return values


def _exclusive_cumprod(b: Any) -> Any:
    return np.cumprod(np.concatenate([np.ones_like(b[..., :1]), b[..., :-1]], axis=-1), axis=-1)


def _scan_frule(
    f: Any, nan: bool, product: bool, tangents: Any, a: Any, *args: Any, **kwargs: Any
) -> Any:
    options = _options(f, args, kwargs, _SCAN_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = f(a, **options)
    da = _tangent(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    mask = _mask(x, options, nan)
    db, axis = _along_last(_masked(da, mask), options)
    if product:
        # dy[k] = dy[k-1] b[k] + y[k-1] db[k], with y[k-1] the exclusive prefix product
        b, _ = _along_last(_masked(x, mask, 1), options)
        dy = _linear_scan(b, _exclusive_cumprod(b) * db)
    else:
        dy = np.cumsum(db, axis=-1)
    dy = np.reshape(dy, np.shape(y)) if options.get("axis") is None else np.moveaxis(dy, -1, axis)
    return y, ProjectTo(y)(dy)


def _scan_rrule(f: Any, nan: bool, product: bool, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _SCAN_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = f(a, **options)

    def scan_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero) or not active:
            return NoTangent(), project_a(ZeroTangent()), *_rest(args)
        mask = _mask(x, options, nan)
        b, axis = _along_last(_masked(x, mask, 1 if product else 0), options)
        g = np.flip(_along_last(np.reshape(dy, np.shape(y)), options)[0], axis=-1)
        if product:
            # d y[k] / d b[i] = prod(b[:i]) * prod(b[i+1:k+1]) for k >= i: the suffix sums
            # s[i] = g[i] + conj(b[i+1]) s[i+1] times the exclusive prefix products.
            coef = np.flip(np.conj(b), axis=-1)
            coef = np.concatenate([np.zeros_like(coef[..., :1]), coef[..., :-1]], axis=-1)
            suffix = np.flip(_linear_scan(coef, g), axis=-1)
            dx = np.conj(_exclusive_cumprod(b)) * suffix
        else:
            dx = np.flip(np.cumsum(g, axis=-1), axis=-1)
        dx = _masked(_from_last(dx, axis, x, options), mask)
        return NoTangent(), project_a(dx), *_rest(args)

    return y, _named(scan_pullback, f)


for _f, _nan, _product in (
    (np.cumsum, False, False),
    (np.ndarray.cumsum, False, False),
    (np.nancumsum, True, False),
    (np.cumprod, False, True),
    (np.ndarray.cumprod, False, True),
    (np.nancumprod, True, True),
):
    rrule.register(_f)(functools.partial(_scan_rrule, _f, _nan, _product))
    frule.register(_f)(functools.partial(_scan_frule, _f, _nan, _product))

del _f, _nan, _product
