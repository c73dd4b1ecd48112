"""Rules for the dense-matrix functions of `numpy.linalg`: an frule and an rrule for each of

- inverses and solves: `inv`, `pinv` (constant rank, e.g. full rank; `hermitian=`), `solve`
  (`b` a vector or a stack of matrices, broadcasting), `lstsq` (all four outputs), `tensorinv`,
  `tensorsolve` (`axes=`);
- determinants: `det`, `slogdet`;
- products and shapes: `matrix_power` (any integer `n`), `multi_dot`, `matmul`,
  `matrix_transpose`, `diagonal`;
- `matrix_rank` is non-differentiable.

Conventions (with those of the package, `rules.numpy.linalg`: stacked matrices, positional
options, Hermitian input):

- `pinv(hermitian=True)` reads one triangle: its pullback returns the Hermitian part of the
  cotangent and its frule uses the Hermitian part of the tangent.
- Singular inputs: `inv`, `solve`, `tensorinv`, `tensorsolve`, `matrix_power(a, n < 0)` raise
  `LinAlgError` as NumPy does; `det` stays finite (the derivative is the adjugate, computed
  through an SVD when the determinant is zero); `slogdet`'s derivative (of `log 0`) raises
  `LinAlgError`; `pinv` and `lstsq` differentiate the rank that NumPy's cutoff gives (correct
  when the rank is constant nearby).
- `slogdet`'s sign of a real matrix is locally constant: its tangent is `ZeroTangent()` and
  its cotangent is ignored. `lstsq`'s `rank` has `NoTangent()`.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from rules.numpy.linalg._common import (
    LinAlgError,
    Rrule,
    _bind,
    _diag,
    _field,
    _herm,
    _mH,
    _options,
    _value,
)
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    alias_rules,
    frule,
    non_differentiable,
    rrule,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# inv, pinv


@frule.register(np.linalg.inv)
def _(tangents: tuple[Any, ...], a: Any) -> Any:
    y = np.linalg.inv(a)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    return y, ProjectTo(y)(-(y @ da @ y))


@rrule.register(np.linalg.inv)
def _(a: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.inv(a)

    def inv_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        return NoTangent(), project_a(Thunk(lambda: -(_mH(y) @ dy @ _mH(y))))

    return y, inv_pullback


def _pinv_jvp(a: Any, y: Any, da: Any) -> Any:
    """Golub & Pereyra (1973): the derivative of `pinv` at constant rank."""
    yh, dah = _mH(y), _mH(da)
    dy = -(y @ da @ y)
    dy = dy + y @ (yh @ (dah - dah @ (a @ y)))
    return dy + (dah - y @ (a @ dah)) @ (yh @ y)


def _pinv_vjp(a: Any, y: Any, dy: Any) -> Any:
    yh, dyh = _mH(y), _mH(dy)
    da = -(yh @ dy @ yh)
    da = da + (dyh - a @ (y @ dyh)) @ (y @ yh)
    return da + (yh @ y) @ (dyh - dyh @ (y @ a))


@frule.register(np.linalg.pinv)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    hermitian = _bind(np.linalg.pinv, a, *args, **kwargs)["hermitian"]
    y = np.linalg.pinv(a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    return y, ProjectTo(y)(_pinv_jvp(a, y, _herm(da) if hermitian else da))


@rrule.register(np.linalg.pinv)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    hermitian = _bind(np.linalg.pinv, a, *args, **kwargs)["hermitian"]
    y = np.linalg.pinv(a, *args, **kwargs)

    def pinv_da(dy: Any) -> Any:
        da = _pinv_vjp(a, y, dy)
        return _herm(da) if hermitian else da

    def pinv_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: pinv_da(dy))), *_options(args)

    return y, pinv_pullback


# ---------------------------------------------------------------------------------------------
# det, slogdet


def _mT(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _products_of_others(s: Any) -> Any:
    """`p[..., i] = prod_{j != i} s[..., j]`, without dividing (`s` may hold zeros)."""
    ones = np.ones_like(s[..., :1])
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, np.flip(s, -1)[..., :-1]], axis=-1), axis=-1)
    return left * np.flip(right, -1)


def _adjugate(a: Any, det: Any) -> Any:
    """`adj(a) = det(a) inv(a)`, finite for singular `a`: `det(U) det(Vh) V diag(prod_{j != i}
    s_j) U^H` from the SVD `a = U diag(s) Vh`."""
    det = np.asarray(det)
    if np.all(det != 0) and np.all(np.isfinite(det)):
        inverse = _inverse_or_none(a)
        if inverse is not None:
            return det[..., None, None] * inverse
    u, s, vh = np.linalg.svd(a)
    phase = np.linalg.det(u) * np.linalg.det(vh)
    return np.asarray(phase)[..., None, None] * (
        (_mH(vh) * _products_of_others(s)[..., None, :]) @ _mH(u)
    )


def _inverse_or_none(a: Any) -> Any:
    """`inv(a)`, or `None` where LAPACK finds `a` singular."""
    try:
        return np.linalg.inv(a)
    except LinAlgError:
        return None


# Differentiated again (higher order), it is `inv`: the `try` is only the singular case.
alias_rules(_inverse_or_none, np.linalg.inv)


@frule.register(np.linalg.det)
def _(tangents: tuple[Any, ...], a: Any) -> Any:
    y = np.linalg.det(a)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    return y, ProjectTo(y)(np.sum(_mT(_adjugate(a, y)) * da, axis=(-2, -1)))


@rrule.register(np.linalg.det)
def _(a: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.det(a)

    def det_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        da = Thunk(lambda: np.asarray(dy)[..., None, None] * _mH(_adjugate(a, y)))
        return NoTangent(), project_a(da)

    return y, det_pullback


@frule.register(np.linalg.slogdet)
def _(tangents: tuple[Any, ...], a: Any) -> Any:
    y = np.linalg.slogdet(a)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    trace = np.sum(_diag(np.linalg.solve(a, da)), axis=-1)  # tr(a^-1 da)
    dsign = 1j * trace.imag * y.sign if np.iscomplexobj(y.sign) else ZeroTangent()
    return y, ProjectTo(y)({"sign": dsign, "logabsdet": trace.real})


@rrule.register(np.linalg.slogdet)
def _(a: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.slogdet(a)

    def slogdet_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        dsign, dlogabsdet = _field(dy, 0, "sign"), _field(dy, 1, "logabsdet")
        if np.iscomplexobj(y.sign) and dsign is not None:
            # d sign = i Im(t) sign and d logabsdet = Re(t) for t = tr(a^-1 da)
            weight = 1j * -np.imag(np.conj(dsign) * y.sign)
            weight = weight if dlogabsdet is None else weight + dlogabsdet
        elif dlogabsdet is not None:
            weight = dlogabsdet
        else:
            return NoTangent(), ZeroTangent()
        da = Thunk(lambda: np.asarray(weight)[..., None, None] * _mH(np.linalg.inv(a)))
        return NoTangent(), project_a(da)

    return y, slogdet_pullback


# ---------------------------------------------------------------------------------------------
# solve, lstsq, tensorsolve, tensorinv


@frule.register(np.linalg.solve)
def _(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    x = np.linalg.solve(a, b)
    da, db = _value(tangents[1]), _value(tangents[2])
    vector = np.ndim(b) == 1
    xm = x[..., None] if vector else x
    rhs: Any = 0
    if db is not None:
        rhs = np.asarray(db)[..., None] if vector else db
    if da is not None:
        rhs = rhs - da @ xm
    if da is None and db is None:
        return x, ZeroTangent()
    dx = np.linalg.solve(a, rhs)
    return x, ProjectTo(x)(dx[..., 0] if vector else dx)


@rrule.register(np.linalg.solve)
def _(a: Any, b: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    x = np.linalg.solve(a, b)
    vector = np.ndim(b) == 1
    xm = x[..., None] if vector else x

    def solve_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent()
        db = np.linalg.solve(_mH(a), dx[..., None] if vector else dx)
        da = Thunk(lambda: -(db @ _mH(xm)))
        return NoTangent(), project_a(da), project_b(db[..., 0] if vector else db)

    return x, solve_pullback


def _lstsq_pinv(a: Any, rcond: Any) -> tuple[Any, Any, Any, Any]:
    """`(u, s, vh, pinv(a))` with `lstsq`'s cutoff: singular values `<= rcond * max(s)` drop."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    eps = np.finfo(s.dtype).eps
    rcond = eps * max(np.shape(a)) if rcond is None else (eps if rcond < 0 else rcond)
    kept = s > rcond * np.max(s, initial=0.0)
    inverse = np.where(kept, 1 / np.where(kept, s, 1), 0)
    return u, s, vh, (_mH(vh) * inverse) @ _mH(u)


@frule.register(np.linalg.lstsq)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    rcond = _bind(np.linalg.lstsq, a, b, *args, **kwargs)["rcond"]
    y = np.linalg.lstsq(a, b, *args, **kwargs)
    da, db = _value(tangents[1]), _value(tangents[2])
    if da is None and db is None:
        return y, ZeroTangent()
    u, _, vh, p = _lstsq_pinv(a, rcond)
    vector = np.ndim(b) == 1
    xm = y[0][:, None] if vector else y[0]
    rm = (b[:, None] if vector else b) - a @ xm
    dx: Any = 0
    change: Any = 0  # d(b - a x) at fixed x
    if da is not None:
        dah = _mH(da)
        dx = -(p @ (da @ xm)) + p @ (_mH(p) @ (dah @ rm))
        w = dah @ (_mH(p) @ xm)
        dx = dx + w - p @ (a @ w)
        change = -(da @ xm)
    if db is not None:
        dbm = np.asarray(db)[:, None] if vector else db
        dx = dx + p @ dbm
        change = change + dbm
    dres = 2 * np.sum((np.conj(rm) * change).real, axis=0) if y[1].size else ZeroTangent()
    ds = ZeroTangent() if da is None else _diag(_mH(u) @ da @ _mH(vh)).real
    dy = (dx[:, 0] if vector else dx, dres, NoTangent(), ds)
    return y, ProjectTo(y)(dy)


@rrule.register(np.linalg.lstsq)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    rcond = _bind(np.linalg.lstsq, a, b, *args, **kwargs)["rcond"]
    y = np.linalg.lstsq(a, b, *args, **kwargs)
    vector = np.ndim(b) == 1
    xm = y[0][:, None] if vector else y[0]
    rm = (b[:, None] if vector else b) - a @ xm

    def lstsq_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        gx, gres, gs = _field(dy, 0, "x"), _field(dy, 1, "residuals"), _field(dy, 3, "s")
        if y[1].size == 0:
            gres = None
        if gx is None and gres is None and gs is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)

        @functools.cache
        def lstsq_cotangents() -> tuple[Any, Any]:
            u, _, vh, p = _lstsq_pinv(a, rcond)
            da: Any = 0
            db: Any = 0
            if gx is not None:
                gxm = gx[:, None] if vector else gx
                db = _mH(p) @ gxm
                q_gx = gxm - p @ (a @ gxm)
                da = -(db @ _mH(xm)) + rm @ _mH(p @ (_mH(p) @ gxm)) + (_mH(p) @ xm) @ _mH(q_gx)
            if gres is not None:
                weighted = 2 * rm * gres  # d residuals_k = 2 Re(r_k^H (db_k - da x_k))
                db = db + weighted
                da = da - weighted @ _mH(xm)
            if gs is not None:
                da = da + (u * gs) @ vh
            return da, db[:, 0] if vector and not isinstance(db, int) else db

        da = project_a(Thunk(lambda: lstsq_cotangents()[0]))
        if gx is None and gres is None:
            return NoTangent(), da, ZeroTangent(), *_options(args)
        db = project_b(Thunk(lambda: lstsq_cotangents()[1]))
        return NoTangent(), da, db, *_options(args)

    return y, lstsq_pullback


def _tensorsolve_layout(a: Any, b: Any, axes: Any) -> tuple[list[int], tuple[int, ...]]:
    """The permutation `tensorsolve` applies to `a`, and the shape of the solution."""
    order = list(range(np.ndim(a)))
    if axes is not None:
        for k in axes:
            order.remove(k)
            order.insert(np.ndim(a), k)
    return order, tuple(np.shape(a)[i] for i in order[np.ndim(b) :])


@frule.register(np.linalg.tensorsolve)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    axes = _bind(np.linalg.tensorsolve, a, b, *args, **kwargs)["axes"]
    x = np.linalg.tensorsolve(a, b, *args, **kwargs)
    da, db = _value(tangents[1]), _value(tangents[2])
    if da is None and db is None:
        return x, ZeroTangent()
    order, _ = _tensorsolve_layout(a, b, axes)
    n = x.size
    matrix = np.reshape(np.transpose(a, order), (n, n))
    rhs: Any = np.zeros(n) if db is None else np.reshape(db, n)
    if da is not None:
        rhs = rhs - np.reshape(np.transpose(da, order), (n, n)) @ np.reshape(x, n)
    return x, ProjectTo(x)(np.reshape(np.linalg.solve(matrix, rhs), x.shape))


@rrule.register(np.linalg.tensorsolve)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    axes = _bind(np.linalg.tensorsolve, a, b, *args, **kwargs)["axes"]
    x = np.linalg.tensorsolve(a, b, *args, **kwargs)
    order, _ = _tensorsolve_layout(a, b, axes)

    def tensorsolve_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        n = x.size
        matrix = np.reshape(np.transpose(a, order), (n, n))
        db = np.linalg.solve(_mH(matrix), np.reshape(dx, n))
        moved = -np.outer(db, np.conj(np.reshape(x, n)))
        da = np.transpose(np.reshape(moved, [np.shape(a)[i] for i in order]), np.argsort(order))
        return NoTangent(), project_a(da), project_b(np.reshape(db, np.shape(b))), *_options(args)

    return x, tensorsolve_pullback


def _tensorinv_matrix(a: Any, ind: int) -> Any:
    rows = int(np.prod(np.shape(a)[:ind]))
    return np.reshape(a, (rows, -1))


@frule.register(np.linalg.tensorinv)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    ind = _bind(np.linalg.tensorinv, a, *args, **kwargs)["ind"]
    y = np.linalg.tensorinv(a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    inverse = np.reshape(y, (-1, int(np.prod(np.shape(a)[:ind]))))
    dy = -(inverse @ _tensorinv_matrix(da, ind) @ inverse)
    return y, ProjectTo(y)(np.reshape(dy, y.shape))


@rrule.register(np.linalg.tensorinv)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    ind = _bind(np.linalg.tensorinv, a, *args, **kwargs)["ind"]
    y = np.linalg.tensorinv(a, *args, **kwargs)
    inverse = np.reshape(y, (-1, int(np.prod(np.shape(a)[:ind]))))

    def tensorinv_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        da = -(_mH(inverse) @ np.reshape(dy, inverse.shape) @ _mH(inverse))
        return NoTangent(), project_a(np.reshape(da, np.shape(a))), *_options(args)

    return y, tensorinv_pullback


# ---------------------------------------------------------------------------------------------
# matrix_power: through the binary powers a, a^2, a^4, ... that NumPy multiplies too


def _binary_powers(a: Any, n: int) -> tuple[list[Any], list[int]]:
    """The squares `[a, a^2, a^4, ...]` up to `n`, and which of them make up `a^n`."""
    squares = [a]
    while 2 ** len(squares) <= n:
        squares.append(squares[-1] @ squares[-1])
    return squares, [j for j in range(len(squares)) if n >> j & 1]


def _power_jvp(squares: list[Any], used: list[int], da: Any) -> Any:
    d_squares = [da]
    for s in squares[:-1]:
        d = d_squares[-1]
        d_squares.append(d @ s + s @ d)
    product, d_product = squares[used[0]], d_squares[used[0]]
    for j in used[1:]:
        d_product = d_product @ squares[j] + product @ d_squares[j]
        product = product @ squares[j]
    return d_product


def _power_vjp(squares: list[Any], used: list[int], dy: Any) -> Any:
    partial = [squares[used[0]]]  # partial[k] = product of the first k + 1 used squares
    for j in used[1:]:
        partial.append(partial[-1] @ squares[j])
    d_squares: list[Any] = [0] * len(squares)
    d_product = dy
    for k in range(len(used) - 1, 0, -1):
        d_squares[used[k]] = d_squares[used[k]] + _mH(partial[k - 1]) @ d_product
        d_product = d_product @ _mH(squares[used[k]])
    d_squares[used[0]] = d_squares[used[0]] + d_product
    for j in range(len(squares) - 1, 0, -1):
        s, d = squares[j - 1], d_squares[j]
        d_squares[j - 1] = d_squares[j - 1] + d @ _mH(s) + _mH(s) @ d
    return d_squares[0]


@frule.register(np.linalg.matrix_power)
def _(tangents: tuple[Any, ...], a: Any, n: Any) -> Any:
    y = np.linalg.matrix_power(a, n)
    da = _value(tangents[1])
    if da is None or n == 0:
        return y, ZeroTangent()
    base = a if n > 0 else np.linalg.inv(a)
    if n < 0:
        da = -(base @ da @ base)
    return y, ProjectTo(y)(_power_jvp(*_binary_powers(base, abs(n)), da))


@rrule.register(np.linalg.matrix_power)
def _(a: Any, n: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.matrix_power(a, n)
    base = a if n >= 0 else np.linalg.inv(a)

    def matrix_power_da(dy: Any) -> Any:
        da = _power_vjp(*_binary_powers(base, abs(n)), dy)
        return da if n > 0 else -(_mH(base) @ da @ _mH(base))

    def matrix_power_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None or n == 0:
            return NoTangent(), ZeroTangent(), NoTangent()
        return NoTangent(), project_a(Thunk(lambda: matrix_power_da(dy))), NoTangent()

    return y, matrix_power_pullback


# ---------------------------------------------------------------------------------------------
# multi_dot, matmul, matrix_transpose, diagonal


def _as_chain(arrays: Any) -> list[Any]:
    """The arrays of `multi_dot` as matrices: a 1-D first is a row, a 1-D last a column."""
    chain = [np.asarray(x) for x in arrays]
    if chain[0].ndim == 1:
        chain[0] = chain[0][None, :]
    if chain[-1].ndim == 1:
        chain[-1] = chain[-1][:, None]
    return chain


@frule.register(np.linalg.multi_dot)
def _(tangents: tuple[Any, ...], arrays: Any, **kwargs: Any) -> Any:
    y = np.linalg.multi_dot(arrays, **kwargs)
    d_arrays = _value(tangents[1])
    chain = _as_chain(arrays)
    dy: Any = ZeroTangent()
    for k in range(len(chain)):
        dk = None if d_arrays is None else _value(d_arrays[k])
        if dk is not None:
            dk = np.reshape(dk, chain[k].shape)
            dy = dy + np.linalg.multi_dot([*chain[:k], dk, *chain[k + 1 :]])
    if isinstance(dy, AbstractZero):
        return y, dy
    return y, ProjectTo(y)(np.reshape(dy, np.shape(y)))


@rrule.register(np.linalg.multi_dot)
def _(arrays: Any, **kwargs: Any) -> Rrule:
    project_arrays = ProjectTo(arrays)
    y = np.linalg.multi_dot(arrays, **kwargs)
    chain = _as_chain(arrays)

    def multi_dot_dk(dy: Any, k: int) -> Any:
        left = [_mH(x) for x in reversed(chain[:k])]
        right = [_mH(x) for x in reversed(chain[k + 1 :])]
        middle = np.reshape(dy, (chain[0].shape[0], chain[-1].shape[1]))
        return np.linalg.multi_dot([*left, middle, *right])

    def multi_dot_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        cotangents = [Thunk(functools.partial(multi_dot_dk, dy, k)) for k in range(len(chain))]
        return NoTangent(), project_arrays(type(arrays)(cotangents))

    return y, multi_dot_pullback


@frule.register(np.linalg.matmul)
def _(tangents: tuple[Any, ...], x1: Any, x2: Any) -> Any:
    y = np.linalg.matmul(x1, x2)
    dx1, dx2 = _value(tangents[1]), _value(tangents[2])
    dy: Any = ZeroTangent()
    if dx1 is not None:
        dy = dy + np.linalg.matmul(dx1, x2)
    if dx2 is not None:
        dy = dy + np.linalg.matmul(x1, dx2)
    return y, ProjectTo(y)(dy)


@rrule.register(np.linalg.matmul)
def _(x1: Any, x2: Any) -> Rrule:
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)
    y = np.linalg.matmul(x1, x2)
    vector1, vector2 = np.ndim(x1) == 1, np.ndim(x2) == 1
    m1 = np.asarray(x1)[None, :] if vector1 else x1
    m2 = np.asarray(x2)[:, None] if vector2 else x2

    def matmul_dx1(dy: Any) -> Any:
        dx1 = dy @ _mH(m2)
        return dx1[..., 0, :] if vector1 else dx1

    def matmul_dx2(dy: Any) -> Any:
        dx2 = _mH(m1) @ dy
        return dx2[..., 0] if vector2 else dx2

    def matmul_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), ZeroTangent()
        dy = np.asarray(dy)
        dy = dy[..., None] if vector2 else dy
        dy = dy[..., None, :] if vector1 else dy
        dx1 = project_x1(Thunk(lambda: matmul_dx1(dy)))
        return NoTangent(), dx1, project_x2(Thunk(lambda: matmul_dx2(dy)))

    return y, matmul_pullback


@frule.register(np.linalg.matrix_transpose)
def _(tangents: tuple[Any, ...], x: Any) -> Any:
    y = np.linalg.matrix_transpose(x)
    dx = _value(tangents[1])
    return y, ZeroTangent() if dx is None else ProjectTo(y)(np.linalg.matrix_transpose(dx))


@rrule.register(np.linalg.matrix_transpose)
def _(x: Any) -> Rrule:
    project_x = ProjectTo(x)

    def matrix_transpose_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        return NoTangent(), project_x(np.linalg.matrix_transpose(dy))

    return np.linalg.matrix_transpose(x), matrix_transpose_pullback


@frule.register(np.linalg.diagonal)
def _(tangents: tuple[Any, ...], x: Any, **kwargs: Any) -> Any:
    y = np.linalg.diagonal(x, **kwargs)
    dx = _value(tangents[1])
    return y, ZeroTangent() if dx is None else ProjectTo(y)(np.linalg.diagonal(dx, **kwargs))


@rrule.register(np.linalg.diagonal)
def _(x: Any, **kwargs: Any) -> Rrule:
    project_x = ProjectTo(x)
    offset = kwargs.get("offset", 0)
    y = np.linalg.diagonal(x, **kwargs)

    def diagonal_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        dx = np.zeros(np.shape(x), dtype=np.result_type(x, dy))
        k = np.shape(y)[-1]
        rows = np.arange(k) + max(-offset, 0)
        dx[..., rows, rows + offset] = dy
        return NoTangent(), project_x(dx)

    return y, diagonal_pullback


# ---------------------------------------------------------------------------------------------
# matrix_rank: an integer


non_differentiable(np.linalg.matrix_rank)
