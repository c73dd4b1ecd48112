"""Rules for NumPy's shape, joining and splitting functions, all linear in their array arguments.

Covered, each with an frule and an rrule:

- reshaping: `reshape` (orders C, F, A), `ravel` (C, F, A, K), `squeeze`, `expand_dims`,
  `atleast_1d`, `atleast_2d`, `atleast_3d`, `resize`; the methods `ndarray.reshape`,
  `ndarray.ravel`, `ndarray.flatten`, `ndarray.squeeze`;
- transposing: `transpose` (= `permute_dims`), `swapaxes`, `moveaxis`, `rollaxis`,
  `matrix_transpose`, the methods `ndarray.transpose` and `ndarray.swapaxes`, and the getters
  of the properties `ndarray.T` and `ndarray.mT` (`np.ndarray.T.__get__`, ...);
- flipping and rolling: `flip`, `fliplr`, `flipud`, `rot90`, `roll`;
- padding: `pad` in every named mode;
- joining: `concatenate` (= `concat`), `stack`, `hstack`, `vstack` (and its deprecated alias
  `row_stack`), `dstack`, `column_stack`, `block`, `append`, `meshgrid`;
- splitting: `split`, `array_split`, `hsplit`, `vsplit`, `dsplit`, `unstack`;
- repeating and broadcasting: `tile`, `repeat`, `ndarray.repeat`, `broadcast_to`,
  `broadcast_arrays`;
- diagonals and triangles: `diag` (both directions), `diagflat`, `diagonal`,
  `ndarray.diagonal`, `triu`, `tril`.

Declared non-differentiable (shape queries): `shape`, `ndim`, `size`, `broadcast_shapes`,
`isfortran`.

Conventions. Each function is linear in its array arguments: the frule applies the function
to the tangents (with the same other arguments), the pullback applies its adjoint, a named
`<function>_adjoint` below. Sequences of arrays (`concatenate`'s list, `block`'s nested
lists) get cotangents of the same structure; list and tuple outputs (`split`) take lists of
cotangents in which zeros may stand for arrays. Positional arguments that are not arrays to
differentiate (shapes, axes, repeats, sections, modes) get `NoTangent()`, and keyword
arguments are options, never differentiated: `pad`'s `constant_values` and `end_values`
(keyword-only in NumPy) are held constant. `out=` of `concatenate` and `stack` receives the
primal only. `pad`'s statistic modes pass the derivative to the entries the statistic reads:
`maximum`/`minimum` to the first extreme entry of the window (ties go to the first, as
`argmax`), `mean` to all entries equally, `median` to the middle entry, or half to each of
the two middle entries for an even count (ties: the entries `argsort` puts in the middle).
`pad(..., mode="empty")` leaves the padding uninitialized: it is taken as independent of the
input (zero derivative). `pad` with a callable mode has no rule (`rrule` returns `None`).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    RuleInfo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    unbroadcast,
    unthunk,
)

__all__ = ["linear_rule"]

Adjoint = Callable[..., Any]


# ----------------------------------------------------------------------------------------------
# The helper: rules of a function that is linear in some of its positional arguments


def linear_rule(
    f: Callable[..., Any],
    adjoint: Adjoint | None,
    tangent: Callable[..., Any] | None = None,
    *,
    linear: Sequence[int] | None = (0,),
    zero: Sequence[int] = (),
    applies: Callable[..., bool] | None = None,
) -> None:
    """`linear_rule(f, adjoint, tangent=None, *, linear=(0,), zero=(), applies=None)`: the
    frule and rrule of a function linear in its positional arguments `linear` (`None`: all).

    `adjoint(dy, *args, **kwargs)` returns the cotangent of the linear argument (a tuple of
    them when `linear` is `None` or has several entries), given the output cotangent `dy` with
    zeros inside containers materialized; the helper projects them onto the arguments, lists
    and tuples of numbers included. `tangent(dx, *args, **kwargs)` gives the output tangent from
    the dense tangent(s) `dx` of the linear arguments (default: `f` itself with `dx` in place of
    the linear arguments, without `out=`). The other positional arguments get `ZeroTangent()`
    if listed in `zero` (their values do not change the output), else `NoTangent()`. Where
    `applies(*args, **kwargs)` is false, the rules return `None` (no rule applies). Both rules
    record the caller's line.

    >>> def double(x):
    ...     return 2 * x
    >>> def double_adjoint(dy, x):
    ...     return 2 * dy
    >>> linear_rule(double, double_adjoint)
    >>> rrule(double, np.ones(2))[1](np.ones(2))
    (NoTangent(), array([2., 2.]))
    """
    caller = sys._getframe(1)
    location = f"{caller.f_code.co_filename}:{caller.f_lineno}"
    name = getattr(f, "__name__", "f")
    if name == "__get__":  # a property getter: name it after the property
        name = getattr(getattr(f, "__self__", None), "__name__", name)

    def linear_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], Any]] | None:
        if applies is not None and not applies(*args, **kwargs):
            return None
        indices = _linear_indices(linear, args)
        projectors = {i: ProjectTo(args[i]) for i in indices}
        y = f(*args, **kwargs)

        def linear_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero) or adjoint is None:
                cotangents: tuple[Any, ...] = (ZeroTangent(),) * len(indices)
            else:
                found = adjoint(_dense(y, dy), *args, **kwargs)
                several = linear is None or len(indices) != 1
                cotangents = tuple(found) if several else (found,)
            by_index = dict(zip(indices, cotangents, strict=True))
            return (
                NoTangent(),
                *(
                    projectors[i](_restructure(x, by_index[i]))
                    if i in by_index
                    else ProjectTo(x)(ZeroTangent())
                    if i in zero
                    else NoTangent()
                    for i, x in enumerate(args)
                ),
            )

        linear_pullback.__name__ = linear_pullback.__qualname__ = f"{name}_pullback"
        return y, linear_pullback

    def linear_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        if applies is not None and not applies(*args, **kwargs):
            return None
        indices = _linear_indices(linear, args)
        y = f(*args, **kwargs)
        dxs = [unthunk(tangents[1 + i]) for i in indices]
        if all(isinstance(dx, AbstractZero) for dx in dxs):
            return y, ProjectTo(y)(ZeroTangent())
        dense = [_dense(args[i], dx) for i, dx in zip(indices, dxs, strict=True)]
        if tangent is None:
            full = list(args)
            for i, dx in zip(indices, dense, strict=True):
                full[i] = dx
            options = {k: v for k, v in kwargs.items() if k != "out"}
            dy = f(*full, **options)
        else:
            several = linear is None or len(indices) != 1
            dy = tangent(tuple(dense) if several else dense[0], *args, **kwargs)
        return y, ProjectTo(y)(dy)

    rrule.add(RuleInfo(f, (), linear_rrule, "rule", None, location))
    frule.add(RuleInfo(f, (), linear_frule, "rule", None, location))


def _linear_indices(linear: Sequence[int] | None, args: tuple[Any, ...]) -> tuple[int, ...]:
    if linear is None:
        return tuple(range(len(args)))
    return tuple(i for i in linear if i < len(args))


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and not hasattr(x, "_fields")


def _dense(x: Any, dx: Any) -> Any:
    """The tangent `dx` of `x` with thunks evaluated and zeros made arrays or numbers."""
    dx = unthunk(dx)
    if _is_sequence(x):
        if isinstance(dx, AbstractZero):
            return type(x)(_dense(xi, dx) for xi in x)
        return type(x)(_dense(xi, di) for xi, di in zip(x, dx, strict=True))
    if not isinstance(dx, AbstractZero):
        return dx
    if isinstance(x, complex) or np.iscomplexobj(x):
        return np.zeros(np.shape(x), dtype=np.result_type(x, 0j))
    return np.zeros(np.shape(x), dtype=np.result_type(x, 0.0))


def _restructure(x: Any, dx: Any) -> Any:
    """The cotangent `dx` (an array or a sequence) split into the list/tuple structure of `x`."""
    if _is_sequence(x) and not isinstance(dx, AbstractZero):
        return type(x)(_restructure(xi, dx[i]) for i, xi in enumerate(x))
    return dx


# ----------------------------------------------------------------------------------------------
# Reshaping


def _read_order(a: Any, order: str | None) -> str | tuple[int, ...]:
    """How `ravel(a, order)` reads `a`: "C", "F", or for "K" an order of the axes."""
    order = (order or "C").upper()
    flags = getattr(a, "flags", None)
    if order == "A":
        fortran = flags is not None and flags.f_contiguous and not flags.c_contiguous
        return "F" if fortran else "C"
    if order != "K" or flags is None or flags.c_contiguous:
        return "C" if order == "K" else order
    return "F" if flags.f_contiguous else _memory_axis_order(a.strides)


def _memory_axis_order(strides: tuple[int, ...]) -> tuple[int, ...]:
    """The axes, outermost first, in the order NumPy's iterator visits them for order="K":
    an insertion sort by decreasing |stride| that passes over zero strides (broadcast axes
    keep their place) and keeps negative strides (no reversal), as `npyiter_find_best_axis_
    ordering` does."""
    perm = list(range(len(strides)))[::-1]  # innermost first
    for i in range(1, len(perm)):
        stride, position = strides[perm[i]], i
        for j in range(i - 1, -1, -1):
            other = strides[perm[j]]
            if stride != 0 and other != 0:
                if abs(other) <= abs(stride):
                    break
                position = j
        perm.insert(position, perm.pop(i))
    return tuple(perm[::-1])


def _flat(x: Any, order: str | tuple[int, ...]) -> Any:
    if isinstance(order, tuple):
        return np.ravel(np.transpose(x, order))
    return np.ravel(x, order=order)


def _unflat(v: Any, shape: tuple[int, ...], order: str | tuple[int, ...]) -> Any:
    if isinstance(order, tuple):
        moved = np.reshape(v, tuple(shape[i] for i in order))
        return np.transpose(moved, tuple(int(i) for i in np.argsort(order)))
    return np.reshape(v, shape, order=order)


def _method_shape(shape: tuple[Any, ...]) -> Any:
    """`x.reshape(2, 3)` and `x.reshape((2, 3))` name the same shape."""
    return shape[0] if len(shape) == 1 else shape


def reshape_adjoint(dy: Any, a: Any, shape: Any = None, order: str = "C", **kwargs: Any) -> Any:
    return np.reshape(dy, np.shape(a), order=_read_order(a, order))


def reshape_tangent(dx: Any, a: Any, shape: Any = None, order: str = "C", **kwargs: Any) -> Any:
    shape = kwargs["newshape"] if shape is None else shape  # NumPy < 2.4 spelling
    return np.reshape(dx, shape, order=_read_order(a, order))


def ndarray_reshape_adjoint(dy: Any, a: Any, *shape: Any, order: str = "C", **kwargs: Any) -> Any:
    return np.reshape(dy, np.shape(a), order=_read_order(a, order))


def ndarray_reshape_tangent(dx: Any, a: Any, *shape: Any, order: str = "C", **kwargs: Any) -> Any:
    return np.reshape(dx, _method_shape(shape), order=_read_order(a, order))


def ravel_adjoint(dy: Any, a: Any, order: str = "C") -> Any:
    return _unflat(dy, np.shape(a), _read_order(a, order))


def ravel_tangent(dx: Any, a: Any, order: str = "C") -> Any:
    return _flat(dx, _read_order(a, order))


def reshape_back_adjoint(dy: Any, a: Any, *args: Any, **kwargs: Any) -> Any:
    """The adjoint of every function that only changes the shape (`squeeze`, ...)."""
    return np.reshape(dy, np.shape(a))


def atleast_adjoint(dy: Any, *arys: Any) -> tuple[Any, ...]:
    dys = (dy,) if len(arys) == 1 else dy
    return tuple(np.reshape(d, np.shape(x)) for d, x in zip(dys, arys, strict=True))


def resize_adjoint(dy: Any, a: Any, new_shape: Any) -> Any:
    # `resize` repeats the flattened `a` cyclically, so the entries add up per period.
    size = np.size(a)
    flat = np.ravel(dy)
    if size == 0:
        return np.zeros(np.shape(a), dtype=flat.dtype)
    periods = -(-flat.size // size)
    whole = np.pad(flat, (0, periods * size - flat.size))
    return np.reshape(np.sum(np.reshape(whole, (periods, size)), axis=0), np.shape(a))


linear_rule(np.reshape, reshape_adjoint, reshape_tangent)
linear_rule(np.ndarray.reshape, ndarray_reshape_adjoint, ndarray_reshape_tangent)
for _ravel in (np.ravel, np.ndarray.ravel, np.ndarray.flatten):
    linear_rule(_ravel, ravel_adjoint, ravel_tangent)
for _reshaping in (np.squeeze, np.ndarray.squeeze, np.expand_dims):
    linear_rule(_reshaping, reshape_back_adjoint)
for _atleast in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    linear_rule(_atleast, atleast_adjoint, linear=None)
linear_rule(np.resize, resize_adjoint)


# ----------------------------------------------------------------------------------------------
# Transposing, flipping, rolling


def _inverse_axes(axes: Any, ndim: int) -> tuple[int, ...] | None:
    if axes is None:
        return None
    return tuple(int(i) for i in np.argsort([int(ax) % ndim for ax in axes]))


def transpose_adjoint(dy: Any, a: Any, axes: Any = None) -> Any:
    return np.transpose(dy, _inverse_axes(axes, np.ndim(a)))


def ndarray_transpose_adjoint(dy: Any, a: Any, *axes: Any) -> Any:
    method_axes = _method_shape(axes) if axes else None
    return np.transpose(dy, _inverse_axes(method_axes, np.ndim(a)))


def swapaxes_adjoint(dy: Any, a: Any, axis1: int, axis2: int) -> Any:
    return np.swapaxes(dy, axis1, axis2)


def moveaxis_adjoint(dy: Any, a: Any, source: Any, destination: Any) -> Any:
    return np.moveaxis(dy, destination, source)


def rollaxis_adjoint(dy: Any, a: Any, axis: int, start: int = 0) -> Any:
    # The permutation `rollaxis` applies, as NumPy builds it.
    ndim = np.ndim(a)
    axis = axis % ndim
    start = start + ndim if start < 0 else start
    start = start - 1 if axis < start else start
    axes = [i for i in range(ndim) if i != axis]
    axes.insert(start, axis)
    return np.transpose(dy, _inverse_axes(axes, ndim))


def matrix_transpose_adjoint(dy: Any, x: Any) -> Any:
    return np.matrix_transpose(dy)


def T_adjoint(dy: Any, a: Any) -> Any:
    return np.transpose(dy)


def flip_adjoint(dy: Any, m: Any, axis: Any = None) -> Any:
    return np.flip(dy, axis)


def fliplr_adjoint(dy: Any, m: Any) -> Any:
    return np.fliplr(dy)


def flipud_adjoint(dy: Any, m: Any) -> Any:
    return np.flipud(dy)


def rot90_adjoint(dy: Any, m: Any, k: int = 1, axes: Any = (0, 1)) -> Any:
    return np.rot90(dy, -k, axes)


def roll_adjoint(dy: Any, a: Any, shift: Any, axis: Any = None) -> Any:
    return np.roll(dy, np.negative(shift), axis)


linear_rule(np.transpose, transpose_adjoint)  # also np.permute_dims, the same object
linear_rule(np.ndarray.transpose, ndarray_transpose_adjoint)
linear_rule(np.swapaxes, swapaxes_adjoint)
linear_rule(np.ndarray.swapaxes, swapaxes_adjoint)
linear_rule(np.moveaxis, moveaxis_adjoint)
linear_rule(np.rollaxis, rollaxis_adjoint)
linear_rule(np.matrix_transpose, matrix_transpose_adjoint)
# `x.T` and `x.mT`: the getters are method-wrappers that compare and hash equal on every
# access (`np.ndarray.T.__get__ == np.ndarray.T.__get__`), so engines can key on them.
linear_rule(np.ndarray.T.__get__, T_adjoint)
linear_rule(np.ndarray.mT.__get__, matrix_transpose_adjoint)
linear_rule(np.flip, flip_adjoint)
linear_rule(np.fliplr, fliplr_adjoint)
linear_rule(np.flipud, flipud_adjoint)
linear_rule(np.rot90, rot90_adjoint)
linear_rule(np.roll, roll_adjoint)


# ----------------------------------------------------------------------------------------------
# Joining and splitting


def _split_back(
    dy: Any, xs: Sequence[Any], promoted: list[tuple[int, ...]], axis: int
) -> list[Any]:
    """Cut `dy` along `axis` into the blocks of the (promoted) shapes, reshaped as `xs`."""
    ends = np.cumsum([shape[axis] for shape in promoted])[:-1]
    parts = np.split(dy, ends, axis=axis)
    return [np.reshape(p, np.shape(x)) for p, x in zip(parts, xs, strict=True)]


def concatenate_adjoint(dy: Any, arrays: Any, axis: int | None = 0, *args: Any, **kw: Any) -> Any:
    shapes = [np.shape(x) for x in arrays]
    if axis is None:
        return _split_back(dy, arrays, [(int(np.prod(s)),) for s in shapes], 0)
    return _split_back(dy, arrays, shapes, axis)


def concatenate_tangent(dx: Any, arrays: Any, axis: int | None = 0, *args: Any, **kw: Any) -> Any:
    return np.concatenate(dx, axis, **{k: v for k, v in kw.items() if k != "out"})


def stack_adjoint(dy: Any, arrays: Any, axis: int = 0, *args: Any, **kwargs: Any) -> Any:
    return np.moveaxis(dy, axis, 0)


def stack_tangent(dx: Any, arrays: Any, axis: int = 0, *args: Any, **kwargs: Any) -> Any:
    return np.stack(dx, axis, **{k: v for k, v in kwargs.items() if k != "out"})


def _shape_1d(s: tuple[int, ...]) -> tuple[int, ...]:
    return s or (1,)


def _shape_2d(s: tuple[int, ...]) -> tuple[int, ...]:
    return (1, 1) if not s else (1, *s) if len(s) == 1 else s


def _shape_3d(s: tuple[int, ...]) -> tuple[int, ...]:
    return (1, 1, 1) if not s else (1, *s, 1) if len(s) == 1 else (*s, 1) if len(s) == 2 else s


def _shape_column(s: tuple[int, ...]) -> tuple[int, ...]:
    return (1, 1) if not s else (*s, 1) if len(s) == 1 else s


def _promoted(xs: Sequence[Any], promote: Callable[[Any], tuple[int, ...]]) -> list[Any]:
    """The shapes of the blocks `xs` become (`atleast_2d`, ...) before they are joined."""
    return [promote(tuple(np.shape(x))) for x in xs]


def hstack_adjoint(dy: Any, tup: Any, **kwargs: Any) -> Any:
    shapes = _promoted(tup, _shape_1d)
    return _split_back(dy, tup, shapes, 0 if len(shapes[0]) == 1 else 1)


def vstack_adjoint(dy: Any, tup: Any, **kwargs: Any) -> Any:
    return _split_back(dy, tup, _promoted(tup, _shape_2d), 0)


def dstack_adjoint(dy: Any, tup: Any) -> Any:
    return _split_back(dy, tup, _promoted(tup, _shape_3d), 2)


def column_stack_adjoint(dy: Any, tup: Any) -> Any:
    return _split_back(dy, tup, _promoted(tup, _shape_column), 1)


def append_adjoint(dy: Any, arr: Any, values: Any, axis: int | None = None) -> list[Any]:
    if axis is None:
        return _split_back(dy, [arr, values], [(np.size(arr),), (np.size(values),)], 0)
    return _split_back(dy, [arr, values], [np.shape(arr), np.shape(values)], axis)


def block_adjoint(dy: Any, arrays: Any) -> Any:
    # Assemble the blocks' positions with `np.block` itself, then read each block back.
    leaves: list[tuple[int, tuple[int, ...]]] = []

    def positions_of(x: Any) -> Any:
        if isinstance(x, list):
            return [positions_of(xi) for xi in x]
        shape, start = np.shape(x), sum(int(np.prod(s)) for _, s in leaves)
        leaves.append((start, shape))
        return np.reshape(np.arange(start, start + int(np.prod(shape))), shape)

    positions = np.ravel(np.block(positions_of(arrays)))
    flat = np.zeros_like(np.ravel(dy))
    flat[positions] = np.ravel(dy)
    blocks = iter(leaves)

    def read(x: Any) -> Any:
        if isinstance(x, list):
            return [read(xi) for xi in x]
        start, shape = next(blocks)
        return np.reshape(flat[start : start + int(np.prod(shape))], shape)

    return read(arrays)


def meshgrid_adjoint(dy: Any, *xi: Any, indexing: str = "xy", **kwargs: Any) -> tuple[Any, ...]:
    # Output i spreads the flattened xi[i] along axis i ("ij"; "xy" swaps the first two).
    axes = list(range(len(xi)))
    if indexing == "xy" and len(xi) > 1:
        axes[:2] = [1, 0]
    return tuple(
        np.reshape(np.sum(d, axis=tuple(a for a in range(len(xi)) if a != axis)), np.shape(x))
        for d, x, axis in zip(dy, xi, axes, strict=True)
    )


def split_adjoint(dy: Any, ary: Any, indices_or_sections: Any, axis: int = 0) -> Any:
    return np.concatenate(dy, axis=axis)


def hsplit_adjoint(dy: Any, ary: Any, indices_or_sections: Any) -> Any:
    return np.concatenate(dy, axis=1 if np.ndim(ary) > 1 else 0)


def vsplit_adjoint(dy: Any, ary: Any, indices_or_sections: Any) -> Any:
    return np.concatenate(dy, axis=0)


def dsplit_adjoint(dy: Any, ary: Any, indices_or_sections: Any) -> Any:
    return np.concatenate(dy, axis=2)


def unstack_adjoint(dy: Any, x: Any, *, axis: int = 0) -> Any:
    return np.stack(dy, axis=axis)


linear_rule(np.concatenate, concatenate_adjoint, concatenate_tangent)  # also np.concat
linear_rule(np.stack, stack_adjoint, stack_tangent)
linear_rule(np.hstack, hstack_adjoint)
linear_rule(np.vstack, vstack_adjoint)
linear_rule(np.row_stack, vstack_adjoint)
linear_rule(np.dstack, dstack_adjoint)
linear_rule(np.column_stack, column_stack_adjoint)
linear_rule(np.append, append_adjoint, linear=(0, 1))
linear_rule(np.block, block_adjoint)
linear_rule(np.meshgrid, meshgrid_adjoint, linear=None)
linear_rule(np.split, split_adjoint)
linear_rule(np.array_split, split_adjoint)
linear_rule(np.hsplit, hsplit_adjoint)
linear_rule(np.vsplit, vsplit_adjoint)
linear_rule(np.dsplit, dsplit_adjoint)
linear_rule(np.unstack, unstack_adjoint)


# ----------------------------------------------------------------------------------------------
# Repeating and broadcasting


def tile_adjoint(dy: Any, A: Any, reps: Any) -> Any:  # noqa: N803 (NumPy's name)
    # Output axis k has length reps[k] * shape[k], copy-major: sum the copies away.
    shape = tuple(np.shape(A))
    reps = tuple(reps) if np.iterable(reps) else (reps,)
    ndim = max(len(shape), len(reps))
    shape_d = (1,) * (ndim - len(shape)) + shape
    reps_d = (1,) * (ndim - len(reps)) + reps
    copies = np.reshape(dy, [n for pair in zip(reps_d, shape_d, strict=True) for n in pair])
    return np.reshape(np.sum(copies, axis=tuple(range(0, 2 * ndim, 2))), shape)


def repeat_adjoint(dy: Any, a: Any, repeats: Any, axis: int | None = None) -> Any:
    shape = np.shape(a)
    ax = None if axis is None else axis % len(shape)
    moved = np.ravel(dy) if ax is None else np.moveaxis(dy, ax, 0)
    n = int(np.prod(shape)) if ax is None else shape[ax]
    counts = np.ravel(repeats)
    if counts.size == 1:
        per_entry = np.reshape(moved, (n, int(counts[0]), *moved.shape[1:]))
        summed = np.sum(per_entry, axis=1)
    else:
        summed = np.zeros((n, *moved.shape[1:]), dtype=moved.dtype)
        np.add.at(summed, np.repeat(np.arange(n), counts), moved)
    return np.reshape(summed, shape) if ax is None else np.moveaxis(summed, 0, ax)


def broadcast_to_adjoint(dy: Any, array: Any, shape: Any, **kwargs: Any) -> Any:
    return unbroadcast(tuple(np.shape(array)), dy)


def broadcast_arrays_adjoint(dy: Any, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
    return tuple(unbroadcast(tuple(np.shape(x)), d) for x, d in zip(args, dy, strict=True))


linear_rule(np.tile, tile_adjoint)
linear_rule(np.repeat, repeat_adjoint)
linear_rule(np.ndarray.repeat, repeat_adjoint)
linear_rule(np.broadcast_to, broadcast_to_adjoint)
linear_rule(np.broadcast_arrays, broadcast_arrays_adjoint, linear=None)


# ----------------------------------------------------------------------------------------------
# Diagonals and triangles


def _embed_diagonal(d: Any, shape: tuple[int, ...], offset: int, axis1: int, axis2: int) -> Any:
    """The adjoint of `np.diagonal(., offset, axis1, axis2)` on arrays of `shape`: `d` (the
    diagonals along its last axis) written into zeros."""
    d = np.asarray(d)
    ndim = len(shape)
    axis1, axis2 = axis1 % ndim, axis2 % ndim
    m, n = shape[axis1], shape[axis2]
    length, first_row = d.shape[-1], max(-offset, 0)
    if length == 0:
        return np.zeros(shape, dtype=d.dtype)
    # Entry t of a diagonal sits in row first_row + t: spread it over its row, then mask.
    rows = np.pad(d, [(0, 0)] * (d.ndim - 1) + [(first_row, m - first_row - length)])
    full = rows[..., :, None] * np.eye(m, n, k=offset, dtype=d.dtype)
    return np.moveaxis(full, (-2, -1), (axis1, axis2))


def diagonal_adjoint(dy: Any, a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
    return _embed_diagonal(dy, tuple(np.shape(a)), offset, axis1, axis2)


def diag_adjoint(dy: Any, v: Any, k: int = 0) -> Any:
    if np.ndim(v) == 1:
        return np.diagonal(dy, k)
    return _embed_diagonal(dy, tuple(np.shape(v)), k, 0, 1)


def diagflat_adjoint(dy: Any, v: Any, k: int = 0) -> Any:
    return np.reshape(np.diagonal(dy, k), np.shape(v))


def tril_adjoint(dy: Any, m: Any, k: int = 0) -> Any:
    # A 1-D `m` is broadcast to a square first: its cotangent sums the rows.
    return unbroadcast(tuple(np.shape(m)), np.tril(dy, k))


def triu_adjoint(dy: Any, m: Any, k: int = 0) -> Any:
    return unbroadcast(tuple(np.shape(m)), np.triu(dy, k))


linear_rule(np.diagonal, diagonal_adjoint)
linear_rule(np.ndarray.diagonal, diagonal_adjoint)
linear_rule(np.diag, diag_adjoint)
linear_rule(np.diagflat, diagflat_adjoint)
linear_rule(np.tril, tril_adjoint)
linear_rule(np.triu, triu_adjoint)
non_differentiable(np.shape, np.ndim, np.size, np.broadcast_shapes, np.isfortran)


# ----------------------------------------------------------------------------------------------
# Padding: NumPy pads one axis after the other (corners come from the padded earlier axes), so
# the rules do too. Per axis, the padding of the linear modes is a fixed matrix applied along
# the axis; the statistic modes weigh the entries of a window by the statistic's choice.

_STAT_MODES = ("maximum", "minimum", "mean", "median")


def _pairs(x: Any, ndim: int) -> list[tuple[Any, Any]]:
    """A `pad_width`-like argument as one (before, after) pair per axis, as NumPy reads it."""
    if x is None:
        return [(None, None)] * ndim
    if isinstance(x, dict):
        pairs: list[tuple[Any, Any]] = [(0, 0)] * ndim
        for axis, width in x.items():
            pairs[axis] = (width, width) if isinstance(width, int) else tuple(width)
        return pairs
    a = np.round(np.asarray(x)).astype(np.intp)
    if a.size == 1:
        return [(int(a.ravel()[0]),) * 2] * ndim
    if a.size == 2 and a.shape != (2, 1):
        return [(int(a.ravel()[0]), int(a.ravel()[1]))] * ndim
    return [(int(b), int(e)) for b, e in np.broadcast_to(a, (ndim, 2)).tolist()]


def _slab(x: Any, start: int, stop: int, axis: int) -> Any:
    return x[(slice(None),) * axis + (slice(start, stop),)]


def _zeros_around(x: Any, axis: int, before: int, after: int) -> Any:
    widths = [(0, 0)] * np.ndim(x)
    widths[axis] = (before, after)
    return np.pad(x, widths)


def _stat_weights(window: Any, mode: str, axis: int) -> Any:
    """How much the statistic of `window` along `axis` moves per unit change of each entry."""
    length = window.shape[axis]
    positions = np.reshape(np.arange(length), [-1 if i == axis else 1 for i in range(window.ndim)])
    if mode == "mean":
        return np.full(window.shape, 1.0 / length)
    if mode in ("maximum", "minimum"):
        pick = np.argmax if mode == "maximum" else np.argmin
        return (positions == pick(window, axis=axis, keepdims=True)).astype(float)
    order = np.argsort(window, axis=axis)
    middles = ((length - 1) // 2, length // 2)  # one entry twice for an odd length
    return sum(0.5 * (positions == np.take(order, [i], axis=axis)) for i in middles)


def _stat_passes(array: Any, pad_width: Any, mode: str, kwargs: Any) -> list[tuple[Any, ...]]:
    """Per padded axis: (axis, before, after, weights of the left window, of the right one)."""
    p = np.asarray(array)
    widths, lengths = _pairs(pad_width, p.ndim), _pairs(kwargs.get("stat_length"), p.ndim)
    passes = []
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        n = p.shape[axis]
        left, right = (n if s is None else min(s, n) for s in lengths[axis])
        w_left = _stat_weights(_slab(p, 0, left, axis), mode, axis)
        w_right = _stat_weights(_slab(p, n - right, n, axis), mode, axis)
        passes.append((axis, before, after, w_left, w_right))
        single = [(0, 0)] * p.ndim
        single[axis] = (before, after)
        p = np.pad(p, single, mode, **kwargs)
    return passes


def _padding_matrix(n: int, before: int, after: int, mode: str, kwargs: Any) -> Any:
    """The rows that `pad` adds to a length-`n` axis, as weights on its entries."""
    options = {k: v for k, v in kwargs.items() if k == "reflect_type"}
    padded = np.pad(np.eye(n), ((before, after), (0, 0)), mode, **options)
    return np.concatenate([padded[:before], padded[before + n :]])


def _linear_pad_adjoint(
    g: Any, axis: int, n: int, before: int, after: int, mode: str, kw: Any
) -> Any:
    interior = _slab(g, before, before + n, axis)
    if mode in ("constant", "empty") or before == after == 0:
        return interior
    # The padding reads entries within `reach` of an edge: pad the identity of a short axis.
    reach = before + after + 1
    short = n if n <= 2 * reach else 2 * reach
    weights = _padding_matrix(short, before, after, mode, kw)
    pads = np.concatenate([_slab(g, 0, before, axis), _slab(g, before + n, None, axis)], axis)
    spread = np.moveaxis(np.tensordot(weights, pads, axes=([0], [axis])), 0, axis)
    if short < n:
        spread = _zeros_around(_slab(spread, 0, reach, axis), axis, 0, n - reach) + _zeros_around(
            _slab(spread, reach, None, axis), axis, n - reach, 0
        )
    return interior + spread


def pad_adjoint(dy: Any, array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    shape = np.shape(array)
    if mode in _STAT_MODES:
        for axis, before, _, w_left, w_right in reversed(
            _stat_passes(array, pad_width, mode, kwargs)
        ):
            n = shape[axis]
            outer = [_slab(dy, 0, before, axis), _slab(dy, before + n, None, axis)]
            left, right = (np.sum(g, axis=axis, keepdims=True) for g in outer)
            dy = (
                _slab(dy, before, before + n, axis)
                + _zeros_around(left * w_left, axis, 0, n - w_left.shape[axis])
                + _zeros_around(right * w_right, axis, n - w_right.shape[axis], 0)
            )
        return dy
    widths = _pairs(pad_width, len(shape))
    for axis in reversed(range(len(shape))):
        dy = _linear_pad_adjoint(dy, axis, shape[axis], *widths[axis], mode, kwargs)
    return dy


def pad_tangent(dx: Any, array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    if mode in _STAT_MODES:
        dx = np.asarray(dx)
        for axis, before, after, w_left, w_right in _stat_passes(array, pad_width, mode, kwargs):
            n = dx.shape[axis]
            left = np.sum(w_left * _slab(dx, 0, w_left.shape[axis], axis), axis, keepdims=True)
            right = np.sum(
                w_right * _slab(dx, n - w_right.shape[axis], n, axis), axis, keepdims=True
            )
            dx = np.concatenate(
                [np.repeat(left, before, axis), dx, np.repeat(right, after, axis)], axis
            )
        return dx
    # The constants (`constant_values`, `end_values`) are held: the tangent pads with zeros.
    options = {k: v for k, v in kwargs.items() if k == "reflect_type"}
    return np.pad(dx, pad_width, "constant" if mode == "empty" else mode, **options)


def pad_applies(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> bool:
    return not callable(mode)


linear_rule(np.pad, pad_adjoint, pad_tangent, applies=pad_applies)
