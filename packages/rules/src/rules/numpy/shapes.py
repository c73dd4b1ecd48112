"""Rules for NumPy's shape, joining and splitting functions, all linear in their array arguments.

Covered, each with an frule and an rrule:

- reshaping: `reshape` (orders C, F, A), `ravel` (C, F, A, K), `squeeze`, `expand_dims`,
  `atleast_1d`, `atleast_2d`, `atleast_3d`, `resize`; the methods `ndarray.reshape`,
  `ndarray.ravel`, `ndarray.flatten`, `ndarray.squeeze`;
- transposing: `transpose` (= `permute_dims`), `swapaxes`, `moveaxis`, `rollaxis`,
  `matrix_transpose`, the methods `ndarray.transpose` and `ndarray.swapaxes`, and the getters
  of the properties `ndarray.T` and `ndarray.mT` (`np.ndarray.T.__get__`, ...);
- flipping and rolling: `flip`, `fliplr`, `flipud`, `rot90`, `roll`;
- joining: `concatenate` (= `concat`), `stack`, `hstack`, `vstack` (and its deprecated alias
  `row_stack`), `dstack`, `column_stack`, `block`, `append`, `meshgrid`;
- splitting: `split`, `array_split`, `hsplit`, `vsplit`, `dsplit`, `unstack`;
- repeating and broadcasting: `tile`, `repeat`, `ndarray.repeat`, `broadcast_to`,
  `broadcast_arrays`;
- diagonals and triangles: `diag` (both directions), `diagflat`, `diagonal`,
  `ndarray.diagonal`, `triu`, `tril`.

Declared non-differentiable (shape queries): `shape`, `ndim`, `size`, `broadcast_shapes`,
`isfortran`.

Padding (`pad`) has its own module, `rules.numpy.padding`.

Conventions. Each function is linear in its array arguments, and its rules come from
`linear_rule` (`rules.numpy._linear`): the frule applies the function to the tangents (with
the same other arguments), the pullback applies its adjoint, a named `<function>_adjoint`
below. Sequences of arrays (`concatenate`'s list, `block`'s nested lists) get cotangents of
the same structure; list and tuple outputs (`split`) take lists of cotangents in which zeros
may stand for arrays. Positional arguments that are not arrays to differentiate (shapes,
axes, orders, repeats, sections) get `NoTangent()`, and keyword arguments are options, never
differentiated. `out=` of `concatenate` and `stack` receives the primal only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rules.numpy._linear import linear_rule
from rulescore import non_differentiable, unbroadcast

__all__: list[str] = []


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
