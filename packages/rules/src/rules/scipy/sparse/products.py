"""Rules for products of sparse matrices with dense arrays, and for their dense views: an
frule and an rrule for each of

- `A @ x` and `x @ A` (`operator.matmul`, which engines call for `@`) with `A` sparse (CSR,
  CSC, COO, BSR or DIA; array or matrix) and `x` dense (1-D or 2-D);
- `A.dot(x)` (the method descriptors `type(A).dot`) with `x` dense;
- `A.toarray()` and `A.todense()` (the method descriptors of those classes).

Conventions (with those of `rules.scipy.sparse`):

- `A`'s tangent is `Tangent[type(A)](data=d)`, one entry per stored value. The cotangent of
  a stored value at `(i, j)` is the dense cotangent there: for `y = A @ x`,
  `sum_k dy[i, k] conj(x[j, k])`; for `A.toarray()`, `dy[i, j]`. Duplicates each get it.
- `x`'s cotangent is `A^H @ dy` (resp. `dy @ A^H`), computed with SciPy's sparse product.
- A product of two sparse matrices is not covered (its output's structure depends on the
  values): the rules opt out, so an engine reports it rather than guess. `A.dot(c)` with a
  scalar `c` gives `not_implemented` cotangents.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from rules.scipy.sparse._entries import (
    SPARSE,
    STORED,
    data_tangent,
    entries,
    project_to,
    tangent_of,
    value,
    with_data,
)
from rulescore import (
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
)

__all__: list[str] = []


def _stored(a: Any, values: Any, valid: Any) -> Any:
    return tangent_of(a, np.where(valid, values, 0))


def _left_data(a: Any, x: Any, g: Any) -> Any:
    """The cotangent of `a`'s stored values for `y = a @ x` and the seed `g`."""
    rows, cols, valid = entries(a)
    if x.ndim == 1:
        return _stored(a, g[rows] * np.conj(x[cols]), valid)
    return _stored(a, np.einsum("kj,kj->k", g[rows], np.conj(x[cols])), valid)


def _right_data(x: Any, a: Any, g: Any) -> Any:
    """The cotangent of `a`'s stored values for `y = x @ a` and the seed `g`."""
    rows, cols, valid = entries(a)
    if x.ndim == 1:
        return _stored(a, np.conj(x[rows]) * g[cols], valid)
    return _stored(a, np.einsum("ik,ik->k", np.conj(x[:, rows]), g[:, cols]), valid)


def _sparse_times_dense(a: Any, x: Any, y: Any) -> Any:
    project_x = project_to(x)
    dense = np.asarray(x)

    def matmul_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return NoTangent(), ZeroTangent(), ZeroTangent()
        g = np.asarray(g)
        return (
            NoTangent(),
            Thunk(lambda: _left_data(a, dense, g)),
            Thunk(lambda: project_x(np.asarray(a.conj().T @ g))),
        )

    return y, matmul_pullback


def _dense_times_sparse(x: Any, a: Any, y: Any) -> Any:
    project_x = project_to(x)
    dense = np.asarray(x)

    def matmul_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return NoTangent(), ZeroTangent(), ZeroTangent()
        g = np.asarray(g)
        return (
            NoTangent(),
            Thunk(lambda: project_x(np.asarray(g @ a.conj().T))),
            Thunk(lambda: _right_data(dense, a, g)),
        )

    return y, matmul_pullback


def _product_tangent(y: Any, a: Any, x: Any, da: Any, dx: Any, left: bool) -> Any:
    d = data_tangent(da)
    if isinstance(d, NotImplementedTangent):
        return d
    dx = value(dx)
    dy: Any = ZeroTangent()
    if d is not None:
        dy = dy + (with_data(a, d) @ np.asarray(x) if left else np.asarray(x) @ with_data(a, d))
    if dx is not None:
        dy = dy + (a @ np.asarray(dx) if left else np.asarray(dx) @ a)
    return ProjectTo(y)(dy)


@rrule.register(operator.matmul, STORED, object)
def _(a: Any, x: Any) -> Any:
    return _sparse_times_dense(a, x, a @ x)


@frule.register(operator.matmul, STORED, object)
def _(tangents: tuple[Any, ...], a: Any, x: Any) -> Any:
    y = a @ x
    return y, _product_tangent(y, a, x, tangents[1], tangents[2], left=True)


@rrule.register(operator.matmul, object, STORED)
def _(x: Any, a: Any) -> Any:
    return _dense_times_sparse(x, a, x @ a)


@frule.register(operator.matmul, object, STORED)
def _(tangents: tuple[Any, ...], x: Any, a: Any) -> Any:
    y = x @ a
    return y, _product_tangent(y, a, x, tangents[2], tangents[1], left=False)


# sparse @ sparse: no rule, even where one of the above matches
for _table in (rrule, frule):
    _table.opt_out(operator.matmul, STORED, SPARSE)
    _table.opt_out(operator.matmul, SPARSE, STORED)
    _table.opt_out(operator.matmul, STORED, STORED)


# ---------------------------------------------------------------------------------------------
# A.dot(x)

_DOT = {cls.dot for cls in STORED}


def _dot_rrule(a: Any, x: Any) -> Any:
    y = a.dot(x)
    if np.isscalar(x) or np.ndim(x) == 0:

        def dot_pullback(dy: Any) -> tuple[Any, ...]:
            missing = not_implemented("sparse.dot with a scalar (a sparse output)")
            return NoTangent(), missing, missing

        return y, dot_pullback
    return _sparse_times_dense(a, x, y)


def _dot_frule(tangents: tuple[Any, ...], a: Any, x: Any) -> Any:
    y = a.dot(x)
    if np.isscalar(x) or np.ndim(x) == 0:
        return y, not_implemented("sparse.dot with a scalar (a sparse output)")
    return y, _product_tangent(y, a, x, tangents[1], tangents[2], left=True)


for _dot in _DOT:
    rrule.register(_dot, STORED, object)(_dot_rrule)
    frule.register(_dot, STORED, object)(_dot_frule)
    rrule.opt_out(_dot, STORED, SPARSE)
    frule.opt_out(_dot, STORED, SPARSE)


# ---------------------------------------------------------------------------------------------
# A.toarray(), A.todense()


def _dense_view_rrule(method: Any) -> Any:
    def rule(a: Any, *args: Any, **kwargs: Any) -> Any:
        y = method(a, *args, **kwargs)

        def toarray_pullback(dy: Any) -> tuple[Any, ...]:
            g = value(dy)
            options = (NoTangent(),) * len(args)
            if g is None:
                return NoTangent(), ZeroTangent(), *options
            g = np.asarray(g)

            def data() -> Any:
                rows, cols, valid = entries(a)
                return _stored(a, g[rows, cols], valid)

            return NoTangent(), Thunk(data), *options

        toarray_pullback.__name__ = toarray_pullback.__qualname__ = f"{method.__name__}_pullback"
        return y, toarray_pullback

    return rule


def _dense_view_frule(method: Any) -> Any:
    def rule(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        y = method(a, *args, **kwargs)
        d = data_tangent(tangents[1])
        if d is None:
            return y, ProjectTo(y)(ZeroTangent())
        if isinstance(d, NotImplementedTangent):
            return y, d
        return y, ProjectTo(y)(method(with_data(a, d)))

    return rule


for _method in {cls.toarray for cls in STORED} | {cls.todense for cls in STORED}:
    rrule.register(_method, STORED)(_dense_view_rrule(_method))
    frule.register(_method, STORED)(_dense_view_frule(_method))
