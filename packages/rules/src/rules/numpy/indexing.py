"""Rules for NumPy's indexing and selection routines.

Covered, with an rrule and an frule each:

- gathers: `take` (and `ndarray.take`), `take_along_axis`, `compress` (and
  `ndarray.compress`), `extract`, `choose`: linear in the array (or the choices); their
  pullbacks scatter the seed back with `np.add.at`, so an index that occurs several times
  accumulates. `mode="wrap"` / `"clip"` (`take`, `choose`) are applied to the indices first,
  so a clipped index sends its cotangent to the first or last entry;
- selections: `where(condition, x, y)` (both branches, broadcast), `select(condlist,
  choicelist, default)` (every choice and the default; the first true condition wins, as in
  the primal), `clip(a, a_min, a_max)` (and `ndarray.clip`; `a` and both bounds, arrays,
  scalars or `None`);
- `bincount(x, weights)`: linear in `weights` (`dweights = dy[x]`); without weights its
  output counts and has no derivative.

Conventions:

- Index-like arguments (indices, masks, conditions, `choose`'s selector, `bincount`'s `x`)
  get `NoTangent()`, even when they are given as floats: they only select.
- `clip` at a tie: where `a` equals a bound exactly, the cotangent goes to `a` (as PyTorch's
  `clamp`). Where `a_min > a_max` NumPy returns `a_max`, and `a_max` gets the cotangent.
- Only positional arguments are differentiated (the rulescore contract): `np.bincount(x,
  weights=w)` or `np.clip(a, min=m)` treat `w` and `m` as constants.
- Non-differentiable (integer outputs): the one-argument `where`, `nonzero`, `argwhere`,
  `flatnonzero`, `indices`, `unravel_index`, `ravel_multi_index`, `searchsorted`,
  `digitize`, `diag_indices(_from)`, `tril_indices(_from)`, `triu_indices(_from)`,
  `mask_indices`, `ix_`, `ndarray.nonzero`, `ndarray.searchsorted`.

Left out: the routines that mutate their argument in place (`place`, `put`, `putmask`,
`put_along_axis`, `fill_diagonal`, `copyto`): a rule returns a new value, so they must be
rewritten functionally (`np.where`, indexing) to be differentiated; `piecewise`, which
calls user functions (a rule would need to call back into AD).

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.take, np.array([1.0, 2.0, 3.0]), np.array([0, 2, 0]))
>>> back(np.array([1.0, 10.0, 100.0]))[1]
array([101.,   0.,  10.])
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# Call plumbing: arguments by name, cotangents in the order they were given


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


class _Call:
    """The arguments of `f(*args, **kwargs)` by name (`call.get("axis", default)`) and the
    names of the positional ones, in order: a pullback returns one cotangent for each."""

    def __init__(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        signature = _signature(f)
        self.arguments = signature.bind(*args, **kwargs).arguments
        self.names = tuple(signature.parameters)
        self.positional = self.names[: len(args)]

    def get(self, name: str, default: Any = None) -> Any:
        return self.arguments.get(name, default)

    def tangent(self, tangents: tuple[Any, ...], name: str) -> Any:
        """The tangent given to argument `name` (zero for a keyword argument)."""
        if name in self.positional:
            return unthunk(tangents[1 + self.positional.index(name)])
        return ZeroTangent()

    def cotangents(call, **values: Any) -> tuple[Any, ...]:  # noqa: N805  (`self` is a key)
        """`(NoTangent(), ...)`, one per positional argument; unnamed ones get NoTangent."""
        return (NoTangent(), *(values.get(name, NoTangent()) for name in call.positional))


class _ProjectArrayLike:
    """`ProjectTo(x)` for an array-like `x` written as a (nested) list or tuple: an array
    tangent is handed over as the nested lists that `ProjectTo` expects of a container."""

    def __init__(self, x: Any) -> None:
        self.project = ProjectTo(x)

    def __call__(self, dx: Any) -> Any:
        return self.project(dx.tolist() if isinstance(dx, np.ndarray) else dx)


def _project_to(x: Any) -> Any:
    """`ProjectTo(x)`, also for array-likes given as lists (`np.polyval([1.0, 2.0], x)`)."""
    return _ProjectArrayLike(x) if isinstance(x, (list, tuple)) else ProjectTo(x)


def _dense(dx: Any, x: Any) -> Any:
    """The tangent `dx` of `x` as an array: zeros of `x`'s shape for a zero tangent, an
    array for the (nested) list tangent of an array-like list."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x), 0.0))
    return np.asarray(dx) if isinstance(dx, (list, tuple)) else dx


def _dense_each(dxs: Any, xs: Any) -> list[Any]:
    """`_dense` entry by entry, for a sequence (or stacked array) of arrays."""
    dxs = unthunk(dxs)
    if isinstance(dxs, AbstractZero):
        return [_dense(dxs, x) for x in xs]
    return [_dense(dx, x) for dx, x in zip(dxs, xs, strict=True)]


def _normalize_indices(indices: Any, n: int, mode: str) -> Any:
    """The indices that `mode` ("raise", "wrap", "clip") makes of `indices` into length `n`."""
    if mode == "wrap":
        return np.mod(indices, n)
    if mode == "clip":
        return np.clip(indices, 0, n - 1)
    return indices


def _scatter_add(shape: tuple[int, ...], axis: int | None, indices: Any, dy: Any) -> Any:
    """The adjoint of `np.take(a, indices, axis)` for `a` of `shape`: `dy` added at `indices`
    (repeated indices accumulate)."""
    dy = np.asarray(dy)
    if axis is None:
        flat = np.zeros(math.prod(shape), dtype=dy.dtype)
        np.add.at(flat, indices, dy)
        return np.reshape(flat, shape)
    buffer = np.zeros(shape, dtype=dy.dtype)
    np.add.at(buffer, (slice(None),) * (axis % len(shape)) + (indices,), dy)
    return buffer


def _axis_length(a: Any, axis: int | None) -> int:
    return int(np.size(a)) if axis is None else int(np.shape(a)[axis])


# ---------------------------------------------------------------------------------------------
# take, ndarray.take


def _take_rrule(f: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    call = _Call(f, args, kwargs)
    name = call.positional[0]
    a, indices = args[0], call.get("indices")
    axis, mode = call.get("axis"), call.get("mode", "raise")
    project_a = _project_to(a)
    y = f(*args, **kwargs)
    indices = _normalize_indices(np.asarray(indices), _axis_length(a, axis), mode)

    def take_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(**{name: project_a(dy)})
        return call.cotangents(**{name: project_a(_scatter_add(np.shape(a), axis, indices, dy))})

    return y, take_pullback


def _take_frule(f: Callable[..., Any], tangents: Any, args: Any, kwargs: Any) -> Any:
    call = _Call(f, args, kwargs)
    y = f(*args, **kwargs)
    da = unthunk(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    dy = np.take(da, call.get("indices"), axis=call.get("axis"), mode=call.get("mode", "raise"))
    return y, ProjectTo(y)(dy)


@rrule.register(np.take)
def _(*args: Any, **kwargs: Any) -> Any:
    return _take_rrule(np.take, args, kwargs)


@frule.register(np.take)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    return _take_frule(np.take, tangents, args, kwargs)


@rrule.register(np.ndarray.take)
def _(*args: Any, **kwargs: Any) -> Any:
    return _take_rrule(np.ndarray.take, args, kwargs)


@frule.register(np.ndarray.take)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    return _take_frule(np.ndarray.take, tangents, args, kwargs)


# ---------------------------------------------------------------------------------------------
# take_along_axis


def _along_axis_index(shape: tuple[int, ...], indices: Any, axis: int) -> tuple[Any, ...]:
    """The fancy index that `take_along_axis(a, indices, axis)` reads `a` at."""
    ndim = len(shape)
    axis %= ndim
    return tuple(
        indices
        if i == axis
        else np.reshape(np.arange(n), tuple(-1 if j == i else 1 for j in range(ndim)))
        for i, n in enumerate(shape)
    )


@rrule.register(np.take_along_axis)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.take_along_axis, args, kwargs)
    arr, indices, axis = call.get("arr"), call.get("indices"), call.get("axis", -1)
    project_arr = _project_to(arr)
    y = np.take_along_axis(*args, **kwargs)

    def take_along_axis_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(arr=project_arr(dy))
        if axis is None:
            return call.cotangents(arr=project_arr(_scatter_add(np.shape(arr), None, indices, dy)))
        darr = np.zeros(np.shape(arr), dtype=np.asarray(dy).dtype)
        np.add.at(darr, _along_axis_index(np.shape(arr), indices, axis), dy)
        return call.cotangents(arr=project_arr(darr))

    return y, take_along_axis_pullback


@frule.register(np.take_along_axis)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.take_along_axis, args, kwargs)
    y = np.take_along_axis(*args, **kwargs)
    darr = call.tangent(tangents, "arr")
    if isinstance(darr, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    dy = np.take_along_axis(darr, call.get("indices"), axis=call.get("axis", -1))
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# compress, ndarray.compress, extract: a take at the positions of the true entries


def _compress_rrule(f: Callable[..., Any], array: str, args: Any, kwargs: Any) -> Any:
    call = _Call(f, args, kwargs)
    a, axis = call.get(array), call.get("axis")
    project_a = _project_to(a)
    y = f(*args, **kwargs)
    positions = np.flatnonzero(call.get("condition"))

    def compress_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(**{array: project_a(dy)})
        da = _scatter_add(np.shape(a), axis, positions, dy)
        return call.cotangents(**{array: project_a(da)})

    return y, compress_pullback


def _compress_frule(f: Callable[..., Any], array: str, tangents: Any, args: Any, kwargs: Any):
    call = _Call(f, args, kwargs)
    y = f(*args, **kwargs)
    da = call.tangent(tangents, array)
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    return y, ProjectTo(y)(np.compress(call.get("condition"), da, axis=call.get("axis")))


@rrule.register(np.compress)
def _(*args: Any, **kwargs: Any) -> Any:
    return _compress_rrule(np.compress, "a", args, kwargs)


@frule.register(np.compress)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    return _compress_frule(np.compress, "a", tangents, args, kwargs)


@rrule.register(np.ndarray.compress)
def _(*args: Any, **kwargs: Any) -> Any:
    return _compress_rrule(np.ndarray.compress, "self", args, kwargs)


@frule.register(np.ndarray.compress)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    return _compress_frule(np.ndarray.compress, "self", tangents, args, kwargs)


@rrule.register(np.extract)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.extract, args, kwargs)
    arr = call.get("arr")
    project_arr = _project_to(arr)
    y = np.extract(*args, **kwargs)
    positions = np.flatnonzero(call.get("condition"))

    def extract_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(arr=project_arr(dy))
        return call.cotangents(arr=project_arr(_scatter_add(np.shape(arr), None, positions, dy)))

    return y, extract_pullback


@frule.register(np.extract)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.extract, args, kwargs)
    y = np.extract(*args, **kwargs)
    darr = call.tangent(tangents, "arr")
    if isinstance(darr, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    return y, ProjectTo(y)(np.extract(call.get("condition"), darr))


# ---------------------------------------------------------------------------------------------
# choose


def _choose_selector(a: Any, choices: Any, mode: str) -> Any:
    return _normalize_indices(np.asarray(a), len(choices), mode)


@rrule.register(np.choose)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.choose, args, kwargs)
    a, choices = call.get("a"), call.get("choices")
    project_choices = _project_to(choices)
    y = np.choose(*args, **kwargs)
    selector = _choose_selector(a, choices, call.get("mode", "raise"))

    def choose_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(choices=project_choices(dy))
        dchoices = [
            _project_to(choice)(np.where(selector == j, dy, 0)) for j, choice in enumerate(choices)
        ]
        if isinstance(choices, np.ndarray):
            return call.cotangents(choices=project_choices(np.stack(dchoices)))
        return call.cotangents(choices=project_choices(dchoices))

    return y, choose_pullback


@frule.register(np.choose)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.choose, args, kwargs)
    choices = call.get("choices")
    y = np.choose(*args, **kwargs)
    dchoices = call.tangent(tangents, "choices")
    if isinstance(dchoices, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    dy = np.choose(call.get("a"), _dense_each(dchoices, choices), mode=call.get("mode", "raise"))
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# where


@rrule.register(np.where)
def _(condition: Any, *branches: Any) -> Any:
    z = np.where(condition, *branches)
    if not branches:  # the one-argument form: the indices of the true entries

        def nonzero_pullback(dz: Any) -> tuple[Any, ...]:
            return NoTangent(), NoTangent()

        return z, nonzero_pullback
    x, y = branches
    project_x, project_y = _project_to(x), _project_to(y)

    def where_pullback(dz: Any) -> tuple[Any, ...]:
        dz = unthunk(dz)
        if isinstance(dz, AbstractZero):
            return NoTangent(), NoTangent(), project_x(dz), project_y(dz)
        dx = project_x(np.where(condition, dz, 0))
        dy = project_y(np.where(condition, 0, dz))
        return NoTangent(), NoTangent(), dx, dy

    return z, where_pullback


@frule.register(np.where)
def _(tangents: Any, condition: Any, *branches: Any) -> Any:
    z = np.where(condition, *branches)
    if not branches:
        return z, NoTangent()
    dx, dy = (unthunk(t) for t in tangents[2:])
    if isinstance(dx, AbstractZero) and isinstance(dy, AbstractZero):
        return z, ProjectTo(z)(ZeroTangent())
    dz = np.where(condition, _dense(dx, branches[0]), _dense(dy, branches[1]))
    return z, ProjectTo(z)(dz)


# ---------------------------------------------------------------------------------------------
# select


def _select_masks(condlist: Any, shape: tuple[int, ...]) -> tuple[list[Any], Any]:
    """Where each choice is taken (the first true condition wins) and where the default is."""
    taken = np.zeros(shape, dtype=bool)
    masks = []
    for condition in condlist:
        condition = np.broadcast_to(condition, shape)
        masks.append(condition & ~taken)
        taken = taken | condition
    return masks, ~taken


@rrule.register(np.select)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.select, args, kwargs)
    condlist, choicelist = call.get("condlist"), call.get("choicelist")
    project_choicelist, project_default = (
        _project_to(choicelist),
        _project_to(call.get("default", 0)),
    )
    y = np.select(*args, **kwargs)
    masks, default_mask = _select_masks(condlist, np.shape(y))

    def select_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(choicelist=project_choicelist(dy), default=project_default(dy))
        dchoices = [
            _project_to(choice)(np.where(mask, dy, 0))
            for choice, mask in zip(choicelist, masks, strict=True)
        ]
        ddefault = project_default(np.where(default_mask, dy, 0))
        return call.cotangents(choicelist=project_choicelist(dchoices), default=ddefault)

    return y, select_pullback


@frule.register(np.select)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.select, args, kwargs)
    choicelist, default = call.get("choicelist"), call.get("default", 0)
    y = np.select(*args, **kwargs)
    dchoices, ddefault = call.tangent(tangents, "choicelist"), call.tangent(tangents, "default")
    if isinstance(dchoices, AbstractZero) and isinstance(ddefault, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    dy = np.select(
        call.get("condlist"), _dense_each(dchoices, choicelist), _dense(ddefault, default)
    )
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# clip, ndarray.clip


def _clip_masks(a: Any, low: Any, high: Any, shape: tuple[int, ...]) -> tuple[Any, Any]:
    """Where the lower bound is the output, and where the upper one is (it wins: NumPy
    computes `minimum(maximum(a, low), high)`); at a tie the output is `a`'s."""
    at_low = np.broadcast_to(False if low is None else np.less(a, low), shape)
    at_high = np.zeros(shape, dtype=bool)
    if high is not None:
        at_high = np.broadcast_to(np.greater(np.where(at_low, low, a), high), shape)
    return at_low & ~at_high, at_high


def _clip_bounds(call: _Call) -> tuple[Any, Any, str, str]:
    """The bounds and their parameter names: `a_min`/`a_max` for `np.clip` (which also takes
    them as the keywords `min`/`max`), `min`/`max` for `ndarray.clip`."""
    low_name, high_name = call.names[1:3]
    return (
        call.get(low_name, call.get("min")),
        call.get(high_name, call.get("max")),
        *call.names[1:3],
    )


def _clip_rrule(f: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    call = _Call(f, args, kwargs)
    a = args[0]
    name = call.positional[0]
    low, high, low_name, high_name = _clip_bounds(call)
    project_a, project_low, project_high = _project_to(a), _project_to(low), _project_to(high)
    y = f(*args, **kwargs)
    at_low, at_high = _clip_masks(a, low, high, np.shape(y))
    at_a = ~(at_low | at_high)

    def clip_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return call.cotangents(
                **{
                    name: project_a(dy),
                    low_name: project_low(dy),
                    high_name: project_high(dy),
                }
            )
        return call.cotangents(
            **{
                name: project_a(np.where(at_a, dy, 0)),
                low_name: project_low(np.where(at_low, dy, 0)),
                high_name: project_high(np.where(at_high, dy, 0)),
            }
        )

    return y, clip_pullback


def _clip_frule(f: Callable[..., Any], tangents: Any, args: Any, kwargs: Any) -> Any:
    call = _Call(f, args, kwargs)
    a = args[0]
    low, high, low_name, high_name = _clip_bounds(call)
    y = f(*args, **kwargs)
    da = unthunk(tangents[1])
    dlow, dhigh = call.tangent(tangents, low_name), call.tangent(tangents, high_name)
    if all(isinstance(t, AbstractZero) for t in (da, dlow, dhigh)):
        return y, ProjectTo(y)(ZeroTangent())
    at_low, at_high = _clip_masks(a, low, high, np.shape(y))
    dlow = 0 if low is None else _dense(dlow, low)
    dhigh = 0 if high is None else _dense(dhigh, high)
    dy = np.where(at_high, dhigh, np.where(at_low, dlow, _dense(da, a)))
    return y, ProjectTo(y)(dy)


@rrule.register(np.clip)
def _(*args: Any, **kwargs: Any) -> Any:
    return _clip_rrule(np.clip, args, kwargs)


@frule.register(np.clip)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    return _clip_frule(np.clip, tangents, args, kwargs)


@rrule.register(np.ndarray.clip)
def _(*args: Any, **kwargs: Any) -> Any:
    return _clip_rrule(np.ndarray.clip, args, kwargs)


@frule.register(np.ndarray.clip)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    return _clip_frule(np.ndarray.clip, tangents, args, kwargs)


# ---------------------------------------------------------------------------------------------
# bincount


@rrule.register(np.bincount)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.bincount, args, kwargs)
    x, weights = call.get("x"), call.get("weights")
    project_weights = _project_to(weights)
    y = np.bincount(*args, **kwargs)

    def bincount_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if weights is None:
            return call.cotangents()
        if isinstance(dy, AbstractZero):
            return call.cotangents(weights=project_weights(dy))
        return call.cotangents(weights=project_weights(np.take(dy, x)))

    return y, bincount_pullback


@frule.register(np.bincount)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.bincount, args, kwargs)
    y = np.bincount(*args, **kwargs)
    if call.get("weights") is None:
        return y, NoTangent()
    dweights = call.tangent(tangents, "weights")
    if isinstance(dweights, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    dy = np.bincount(call.get("x"), dweights, minlength=call.get("minlength", 0))
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# Integer-valued index routines

non_differentiable(
    np.nonzero,
    np.argwhere,
    np.flatnonzero,
    np.indices,
    np.unravel_index,
    np.ravel_multi_index,
    np.searchsorted,
    np.digitize,
    np.diag_indices,
    np.diag_indices_from,
    np.tril_indices,
    np.tril_indices_from,
    np.triu_indices,
    np.triu_indices_from,
    np.mask_indices,
    np.ix_,
    np.ndarray.nonzero,
    np.ndarray.searchsorted,
)
