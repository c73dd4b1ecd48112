"""Rules for the linear solvers of `scipy.linalg`: an frule and an rrule for each of

- `solve` (every `assume_a`, `lower=`, `transposed=`), `solve_triangular` (`trans=`,
  `lower=`, `unit_diagonal=`), `solve_banded`, `solveh_banded` (`lower=`);
- `cho_solve` and `lu_solve`, whose first argument is the factor tuple of `cho_factor`
  (`(c, lower)`) or `lu_factor` (`(lu, piv)`): tangents flow through `c` and `lu`, and the flag
  and the pivots get `NoTangent()`.

Conventions (with those of `rules.scipy.linalg`: options never differentiated, inputs never
overwritten, stacked matrices and broadcasting where SciPy accepts them):

- Entries a solver does not read get a zero cotangent, and their tangents are ignored: the
  other triangle of `solve_triangular` and of `assume_a="upper/lower triangular"`, the diagonal
  of `unit_diagonal=True`, everything outside the diagonal (`"diagonal"`) or the three central
  diagonals (`"tridiagonal"`), the unused corners of banded storage, the imaginary part of the
  diagonal of `solveh_banded`'s Hermitian band, the triangle of `cho_solve`'s `c` that is not
  the factor. `assume_a="banded"` reads every entry (SciPy finds the band itself).
- `assume_a="sym"/"her"/"pos"` read one triangle of a matrix assumed symmetric (complex
  symmetric for `"sym"` of complex input) or Hermitian: the pullback returns the symmetric
  (resp. Hermitian) part of the cotangent and the frule uses that part of the tangent.
- `solveh_banded`'s band storage has no redundancy: its cotangent is the exact gradient (an
  off-diagonal stored entry stands for `a[i, j]` and `conj(a[j, i])`).
- Singular matrices raise `LinAlgError` as SciPy does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import (
    Rrule,
    _bind,
    _call,
    _flag,
    _lu_unpack,
    _mH,
    _mT,
    _options,
    _permutation,
    _permute_rows,
    _project_structure,
    _structure,
    _unpermute_rows,
    _value,
)
from rulescore import NoTangent, ProjectTo, Thunk, ZeroTangent, frule, rrule

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# right-hand sides: a vector `b` is a column (or, for a 1x1 `a`, a row that SciPy divides)


class _Rhs:
    """How `b` and `x` of a solve are seen as matrices `(..., n, k)`."""

    def __init__(self, size: int, b: Any) -> None:
        """`size`: the number of entries of `a` (SciPy divides by a single one)."""
        self.vector = np.ndim(b) == 1
        self.row = self.vector and size == 1 and np.shape(b)[0] != 1

    def matrix(self, v: Any) -> Any:
        v = np.asarray(v)
        if self.row:
            return v[..., None, :]
        return v[..., None] if self.vector else v

    def unmatrix(self, v: Any) -> Any:
        if self.row:
            return v[..., 0, :]
        return v[..., 0] if self.vector else v


def _rhs_tangent(rhs: _Rhs, db: Any, change: Any) -> Any:
    """`db - change` in matrix form, where either may be `None`."""
    if db is None:
        return -change
    dbm = rhs.matrix(db)
    return dbm if change is None else dbm - change


# ---------------------------------------------------------------------------------------------
# solve


def _solve_adjoint(a: Any, kind: str, options: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """The matrix and options of `scipy.linalg.solve` that solve with `op(M)^H`, where `M` is
    the effective matrix of `a` and `op` the transpose if `transposed=True`."""
    adjoint = dict(options, transposed=False)
    if kind == "symmetric":  # complex symmetric: M^H = conj(M)
        return np.conj(a), adjoint
    if kind == "hermitian":
        return a, adjoint
    if options["transposed"]:  # real: (M^T)^H = M
        return a, adjoint
    swap = {"upper": "lower triangular", "lower": "upper triangular"}
    if kind in swap:
        adjoint["assume_a"] = swap[kind]
    return _mH(a), adjoint


def _solve_options(a: Any, b: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    bound = _bind(sl.solve, a, b, *args, **kwargs)
    options = {k: bound[k] for k in ("lower", "check_finite", "assume_a", "transposed")}
    dtype = np.result_type(np.asarray(a).dtype, np.float32)
    return options, _structure(options["assume_a"], dtype)


@frule.register(sl.solve)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    options, kind = _solve_options(a, b, args, kwargs)
    x = _call(sl.solve, a, b, *args, **kwargs)
    da, db = _value(tangents[1]), _value(tangents[2])
    if da is None and db is None:
        return x, ZeroTangent()
    rhs = _Rhs(np.size(a), b)
    change = None
    if da is not None:
        dm = _project_structure(kind, da)
        change = (_mT(dm) if options["transposed"] else dm) @ rhs.matrix(x)
    dx = sl.solve(a, _rhs_tangent(rhs, db, change), **options)
    return x, ProjectTo(x)(rhs.unmatrix(dx))


@rrule.register(sl.solve)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    options, kind = _solve_options(a, b, args, kwargs)
    x = _call(sl.solve, a, b, *args, **kwargs)
    rhs = _Rhs(np.size(a), b)

    def solve_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        a_adjoint, adjoint = _solve_adjoint(np.asarray(a), kind, options)
        g = sl.solve(a_adjoint, rhs.matrix(dx), **adjoint)

        def solve_da() -> Any:
            dm = -(g @ _mH(rhs.matrix(x)))
            return _project_structure(kind, _mT(dm) if options["transposed"] else dm)

        return NoTangent(), project_a(Thunk(solve_da)), project_b(rhs.unmatrix(g)), *_options(args)

    return x, solve_pullback


# ---------------------------------------------------------------------------------------------
# solve_triangular: op(M) x = b, M the triangle of a (its diagonal ones if unit_diagonal)

_TRANS = {0: "N", 1: "T", 2: "C", "N": "N", "T": "T", "C": "C", "n": "N", "t": "T", "c": "C"}


def _triangle(x: Any, lower: bool, unit: bool) -> Any:
    k = 1 if unit else 0
    return np.tril(x, -k) if lower else np.triu(x, k)


def _apply_op(trans: str, m: Any) -> Any:
    return m if trans == "N" else (_mT(m) if trans == "T" else _mH(m))


def _triangular_options(a: Any, b: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    bound = _bind(sl.solve_triangular, a, b, *args, **kwargs)
    options = {k: bound[k] for k in ("lower", "unit_diagonal", "check_finite")}
    return options, _TRANS[bound["trans"]]


@frule.register(sl.solve_triangular)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    options, trans = _triangular_options(a, b, args, kwargs)
    x = _call(sl.solve_triangular, a, b, *args, **kwargs)
    da, db = _value(tangents[1]), _value(tangents[2])
    if da is None and db is None:
        return x, ZeroTangent()
    rhs = _Rhs(np.size(a), b)
    change = None
    if da is not None:
        dm = _triangle(da, options["lower"], options["unit_diagonal"])
        change = _apply_op(trans, dm) @ rhs.matrix(x)
    dx = sl.solve_triangular(a, _rhs_tangent(rhs, db, change), trans=trans, **options)
    return x, ProjectTo(x)(rhs.unmatrix(dx))


@rrule.register(sl.solve_triangular)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    options, trans = _triangular_options(a, b, args, kwargs)
    x = _call(sl.solve_triangular, a, b, *args, **kwargs)
    rhs = _Rhs(np.size(a), b)

    def solve_triangular_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        dxm = rhs.matrix(dx)
        if trans == "T":  # (M^T)^H = conj(M)
            g = np.conj(sl.solve_triangular(a, np.conj(dxm), trans="N", **options))
        else:
            g = sl.solve_triangular(a, dxm, trans="C" if trans == "N" else "N", **options)

        def solve_triangular_da() -> Any:
            dop = -(g @ _mH(rhs.matrix(x)))
            dm = _apply_op(trans, dop)  # op is its own adjoint map on cotangents
            return _triangle(dm, options["lower"], options["unit_diagonal"])

        da = project_a(Thunk(solve_triangular_da))
        return NoTangent(), da, project_b(rhs.unmatrix(g)), *_options(args)

    return x, solve_triangular_pullback


# ---------------------------------------------------------------------------------------------
# solve_banded, solveh_banded: band storage ab[u + i - j, j] = a[i, j]


def _band_indices(n: int, lower: int, upper: int) -> tuple[Any, Any, Any]:
    """`(k, i, j)`: storage row `k` of every matrix entry `(i, j)` inside the band."""
    i, j = np.indices((n, n))
    k = upper + i - j
    inside = (k >= 0) & (k <= lower + upper)
    return k[inside], i[inside], j[inside]


def _band_to_dense(ab: Any, lower: int, upper: int) -> Any:
    ab = np.asarray(ab)
    n = ab.shape[-1]
    k, i, j = _band_indices(n, lower, upper)
    dense = np.zeros((*ab.shape[:-2], n, n), dtype=ab.dtype)
    dense[..., i, j] = ab[..., k, j]
    return dense


def _dense_to_band(a: Any, lower: int, upper: int) -> Any:
    n = a.shape[-1]
    k, i, j = _band_indices(n, lower, upper)
    ab = np.zeros((*a.shape[:-2], lower + upper + 1, n), dtype=a.dtype)
    ab[..., k, j] = a[..., i, j]
    return ab


@frule.register(sl.solve_banded)
def _(tangents: tuple[Any, ...], l_and_u: Any, ab: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    x = _call(sl.solve_banded, l_and_u, ab, b, *args, **kwargs)
    dab, db = _value(tangents[2]), _value(tangents[3])
    if dab is None and db is None:
        return x, ZeroTangent()
    lower, upper = l_and_u
    rhs = _Rhs(np.shape(ab)[-1] ** 2, b)
    change = None if dab is None else _band_to_dense(dab, lower, upper) @ rhs.matrix(x)
    dx = sl.solve_banded(l_and_u, ab, _rhs_tangent(rhs, db, change))
    return x, ProjectTo(x)(rhs.unmatrix(dx))


@rrule.register(sl.solve_banded)
def _(l_and_u: Any, ab: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_ab, project_b = ProjectTo(ab), ProjectTo(b)
    x = _call(sl.solve_banded, l_and_u, ab, b, *args, **kwargs)
    lower, upper = l_and_u
    rhs = _Rhs(np.shape(ab)[-1] ** 2, b)

    def solve_banded_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        adjoint = _dense_to_band(_mH(_band_to_dense(ab, lower, upper)), upper, lower)
        g = sl.solve_banded((upper, lower), adjoint, rhs.matrix(dx))
        dab = Thunk(lambda: _dense_to_band(-(g @ _mH(rhs.matrix(x))), lower, upper))
        db = project_b(rhs.unmatrix(g))
        return NoTangent(), NoTangent(), project_ab(dab), db, *_options(args)

    return x, solve_banded_pullback


def _hermitian_band_to_dense(ab: Any, lower: bool) -> Any:
    """The Hermitian matrix that `solveh_banded` reads from its band (diagonal made real)."""
    ab = np.asarray(ab)
    width = ab.shape[-2] - 1
    half = _band_to_dense(ab, width, 0) if lower else _band_to_dense(ab, 0, width)
    diagonal = np.diagonal(half, axis1=-2, axis2=-1)
    return half + _mH(half) - diagonal.real[..., None, :] * np.eye(ab.shape[-1])


def _hermitian_band_cotangent(g: Any, width: int, lower: bool) -> Any:
    """The cotangent of the stored band from the dense cotangent `g` of the Hermitian matrix:
    an off-diagonal entry gets `g[i, j] + conj(g[j, i])`, a diagonal one `Re g[i, i]`."""
    full = g + _mH(g)
    full = full - np.diagonal(full, axis1=-2, axis2=-1)[..., None, :] * np.eye(g.shape[-1]) / 2
    return _dense_to_band(full, width, 0) if lower else _dense_to_band(full, 0, width)


def _solveh_lower(ab: Any, b: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return bool(_bind(sl.solveh_banded, ab, b, *args, **kwargs)["lower"])


@frule.register(sl.solveh_banded)
def _(tangents: tuple[Any, ...], ab: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    lower = _solveh_lower(ab, b, args, kwargs)
    x = _call(sl.solveh_banded, ab, b, *args, **kwargs)
    dab, db = _value(tangents[1]), _value(tangents[2])
    if dab is None and db is None:
        return x, ZeroTangent()
    rhs = _Rhs(np.shape(ab)[-1] ** 2, b)
    change = None
    if dab is not None:
        change = _hermitian_band_to_dense(dab, lower) @ rhs.matrix(x)
    dx = sl.solveh_banded(ab, _rhs_tangent(rhs, db, change), lower=lower)
    return x, ProjectTo(x)(rhs.unmatrix(dx))


@rrule.register(sl.solveh_banded)
def _(ab: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_ab, project_b = ProjectTo(ab), ProjectTo(b)
    lower = _solveh_lower(ab, b, args, kwargs)
    x = _call(sl.solveh_banded, ab, b, *args, **kwargs)
    rhs = _Rhs(np.shape(ab)[-1] ** 2, b)

    def solveh_banded_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        g = sl.solveh_banded(ab, rhs.matrix(dx), lower=lower)
        width = np.shape(ab)[-2] - 1
        dab = Thunk(lambda: _hermitian_band_cotangent(-(g @ _mH(rhs.matrix(x))), width, lower))
        return NoTangent(), project_ab(dab), project_b(rhs.unmatrix(g)), *_options(args)

    return x, solveh_banded_pullback


# ---------------------------------------------------------------------------------------------
# cho_solve: a = L L^H (lower) or U^H U, from the factor triangle of c


def _cholesky_factor(c: Any, lower: bool) -> Any:
    return np.tril(c) if lower else np.triu(c)


def _cholesky_product_tangent(f: Any, df: Any, lower: bool) -> Any:
    """The tangent of `L L^H` (lower) or `U^H U` (upper) for the factor `f`."""
    product = df @ _mH(f) if lower else _mH(df) @ f
    return product + _mH(product)


def _cholesky_product_cotangent(f: Any, g: Any, lower: bool) -> Any:
    """The factor triangle's cotangent from the cotangent `g` of `L L^H` or `U^H U`."""
    both = g + _mH(g)
    return np.tril(both @ f) if lower else np.triu(f @ both)


@frule.register(sl.cho_solve)
def _(tangents: tuple[Any, ...], c_and_lower: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    x = _call(sl.cho_solve, c_and_lower, b, *args, **kwargs)
    c, lower = c_and_lower[0], _flag(c_and_lower[1])
    dcl, db = _value(tangents[1]), _value(tangents[2])
    dc = None if dcl is None else _value(dcl[0])
    if dc is None and db is None:
        return x, ZeroTangent()
    rhs = _Rhs(np.size(c), b)
    change = None
    if dc is not None:
        f, df = _cholesky_factor(c, lower), _cholesky_factor(dc, lower)
        change = _cholesky_product_tangent(f, df, lower) @ rhs.matrix(x)
    dx = sl.cho_solve(c_and_lower, _rhs_tangent(rhs, db, change))
    return x, ProjectTo(x)(rhs.unmatrix(dx))


@rrule.register(sl.cho_solve)
def _(c_and_lower: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_cl, project_b = ProjectTo(c_and_lower), ProjectTo(b)
    x = _call(sl.cho_solve, c_and_lower, b, *args, **kwargs)
    c, lower = c_and_lower[0], _flag(c_and_lower[1])
    rhs = _Rhs(np.size(c), b)

    def cho_solve_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        g = sl.cho_solve(c_and_lower, rhs.matrix(dx))  # a is Hermitian

        def cho_solve_dc() -> Any:
            ga = -(g @ _mH(rhs.matrix(x)))
            return _cholesky_product_cotangent(_cholesky_factor(c, lower), ga, lower)

        dcl = project_cl((Thunk(cho_solve_dc), NoTangent()))
        return NoTangent(), dcl, project_b(rhs.unmatrix(g)), *_options(args)

    return x, cho_solve_pullback


# ---------------------------------------------------------------------------------------------
# lu_solve: a = P L U from lu_factor's (lu, piv); a[perm] = L U


def _lu_solve_trans(lu_and_piv: Any, b: Any, args: tuple[Any, ...], kwargs: Any) -> str:
    return _TRANS[_bind(sl.lu_solve, lu_and_piv, b, *args, **kwargs)["trans"]]


@frule.register(sl.lu_solve)
def _(tangents: tuple[Any, ...], lu_and_piv: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    trans = _lu_solve_trans(lu_and_piv, b, args, kwargs)
    x = _call(sl.lu_solve, lu_and_piv, b, *args, **kwargs)
    dlp, db = _value(tangents[1]), _value(tangents[2])
    dlu = None if dlp is None else _value(dlp[0])
    if dlu is None and db is None:
        return x, ZeroTangent()
    lu, piv = lu_and_piv
    rhs = _Rhs(np.size(lu), b)
    change = None
    if dlu is not None:
        (lower, upper), (dl, du) = _lu_unpack(lu), _lu_unpack(dlu)
        dl = dl - np.eye(dl.shape[-1], dtype=dl.dtype)
        da = _unpermute_rows(_permutation(piv, np.shape(lu)[-2]), dl @ upper + lower @ du)
        change = _apply_op(trans, da) @ rhs.matrix(x)
    dx = sl.lu_solve(
        lu_and_piv, _rhs_tangent(rhs, db, change), trans={"N": 0, "T": 1, "C": 2}[trans]
    )
    return x, ProjectTo(x)(rhs.unmatrix(dx))


@rrule.register(sl.lu_solve)
def _(lu_and_piv: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_lp, project_b = ProjectTo(lu_and_piv), ProjectTo(b)
    trans = _lu_solve_trans(lu_and_piv, b, args, kwargs)
    x = _call(sl.lu_solve, lu_and_piv, b, *args, **kwargs)
    lu, piv = lu_and_piv
    rhs = _Rhs(np.size(lu), b)

    def lu_solve_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        dxm = rhs.matrix(dx)
        if trans == "T":  # (a^T)^H = conj(a)
            g = np.conj(sl.lu_solve(lu_and_piv, np.conj(dxm), trans=0))
        else:
            g = sl.lu_solve(lu_and_piv, dxm, trans=2 if trans == "N" else 0)

        def lu_solve_dlu() -> Any:
            ga = _apply_op(trans, -(g @ _mH(rhs.matrix(x))))
            lower, upper = _lu_unpack(lu)
            glu = _permute_rows(_permutation(piv, np.shape(lu)[-2]), ga)
            return np.tril(glu @ _mH(upper), -1) + np.triu(_mH(lower) @ glu)

        dlp = project_lp((Thunk(lu_solve_dlu), NoTangent()))
        return NoTangent(), dlp, project_b(rhs.unmatrix(g)), *_options(args)

    return x, lu_solve_pullback
