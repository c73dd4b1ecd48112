"""Rules for the inverses, determinant, least squares and norms of `scipy.linalg`: an frule and
an rrule for each of

- `inv` (every `assume_a`, `lower=`), `pinv` (`atol=`, `rtol=`, `return_rank=`), `pinvh`
  (`lower=`, ...);
- `lstsq` (all four outputs, every `lapack_driver`, `cond=`);
- `det` and `norm` (every `ord`, `axis=`, `keepdims=`), through the rules of `numpy.linalg`;
- `bandwidth`, `issymmetric`, `ishermitian` (integers and booleans) are non-differentiable.

Conventions (with those of `rules.scipy.linalg`: options never differentiated, inputs never
overwritten, stacked matrices where SciPy accepts them):

- `inv(assume_a=...)` follows `solve`: entries the structure does not read get zero
  cotangent (the other triangle, the off-diagonal entries of `"diagonal"`), and
  `"sym"/"her"/"pos"` (and `pinvh`) get the symmetric or Hermitian part of the cotangent. SciPy
  1.17's `inv(a, assume_a="diagonal")` returns `a`'s off-diagonal entries unchanged in its
  result; the rules differentiate the documented function, whose off-diagonal entries are 0.
- `pinv`, `pinvh` and `lstsq` differentiate the rank that SciPy's cutoff gives (Golub &
  Pereyra 1973), exact where the rank is constant nearby (e.g. full rank). `rank` (and
  `return_rank=True`'s) has `NoTangent()`; `lstsq`'s `s` (`None` for `lapack_driver="gelsy"`)
  and `residues` (empty unless `a` is tall of full rank) follow SciPy's shapes. With
  `lapack_driver="gelsy"` and a rank-deficient `a`, SciPy truncates a pivoted QR factorization
  instead of the SVD: that derivative in `a` is declared `not_implemented`.
- Singular inputs: `inv` raises `LinAlgError` as SciPy does; `det` stays finite (the adjugate);
  `norm` takes subgradients where it is not smooth (see `rules.numpy.linalg.norms`).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import (
    Rrule,
    _bind,
    _call,
    _diag,
    _entry,
    _herm,
    _mH,
    _options,
    _project_structure,
    _structure,
    _value,
)
from rulescore import (
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    non_differentiable,
    not_implemented,
    rrule,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# inv


def _inv_kind(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    assume_a = _bind(sl.inv, a, *args, **kwargs)["assume_a"]
    return _structure(assume_a, np.result_type(np.asarray(a).dtype, np.float32))


def _effective_inverse(a: Any, y: Any, kind: str) -> Any:
    """The inverse of the matrix that `inv` reads (SciPy's own result, except for
    `"diagonal"`, whose result keeps `a`'s off-diagonal entries)."""
    if kind != "diagonal":
        return y
    d = np.diagonal(np.asarray(a), axis1=-2, axis2=-1)
    return (1 / d)[..., None, :] * np.eye(d.shape[-1], dtype=np.result_type(y.dtype, d.dtype))


@frule.register(sl.inv)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    kind = _inv_kind(a, args, kwargs)
    y = _call(sl.inv, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    inverse = _effective_inverse(a, y, kind)
    return y, ProjectTo(y)(-(inverse @ _project_structure(kind, da) @ inverse))


@rrule.register(sl.inv)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    kind = _inv_kind(a, args, kwargs)
    y = _call(sl.inv, a, *args, **kwargs)
    inverse = _effective_inverse(a, y, kind)

    def inv_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        da = Thunk(lambda: _project_structure(kind, -(_mH(inverse) @ dy @ _mH(inverse))))
        return NoTangent(), project_a(da), *_options(args)

    return y, inv_pullback


# ---------------------------------------------------------------------------------------------
# pinv, pinvh: Golub & Pereyra (1973), the derivative of the pseudo-inverse at constant rank


def _pinv_jvp(a: Any, y: Any, da: Any) -> Any:
    yh, dah = _mH(y), _mH(da)
    dy = -(y @ da @ y)
    dy = dy + y @ (yh @ (dah - dah @ (a @ y)))
    return dy + (dah - y @ (a @ dah)) @ (yh @ y)


def _pinv_vjp(a: Any, y: Any, dy: Any) -> Any:
    yh, dyh = _mH(y), _mH(dy)
    da = -(yh @ dy @ yh)
    da = da + (dyh - a @ (y @ dyh)) @ (y @ yh)
    return da + (yh @ y) @ (dyh - dyh @ (y @ a))


def _register_pinv(f: Any, hermitian: bool) -> None:
    def pinv_setup(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        with_rank = bool(_bind(f, a, *args, **kwargs)["return_rank"])
        y = _call(f, a, *args, **kwargs)
        matrix = np.asarray(a)
        if hermitian:  # the Hermitian matrix that pinvh reads from one triangle
            lower = _bind(f, a, *args, **kwargs)["lower"]
            half = np.tril(matrix, -1) if lower else np.triu(matrix, 1)
            diagonal = np.diagonal(matrix, axis1=-2, axis2=-1).real
            matrix = half + _mH(half) + diagonal[..., None, :] * np.eye(matrix.shape[-1])
        return y, y[0] if with_rank else y, matrix, with_rank

    @frule.register(f)
    def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        y, inverse, matrix, with_rank = pinv_setup(a, args, kwargs)
        da = _value(tangents[1])
        if da is None:
            return y, ZeroTangent()
        dy = _pinv_jvp(matrix, inverse, _herm(da) if hermitian else da)
        return y, ProjectTo(y)(type(y)((dy, NoTangent())) if with_rank else dy)

    @rrule.register(f)
    def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a = ProjectTo(a)
        y, inverse, matrix, with_rank = pinv_setup(a, args, kwargs)

        def pinv_da(dy: Any) -> Any:
            da = _pinv_vjp(matrix, inverse, dy)
            return _herm(da) if hermitian else da

        def pinv_pullback(dy: Any) -> tuple[Any, ...]:
            dy = _entry(dy, 0) if with_rank else _value(dy)
            if dy is None:
                return NoTangent(), ZeroTangent(), *_options(args)
            return NoTangent(), project_a(Thunk(lambda: pinv_da(dy))), *_options(args)

        pinv_pullback.__name__ = pinv_pullback.__qualname__ = f"{f.__name__}_pullback"
        return y, pinv_pullback


_register_pinv(sl.pinv, hermitian=False)
_register_pinv(sl.pinvh, hermitian=True)


# ---------------------------------------------------------------------------------------------
# lstsq: x = P b with P the pseudo-inverse at the rank that LAPACK found


class _Lstsq:
    """The thin SVD of `a`, the pseudo-inverse `p` at `rank`, and `x`, `r = b - a x` as
    matrices."""

    def __init__(self, a: Any, b: Any, y: Any) -> None:
        self.a = np.asarray(a)
        self.vector = np.ndim(b) == 1
        self.u, s, self.vh = sl.svd(self.a, full_matrices=False, check_finite=False)
        kept = np.arange(s.shape[-1]) < y[2]
        inverse = np.where(kept, 1 / np.where(kept, s, 1), 0)
        self.p = (_mH(self.vh) * inverse) @ _mH(self.u)
        self.x = self.matrix(y[0])
        self.r = self.matrix(b) - self.a @ self.x

    def matrix(self, v: Any) -> Any:
        return np.asarray(v)[..., None] if self.vector else np.asarray(v)

    def jvp(self, da: Any, db: Any) -> tuple[Any, Any]:
        """`(dx, d(b - a x) at fixed x)` as matrices."""
        p, x, r = self.p, self.x, self.r
        dx: Any = 0
        change: Any = 0
        if da is not None:
            dah = _mH(da)
            dx = -(p @ (da @ x)) + p @ (_mH(p) @ (dah @ r))
            w = dah @ (_mH(p) @ x)
            dx, change = dx + w - p @ (self.a @ w), -(da @ x)
        if db is not None:
            dbm = self.matrix(db)
            dx, change = dx + p @ dbm, change + dbm
        return dx, change

    def vjp(self, gx: Any, gres: Any, gs: Any) -> tuple[Any, Any]:
        p, x, r = self.p, self.x, self.r
        da: Any = 0
        db: Any = 0
        if gx is not None:
            gxm = self.matrix(gx)
            db = _mH(p) @ gxm
            rest = gxm - p @ (self.a @ gxm)
            da = -(db @ _mH(x)) + r @ _mH(p @ (_mH(p) @ gxm)) + (_mH(p) @ x) @ _mH(rest)
        if gres is not None:  # d residues_k = 2 Re r_k^H (db_k - da x_k)
            weighted = 2 * r * gres
            db, da = db + weighted, da - weighted @ _mH(x)
        if gs is not None:
            k = np.shape(gs)[-1]
            da = da + (self.u[..., :, :k] * gs[..., None, :]) @ self.vh[..., :k, :]
        return da, db[..., 0] if self.vector and not isinstance(db, int) else db


def _truncated_qr(a: Any, b: Any, y: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether `gelsy` dropped a rank: its solution then truncates a pivoted QR factorization
    (not the SVD), whose derivative in `a` the rules do not compute."""
    driver = _bind(sl.lstsq, a, b, *args, **kwargs)["lapack_driver"]
    return driver == "gelsy" and y[2] < min(np.shape(a)[-2:])


_GELSY = "derivative in `a` of lstsq(lapack_driver='gelsy') of a rank-deficient `a`"


@frule.register(sl.lstsq)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    y = _call(sl.lstsq, a, b, *args, **kwargs)
    da, db = _value(tangents[1]), _value(tangents[2])
    if da is None and db is None:
        return y, ZeroTangent()
    if da is not None and _truncated_qr(a, b, y, args, kwargs):
        return y, not_implemented(_GELSY)
    solution = _Lstsq(a, b, y)
    dx, change = solution.jvp(da, db)
    dres: Any = ZeroTangent()
    if np.size(y[1]):
        dres = 2 * np.sum((np.conj(solution.r) * change).real, axis=-2)
        dres = dres[..., 0] if solution.vector else dres
    ds: Any = ZeroTangent()
    if y[3] is not None and da is not None:
        ds = _diag(_mH(solution.u) @ da @ _mH(solution.vh)).real
    dx = dx[..., 0] if solution.vector else dx
    return y, ProjectTo(y)((dx, dres, NoTangent(), NoTangent() if y[3] is None else ds))


@rrule.register(sl.lstsq)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    y = _call(sl.lstsq, a, b, *args, **kwargs)

    def lstsq_pullback(dy: Any) -> tuple[Any, ...]:
        gx, gres, gs = _entry(dy, 0), _entry(dy, 1), _entry(dy, 3)
        gres = gres if np.size(y[1]) else None
        gs = gs if y[3] is not None else None
        if gx is None and gres is None and gs is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)

        @functools.cache
        def lstsq_cotangents() -> tuple[Any, Any]:
            return _Lstsq(a, b, y).vjp(gx, gres, gs)

        if _truncated_qr(a, b, y, args, kwargs):
            da = not_implemented(_GELSY)
        else:
            da = project_a(Thunk(lambda: lstsq_cotangents()[0]))
        if gx is None and gres is None:
            return NoTangent(), da, ZeroTangent(), *_options(args)
        return NoTangent(), da, project_b(Thunk(lambda: lstsq_cotangents()[1])), *_options(args)

    return y, lstsq_pullback


# ---------------------------------------------------------------------------------------------
# det, norm: the rules of numpy.linalg, at SciPy's own primal output


@frule.register(sl.det)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = _call(sl.det, a, *args, **kwargs)
    _, dy = frule(tangents[:2], np.linalg.det, np.asarray(a))  # type: ignore[misc]
    return y, ProjectTo(y)(dy)


@rrule.register(sl.det)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = _call(sl.det, a, *args, **kwargs)
    _, back = rrule(np.linalg.det, np.asarray(a))  # type: ignore[misc]

    def det_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), project_a(back(dy)[1]), *_options(args)

    return y, det_pullback


def _norm_options(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    bound = _bind(sl.norm, a, *args, **kwargs)
    return {k: bound[k] for k in ("ord", "axis", "keepdims")}


@frule.register(sl.norm)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    options = _norm_options(a, args, kwargs)
    y = sl.norm(a, *args, **kwargs)
    _, dy = frule(tangents[:2], np.linalg.norm, np.asarray(a), **options)  # type: ignore[misc]
    return y, ProjectTo(y)(dy)


@rrule.register(sl.norm)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    options = _norm_options(a, args, kwargs)
    y = sl.norm(a, *args, **kwargs)
    _, back = rrule(np.linalg.norm, np.asarray(a), **options)  # type: ignore[misc]

    def norm_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), project_a(back(dy)[1]), *_options(args)

    return y, norm_pullback


# ---------------------------------------------------------------------------------------------
# structure queries: integers and booleans

non_differentiable(sl.bandwidth, sl.issymmetric, sl.ishermitian)
