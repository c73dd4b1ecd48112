"""Rules for NumPy's reductions and scans: sums, products, means, variances, extrema,
cumulative sums and products, weighted averages, medians and quantiles.

Each has an rrule and an frule; the `ndarray` methods share their function's rule:

- `sum`, `nansum`, `ndarray.sum`; `prod`, `nanprod`, `ndarray.prod`;
- `mean`, `nanmean`, `ndarray.mean`; `average` (with `weights`, `returned`);
- `var`, `std`, `nanvar`, `nanstd`, `ndarray.var`, `ndarray.std`;
- `max`, `min`, `amax`, `amin`, `nanmax`, `nanmin`, `ndarray.max`, `ndarray.min`; `ptp`;
- `cumsum`, `cumprod`, `nancumsum`, `nancumprod`, `ndarray.cumsum`, `ndarray.cumprod`;
- `median`, `nanmedian`, `quantile`, `percentile`, `nanquantile`, `nanpercentile`.

Non-differentiable: `argmax`, `argmin`, `argsort`, `nanargmax`, `nanargmin`, `count_nonzero`,
`all`, `any` (and the `ndarray` methods of those names).

Options are honoured, never differentiated: `axis` (None, an int, negative, a tuple),
`keepdims`, `dtype`, `where`, `initial`, `ddof`/`correction`, `returned`, `method`; given
positionally they get `NoTangent()`. The positional `q` of the quantiles and the positional
`weights` of `average` are differentiated; passed by keyword they are constants, as every
keyword argument is. Calls outside that (an `out=` array, `var(mean=...)`,
`quantile(weights=...)`, a quantile method of the inverted-CDF family) get no rule (`None`),
so that an engine differentiates NumPy's own code or says that it cannot.

Conventions:

- `prod`, `cumprod`: no division anywhere (products of prefixes and suffixes, and a scan), so
  zeros are exact: one zero in a slice gives that entry the product of the others and the
  rest zero; two or more give every entry zero.
- Ties (`max`, `min`, `ptp`, the order statistics of the quantiles) split the cotangent
  equally among the tied entries, so that it still sums to the seed (as JAX does for `max`);
  an `initial=` value that ties counts as one candidate whose share is dropped. When `max`
  or `min` returns NaN, the cotangent goes to the NaN entries.
- `std` where the slice is constant (zero variance, detected exactly: NumPy's own result
  may be a rounding error above 0) or where the std it returns is 0: zero cotangent and
  tangent, a subgradient (PyTorch's choice, pytorch#4320; JAX gives NaN). `var`'s is zero
  there too.
- The nan-functions give NaN entries (and all-NaN slices) zero cotangents.
- Quantiles: the continuous methods (`linear`, the default, and `hazen`, `weibull`,
  `median_unbiased`, `normal_unbiased`, `interpolated_inverted_cdf`) interpolate between two
  order statistics with weights `1 - g` and `g`; the cotangent goes to them with those
  weights. The derivative in `q` is `(x_hi - x_lo) * dv/dq` (`v` the virtual index): at a `q`
  that falls on an order statistic it is the slope above (below at the top), and zero where
  NumPy clamps `v`. The discrete methods (`lower`, `higher`, `nearest`, `midpoint`) pick one
  order statistic (two halves for `midpoint`) and are constant in `q`. `percentile`'s `q`
  derivative is divided by 100.
- Complex inputs (all but the quantiles, which NumPy refuses): the pullbacks multiply by
  conjugated derivatives; `var`/`std` are real, with cotangent `2 (x - mean) / (N - ddof)`
  times the seed (over `2 std` for `std`); `max`/`min` order complex numbers as NumPy does.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index, normalize_axis_tuple

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []

Options = dict[str, Any]


# ---------------------------------------------------------------------------------------
# Shared helpers: options, projection, re-expanding reduced cotangents, masks
# ---------------------------------------------------------------------------------------


@functools.cache
def _positional_names(f: Any) -> tuple[str, ...]:
    """NumPy's names of `f`'s positional parameters after the array (methods: their twin's)."""
    twin = getattr(np, f.__name__) if isinstance(f, type(np.ndarray.sum)) else f
    parameters = list(inspect.signature(twin).parameters.values())[1:]
    return tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)


def _options(f: Any, args: tuple[Any, ...], kwargs: Options, supported: set[str]) -> Options | None:
    """The call's options by name; `None` when the rule does not cover the call."""
    names = _positional_names(f)
    if len(args) > len(names) or kwargs.keys() & set(names[: len(args)]):
        return None  # NumPy raises its own TypeError when the engine runs the call
    options = dict(zip(names, args, strict=False)) | kwargs
    for name in ("out", "weights"):
        if options.get(name, 0) is None:
            del options[name]
    return options if options.keys() <= supported else None


def _prepare(a: Any) -> tuple[Any, Callable[[Any], Any], bool]:
    """`(x, project, active)`: `a` as an array, the projector of its cotangents (lists and
    tuples get theirs back as lists and tuples), and whether `a` has a tangent space."""
    project = ProjectTo(a)
    active = not isinstance(project(ZeroTangent()), NoTangent)
    if not isinstance(a, (list, tuple, int, float, complex)):
        return a, project, active
    x = np.asarray(a)
    if x.dtype.kind in "biu":  # Python ints are differentiated as reals
        x = x.astype(float)
    if isinstance(a, (list, tuple)):

        def project_sequence(dx: Any) -> Any:
            return project(_like(a, dx))

        return x, project_sequence, active
    return x, project, active


def _like(a: Any, dx: Any) -> Any:
    if isinstance(dx, AbstractZero) or not isinstance(a, (list, tuple)):
        return dx
    return type(a)(_like(ai, dx[i]) for i, ai in enumerate(a))


def _tangent(dx: Any) -> Any:
    dx = unthunk(dx)
    return np.asarray(dx) if isinstance(dx, (list, tuple)) else dx


def _rest(args: tuple[Any, ...]) -> tuple[NoTangent, ...]:
    """The cotangents of positional options: they have no tangent space."""
    return (NoTangent(),) * len(args)


def _named(pullback: Callable[[Any], Any], f: Any) -> Callable[[Any], Any]:
    pullback.__name__ = pullback.__qualname__ = f"{f.__name__}_pullback"
    return pullback


def _axes(options: Options, ndim: int) -> tuple[int, ...]:
    axis = options.get("axis")
    return tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)


def _kept(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _expand(dy: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """A reduced cotangent (with or without `keepdims`) broadcast back over the reduced axes."""
    return np.broadcast_to(np.reshape(dy, _kept(shape, axes)), shape)


def _reduce(dx: Any, axes: tuple[int, ...], y: Any) -> Any:
    """Sum a full-shape tangent over the reduced axes into the output's shape."""
    return np.reshape(np.sum(dx, axis=axes, keepdims=True), np.shape(y))


def _mask(x: Any, options: Options, nan: bool) -> Any:
    """Which entries take part: `where=` and, for the nan-functions, the non-NaN entries."""
    where = options.get("where", True)
    mask = None if where is True else np.broadcast_to(where, np.shape(x))
    if nan:
        valid = ~np.isnan(x)
        mask = valid if mask is None else mask & valid
    return mask


def _masked(x: Any, mask: Any, fill: Any = 0) -> Any:
    return x if mask is None else np.where(mask, x, fill)


def _count(shape: tuple[int, ...], axes: tuple[int, ...], mask: Any) -> Any:
    """Entries per reduced slice (at least 1, so that empty slices divide safely)."""
    if mask is None:
        return max(math.prod(shape[i] for i in axes), 1)
    return np.maximum(np.sum(mask, axis=axes, keepdims=True), 1)


# ---------------------------------------------------------------------------------------
# sum, nansum: the seed broadcast back over the reduced axes
# ---------------------------------------------------------------------------------------

_SUM_OPTIONS = {"axis", "dtype", "keepdims", "initial", "where"}


def _sum_frule(f: Any, nan: bool, tangents: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _SUM_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = f(a, **options)
    da = _tangent(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    dy = _reduce(_masked(da, _mask(x, options, nan)), _axes(options, np.ndim(x)), y)
    return y, ProjectTo(y)(dy)


def _sum_rrule(f: Any, nan: bool, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _SUM_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = f(a, **options)

    def sum_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero) or not active:
            return NoTangent(), project_a(ZeroTangent()), *_rest(args)
        shape = np.shape(x)
        dx = _expand(dy, shape, _axes(options, len(shape)))
        mask = _mask(x, options, nan)
        return (
            NoTangent(),
            project_a(dx.copy() if mask is None else _masked(dx, mask)),
            *_rest(args),
        )

    return y, _named(sum_pullback, f)


for _f, _nan in ((np.sum, False), (np.ndarray.sum, False), (np.nansum, True)):
    rrule.register(_f)(functools.partial(_sum_rrule, _f, _nan))
    frule.register(_f)(functools.partial(_sum_frule, _f, _nan))


# ---------------------------------------------------------------------------------------
# prod, nanprod: each entry's partial is the product of the others in its slice
# ---------------------------------------------------------------------------------------


def _product_of_others(x: Any, axes: tuple[int, ...]) -> Any:
    """For each entry, the product of the other entries of its slice, as the product of an
    exclusive prefix product and an exclusive suffix product: no division, so zeros are exact."""
    ndim, k = np.ndim(x), len(axes)
    last = tuple(range(ndim - k, ndim))
    moved = np.moveaxis(x, axes, last)
    flat = np.reshape(moved, (*moved.shape[: ndim - k], math.prod(moved.shape[ndim - k :])))
    ones = np.ones_like(flat[..., :1])
    before = np.cumprod(np.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
    reversed_after = np.concatenate([ones, np.flip(flat[..., 1:], axis=-1)], axis=-1)
    after = np.flip(np.cumprod(reversed_after, axis=-1), axis=-1)
    return np.moveaxis(np.reshape(before * after, moved.shape), last, axes)


def _prod_partials(x: Any, options: Options, nan: bool) -> tuple[Any, Any, tuple[int, ...]]:
    """(partials of the product in each entry, mask, reduced axes); masked entries count as 1."""
    axes = _axes(options, np.ndim(x))
    mask = _mask(x, options, nan)
    others = _product_of_others(_masked(x, mask, 1), axes)
    if "initial" in options:
        others = others * options["initial"]
    return _masked(others, mask), mask, axes


def _prod_frule(f: Any, nan: bool, tangents: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _SUM_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = f(a, **options)
    da = _tangent(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    partials, _, axes = _prod_partials(x, options, nan)
    return y, ProjectTo(y)(_reduce(partials * da, axes, y))


def _prod_rrule(f: Any, nan: bool, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _SUM_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = f(a, **options)

    def prod_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero) or not active:
            return NoTangent(), project_a(ZeroTangent()), *_rest(args)
        partials, _, axes = _prod_partials(x, options, nan)
        dx = np.conj(partials) * _expand(dy, np.shape(x), axes)
        return NoTangent(), project_a(dx), *_rest(args)

    return y, _named(prod_pullback, f)


for _f, _nan in ((np.prod, False), (np.ndarray.prod, False), (np.nanprod, True)):
    rrule.register(_f)(functools.partial(_prod_rrule, _f, _nan))
    frule.register(_f)(functools.partial(_prod_frule, _f, _nan))


# ---------------------------------------------------------------------------------------
# mean, nanmean: the seed shared equally by the entries of each slice
# ---------------------------------------------------------------------------------------

_MEAN_OPTIONS = {"axis", "dtype", "keepdims", "where"}


def _mean_frule(f: Any, nan: bool, tangents: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _MEAN_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = f(a, **options)
    da = _tangent(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    shape = np.shape(x)
    axes, mask = _axes(options, len(shape)), _mask(x, options, nan)
    dy = np.sum(_masked(da, mask), axis=axes, keepdims=True) / _count(shape, axes, mask)
    return y, ProjectTo(y)(np.reshape(dy, np.shape(y)))


def _mean_rrule(f: Any, nan: bool, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _MEAN_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = f(a, **options)

    def mean_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero) or not active:
            return NoTangent(), project_a(ZeroTangent()), *_rest(args)
        shape = np.shape(x)
        axes, mask = _axes(options, len(shape)), _mask(x, options, nan)
        dx = _masked(_expand(dy, shape, axes) / _count(shape, axes, mask), mask)
        return NoTangent(), project_a(dx), *_rest(args)

    return y, _named(mean_pullback, f)


for _f, _nan in ((np.mean, False), (np.ndarray.mean, False), (np.nanmean, True)):
    rrule.register(_f)(functools.partial(_mean_rrule, _f, _nan))
    frule.register(_f)(functools.partial(_mean_frule, _f, _nan))


# ---------------------------------------------------------------------------------------
# var, std, nanvar, nanstd: d var = 2 Re<x - mean, dx> / (N - ddof); d std = d var / (2 std)
# ---------------------------------------------------------------------------------------

_VAR_OPTIONS = {"axis", "dtype", "keepdims", "where", "ddof", "correction"}


def _constant_slices(x: Any, axes: tuple[int, ...], mask: Any) -> Any:
    """Whether all (unmasked) entries of each slice are equal: exact zero variance, which
    the rounded `x - mean(x)` does not always show."""
    parts = (np.real(x), np.imag(x)) if np.iscomplexobj(x) else (x,)
    constant: Any = True
    for part in parts:
        top = np.max(_masked(part, mask, -np.inf), axis=axes, keepdims=True, initial=-np.inf)
        bottom = np.min(_masked(part, mask, np.inf), axis=axes, keepdims=True, initial=np.inf)
        constant = constant & (top == bottom)
    return constant


def _centered(x: Any, options: Options, nan: bool) -> tuple[Any, Any, tuple[int, ...], Any]:
    """(x - mean over each slice, zero where masked or constant; N - ddof; axes; mask)."""
    shape = np.shape(x)
    axes, mask = _axes(options, len(shape)), _mask(x, options, nan)
    count = _count(shape, axes, mask)
    mean = np.sum(_masked(x, mask), axis=axes, keepdims=True) / count
    centered = np.where(_constant_slices(x, axes, mask), 0, x - mean)
    ddof = options.get("correction", options.get("ddof", 0))
    return _masked(centered, mask), count - ddof, axes, mask


def _std_scale(y: Any, kept: tuple[int, ...]) -> Any:
    """1 / std in the kept shape, and 0 where std is 0 (the zero-variance convention)."""
    std = np.reshape(y, kept)
    return np.where(std == 0, 0, 1 / np.where(std == 0, 1, std))


def _var_frule(
    f: Any, nan: bool, root: bool, tangents: Any, a: Any, *args: Any, **kwargs: Any
) -> Any:
    options = _options(f, args, kwargs, _VAR_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = f(a, **options)
    da = _tangent(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    centered, divisor, axes, _ = _centered(x, options, nan)
    dy = np.sum(np.real(np.conj(centered) * da), axis=axes, keepdims=True) / divisor
    dy = dy * _std_scale(y, np.shape(dy)) if root else 2 * dy
    return y, ProjectTo(y)(np.reshape(dy, np.shape(y)))


def _var_rrule(f: Any, nan: bool, root: bool, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _VAR_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = f(a, **options)

    def var_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero) or not active:
            return NoTangent(), project_a(ZeroTangent()), *_rest(args)
        centered, divisor, axes, mask = _centered(x, options, nan)
        kept = _kept(np.shape(x), axes)
        dy = np.reshape(dy, kept) / divisor
        dy = dy * _std_scale(y, kept) if root else 2 * dy
        # masked last: an all-NaN slice has a NaN std, and its entries get zero
        return NoTangent(), project_a(_masked(dy * centered, mask)), *_rest(args)

    return y, _named(var_pullback, f)


for _f, _nan, _root in (
    (np.var, False, False),
    (np.ndarray.var, False, False),
    (np.nanvar, True, False),
    (np.std, False, True),
    (np.ndarray.std, False, True),
    (np.nanstd, True, True),
):
    rrule.register(_f)(functools.partial(_var_rrule, _f, _nan, _root))
    frule.register(_f)(functools.partial(_var_frule, _f, _nan, _root))


# ---------------------------------------------------------------------------------------
# max, min, nanmax, nanmin, ptp: the seed split equally among the entries that tie
# ---------------------------------------------------------------------------------------

_EXTREMUM_OPTIONS = {"axis", "keepdims", "initial", "where"}


def _selection(x: Any, chosen: Any, axes: tuple[int, ...], options: Options, nan: bool) -> Any:
    """Weights that split one unit equally among the entries of each slice equal to `chosen`
    (in the kept shape); a tying `initial=` takes a share that goes nowhere."""
    picked = x == chosen
    if not nan:  # a NaN result was made by the NaN entries
        picked = picked | (np.isnan(x) & np.isnan(chosen))
    mask = _mask(x, options, nan=False)
    if mask is not None:
        picked = picked & mask
    count = np.sum(picked, axis=axes, keepdims=True)
    if "initial" in options:
        count = count + (chosen == options["initial"])
    return picked / np.maximum(count, 1)


def _extremum_weights(f: Any, x: Any, y: Any, options: Options, nan: bool) -> Any:
    axes = _axes(options, np.ndim(x))
    if f is np.ptp:
        top = np.max(x, axis=axes, keepdims=True)
        bottom = np.min(x, axis=axes, keepdims=True)
        return _selection(x, top, axes, options, nan) - _selection(x, bottom, axes, options, nan)
    return _selection(x, np.reshape(y, _kept(np.shape(x), axes)), axes, options, nan)


def _extremum_frule(f: Any, nan: bool, tangents: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _EXTREMUM_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = f(a, **options)
    da = _tangent(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    weights = _extremum_weights(f, x, y, options, nan)
    return y, ProjectTo(y)(_reduce(weights * da, _axes(options, np.ndim(x)), y))


def _extremum_rrule(f: Any, nan: bool, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(f, args, kwargs, _EXTREMUM_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = f(a, **options)

    def extremum_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero) or not active:
            return NoTangent(), project_a(ZeroTangent()), *_rest(args)
        shape = np.shape(x)
        weights = _extremum_weights(f, x, y, options, nan)
        dx = weights * _expand(dy, shape, _axes(options, len(shape)))
        return NoTangent(), project_a(dx), *_rest(args)

    return y, _named(extremum_pullback, f)


for _f, _nan in (
    (np.max, False),
    (np.min, False),
    (np.amax, False),
    (np.amin, False),
    (np.ndarray.max, False),
    (np.ndarray.min, False),
    (np.nanmax, True),
    (np.nanmin, True),
    (np.ptp, False),
):
    rrule.register(_f)(functools.partial(_extremum_rrule, _f, _nan))
    frule.register(_f)(functools.partial(_extremum_frule, _f, _nan))


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


# ---------------------------------------------------------------------------------------
# average: y = sum(w x) / sum(w); dy/dx = w / sum(w), dy/dw = (x - y) / sum(w)
# ---------------------------------------------------------------------------------------

_AVERAGE_OPTIONS = {"axis", "weights", "returned", "keepdims"}


def _weights_shape(w: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """`w` shaped to broadcast against the array, as `np.average` does (1-D or per-axis
    weights are laid out along `axis`, in the order `axis` names them)."""
    if np.shape(w) == shape:
        return w
    w = np.transpose(w, np.argsort(axes))
    return np.reshape(w, _spread(shape, axes))


def _weights_back(dw: Any, w: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """The inverse of `_weights_shape` for a cotangent of the array's shape."""
    if np.shape(w) == shape:
        return dw
    dw = np.reshape(unbroadcast(_spread(shape, axes), dw), tuple(shape[i] for i in sorted(axes)))
    return np.transpose(dw, np.argsort(np.argsort(axes)))


def _spread(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(n if i in axes else 1 for i, n in enumerate(shape))


def _average_frule(tangents: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(np.average, args, kwargs, _AVERAGE_OPTIONS)
    if options is None:
        return None
    x, _, _ = _prepare(a)
    y = np.average(a, **options)
    da = _tangent(tangents[1])
    dw = _tangent(tangents[3]) if len(args) >= 2 else ZeroTangent()
    w = options.get("weights")
    if isinstance(da, AbstractZero) and isinstance(dw, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    shape = np.shape(x)
    axes = _axes(options, len(shape))
    avg = y[0] if options.get("returned") else y
    d_total: Any = ZeroTangent()
    if w is None:
        d_avg = np.sum(da, axis=axes, keepdims=True) / _count(shape, axes, None)
    else:
        wx = _weights_shape(w, shape, axes)
        total = np.sum(wx, axis=axes, keepdims=True)
        d_sum = 0 if isinstance(da, AbstractZero) else np.sum(da * wx, axis=axes, keepdims=True)
        if not isinstance(dw, AbstractZero):
            dwx = _weights_shape(dw, shape, axes)
            d_total = np.sum(dwx, axis=axes, keepdims=True)
            d_sum = d_sum + np.sum(x * dwx, axis=axes, keepdims=True)
            d_sum = d_sum - np.reshape(avg, _kept(shape, axes)) * d_total
            d_total = np.reshape(np.broadcast_to(d_total, _kept(shape, axes)), np.shape(avg))
        d_avg = d_sum / total
    d_avg = np.reshape(d_avg, np.shape(avg))
    dy = (d_avg, d_total) if options.get("returned") else d_avg
    return y, ProjectTo(y)(dy)


def _average_rrule(a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _options(np.average, args, kwargs, _AVERAGE_OPTIONS)
    if options is None:
        return None
    x, project_a, active = _prepare(a)
    y = np.average(a, **options)
    w = options.get("weights")
    project_w = ProjectTo(w) if len(args) >= 2 else None  # positional weights are differentiated

    def average_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        d_avg, d_total = (
            (unthunk(dy[0]), unthunk(dy[1])) if options.get("returned") else (dy, ZeroTangent())
        )
        shape = np.shape(x)
        axes = _axes(options, len(shape))
        rest = list(_rest(args))
        avg = y[0] if options.get("returned") else y
        if w is None:
            if isinstance(d_avg, AbstractZero) or not active:
                return NoTangent(), project_a(ZeroTangent()), *rest
            dx = _expand(d_avg, shape, axes) / _count(shape, axes, None)
            return NoTangent(), project_a(dx), *rest
        wx = _weights_shape(w, shape, axes)
        total = np.sum(wx, axis=axes, keepdims=True)
        seed = _expand(d_avg, shape, axes) / np.conj(total)

        def average_dx() -> Any:
            return project_a(seed * np.conj(wx))

        def average_dw() -> Any:
            dwx = seed * np.conj(x - np.reshape(avg, _kept(shape, axes)))
            return project_w(_weights_back(dwx + _expand(d_total, shape, axes), w, shape, axes))

        dx = Thunk(average_dx)
        if isinstance(d_avg, AbstractZero) or not active:
            dx = project_a(ZeroTangent())
        if project_w is not None:
            zero = isinstance(d_avg, AbstractZero) and isinstance(d_total, AbstractZero)
            rest[1] = project_w(ZeroTangent()) if zero else Thunk(average_dw)
        return NoTangent(), dx, *rest

    return y, average_pullback


rrule.register(np.average)(_average_rrule)
frule.register(np.average)(_average_frule)


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

del _f, _nan, _root, _product, _scale


# ---------------------------------------------------------------------------------------
# Indices, counts and truth values: no derivative
# ---------------------------------------------------------------------------------------

non_differentiable(
    np.argmax,
    np.argmin,
    np.argsort,
    np.nanargmax,
    np.nanargmin,
    np.count_nonzero,
    np.all,
    np.any,
    np.ndarray.argmax,
    np.ndarray.argmin,
    np.ndarray.argsort,
    np.ndarray.all,
    np.ndarray.any,
)
