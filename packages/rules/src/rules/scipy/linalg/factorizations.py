"""Rules for the triangular factorizations of `scipy.linalg`: an frule and an rrule for each of

- `cholesky` (`lower=`) and `cho_factor` (`lower=`; its `(c, lower)` output);
- `lu` (`permute_l=`, `p_indices=`, rectangular input) and `lu_factor` (its `(lu, piv)`);
- `qr` (modes 'full', 'economic', 'r'; `pivoting=True`) and `rq` (modes 'full', 'economic',
  'r').

Conventions (with those of `rules.scipy.linalg`: options never differentiated, inputs never
overwritten, stacked matrices where SciPy accepts them):

- `cholesky` and `cho_factor` read one triangle of a matrix assumed Hermitian: the pullback
  returns the Hermitian part of the cotangent and the frule uses that part of the tangent.
  `cho_factor`'s `c` holds, outside the factor's triangle, entries SciPy documents as
  arbitrary: their tangent is zero and their cotangent is ignored.
- Permutations are piecewise constant: `lu`'s `p` (a matrix) has tangent `ZeroTangent()`, the
  integer pivots of `lu(p_indices=True)`, `lu_factor` and `qr(pivoting=True)` have
  `NoTangent()`; `qr(pivoting=True)` is differentiated at its column order, as the QR
  factorization of `a[:, P]`.
- `lu`, `lu_factor`: the leading `k x k` block of `L` and `U` (`k = min(m, n)`) must be
  non-singular (true for LAPACK's pivoting of a matrix of full rank).
- `qr`, `rq`: LAPACK makes the diagonal of `R` real; the rules keep it real, and need the
  leading `k x k` block of `a` (of `a`'s last `k` rows or columns for `rq`) to be
  non-singular. The extra columns of `qr(mode='full')`'s `Q` for a tall `a` (the extra rows of
  `rq(mode='full')`'s `Q` for a wide `a`) span a complement that is unique only up to a
  unitary mix: they follow the other columns with no motion within their own span (the
  convention of `numpy.linalg.qr`'s rule), so the rules are exact for losses that see them
  through their span. `qr(mode='raw')` is declared `not_implemented`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import (
    Rrule,
    _bind,
    _call,
    _diag,
    _diag_embed,
    _entry,
    _herm,
    _lu_pack,
    _lu_unpack,
    _mH,
    _options,
    _permutation,
    _permute_rows,
    _unpermute_rows,
    _value,
)
from rulescore import NoTangent, ProjectTo, Thunk, ZeroTangent, frule, not_implemented, rrule

__all__: list[str] = []


def _solve_lower(lower: Any, x: Any, unit: bool = False) -> Any:
    """`lower^-1 x` for a lower triangular `lower`."""
    return sl.solve_triangular(lower, x, lower=True, unit_diagonal=unit)


def _solve_upper(upper: Any, x: Any) -> Any:
    """`upper^-1 x` for an upper triangular `upper`."""
    return sl.solve_triangular(upper, x, lower=False)


def _right_solve_upper(x: Any, upper: Any) -> Any:
    """`x upper^-1`."""
    return _mH(sl.solve_triangular(upper, _mH(x), trans="C", lower=False))


def _right_solve_lower(x: Any, lower: Any, unit: bool = False) -> Any:
    """`x lower^-1`."""
    return _mH(sl.solve_triangular(lower, _mH(x), trans="C", lower=True, unit_diagonal=unit))


# ---------------------------------------------------------------------------------------------
# cholesky, cho_factor: a = L L^H, with L = U^H for the upper factor


def _lower_half(x: Any) -> Any:
    """The lower triangle of `x` with its diagonal halved and made real."""
    return np.tril(x, -1) + _diag_embed(_diag(x).real / 2)


def _cholesky_jvp(lower: Any, da: Any) -> Any:
    """`dL` for `a = L L^H`: `L^-1 da L^-H = phi + phi^H` with `dL = L phi`, `phi` lower."""
    x = _mH(_solve_lower(lower, _mH(_solve_lower(lower, _herm(da)))))
    return lower @ _lower_half(x)


def _cholesky_vjp(lower: Any, dlower: Any) -> Any:
    """The adjoint of `_cholesky_jvp` (a Hermitian cotangent)."""
    phi = _lower_half(_mH(lower) @ dlower)
    return _herm(_right_solve_lower(sl.solve_triangular(lower, phi, trans="C", lower=True), lower))


def _cholesky_lower(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any], f: Any) -> bool:
    return bool(_bind(f, a, *args, **kwargs)["lower"])


@frule.register(sl.cholesky)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    lower = _cholesky_lower(a, args, kwargs, sl.cholesky)
    y = _call(sl.cholesky, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    dl = _cholesky_jvp(y if lower else _mH(y), da)
    return y, ProjectTo(y)(dl if lower else _mH(dl))


@rrule.register(sl.cholesky)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    lower = _cholesky_lower(a, args, kwargs, sl.cholesky)
    y = _call(sl.cholesky, a, *args, **kwargs)

    def cholesky_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        factor, dfactor = (y, dy) if lower else (_mH(y), _mH(dy))
        da = Thunk(lambda: _cholesky_vjp(factor, dfactor))
        return NoTangent(), project_a(da), *_options(args)

    return y, cholesky_pullback


def _factor_triangle(c: Any, lower: bool) -> Any:
    return np.tril(c) if lower else np.triu(c)


@frule.register(sl.cho_factor)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    lower = _cholesky_lower(a, args, kwargs, sl.cho_factor)
    y = _call(sl.cho_factor, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    factor = _factor_triangle(y[0], lower)
    dl = _cholesky_jvp(factor if lower else _mH(factor), da)
    return y, ProjectTo(y)(type(y)((dl if lower else _mH(dl), NoTangent())))


@rrule.register(sl.cho_factor)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    lower = _cholesky_lower(a, args, kwargs, sl.cho_factor)
    y = _call(sl.cho_factor, a, *args, **kwargs)
    factor = _factor_triangle(y[0], lower)

    def cho_factor_pullback(dy: Any) -> tuple[Any, ...]:
        dc = _entry(dy, 0)
        if dc is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        dc = _factor_triangle(dc, lower)  # the other triangle is not an output
        factor_l, dfactor = (factor, dc) if lower else (_mH(factor), _mH(dc))
        da = Thunk(lambda: _cholesky_vjp(factor_l, dfactor))
        return NoTangent(), project_a(da), *_options(args)

    return y, cho_factor_pullback


# ---------------------------------------------------------------------------------------------
# lu, lu_factor: a[perm] = L U with L unit lower (m x k), U upper (k x n), k = min(m, n)


def _lu_jvp(l: Any, u: Any, da: Any) -> tuple[Any, Any]:  # noqa: E741
    """`(dL, dU)` for `a = L U` (rows already permuted)."""
    k = l.shape[-1]
    l1, u1 = l[..., :k, :], u[..., :, :k]
    x = _right_solve_upper(_solve_lower(l1, da[..., :k, :k], unit=True), u1)
    dl1, du1 = l1 @ np.tril(x, -1), np.triu(x) @ u1
    dl, du = dl1, du1
    if l.shape[-2] > k:  # tall: a2 = L2 U1
        dl2 = _right_solve_upper(da[..., k:, :] - l[..., k:, :] @ du1, u1)
        dl = np.concatenate([dl1, dl2], axis=-2)
    if u.shape[-1] > k:  # wide: a12 = L1 U2
        du2 = _solve_lower(l1, da[..., :, k:] - dl1 @ u[..., :, k:], unit=True)
        du = np.concatenate([du1, du2], axis=-1)
    return dl, du


def _lu_vjp(l: Any, u: Any, dl: Any, du: Any) -> Any:  # noqa: E741
    """The adjoint of `_lu_jvp`; `dl`, `du` are arrays (zeros for a missing cotangent)."""
    m, k, n = l.shape[-2], l.shape[-1], u.shape[-1]
    l1, u1 = l[..., :k, :], u[..., :, :k]
    dl1, du1 = dl[..., :k, :], du[..., :, :k]
    parts_rows, parts_cols = [], []
    if m > k:
        da2 = _mH(_solve_upper(u1, _mH(dl[..., k:, :])))  # dL2 U1^-H
        du1 = du1 - _mH(l[..., k:, :]) @ da2
        parts_rows.append(da2)
    if n > k:
        da12 = sl.solve_triangular(l1, du[..., :, k:], trans="C", lower=True, unit_diagonal=True)
        dl1 = dl1 - da12 @ _mH(u[..., :, k:])
        parts_cols.append(da12)
    x = np.tril(_mH(l1) @ dl1, -1) + np.triu(du1 @ _mH(u1))
    y = sl.solve_triangular(l1, x, trans="C", lower=True, unit_diagonal=True)
    da11 = _mH(_solve_upper(u1, _mH(y)))  # L1^-H x U1^-H
    top = np.concatenate([da11, *parts_cols], axis=-1)
    return np.concatenate([top, *parts_rows], axis=-2)


def _lu_options(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, bool]:
    bound = _bind(sl.lu, a, *args, **kwargs)
    return bool(bound["permute_l"]), bool(bound["p_indices"])


@frule.register(sl.lu)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    permute_l, p_indices = _lu_options(a, args, kwargs)
    y = _call(sl.lu, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    p, l, u = y if not (permute_l or p_indices) else _call(sl.lu, a, check_finite=False)  # noqa: E741
    dl, du = _lu_jvp(l, u, _mH(p) @ da)
    if permute_l:
        return y, ProjectTo(y)(type(y)((p @ dl, du)))
    dp = NoTangent() if p_indices else ZeroTangent()
    return y, ProjectTo(y)(type(y)((dp, dl, du)))


@rrule.register(sl.lu)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    permute_l, p_indices = _lu_options(a, args, kwargs)
    y = _call(sl.lu, a, *args, **kwargs)

    def lu_da(dl: Any, du: Any) -> Any:
        p, l, u = y if not (permute_l or p_indices) else _call(sl.lu, a, check_finite=False)  # noqa: E741
        if permute_l and dl is not None:
            dl = _mH(p) @ dl
        dl = np.zeros_like(l) if dl is None else dl
        du = np.zeros_like(u) if du is None else du
        return p @ _lu_vjp(l, u, dl, du)

    def lu_pullback(dy: Any) -> tuple[Any, ...]:
        dl, du = (_entry(dy, 0), _entry(dy, 1)) if permute_l else (_entry(dy, 1), _entry(dy, 2))
        if dl is None and du is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: lu_da(dl, du))), *_options(args)

    return y, lu_pullback


@frule.register(sl.lu_factor)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = _call(sl.lu_factor, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    l, u = _lu_unpack(y[0])  # noqa: E741
    perm = _permutation(y[1], np.shape(a)[-2])
    dl, du = _lu_jvp(l, u, _permute_rows(perm, da))
    return y, ProjectTo(y)(type(y)((_lu_pack(dl, du, np.shape(a)), NoTangent())))


@rrule.register(sl.lu_factor)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = _call(sl.lu_factor, a, *args, **kwargs)

    def lu_factor_da(dlu: Any) -> Any:
        l, u = _lu_unpack(y[0])  # noqa: E741
        k = l.shape[-1]
        dl, du = np.tril(dlu[..., :, :k], -1), np.triu(dlu[..., :k, :])
        perm = _permutation(y[1], np.shape(a)[-2])
        return _unpermute_rows(perm, _lu_vjp(l, u, dl, du))

    def lu_factor_pullback(dy: Any) -> tuple[Any, ...]:
        dlu = _entry(dy, 0)
        if dlu is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: lu_factor_da(dlu))), *_options(args)

    return y, lu_factor_pullback


# ---------------------------------------------------------------------------------------------
# qr: reduced for m >= n (Walter & Lehmann 2018), wide via a = [x | y] = q [u | q^H y]


def _qr_square_jvp(q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """`(dq, dr)` of `a = q r` with `r` square: `q^H dq = omega` is anti-Hermitian and
    `dr r^-1 = c - omega` upper triangular with a real diagonal, where `c = q^H da r^-1`."""
    da_rinv = _right_solve_upper(da, r)
    c = _mH(q) @ da_rinv
    strict = np.tril(c, -1)
    omega = strict - _mH(strict)
    if np.iscomplexobj(c):
        omega = omega + 1j * _diag_embed(_diag(c).imag)
    return da_rinv + q @ (omega - c), (c - omega) @ r


def _qr_square_vjp(q: Any, r: Any, dq: Any, dr: Any) -> Any:
    """The adjoint of `_qr_square_jvp`; `dq`, `dr` may be `None`."""
    n = 0 if dq is None else _mH(q) @ dq
    if dr is not None:
        n = n - dr @ _mH(r)
    n = np.asarray(n)
    omega_bar = np.tril(n - _mH(n), -1)
    if np.iscomplexobj(n):
        omega_bar = omega_bar + 1j * _diag_embed(_diag(n).imag)
    inner = q @ (omega_bar - n)
    return _right_solve_lower(inner if dq is None else dq + inner, _mH(r))


def _qr_jvp(a: Any, q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """`(dq, dr)` for LAPACK's `q` (`m x m` or `m x k`) and `r` (`m x n` or `k x n`)."""
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    if m >= n:
        q1 = q[..., :, :k]
        dq, dr = _qr_square_jvp(q1, r[..., :k, :], da)
        if q.shape[-1] > k:  # the completion follows, with no motion within its span
            q2 = q[..., :, k:]
            dq = np.concatenate([dq, -(q1 @ (_mH(dq) @ q2))], axis=-1)
        if r.shape[-2] > k:
            dr = np.concatenate([dr, np.zeros_like(dr[..., : m - k, :])], axis=-2)
        return dq, dr
    dq, du = _qr_square_jvp(q, r[..., :, :m], da[..., :, :m])
    dv = _mH(dq) @ a[..., :, m:] + _mH(q) @ da[..., :, m:]
    return dq, np.concatenate([du, dv], axis=-1)


def _qr_vjp(a: Any, q: Any, r: Any, dq: Any, dr: Any) -> Any:
    """The adjoint of `_qr_jvp`; `dq`, `dr` may be `None`."""
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    if m >= n:
        if dq is not None and q.shape[-1] > k:
            q1, q2 = q[..., :, :k], q[..., :, k:]
            dq = dq[..., :, :k] - q2 @ (_mH(dq[..., :, k:]) @ q1)
        return _qr_square_vjp(
            q[..., :, :k], r[..., :k, :], dq, None if dr is None else dr[..., :k, :]
        )
    dq_total, dv = dq, None
    if dr is not None:
        dv = dr[..., :, m:]
        moved = a[..., :, m:] @ _mH(dv)
        dq_total = moved if dq is None else dq + moved
    dx = _qr_square_vjp(q, r[..., :, :m], dq_total, None if dr is None else dr[..., :, :m])
    dy = np.zeros((*dx.shape[:-1], n - m), dtype=dx.dtype) if dv is None else q @ dv
    return np.concatenate([dx, dy], axis=-1)


_QR_MODES = ("full", "economic", "r")


def _qr_options(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, bool]:
    bound = _bind(sl.qr, a, *args, **kwargs)
    return bound["mode"], bool(bound["pivoting"])


def _bare_r(y: Any, mode: str, pivoting: bool) -> bool:
    """Whether SciPy returned mode 'r''s `R` bare: a batch gives the array, not `(R,)`."""
    return mode == "r" and not pivoting and not isinstance(y, (tuple, list))


def _qr_factors(a: Any, y: Any, mode: str, pivoting: bool) -> tuple[Any, Any, Any]:
    """`(a[:, P], q, r)` for SciPy's output `y` (`q` computed for mode 'r')."""
    ap = np.asarray(a)
    if pivoting:
        ap = np.take_along_axis(ap, np.asarray(y[-1])[..., None, :], axis=-1)
    if mode == "r":
        q, _ = _call(sl.qr, ap, mode="economic", check_finite=False)
        return ap, q, y if _bare_r(y, mode, pivoting) else y[0]
    return ap, y[0], y[1]


@frule.register(sl.qr)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    mode, pivoting = _qr_options(a, args, kwargs)
    y = _call(sl.qr, a, *args, **kwargs)
    if mode not in _QR_MODES:
        return y, not_implemented(f"derivative of scipy.linalg.qr(mode={mode!r})")
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    if pivoting:
        da = np.take_along_axis(np.asarray(da), np.asarray(y[-1])[..., None, :], axis=-1)
    ap, q, r = _qr_factors(a, y, mode, pivoting)
    dq, dr = _qr_jvp(ap, q, r, da)
    if _bare_r(y, mode, pivoting):
        return y, ProjectTo(y)(dr)
    dy = [dr] if mode == "r" else [dq, dr]
    return y, ProjectTo(y)(type(y)((*dy, NoTangent()) if pivoting else dy))


@rrule.register(sl.qr)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    mode, pivoting = _qr_options(a, args, kwargs)
    y = _call(sl.qr, a, *args, **kwargs)

    def qr_da(dq: Any, dr: Any) -> Any:
        ap, q, r = _qr_factors(a, y, mode, pivoting)
        dap = _qr_vjp(ap, q, r, dq, dr)
        if not pivoting:
            return dap
        return np.take_along_axis(dap, np.argsort(y[-1], axis=-1)[..., None, :], axis=-1)

    def qr_pullback(dy: Any) -> tuple[Any, ...]:
        if mode not in _QR_MODES:
            da = not_implemented(f"derivative of scipy.linalg.qr(mode={mode!r})")
            return NoTangent(), da, *_options(args)
        if _bare_r(y, mode, pivoting):
            dq, dr = None, _value(dy)
        else:
            dq, dr = (None, _entry(dy, 0)) if mode == "r" else (_entry(dy, 0), _entry(dy, 1))
        if dq is None and dr is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: qr_da(dq, dr))), *_options(args)

    return y, qr_pullback


# ---------------------------------------------------------------------------------------------
# rq: a = R Q is the QR factorization of flip(a^H) = flip(Q^H) flip(R^H), flip reversing both
# axes (an isometry that is its own adjoint, as is x -> flip(x^H))


def _flip_h(x: Any) -> Any:
    return np.flip(_mH(x), axis=(-2, -1))


def _rq_mode(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return str(_bind(sl.rq, a, *args, **kwargs)["mode"])


def _rq_factors(a: Any, y: Any, mode: str) -> tuple[Any, Any]:
    """`(R, Q)` for SciPy's output `y` (both computed for mode 'r')."""
    if mode == "r":
        return tuple(_call(sl.rq, a, check_finite=False))  # type: ignore[return-value]
    return y[0], y[1]


@frule.register(sl.rq)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    mode = _rq_mode(a, args, kwargs)
    y = _call(sl.rq, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None or mode not in _QR_MODES:
        return y, ZeroTangent() if da is None else not_implemented(f"rq(mode={mode!r})")
    r, q = _rq_factors(a, y, mode)
    dq_b, dr_b = _qr_jvp(_flip_h(a), _flip_h(q), _flip_h(r), _flip_h(da))
    dr, dq = _flip_h(dr_b), _flip_h(dq_b)
    return y, ProjectTo(y)(dr if mode == "r" else type(y)((dr, dq)))


@rrule.register(sl.rq)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    mode = _rq_mode(a, args, kwargs)
    y = _call(sl.rq, a, *args, **kwargs)

    def rq_da(dr: Any, dq: Any) -> Any:
        r, q = _rq_factors(a, y, mode)
        dr_b = None if dr is None else _flip_h(dr)
        dq_b = None if dq is None else _flip_h(dq)
        return _flip_h(_qr_vjp(_flip_h(a), _flip_h(q), _flip_h(r), dq_b, dr_b))

    def rq_pullback(dy: Any) -> tuple[Any, ...]:
        if mode not in _QR_MODES:
            return NoTangent(), not_implemented(f"rq(mode={mode!r})"), *_options(args)
        dr, dq = (_value(dy), None) if mode == "r" else (_entry(dy, 0), _entry(dy, 1))
        if dr is None and dq is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: rq_da(dr, dq))), *_options(args)

    return y, rq_pullback
