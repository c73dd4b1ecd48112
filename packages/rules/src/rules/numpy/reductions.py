"""Rules for NumPy's reductions: sums, products, means, variances, extrema and weighted
averages.

Each has an rrule and an frule; the `ndarray` methods share their function's rule:

- `sum`, `nansum`, `ndarray.sum`; `prod`, `nanprod`, `ndarray.prod`;
- `mean`, `nanmean`, `ndarray.mean`; `average` (with `weights`, `returned`);
- `var`, `std`, `nanvar`, `nanstd`, `ndarray.var`, `ndarray.std`;
- `max`, `min`, `amax`, `amin`, `nanmax`, `nanmin`, `ndarray.max`, `ndarray.min`; `ptp`.

Non-differentiable: `argmax`, `argmin`, `argsort`, `nanargmax`, `nanargmin`, `count_nonzero`,
`all`, `any` (and the `ndarray` methods of those names).

The scans (`cumsum`, `cumprod`) are in `rules.numpy.scans`, the medians and quantiles in
`rules.numpy.quantiles`; all three modules handle options through `rules.numpy._reducing`.

Options are honoured, never differentiated: `axis` (None, an int, negative, a tuple),
`keepdims`, `dtype`, `where`, `initial`, `ddof`/`correction`, `returned`; given positionally
they get `NoTangent()`. The positional `weights` of `average` are differentiated; passed by
keyword they are constants, as every keyword argument is. Calls outside that (an `out=`
array, `var(mean=...)`) get no rule (`None`), so that an engine differentiates NumPy's own
code or says that it cannot.

Conventions:

- `prod`: no division anywhere (products of prefixes and suffixes), so zeros are exact: one
  zero in a slice gives that entry the product of the others and the rest zero; two or more
  give every entry zero.
- Ties (`max`, `min`, `ptp`) split the cotangent equally among the tied entries, so that it
  still sums to the seed (as JAX does for `max`); an `initial=` value that ties counts as one
  candidate whose share is dropped. When `max` or `min` returns NaN, the cotangent goes to the
  NaN entries.
- `std` where the slice is constant (zero variance, detected exactly: NumPy's own result
  may be a rounding error above 0) or where the std it returns is 0: zero cotangent and
  tangent, a subgradient (PyTorch's choice, pytorch#4320; JAX gives NaN). `var`'s is zero
  there too.
- The nan-functions give NaN entries (and all-NaN slices) zero cotangents.
- Complex inputs: the pullbacks multiply by conjugated derivatives; `var`/`std` are real,
  with cotangent `2 (x - mean) / (N - ddof)` times the seed (over `2 std` for `std`);
  `max`/`min` order complex numbers as NumPy does.
"""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np

from rules.numpy._reducing import (
    Options,
    _axes,
    _count,
    _expand,
    _kept,
    _mask,
    _masked,
    _named,
    _options,
    _prepare,
    _reduce,
    _rest,
    _tangent,
)
from rules.python.operators import scattered
from rulescore import (
    AbstractZero,
    InplaceableThunk,
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
        # Unmasked, the cotangent is the seed broadcast back: a read-only view, no copy.
        return (
            NoTangent(),
            project_a(dx if mask is None else _masked(dx, mask)),
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


def _equal_to(x: Any, chosen: Any, options: Options, nan: bool) -> Any:
    """The entries of each slice equal to `chosen` (in the kept shape) that take part."""
    picked = x == chosen
    if not nan and np.isnan(chosen).any():  # a NaN result was made by the NaN entries
        picked = picked | (np.isnan(x) & np.isnan(chosen))
    mask = _mask(x, options, nan=False)
    if mask is not None:
        picked = picked & mask
    return picked


def _picked(
    x: Any, chosen: Any, axes: tuple[int, ...], options: Options, nan: bool
) -> tuple[Any, Any]:
    """The entries of each slice equal to `chosen` (in the kept shape) and, per slice, the
    number of ways the unit is split: those entries, plus a tying `initial=` (whose share
    goes nowhere)."""
    picked = _equal_to(x, chosen, options, nan)
    count = np.sum(picked, axis=axes, keepdims=True)
    if "initial" in options:
        count = count + (chosen == options["initial"])
    return picked, np.maximum(count, 1)


def _selection(x: Any, chosen: Any, axes: tuple[int, ...], options: Options, nan: bool) -> Any:
    """Weights that split one unit equally among the entries of each slice equal to `chosen`."""
    picked, count = _picked(x, chosen, axes, options, nan)
    return picked / count


def _extremum_weights(f: Any, x: Any, y: Any, options: Options, nan: bool) -> Any:
    axes = _axes(options, np.ndim(x))
    if f is np.ptp:
        top = np.max(x, axis=axes, keepdims=True)
        bottom = np.min(x, axis=axes, keepdims=True)
        return _selection(x, top, axes, options, nan) - _selection(x, bottom, axes, options, nan)
    return _selection(x, np.reshape(y, _kept(np.shape(x), axes)), axes, options, nan)


def _extremum_cotangent(
    f: Any, x: Any, y: Any, dy: Any, options: Options, nan: bool, project: Any
) -> Any:
    """The projected cotangent of `f(x)`: sparse (an `InplaceableThunk` that adds the seed
    at one entry per slice) when no slice ties, else the seed split over the ties."""
    shape = np.shape(x)
    axes = _axes(options, len(shape))
    if f is np.ptp:
        return project(_extremum_weights(f, x, y, options, nan) * _expand(dy, shape, axes))
    kept = _kept(shape, axes)
    chosen, share = np.reshape(y, kept), np.reshape(dy, kept)
    at = _one_per_slice(x, chosen, options, nan)
    if at is not None:
        return _at_extrema(at, share, axes, x, project)
    picked, count = _picked(x, chosen, axes, options, nan)
    # The seed is divided per slice before it is spread: one pass over x instead of two.
    return project(picked * (share / count))


# Entries compared at a time by `_one_per_slice`: a mask this small is reused from the
# heap, where one of x's size would be fresh memory (page faults) at every call.
_BLOCK = 1 << 16


def _one_per_slice(x: Any, chosen: Any, options: Options, nan: bool) -> Any:
    """The flat positions of the entries equal to `chosen` when each slice has exactly one;
    `None` when some slice ties or may. Without `initial=` (which `where=` needs) every
    slice has at least one (its extremum, or its NaN entries when that is NaN), except the
    all-NaN slices of the nan-functions: so a total of one per slice is one in each."""
    if options.keys() & {"initial", "where"} or np.ndim(x) == 0 or np.size(x) == 0:
        return None
    if nan and np.isnan(chosen).any():
        return None
    rows = max(1, _BLOCK * len(x) // np.size(x))
    positions, found = [], 0
    for start in range(0, len(x), rows):
        block = slice(start, start + rows)
        # `chosen` has one row when axis 0 is reduced
        picked = _equal_to(x[block], chosen if len(chosen) == 1 else chosen[block], {}, nan)
        positions.append(np.flatnonzero(picked) + start * (np.size(x) // len(x)))
        found += len(positions[-1])
        if found > np.size(chosen):
            return None
    return np.concatenate(positions) if found == np.size(chosen) else None


# Positions only (integers): engines that differentiate the pullback (higher order) run it
# as it is.
non_differentiable(_one_per_slice)


def _at_extrema(at: Any, share: Any, axes: tuple[int, ...], x: Any, project: Any) -> Any:
    """Zeros with each slice's `share` at its extremum (flat positions `at`), as an
    `InplaceableThunk`: an engine adds these few entries into a cotangent it already has."""
    where = np.unravel_index(at, np.shape(x))
    values = share[tuple(0 if i in axes else index for i, index in enumerate(where))]

    def scatter() -> Any:
        dtype = np.result_type(x, values)
        return project(scattered(np.shape(x), dtype, where, values, True))

    def add_into(acc: Any) -> Any:
        acc[where] += values if np.iscomplexobj(acc) else np.real(values)
        return acc

    return InplaceableThunk(add_into, Thunk(scatter))


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
        dx = _extremum_cotangent(f, x, y, dy, options, nan, project_a)
        return NoTangent(), dx, *_rest(args)

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

del _f, _nan, _root


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
