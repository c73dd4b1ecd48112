"""Rules for NumPy's sorting routines.

Covered, with an rrule and an frule each:

- `sort(a, axis)` (any axis, `None` flattens), `sort_complex(a)` and `partition(a, kth,
  axis)` (`kth` an int or a sequence): each output entry is an input entry, so the rules
  move tangents along the permutation (the frule gathers, the pullback scatters).

Conventions:

- Ties: equal entries are equal outputs, so any permutation that sorts is a valid one; the
  rules use the stable order (`argsort(kind="stable")`: among equal entries, the first in
  `a` takes the first place). The derivative itself is discontinuous there.
- `partition`: NumPy does not promise that `argpartition` orders the non-`kth` entries as
  `partition` does (its SIMD kernels differ), so the rule checks it and otherwise recovers
  the permutation of `partition`'s own output by matching ranks.
- Complex arrays sort lexicographically (real part, then imaginary part); the rules hold
  for them too.
- Non-differentiable (integer outputs): `argsort`, `argpartition`, `lexsort`,
  `ndarray.argsort`, `ndarray.argpartition`.

Left out: `ndarray.sort` and `ndarray.partition` (they sort in place and return `None`:
differentiate `np.sort(a)` instead). `unique` and the set functions are in `rules.numpy.sets`.

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.sort, np.array([3.0, 1.0, 2.0]))
>>> back(np.array([10.0, 20.0, 30.0]))[1]
array([30., 10., 20.])
"""

from __future__ import annotations

import functools
import inspect
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


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


def _arguments(f: Callable[..., Any], args: Any, kwargs: Any) -> dict[str, Any]:
    return _signature(f).bind(*args, **kwargs).arguments


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


def _flattened(a: Any, axis: Any) -> tuple[Any, int]:
    """`a` and `axis` as the sorting routines see them: `axis=None` sorts `a.ravel()`."""
    return (np.ravel(a), 0) if axis is None else (np.asarray(a), axis)


def _unpermute(shape: tuple[int, ...], perm: Any, axis: int, dy: Any) -> Any:
    """The adjoint of `take_along_axis(a, perm, axis)` for a permutation `perm`, reshaped to
    the input's `shape` (a flattened sort is undone too)."""
    dy = np.asarray(dy)
    da = np.zeros(np.shape(perm), dtype=dy.dtype)
    np.put_along_axis(da, perm, dy, axis=axis)
    return np.reshape(da, shape)


def _permutation_rrule(f: Callable[..., Any], a: Any, y: Any, perm: Any, axis: int, n: int):
    """`(y, pullback)` for `y = take_along_axis(a, perm, axis)` (with `a` flattened if `y`
    is); `n` is the number of positional arguments of the call."""
    project_a = _project_to(a)
    rest = (NoTangent(),) * (n - 1)

    def permutation_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_a(dy), *rest
        return NoTangent(), project_a(_unpermute(np.shape(a), perm, axis, dy)), *rest

    permutation_pullback.__name__ = permutation_pullback.__qualname__ = f"{f.__name__}_pullback"
    return y, permutation_pullback


def _permutation_frule(tangents: Any, a: Any, y: Any, perm: Any, axis: Any) -> Any:
    da = unthunk(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    da, axis = _flattened(da, axis)
    return y, ProjectTo(y)(np.take_along_axis(da, perm, axis=axis))


# ---------------------------------------------------------------------------------------------
# sort, sort_complex


def _sort_permutation(a: Any, axis: Any) -> tuple[Any, int]:
    flat, axis = _flattened(a, axis)
    return np.argsort(flat, axis=axis, kind="stable"), axis


@rrule.register(np.sort)
def _(*args: Any, **kwargs: Any) -> Any:
    a, axis = args[0], _arguments(np.sort, args, kwargs).get("axis", -1)
    perm, axis = _sort_permutation(a, axis)
    return _permutation_rrule(np.sort, a, np.sort(*args, **kwargs), perm, axis, len(args))


@frule.register(np.sort)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    a, axis = args[0], _arguments(np.sort, args, kwargs).get("axis", -1)
    perm, _ = _sort_permutation(a, axis)
    return _permutation_frule(tangents, a, np.sort(*args, **kwargs), perm, axis)


@rrule.register(np.sort_complex)
def _(a: Any) -> Any:
    perm, axis = _sort_permutation(a, -1)
    return _permutation_rrule(np.sort_complex, a, np.sort_complex(a), perm, axis, 1)


@frule.register(np.sort_complex)
def _(tangents: Any, a: Any) -> Any:
    perm, _ = _sort_permutation(a, -1)
    return _permutation_frule(tangents, a, np.sort_complex(a), perm, -1)


# ---------------------------------------------------------------------------------------------
# partition


def _partition_permutation(a: Any, y: Any, kth: Any, axis: Any) -> tuple[Any, int]:
    """A permutation `perm` with `y == take_along_axis(a, perm, axis)` (`a` flattened for
    `axis=None`), for `y = partition(a, kth, axis)`."""
    flat, axis = _flattened(a, axis)
    perm = np.argpartition(flat, kth, axis=axis)
    if np.array_equal(np.take_along_axis(flat, perm, axis=axis), y, equal_nan=True):
        return perm, axis
    # y and a hold the same values: the r-th smallest of y is the r-th smallest of a.
    by_rank_a = np.argsort(flat, axis=axis, kind="stable")
    by_rank_y = np.argsort(y, axis=axis, kind="stable")
    np.put_along_axis(perm, by_rank_y, by_rank_a, axis=axis)
    return perm, axis


@rrule.register(np.partition)
def _(*args: Any, **kwargs: Any) -> Any:
    arguments = _arguments(np.partition, args, kwargs)
    a, axis = args[0], arguments.get("axis", -1)
    y = np.partition(*args, **kwargs)
    perm, axis = _partition_permutation(a, y, arguments["kth"], axis)
    return _permutation_rrule(np.partition, a, y, perm, axis, len(args))


@frule.register(np.partition)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    arguments = _arguments(np.partition, args, kwargs)
    a, axis = args[0], arguments.get("axis", -1)
    y = np.partition(*args, **kwargs)
    perm, _ = _partition_permutation(a, y, arguments["kth"], axis)
    return _permutation_frule(tangents, a, y, perm, axis)


# ---------------------------------------------------------------------------------------------
# Integer-valued: orders, not values

non_differentiable(
    np.argsort,
    np.argpartition,
    np.lexsort,
    np.ndarray.argsort,
    np.ndarray.argpartition,
)
