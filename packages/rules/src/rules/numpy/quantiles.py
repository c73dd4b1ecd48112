"""Rules for NumPy's medians and quantiles: an rrule and an frule for `median`, `nanmedian`,
`quantile`, `percentile`, `nanquantile`, `nanpercentile`.

Options are honoured, never differentiated: `axis` (None, an int, negative, a tuple),
`keepdims`, `method`, `overwrite_input` (a permission NumPy may ignore: the rules keep the
input intact); given positionally they get `NoTangent()`. The positional `q` is
differentiated; passed by keyword it is a constant, as every keyword argument is. Calls
outside that (an `out=` array, `quantile(weights=...)`, a method of the inverted-CDF family)
get no rule (`None`), so that an engine differentiates NumPy's own code or says that it
cannot (see `rules.numpy._reducing`).

Conventions:

- Quantiles: the continuous methods (`linear`, the default, and `hazen`, `weibull`,
  `median_unbiased`, `normal_unbiased`, `interpolated_inverted_cdf`) interpolate between two
  order statistics with weights `1 - g` and `g`; the cotangent goes to them with those
  weights. The derivative in `q` is `(x_hi - x_lo) * dv/dq` (`v` the virtual index): at a `q`
  that falls on an order statistic it is the slope above (below at the top), and zero where
  NumPy clamps `v`. The discrete methods (`lower`, `higher`, `nearest`, `midpoint`) pick one
  order statistic (two halves for `midpoint`) and are constant in `q`. `percentile`'s `q`
  derivative is divided by 100.
- Ties among the order statistics split the cotangent equally among the tied entries, so
  that it still sums to the seed.
- The nan-functions give NaN entries (and all-NaN slices) zero cotangents.
- Complex inputs: NumPy refuses them.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from rules.numpy._reducing import (
    Options,
    _axes,
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
    Thunk,
    ZeroTangent,
    frule,
    rrule,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------
# median, quantile, percentile and their nan-twins: order statistics, interpolated
# ---------------------------------------------------------------------------------------

_QUANTILE_OPTIONS = {"q", "axis", "overwrite_input", "method", "keepdims"}
# (alpha, beta) of Hyndman and Fan's continuous methods: v = n q + alpha + q (1 - alpha - beta) - 1
_CONTINUOUS = {
    "linear": (1.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3, 1 / 3),
    "normal_unbiased": (3 / 8, 3 / 8),
    "interpolated_inverted_cdf": (0.0, 1.0),
}
_DISCRETE = {"lower": np.floor, "higher": np.ceil, "nearest": np.around, "midpoint": None}


def _order_statistics(x: Any, q: Any, axes: tuple[int, ...], nan: bool, method: str) -> Any:
    """`(weights, slope, moved)` of the quantiles `q` (in [0, 1]) of each slice of `x`.

    `moved` is `x`'s shape with the reduced axes moved last; `weights` (`q.shape + batch +
    (n,)`, the reduced axes flattened) say how much each entry of a slice counts in each
    quantile; `slope` (`q.shape + batch`) is the derivative of the quantile in `q`, `None`
    for the discrete methods."""
    ndim, k = np.ndim(x), len(axes)
    moved = np.moveaxis(x, axes, tuple(range(ndim - k, ndim)))
    batch = moved.shape[: ndim - k]
    flat = np.reshape(moved, (*batch, math.prod(moved.shape[ndim - k :])))
    n = np.sum(~np.isnan(flat), axis=-1) if nan else np.full(batch, flat.shape[-1])
    n = np.maximum(n, 1)  # all-NaN slices: their NaN statistics get no weight below
    q_shape = np.shape(q)
    q = np.reshape(np.asarray(q, dtype=float), q_shape + (1,) * len(batch))
    v = (n - 1) * q
    slope = None
    if method == "midpoint":
        lo, hi = np.floor(v), np.ceil(v)
        g = np.where(lo == hi, 0.0, 0.5)
    elif method in _DISCRETE:
        lo = hi = _DISCRETE[method](v)
        g = np.zeros_like(v)
    else:
        alpha, beta = _CONTINUOUS[method]
        if method != "linear":  # NumPy computes linear's index as (n - 1) q: same rounding
            v = n * q + alpha + q * (1 - alpha - beta) - 1
        inside = (v >= 0) & (v <= n - 1)
        v = np.clip(v, 0, n - 1)
        lo = np.clip(np.floor(v), 0, np.maximum(n - 2, 0))  # at the top: the segment below
        hi = np.minimum(lo + 1, n - 1)
        g = v - lo
        slope = np.where(inside, n + 1 - alpha - beta, 0)
    ordered = np.reshape(np.sort(flat, axis=-1), (1,) * len(q_shape) + flat.shape)
    lo_value = np.take_along_axis(ordered, lo.astype(np.intp)[..., None], axis=-1)
    hi_value = np.take_along_axis(ordered, hi.astype(np.intp)[..., None], axis=-1)
    weights = (1 - g)[..., None] * _ties(flat, lo_value) + g[..., None] * _ties(flat, hi_value)
    if slope is not None:
        slope = (hi_value - lo_value)[..., 0] * slope
    return weights, slope, moved.shape


def _ties(flat: Any, value: Any) -> Any:
    """One unit split equally among the entries equal to `value` (none for NaN)."""
    picked = flat == value
    return picked / np.maximum(np.sum(picked, axis=-1, keepdims=True), 1)


class _Quantile:
    """What the quantile rules share: the call's options, `q`, the primal, the statistics."""

    def __init__(self, f: Any, scale: float | None, a: Any, args: Any, kwargs: Options) -> None:
        options = _options(f, args, kwargs, _QUANTILE_OPTIONS)
        self.method = None if options is None else options.get("method", "linear")
        self.covered = self.method in _CONTINUOUS or self.method in _DISCRETE
        if options is None or not self.covered:
            return
        options.pop("overwrite_input", None)  # a permission NumPy may ignore: keep `a` intact
        self.options, self.scale = options, scale
        self.q = 0.5 if scale is None else options["q"]
        self.x, self.project_a, self.active = _prepare(a)
        self.y = f(a, **options)
        self.axes = _axes(options, np.ndim(self.x))

    def statistics(self, nan: bool) -> tuple[Any, Any, tuple[int, ...], tuple[int, ...]]:
        q = self.q if self.scale is None else np.asarray(self.q, dtype=float) / self.scale
        weights, slope, moved = _order_statistics(self.x, q, self.axes, nan, self.method)
        batch = moved[: len(moved) - len(self.axes)]
        if slope is not None and self.scale is not None:
            slope = slope / self.scale
        return weights, slope, moved, batch


def _quantile_frule(
    f: Any, nan: bool, scale: float | None, tangents: Any, a: Any, *args: Any, **kwargs: Any
) -> Any:
    call = _Quantile(f, scale, a, args, kwargs)
    if not call.covered:
        return None
    da = _tangent(tangents[1])
    dq = _tangent(tangents[2]) if scale is not None and len(args) >= 1 else ZeroTangent()
    if isinstance(da, AbstractZero) and isinstance(dq, AbstractZero):
        return call.y, ProjectTo(call.y)(ZeroTangent())
    weights, slope, moved, batch = call.statistics(nan)
    dy: Any = ZeroTangent()
    if not isinstance(da, AbstractZero):
        last = tuple(range(len(moved) - len(call.axes), len(moved)))
        dflat = np.reshape(np.moveaxis(da, call.axes, last), weights.shape[np.ndim(call.q) :])
        dy = np.sum(weights * dflat, axis=-1)
    if not isinstance(dq, AbstractZero) and slope is not None:
        dy = dy + slope * np.reshape(dq, np.shape(dq) + (1,) * len(batch))
    return call.y, ProjectTo(call.y)(np.reshape(dy, np.shape(call.y)))


def _quantile_rrule(
    f: Any, nan: bool, scale: float | None, a: Any, *args: Any, **kwargs: Any
) -> Any:
    call = _Quantile(f, scale, a, args, kwargs)
    if not call.covered:
        return None
    differentiate_q = scale is not None and len(args) >= 1  # a positional q
    project_q = _prepare(call.q)[1] if differentiate_q else None

    def quantile_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        rest: list[Any] = list(_rest(args))
        if project_q is not None:
            rest[0] = project_q(ZeroTangent())
        if isinstance(dy, AbstractZero):
            return NoTangent(), call.project_a(ZeroTangent()), *rest
        weights, slope, moved, batch = call.statistics(nan)
        q_ndim = np.ndim(call.q)
        dy = np.reshape(dy, np.shape(call.q) + batch)

        def quantile_dx() -> Any:
            dflat = np.sum(dy[..., None] * weights, axis=tuple(range(q_ndim)))
            last = tuple(range(len(moved) - len(call.axes), len(moved)))
            return call.project_a(np.moveaxis(np.reshape(dflat, moved), last, call.axes))

        dx = Thunk(quantile_dx) if call.active else call.project_a(ZeroTangent())
        if project_q is not None and slope is not None:
            dq = np.sum(slope * dy, axis=tuple(range(q_ndim, q_ndim + len(batch))))
            rest[0] = project_q(dq)
        return NoTangent(), dx, *rest

    return call.y, _named(quantile_pullback, f)


for _f, _nan, _scale in (
    (np.median, False, None),
    (np.nanmedian, True, None),
    (np.quantile, False, 1.0),
    (np.nanquantile, True, 1.0),
    (np.percentile, False, 100.0),
    (np.nanpercentile, True, 100.0),
):
    rrule.register(_f)(functools.partial(_quantile_rrule, _f, _nan, _scale))
    frule.register(_f)(functools.partial(_quantile_frule, _f, _nan, _scale))

del _f, _nan, _scale
