"""Rules for NumPy products: frule and rrule for each of

- `np.dot` and the method `np.ndarray.dot` (scalars, 1-D.1-D, N-D.1-D, N-D.M-D), `np.inner`,
  `np.vdot`, `np.outer`, `np.linalg.outer`, `np.tensordot`, `np.linalg.tensordot`, `np.kron`,
  `np.linalg.vecdot`;
- `np.einsum` in both call forms (subscripts string, implicit or explicit output, `...`; and
  operands interleaved with sublists), any number of operands, repeated labels (diagonals,
  traces), broadcasting, `optimize=`;
- `np.cross` (3- and 2-vectors, `axisa`/`axisb`/`axisc`/`axis`, batched), `np.linalg.cross`;
- `np.trace` (`offset`, `axis1`, `axis2`), `np.linalg.trace`.

Conventions. All of these are linear in each array argument, so a frule adds up the function
applied to one tangent at a time, and a pullback applies the adjoint of each partial map: for
`y = f(a, b)` holomorphic in `a`, `da` contracts `dy` with `conj(b)` (`dot`: `dy @ b^H`).
`vdot` and `vecdot` conjugate their first argument, so its cotangent is `b * conj(dy)`.
Cotangents are projected (`ProjectTo`): the real operand of a mixed real/complex product gets
a real cotangent, float32 stays float32, a broadcast operand gets its cotangent summed back,
integer arrays get `NoTangent()`. Index arguments (`axes`, `offset`, axis numbers, einsum
subscripts and sublists) get `NoTangent()`; an array passed positionally as `out` gets
`ZeroTangent()` (its value does not matter). Keyword arguments go to the primal call; tangents
never use `out=`. Cotangents that cost a contraction are `Thunk`s.

Not here: `np.matmul` and the `np.vecdot` ufunc (ufunc rules), `np.linalg.multi_dot` and
`np.linalg.matmul` (linalg rules), the `ndarray.trace` method. Nested lists given as array
arguments are not supported (their tangent would be a list).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    rrule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []

Pullback = Callable[[Any], tuple[Any, ...]]
Rrule = tuple[Any, Pullback]


def _conj(x: Any) -> Any:
    """`x` conjugated; a real value as it is (no copy)."""
    return np.conj(x) if np.iscomplexobj(x) else x


def _pushforward(
    linear: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]
) -> Any:
    """The tangent of a function linear in each argument: `sum_k linear(..., dx_k, ...)`.

    `linear` is called with the primals, the k-th replaced by its tangent; zero tangents (and
    the `NoTangent` of integer arguments) are skipped.
    """
    total: Any = ZeroTangent()
    for k, dx in enumerate(tangents):
        dx = unthunk(dx)
        if not isinstance(dx, AbstractZero):
            total = total + linear(*primals[:k], dx, *primals[k + 1 :])
    return total


def _option_cotangents(args: Sequence[Any]) -> tuple[Any, ...]:
    """Cotangents of trailing positional options: an `out` array gets a zero, indices none."""
    return tuple(ZeroTangent() if isinstance(a, np.ndarray) else NoTangent() for a in args)


def _without_out(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k != "out"}


def _inverse_permutation(order: Sequence[int]) -> list[int]:
    return sorted(range(len(order)), key=order.__getitem__)


# ---------------------------------------------------------------------------------------------
# tensordot, np.linalg.tensordot (and the contraction behind dot and inner)


def _normalize_axes(axes: Any, ndim_a: int, ndim_b: int) -> tuple[list[int], list[int]]:
    """`tensordot`'s `axes` (an int N, or a pair of ints or of sequences) as two lists of
    non-negative axis numbers."""
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        return list(range(ndim_a - n, ndim_a)), list(range(n))
    axes_a, axes_b = axes
    axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
    axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
    return [int(i) % ndim_a for i in axes_a], [int(j) % ndim_b for j in axes_b]


def _tensordot_cotangents(
    dy: Any, a: Any, b: Any, axes_a: list[int], axes_b: list[int]
) -> tuple[Thunk, Thunk]:
    """Thunked cotangents of `y = tensordot(a, b, (axes_a, axes_b))` (before projection).

    `y`'s axes are `a`'s free axes, then `b`'s. `da` contracts `dy` with `conj(b)` over `b`'s
    free axes; that leaves `b`'s contracted axes in increasing order, and a transpose puts
    each where its partner stands in `a`. Likewise for `db`.
    """
    free_a = [i for i in range(np.ndim(a)) if i not in axes_a]
    free_b = [j for j in range(np.ndim(b)) if j not in axes_b]
    dy_a = list(range(len(free_a)))
    dy_b = list(range(len(free_a), len(free_a) + len(free_b)))

    def tensordot_da() -> Any:
        da = np.tensordot(dy, _conj(b), axes=(dy_b, free_b))
        order = free_a + [axes_a[axes_b.index(j)] for j in sorted(axes_b)]
        return np.transpose(da, _inverse_permutation(order))

    def tensordot_db() -> Any:
        db = np.tensordot(_conj(a), dy, axes=(free_a, dy_a))
        order = [axes_b[axes_a.index(i)] for i in sorted(axes_a)] + free_b
        return np.transpose(db, _inverse_permutation(order))

    return Thunk(tensordot_da), Thunk(tensordot_db)


def _tensordot_options(a: Any, b: Any, axes: Any = 2) -> Any:
    return axes


def _register_tensordot(tensordot: Callable[..., Any]) -> None:
    @frule.register(tensordot)
    def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        axes = _tensordot_options(a, b, *args, **kwargs)
        y = tensordot(a, b, *args, **kwargs)

        def tensordot_linear(a: Any, b: Any) -> Any:
            return tensordot(a, b, axes=axes)

        return y, ProjectTo(y)(_pushforward(tensordot_linear, (a, b), tangents[1:]))

    @rrule.register(tensordot)
    def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a, project_b = ProjectTo(a), ProjectTo(b)
        axes = _tensordot_options(a, b, *args, **kwargs)
        axes_a, axes_b = _normalize_axes(axes, np.ndim(a), np.ndim(b))
        y = tensordot(a, b, *args, **kwargs)

        def tensordot_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            da, db = _tensordot_cotangents(dy, a, b, axes_a, axes_b)
            return NoTangent(), project_a(da), project_b(db), *_option_cotangents(args)

        return y, tensordot_pullback


_register_tensordot(np.tensordot)
_register_tensordot(np.linalg.tensordot)


# ---------------------------------------------------------------------------------------------
# dot, ndarray.dot, inner: a scalar product when an argument is 0-d, else a tensordot


def _scaled_pullback(
    a: Any, b: Any, args: Sequence[Any], name: str
) -> Callable[[Any], tuple[Any, ...]]:
    """Pullback of `y = a * b` with broadcasting (`dot` or `inner` of a 0-d argument)."""
    project_a, project_b = ProjectTo(a), ProjectTo(b)

    def scaled_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        da, db = project_a(dy * _conj(b)), project_b(dy * _conj(a))
        return NoTangent(), da, db, *_option_cotangents(args)

    scaled_pullback.__name__ = scaled_pullback.__qualname__ = f"{name}_pullback"
    return scaled_pullback


def _register_contraction(f: Callable[..., Any], name: str, axis_b: Callable[[int], int]) -> None:
    """Rules for `dot`-like `f`: `a * b` for a 0-d argument, else the contraction of `a`'s
    last axis with `b`'s axis `axis_b(b.ndim)`."""

    @frule.register(f)
    def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        y = f(a, b, *args, **kwargs)

        def linear(a: Any, b: Any) -> Any:
            return f(a, b, **_without_out(kwargs))

        return y, ProjectTo(y)(_pushforward(linear, (a, b), tangents[1:3]))

    @rrule.register(f)
    def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
        y = f(a, b, *args, **kwargs)
        if np.ndim(a) == 0 or np.ndim(b) == 0:
            return y, _scaled_pullback(a, b, args, name)
        project_a, project_b = ProjectTo(a), ProjectTo(b)
        axes_a, axes_b = [np.ndim(a) - 1], [axis_b(np.ndim(b))]

        def contraction_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            da, db = _tensordot_cotangents(dy, a, b, axes_a, axes_b)
            return NoTangent(), project_a(da), project_b(db), *_option_cotangents(args)

        contraction_pullback.__name__ = contraction_pullback.__qualname__ = f"{name}_pullback"
        return y, contraction_pullback


def _dot_axis_b(ndim_b: int) -> int:
    return max(ndim_b - 2, 0)  # dot contracts b's second-to-last axis (its only one if 1-D)


def _inner_axis_b(ndim_b: int) -> int:
    return ndim_b - 1


_register_contraction(np.dot, "dot", _dot_axis_b)
_register_contraction(np.ndarray.dot, "dot", _dot_axis_b)
_register_contraction(np.inner, "inner", _inner_axis_b)


# ---------------------------------------------------------------------------------------------
# vdot: sum(conj(a) * b) over the flattened arguments


@frule.register(np.vdot)
def _(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    y = np.vdot(a, b)
    return y, ProjectTo(y)(_pushforward(np.vdot, (a, b), tangents[1:]))


@rrule.register(np.vdot)
def _(a: Any, b: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    y = np.vdot(a, b)

    def vdot_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        # antiholomorphic in a: d(conj(a) b) = conj(da) b, whose adjoint is b * conj(dy)
        da = np.reshape(b, np.shape(a)) * np.conj(dy)
        db = np.reshape(a, np.shape(b)) * dy
        return NoTangent(), project_a(da), project_b(db)

    return y, vdot_pullback


# ---------------------------------------------------------------------------------------------
# outer (flattens its arguments), np.linalg.outer (1-D arguments only)


def _register_outer(outer: Callable[..., Any]) -> None:
    @frule.register(outer)
    def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        y = outer(a, b, *args, **kwargs)
        return y, ProjectTo(y)(_pushforward(outer, (a, b), tangents[1:3]))

    @rrule.register(outer)
    def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a, project_b = ProjectTo(a), ProjectTo(b)
        y = outer(a, b, *args, **kwargs)

        def outer_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)

            def outer_da() -> Any:
                return np.reshape(np.dot(dy, _conj(np.ravel(b))), np.shape(a))

            def outer_db() -> Any:
                return np.reshape(np.dot(_conj(np.ravel(a)), dy), np.shape(b))

            da, db = Thunk(outer_da), Thunk(outer_db)
            return NoTangent(), project_a(da), project_b(db), *_option_cotangents(args)

        return y, outer_pullback


_register_outer(np.outer)
_register_outer(np.linalg.outer)


# ---------------------------------------------------------------------------------------------
# kron


@frule.register(np.kron)
def _(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    y = np.kron(a, b)
    return y, ProjectTo(y)(_pushforward(np.kron, (a, b), tangents[1:]))


@rrule.register(np.kron)
def _(a: Any, b: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    y = np.kron(a, b)
    ndim = max(np.ndim(a), np.ndim(b))
    shape_a = (1,) * (ndim - np.ndim(a)) + np.shape(a)
    shape_b = (1,) * (ndim - np.ndim(b)) + np.shape(b)
    # y[i * nb + j] = a[i] * b[j] on every axis: y reshaped to (a0, b0, a1, b1, ...) and
    # transposed to (a0, a1, ..., b0, b1, ...) is the outer product of a and b
    interleaved = [n for pair in zip(shape_a, shape_b, strict=True) for n in pair]
    order = list(range(0, 2 * ndim, 2)) + list(range(1, 2 * ndim, 2))

    def kron_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        dy_matrix = np.reshape(
            np.transpose(np.reshape(dy, interleaved), order),
            (math.prod(shape_a), math.prod(shape_b)),
        )

        def kron_da() -> Any:
            return np.reshape(np.dot(dy_matrix, _conj(np.ravel(b))), np.shape(a))

        def kron_db() -> Any:
            return np.reshape(np.dot(_conj(np.ravel(a)), dy_matrix), np.shape(b))

        return NoTangent(), project_a(Thunk(kron_da)), project_b(Thunk(kron_db))

    return y, kron_pullback


# ---------------------------------------------------------------------------------------------
# linalg.vecdot: sum(conj(x1) * x2, axis), broadcasting the other axes


@frule.register(np.linalg.vecdot)
def _(tangents: tuple[Any, ...], x1: Any, x2: Any, **kwargs: Any) -> Any:
    y = np.linalg.vecdot(x1, x2, **kwargs)

    def vecdot_linear(x1: Any, x2: Any) -> Any:
        return np.linalg.vecdot(x1, x2, **kwargs)

    return y, ProjectTo(y)(_pushforward(vecdot_linear, (x1, x2), tangents[1:]))


@rrule.register(np.linalg.vecdot)
def _(x1: Any, x2: Any, **kwargs: Any) -> Rrule:
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)
    y = np.linalg.vecdot(x1, x2, **kwargs)
    axis = kwargs.get("axis", -1)
    # like the gufunc, `axis` counts in each argument's own dimensions
    x1_last, x2_last = np.moveaxis(x1, axis, -1), np.moveaxis(x2, axis, -1)

    def vecdot_pullback(dy: Any) -> tuple[Any, ...]:
        dy = np.expand_dims(unthunk(dy), -1)
        dx1 = unbroadcast(np.shape(x1_last), x2_last * np.conj(dy))
        dx2 = unbroadcast(np.shape(x2_last), x1_last * dy)
        dx1, dx2 = np.moveaxis(dx1, -1, axis), np.moveaxis(dx2, -1, axis)
        return NoTangent(), project_x1(dx1), project_x2(dx2)

    return y, vecdot_pullback


# ---------------------------------------------------------------------------------------------
# cross, np.linalg.cross


def _cross_options(
    a: Any,
    b: Any,
    axisa: int = -1,
    axisb: int = -1,
    axisc: int = -1,
    axis: int | None = None,
) -> tuple[int, int, int]:
    return (axisa, axisb, axisc) if axis is None else (axis, axis, axis)


def _linalg_cross_options(x1: Any, x2: Any, *, axis: int = -1) -> tuple[int, int, int]:
    return axis, axis, axis


def _as_3_vectors(x: Any) -> Any:
    """2-vectors (last axis) padded with a zero z-component, so that `np.cross` needs no
    deprecated 2-vector call."""
    if np.shape(x)[-1] == 3:
        return x
    return np.concatenate([x, np.zeros_like(x[..., :1])], axis=-1)


def _cross_cotangents(dy: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """Cotangents of `y = cross(a, b)` with the vectors on the last axis (before summing
    broadcast axes); `dy` is a 3-vector, or a scalar when both are 2-vectors."""
    if np.shape(a)[-1] == np.shape(b)[-1] == 2:
        # y = a0 b1 - a1 b0
        dy = np.expand_dims(dy, -1)
        da = dy * _conj(np.stack([b[..., 1], -b[..., 0]], axis=-1))
        db = dy * _conj(np.stack([-a[..., 1], a[..., 0]], axis=-1))
        return da, db
    # dy . (a x b) = a . (b x dy) = b . (dy x a); conj(b), conj(a) for the complex adjoint
    da = np.cross(_conj(_as_3_vectors(b)), dy)[..., : np.shape(a)[-1]]
    db = np.cross(dy, _conj(_as_3_vectors(a)))[..., : np.shape(b)[-1]]
    return da, db


def _register_cross(
    cross: Callable[..., Any], options: Callable[..., tuple[int, int, int]]
) -> None:
    @frule.register(cross)
    def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
        y = cross(a, b, *args, **kwargs)

        def cross_linear(a: Any, b: Any) -> Any:
            return cross(a, b, *args, **kwargs)

        return y, ProjectTo(y)(_pushforward(cross_linear, (a, b), tangents[1:3]))

    @rrule.register(cross)
    def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a, project_b = ProjectTo(a), ProjectTo(b)
        axisa, axisb, axisc = options(a, b, *args, **kwargs)
        y = cross(a, b, *args, **kwargs)
        a_last, b_last = np.moveaxis(a, axisa, -1), np.moveaxis(b, axisb, -1)
        vector_output = not np.shape(a_last)[-1] == np.shape(b_last)[-1] == 2

        def cross_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if vector_output:
                dy = np.moveaxis(dy, axisc, -1)
            da, db = _cross_cotangents(dy, a_last, b_last)
            da = np.moveaxis(unbroadcast(np.shape(a_last), da), -1, axisa)
            db = np.moveaxis(unbroadcast(np.shape(b_last), db), -1, axisb)
            return NoTangent(), project_a(da), project_b(db), *_option_cotangents(args)

        return y, cross_pullback


_register_cross(np.cross, _cross_options)
_register_cross(np.linalg.cross, _linalg_cross_options)


# ---------------------------------------------------------------------------------------------
# trace, np.linalg.trace


def _trace_options(
    a: Any,
    offset: int = 0,
    axis1: int = 0,
    axis2: int = 1,
    dtype: Any = None,
    out: Any = None,
) -> tuple[int, int, int]:
    return offset, axis1, axis2


def _linalg_trace_options(x: Any, *, offset: int = 0, dtype: Any = None) -> tuple[int, int, int]:
    return offset, -2, -1


def _register_trace(
    trace: Callable[..., Any], options: Callable[..., tuple[int, int, int]]
) -> None:
    @frule.register(trace)
    def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        offset, axis1, axis2 = options(a, *args, **kwargs)
        y = trace(a, *args, **kwargs)

        def trace_linear(a: Any) -> Any:
            return np.trace(a, offset=offset, axis1=axis1, axis2=axis2)

        return y, ProjectTo(y)(_pushforward(trace_linear, (a,), tangents[1:2]))

    @rrule.register(trace)
    def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a = ProjectTo(a)
        offset, axis1, axis2 = options(a, *args, **kwargs)
        y = trace(a, *args, **kwargs)
        shape = np.shape(a)
        axis1, axis2 = axis1 % len(shape), axis2 % len(shape)
        diagonal = np.eye(shape[axis1], shape[axis2], k=offset)

        def trace_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            da = np.moveaxis(np.expand_dims(dy, (-2, -1)) * diagonal, (-2, -1), (axis1, axis2))
            return NoTangent(), project_a(da), *_option_cotangents(args)

        return y, trace_pullback


_register_trace(np.trace, _trace_options)
_register_trace(np.linalg.trace, _linalg_trace_options)


# ---------------------------------------------------------------------------------------------
# einsum
#
# Both call forms are parsed into one label list per operand and one for the output, with
# each dimension covered by `...` named ("...", k) for the k-th from the right. The cotangent
# of operand k is an einsum of dy with the conjugates of the other operands, onto k's distinct
# labels; labels found in neither (summed out of k alone) are broadcast back, and a label
# repeated in k (a diagonal) is spread onto the diagonal by Kronecker deltas (identities).


Label = Any  # a str or int label, or ("...", k): the k-th dimension from the right under ...


class _EinsumSpec:
    """The operands of an einsum call, where they stand in the arguments, and their labels."""

    def __init__(self, args: Sequence[Any]) -> None:
        if isinstance(args[0], str):
            self.positions = list(range(1, len(args)))
            terms, output = _parse_subscripts(args[0], len(self.positions))
        else:
            self.positions = list(range(0, len(args) - 1, 2))
            terms = [_parse_sublist(args[i + 1]) for i in self.positions]
            output = _parse_sublist(args[-1]) if len(args) % 2 else None
        self.operands = [args[i] for i in self.positions]
        shapes = [np.shape(x) for x in self.operands]
        self.labels = [_expand_ellipsis(t, len(s)) for t, s in zip(terms, shapes, strict=True)]
        ellipsis_ndim = max(
            (len(s) - len(t) + 1 for t, s in zip(terms, shapes, strict=True) if ... in t),
            default=0,
        )
        broadcast = [("...", k) for k in reversed(range(ellipsis_ndim))]
        if output is None:  # implicit mode: `...`, then the labels used once, sorted
            counts: dict[Label, int] = {}
            for t in terms:
                for label in t:
                    if label is not ...:
                        counts[label] = counts.get(label, 0) + 1
            self.output = broadcast + sorted(label for label, n in counts.items() if n == 1)
        else:
            self.output = [label for o in output for label in (broadcast if o is ... else [o])]
        self.size: dict[Label, int] = {}  # a label's size; 1 only where it is 1 everywhere
        for labels, shape in zip(self.labels, shapes, strict=True):
            for label, n in zip(labels, shape, strict=True):
                if self.size.get(label, 1) == 1:
                    self.size[label] = n
        self.squeezed = [
            _squeezed(x, ls, self.size) for x, ls in zip(self.operands, self.labels, strict=True)
        ]


def _parse_subscripts(subscripts: str, count: int) -> tuple[list[list[Any]], list[Any] | None]:
    inputs, arrow, output = subscripts.replace(" ", "").partition("->")
    terms = [_parse_term(t) for t in inputs.split(",")]
    if len(terms) != count:
        raise ValueError(f"einsum: {len(terms)} subscripts for {count} operands")
    return terms, _parse_term(output) if arrow else None


def _parse_term(term: str) -> list[Any]:
    head, dots, tail = term.partition("...")
    return [*head, ..., *tail] if dots else list(term)


def _parse_sublist(sublist: Sequence[Any]) -> list[Any]:
    return [... if s is Ellipsis else int(s) for s in sublist]


def _expand_ellipsis(term: list[Any], ndim: int) -> list[Label]:
    if ... not in term:
        return list(term)
    i = term.index(...)
    covered = ndim - len(term) + 1
    return [*term[:i], *(("...", k) for k in reversed(range(covered))), *term[i + 1 :]]


class _Ids:
    """Integer labels for einsum's interleaved form, fresh ones on demand."""

    def __init__(self) -> None:
        self.ids: dict[Label, int] = {}

    def __call__(self, labels: Sequence[Label]) -> list[int]:
        return [self.ids.setdefault(label, len(self.ids)) for label in labels]

    def fresh(self) -> int:
        return self.ids.setdefault(object(), len(self.ids))


def _squeezed(x: Any, labels: list[Label], size: dict[Label, int]) -> tuple[Any, list[Label]]:
    """`x` without its size-1 axes that einsum broadcast, and the labels left: along those
    axes `x` is constant, so it is the same einsum without the label."""
    keep = [n == size[label] for label, n in zip(labels, np.shape(x), strict=True)]
    if all(keep):
        return x, labels
    shape = [n for n, k in zip(np.shape(x), keep, strict=True) if k]
    return np.reshape(x, shape), [label for label, k in zip(labels, keep, strict=True) if k]


def _einsum_cotangent(dy: Any, spec: _EinsumSpec, k: int, optimize: Any) -> Callable[[], Any]:
    def einsum_cotangent() -> Any:
        ids = _Ids()
        squeezed = spec.squeezed
        labels = squeezed[k][1]
        distinct = list(dict.fromkeys(labels))
        operands: list[Any] = [dy, ids(spec.output)]
        available = set(spec.output)
        for j, (x, ls) in enumerate(squeezed):
            if j != k:
                operands += [_conj(x), ids(ls)]
                available.update(ls)
        found = [label for label in distinct if label in available]
        dx = np.einsum(*operands, ids(found), optimize=optimize)
        if len(found) < len(distinct):  # labels summed out of operand k alone: broadcast back
            dx = np.reshape(
                dx, [spec.size[label] if label in available else 1 for label in distinct]
            )
            dx = np.broadcast_to(dx, [spec.size[label] for label in distinct])
        if len(distinct) < len(labels):  # repeated labels: onto the diagonal
            deltas: list[Any] = []
            full = []
            for i, (label, label_id) in enumerate(zip(labels, ids(labels), strict=True)):
                if label in labels[:i]:
                    full.append(ids.fresh())
                    deltas += [np.eye(spec.size[label]), [label_id, full[-1]]]
                else:
                    full.append(label_id)
            dx = np.einsum(dx, ids(distinct), *deltas, full)
        elif len(found) < len(distinct):
            dx = np.copy(dx)  # not a read-only broadcast view
        return np.reshape(dx, np.shape(spec.operands[k]))

    return einsum_cotangent


@frule.register(np.einsum)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    y = np.einsum(*args, **kwargs)
    positions = _EinsumSpec(args).positions
    linear_kwargs = _without_out(kwargs)

    def einsum_linear(*operands: Any) -> Any:
        full = list(args)
        for i, x in zip(positions, operands, strict=True):
            full[i] = x
        return np.einsum(*full, **linear_kwargs)

    operands = [args[i] for i in positions]
    dy = _pushforward(einsum_linear, operands, [tangents[1 + i] for i in positions])
    return y, ProjectTo(y)(dy)


@rrule.register(np.einsum)
def _(*args: Any, **kwargs: Any) -> Rrule:
    y = np.einsum(*args, **kwargs)
    spec = _EinsumSpec(args)
    projectors = [ProjectTo(x) for x in spec.operands]
    optimize = kwargs.get("optimize", False)
    if not isinstance(optimize, (bool, str)):  # a path computed for the primal's operands
        optimize = "greedy"

    def einsum_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        cotangents: list[Any] = [NoTangent()] * len(args)
        for k, (i, project) in enumerate(zip(spec.positions, projectors, strict=True)):
            cotangents[i] = project(Thunk(_einsum_cotangent(dy, spec, k, optimize)))
        return NoTangent(), *cotangents

    return y, einsum_pullback
