"""Rules for the factorizations of `numpy.linalg`: an frule and an rrule for each of
`cholesky` (`upper=`), `qr` (modes 'reduced', 'complete', 'r'), `eigh` (`UPLO=`),
`eigvalsh`, `eig`, `eigvals`, `svd` (`full_matrices=`, `compute_uv=`, `hermitian=`),
`svdvals`.

Conventions (with those of the package, `rules.numpy.linalg`: stacked matrices, positional
options, Hermitian input, which `eigh`, `eigvalsh`, `cholesky` and `svd(hermitian=True)`
follow):

- Gauge freedom. Eigenvectors (`eigh`, `eig`) and singular vectors are defined up to a phase
  (a sign when real; `eig` normalizes to unit norm, as NumPy does), and within a repeated
  eigen/singular value up to a unitary (for `eig`, invertible) mix. The frules pick the
  tangent with no component along the gauge (`v_i^H dv_i = 0`; for `svd` the relative phase
  of `u_i` and `v_i` goes to `u_i`), and the pullbacks are their adjoints, exact for losses
  that are gauge invariant. The `1/(l_j - l_i)` factors are set to 0 where the two values
  agree to `8 n eps max|l|`, so the rules stay finite at repeated values; there they are
  exact for functions of the eigen/singular values and of the projectors onto whole
  eigenspaces, while the part of a loss that resolves a degenerate subspace (e.g.
  `V f(L) V^H` with `f` not constant on it) cannot be recovered from the cotangents of
  `(L, V)` and is dropped. `svd` splits `1/(s_j^2 - s_i^2)` into `1/(s_j - s_i)` (guarded)
  and `1/(s_j + s_i)` (kept), so that the relative rotation of `U` against `V` within a
  repeated singular value (seen by e.g. `U_b Vh_b`) stays exact. The extra columns of
  `qr(mode='complete')`'s `Q` and of `svd(full_matrices=True)`'s `U`/`Vh` for non-square
  input span a complement that is unique only up to a unitary mix: they follow the rest with
  no motion within it, so those rules are exact for losses that see them through their span.
- Singular inputs: `qr` needs a non-singular leading block of `R` (an exactly singular one
  raises `LinAlgError`); `svd`'s `1/s` factors (complex phases, non-square shapes) are 0
  where `s == 0`.
- `qr(mode='raw')` (Householder reflectors) is declared `not_implemented`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy.linalg._common import (
    Rrule,
    _bind,
    _diag,
    _field,
    _herm,
    _mH,
    _options,
    _safe_inverse,
    _value,
)
from rulescore import (
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
    unthunk,
)

__all__: list[str] = []

# Eigen/singular values closer than this many `n * eps * max|value|` count as repeated.
_DEGENERACY = 8


# ---------------------------------------------------------------------------------------------
# helpers


def _diag_embed(v: Any) -> Any:
    return v[..., None, :] * np.eye(v.shape[-1], dtype=v.dtype)


def _right_solve(x: Any, r: Any) -> Any:
    """`x @ inv(r)`."""
    return _mH(np.linalg.solve(_mH(r), _mH(x)))


def _inverse_gaps(values: Any) -> Any:
    """`F[..., i, j] = 1 / (values_j - values_i)`; 0 on the diagonal and for repeated values."""
    diff = values[..., None, :] - values[..., :, None]
    scale = np.max(np.abs(values), axis=-1, initial=0.0)[..., None, None]
    tol = _DEGENERACY * values.shape[-1] * np.finfo(values.dtype).eps * scale
    repeated = np.abs(diff) <= tol
    return np.where(repeated, 0, 1 / np.where(repeated, 1, diff))


def _complement_tangent(q1: Any, q2: Any, dq1: Any) -> Any:
    """Tangent of the completion `q2` of an orthonormal `q1` that has no motion within its own
    span: `q1^H dq2 = -dq1^H q2` keeps `[q1 q2]` unitary, `q2^H dq2 = 0` fixes the gauge."""
    return -(q1 @ (_mH(dq1) @ q2))


def _complement_cotangent(q1: Any, q2: Any, dq1: Any, dq2: Any) -> Any:
    """`dq1` plus the cotangent that the adjoint of `_complement_tangent` sends from `dq2`."""
    return dq1 - q2 @ (_mH(dq2) @ q1)


# ---------------------------------------------------------------------------------------------
# cholesky


def _lower_half(x: Any) -> Any:
    """The lower triangle with the diagonal halved (and made real)."""
    return np.tril(x, -1) + _diag_embed(_diag(x).real / 2)


@frule.register(np.linalg.cholesky)
def _(tangents: tuple[Any, ...], a: Any, **kwargs: Any) -> Any:
    upper = kwargs.get("upper", False)
    y = np.linalg.cholesky(a, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    lower = _mH(y) if upper else y
    # a = L L^H: L^-1 da L^-H = phi + phi^H for dL = L phi, phi lower triangular.
    x = _right_solve(np.linalg.solve(lower, _herm(da)), _mH(lower))
    dlower = lower @ _lower_half(x)
    return y, ProjectTo(y)(_mH(dlower) if upper else dlower)


def _inverse_congruence(lower: Any, phi: Any) -> Any:
    """`L^-H phi L^-1` for a lower triangular `L`: two triangular solves for one matrix (SciPy,
    imported on first use), general solves for a stack."""
    if np.ndim(lower) != 2:
        return _right_solve(np.linalg.solve(_mH(lower), phi), lower)
    from scipy.linalg import solve_triangular

    # The factor came from `cholesky`, which refuses non-finite input: a non-finite cotangent
    # propagates (as NaN) instead of making SciPy raise, and SciPy's checking pass is saved.
    left = solve_triangular(lower, phi, lower=True, trans="C", check_finite=False)
    return _mH(solve_triangular(lower, _mH(left), lower=True, trans="C", check_finite=False))


@rrule.register(np.linalg.cholesky)
def _(a: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    upper = kwargs.get("upper", False)
    y = np.linalg.cholesky(a, **kwargs)
    lower = _mH(y) if upper else y

    def cholesky_da(dlower: Any) -> Any:
        phi = _lower_half(_mH(lower) @ dlower)
        return _herm(_inverse_congruence(lower, phi))

    def cholesky_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        return NoTangent(), project_a(Thunk(lambda: cholesky_da(_mH(dy) if upper else dy)))

    return y, cholesky_pullback


# ---------------------------------------------------------------------------------------------
# qr: reduced for m >= n (Walter & Lehmann 2018), wide via a = [x | y] = q [u | q^H y]


def _qr_jvp(q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    """`(dq, dr)` of `a = q r` with `r` square: `q^H dq` is anti-Hermitian, `dr r^-1` upper
    triangular with a real diagonal (LAPACK's `r` has a real diagonal)."""
    da_rinv = _right_solve(da, r)
    c = _mH(q) @ da_rinv
    lower = np.tril(c, -1)
    omega = lower - _mH(lower)
    if np.iscomplexobj(c):
        omega = omega + 1j * _diag_embed(_diag(c).imag)
    return q @ (omega - c) + da_rinv, (c - omega) @ r


def _qr_vjp(q: Any, r: Any, dq: Any, dr: Any) -> Any:
    """The adjoint of `_qr_jvp`."""
    n = -(dr @ _mH(r)) if dq is None else _mH(q) @ dq
    if dq is not None and dr is not None:
        n = n - dr @ _mH(r)
    omega_adjoint = np.tril(n - _mH(n), -1)
    if np.iscomplexobj(n):
        omega_adjoint = omega_adjoint + 1j * _diag_embed(_diag(n).imag)
    inner = q @ (omega_adjoint - n)
    return _right_solve(inner if dq is None else dq + inner, _mH(r))


def _qr_mode(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return args[0] if args else kwargs.get("mode", "reduced")


def _qr_full(a: Any, mode: Any) -> tuple[Any, Any, Any]:
    """`(y, q, r)`: NumPy's output and the factors (`r` is `y` itself for mode 'r')."""
    if mode == "r":
        q, r = np.linalg.qr(a)
        return r, q, r
    y = np.linalg.qr(a, mode)
    return y, y.Q, y.R


def _qr_factors_jvp(a: Any, q: Any, r: Any, da: Any) -> tuple[Any, Any]:
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    if m >= n:
        dq1, dr = _qr_jvp(q[..., :, :k], r[..., :k, :], da)
        if q.shape[-1] > k:  # complete mode: the extra columns follow
            dq1 = np.concatenate([dq1, _complement_tangent(q[..., :, :k], q[..., :, k:], dq1)], -1)
            dr = np.concatenate([dr, np.zeros_like(dr[..., : m - k, :])], -2)
        return dq1, dr
    dq, du = _qr_jvp(q, r[..., :, :m], da[..., :, :m])
    dv = _mH(dq) @ a[..., :, m:] + _mH(q) @ da[..., :, m:]
    return dq, np.concatenate([du, dv], -1)


def _qr_factors_vjp(a: Any, q: Any, r: Any, dq: Any, dr: Any) -> Any:
    m, n = np.shape(a)[-2:]
    k = min(m, n)
    if m >= n:
        if dq is not None and q.shape[-1] > k:
            dq = _complement_cotangent(q[..., :, :k], q[..., :, k:], dq[..., :, :k], dq[..., :, k:])
        return _qr_vjp(q[..., :, :k], r[..., :k, :], dq, None if dr is None else dr[..., :k, :])
    if dr is None:
        return np.concatenate(
            [_qr_vjp(q, r[..., :, :m], dq, None), np.zeros_like(a[..., :, m:])], -1
        )
    dv = dr[..., :, m:]
    dq_total = a[..., :, m:] @ _mH(dv)
    dq_total = dq_total if dq is None else dq + dq_total
    dx = _qr_vjp(q, r[..., :, :m], dq_total, dr[..., :, :m])
    return np.concatenate([dx, q @ dv], -1)


_QR_MODES = ("reduced", "complete", "r")


@frule.register(np.linalg.qr)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    mode = _qr_mode(args, kwargs)
    if mode not in _QR_MODES:
        return np.linalg.qr(a, *args, **kwargs), not_implemented(f"derivative of qr(mode={mode!r})")
    y, q, r = _qr_full(a, mode)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    dq, dr = _qr_factors_jvp(a, q, r, da)
    return y, ProjectTo(y)(dr if mode == "r" else {"Q": dq, "R": dr})


@rrule.register(np.linalg.qr)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    mode = _qr_mode(args, kwargs)
    if mode not in _QR_MODES:
        y = np.linalg.qr(a, *args, **kwargs)

        def qr_raw_pullback(dy: Any) -> tuple[Any, ...]:
            da = not_implemented(f"derivative of qr(mode={mode!r})")
            return NoTangent(), da, *_options(args)

        return y, qr_raw_pullback
    y, q, r = _qr_full(a, mode)

    def qr_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if mode == "r":
            dq, dr = None, _value(dy)
        else:
            dq, dr = _field(dy, 0, "Q"), _field(dy, 1, "R")
        if dq is None and dr is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        da = Thunk(lambda: _qr_factors_vjp(a, q, r, dq, dr))
        return NoTangent(), project_a(da), *_options(args)

    return y, qr_pullback


# ---------------------------------------------------------------------------------------------
# eigh, eigvalsh: a = V diag(l) V^H


def _eigh_vjp(l: Any, v: Any, dl: Any, dv: Any) -> Any:  # noqa: E741
    inner = 0 if dl is None else _diag_embed(np.asarray(dl, dtype=v.dtype))
    if dv is not None:
        inner = inner + _inverse_gaps(l) * (_mH(v) @ dv)
    return _herm(v @ inner @ _mH(v))


@frule.register(np.linalg.eigh)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = np.linalg.eigh(a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    l, v = y  # noqa: E741
    x = _mH(v) @ _herm(da) @ v
    dl, dv = _diag(x).real, v @ (_inverse_gaps(l) * x)
    return y, ProjectTo(y)({"eigenvalues": dl, "eigenvectors": dv})


@rrule.register(np.linalg.eigh)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.eigh(a, *args, **kwargs)

    def eigh_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        dl, dv = _field(dy, 0, "eigenvalues"), _field(dy, 1, "eigenvectors")
        if dl is None and dv is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: _eigh_vjp(*y, dl, dv))), *_options(args)

    return y, eigh_pullback


@frule.register(np.linalg.eigvalsh)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = np.linalg.eigvalsh(a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    v = np.linalg.eigh(a, *args, **kwargs).eigenvectors
    return y, ProjectTo(y)(np.sum(np.conj(v) * (_herm(da) @ v), axis=-2).real)


@rrule.register(np.linalg.eigvalsh)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.eigvalsh(a, *args, **kwargs)

    def eigvalsh_da(dl: Any) -> Any:
        v = np.linalg.eigh(a, *args, **kwargs).eigenvectors
        return _herm((v * dl[..., None, :]) @ _mH(v))

    def eigvalsh_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: eigvalsh_da(dy))), *_options(args)

    return y, eigvalsh_pullback


# ---------------------------------------------------------------------------------------------
# eig, eigvals: a = V diag(l) V^-1, columns of V of unit norm


def _eig_jvp(l: Any, v: Any, da: Any) -> tuple[Any, Any]:  # noqa: E741
    x = np.linalg.solve(v, da @ v)
    dv = v @ (_inverse_gaps(l) * x)
    # Keep |v_i| = 1; the phase (Im v_i^H dv_i) is the gauge, left at 0.
    dv = dv - v * np.sum(np.conj(v) * dv, axis=-2).real[..., None, :]
    return _diag(x), dv


def _eig_vjp(l: Any, v: Any, dl: Any, dv: Any) -> Any:  # noqa: E741
    inner = 0 if dl is None else _diag_embed(np.asarray(dl, dtype=np.result_type(dl, v)))
    if dv is not None:
        dv = dv - v * np.sum(np.conj(v) * dv, axis=-2).real[..., None, :]
        inner = inner + np.conj(_inverse_gaps(l)) * (_mH(v) @ dv)
    return np.linalg.solve(_mH(v), inner @ _mH(v))


@frule.register(np.linalg.eig)
def _(tangents: tuple[Any, ...], a: Any) -> Any:
    y = np.linalg.eig(a)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    dl, dv = _eig_jvp(*y, da)
    return y, ProjectTo(y)({"eigenvalues": dl, "eigenvectors": dv})


@rrule.register(np.linalg.eig)
def _(a: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.eig(a)

    def eig_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        dl, dv = _field(dy, 0, "eigenvalues"), _field(dy, 1, "eigenvectors")
        if dl is None and dv is None:
            return NoTangent(), ZeroTangent()
        return NoTangent(), project_a(Thunk(lambda: _eig_vjp(*y, dl, dv)))

    return y, eig_pullback


@frule.register(np.linalg.eigvals)
def _(tangents: tuple[Any, ...], a: Any) -> Any:
    y = np.linalg.eigvals(a)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    v = np.linalg.eig(a).eigenvectors
    return y, ProjectTo(y)(_diag(np.linalg.solve(v, da @ v)))


@rrule.register(np.linalg.eigvals)
def _(a: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = np.linalg.eigvals(a)

    def eigvals_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        return NoTangent(), project_a(Thunk(lambda: _eig_vjp(*np.linalg.eig(a), dy, None)))

    return y, eigvals_pullback


# ---------------------------------------------------------------------------------------------
# svd, svdvals: a = U diag(s) Vh (Townsend 2016, "Differentiating the SVD")


def _svd_gaps(s: Any) -> tuple[Any, Any]:
    """`(1 / (s_j - s_i), 1 / (s_j + s_i))` off the diagonal, 0 for repeated values (resp. two
    zeros). `1 / (s_j^2 - s_i^2)` is split so that only the first factor needs the guard:
    the second carries the relative rotation of `u_i, u_j` against `v_i, v_j`, which is finite
    and gauge invariant at a repeated singular value."""
    total = s[..., None, :] + s[..., :, None]
    off_diagonal = 1 - np.eye(s.shape[-1], dtype=s.dtype)
    return _inverse_gaps(s), np.where(total == 0, 0, off_diagonal / np.where(total == 0, 1, total))


def _svd_jvp(u: Any, s: Any, vh: Any, da: Any) -> tuple[Any, Any, Any]:
    """`(du, ds, dvh)` of the reduced SVD."""
    v = _mH(vh)
    ds_matrix = _mH(u) @ da @ v
    (f_minus, f_plus), s_inv = _svd_gaps(s), _safe_inverse(s)
    # u^H du = (F- o (dS + dS^H) + F+ o (dS - dS^H)) / 2, v^H dv the same with -F+
    symmetric = f_minus * (ds_matrix + _mH(ds_matrix)) / 2
    antisymmetric = f_plus * (ds_matrix - _mH(ds_matrix)) / 2
    du = u @ (symmetric + antisymmetric)
    dv = v @ (symmetric - antisymmetric)
    if np.iscomplexobj(ds_matrix):  # the relative phase of u_i and v_i goes to u_i
        du = du + u * (1j * _diag(ds_matrix).imag * s_inv)[..., None, :]
    if u.shape[-2] > u.shape[-1]:
        du = du + (da @ v - u @ ds_matrix) * s_inv[..., None, :]
    if v.shape[-2] > v.shape[-1]:
        dv = dv + (_mH(da) @ u - v @ _mH(ds_matrix)) * s_inv[..., None, :]
    return du, _diag(ds_matrix).real, _mH(dv)


def _svd_vjp(u: Any, s: Any, vh: Any, du: Any, ds: Any, dvh: Any) -> Any:
    """The adjoint of `_svd_jvp`."""
    v = _mH(vh)
    (f_minus, f_plus), s_inv = _svd_gaps(s), _safe_inverse(s)
    inner = 0 if ds is None else _diag_embed(np.asarray(ds, dtype=u.dtype))
    extra = 0
    uh_du = 0 if du is None else _mH(u) @ du
    vh_dv = 0 if dvh is None else vh @ _mH(dvh)
    both, difference = uh_du + vh_dv, uh_du - vh_dv
    inner = inner + f_minus * (both - _mH(both)) / 2 + f_plus * (difference - _mH(difference)) / 2
    if du is not None:
        if np.iscomplexobj(uh_du):
            inner = inner + _diag_embed(1j * _diag(uh_du).imag * s_inv)
        if u.shape[-2] > u.shape[-1]:
            extra = extra + ((du - u @ uh_du) * s_inv[..., None, :]) @ vh
    if dvh is not None and v.shape[-2] > v.shape[-1]:
        extra = extra + u @ (s_inv[..., :, None] * _mH(_mH(dvh) - v @ vh_dv))
    return u @ inner @ vh + extra


def _svd_options(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, bool]:
    bound = _bind(np.linalg.svd, a, *args, **kwargs)
    return bool(bound["compute_uv"]), bool(bound["hermitian"])


def _svd_full_jvp(y: Any, da: Any) -> tuple[Any, Any, Any]:
    u, s, vh = y
    k = s.shape[-1]
    du, ds, dvh = _svd_jvp(u[..., :, :k], s, vh[..., :k, :], da)
    if u.shape[-1] > k:
        du = np.concatenate([du, _complement_tangent(u[..., :, :k], u[..., :, k:], du)], -1)
    if vh.shape[-2] > k:
        dv2 = _complement_tangent(_mH(vh[..., :k, :]), _mH(vh[..., k:, :]), _mH(dvh))
        dvh = np.concatenate([dvh, _mH(dv2)], -2)
    return du, ds, dvh


def _svd_full_vjp(y: Any, du: Any, ds: Any, dvh: Any) -> Any:
    u, s, vh = y
    k = s.shape[-1]
    if du is not None and u.shape[-1] > k:
        du = _complement_cotangent(u[..., :, :k], u[..., :, k:], du[..., :, :k], du[..., :, k:])
    if dvh is not None and vh.shape[-2] > k:
        v1, v2 = _mH(vh[..., :k, :]), _mH(vh[..., k:, :])
        dvh = _mH(_complement_cotangent(v1, v2, _mH(dvh[..., :k, :]), _mH(dvh[..., k:, :])))
    return _svd_vjp(u[..., :, :k], s, vh[..., :k, :], du, ds, dvh)


@frule.register(np.linalg.svd)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    compute_uv, hermitian = _svd_options(a, args, kwargs)
    y = np.linalg.svd(a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    da = _herm(da) if hermitian else da
    if not compute_uv:
        u, _, vh = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
        return y, ProjectTo(y)(_diag(_mH(u) @ da @ _mH(vh)).real)
    du, ds, dvh = _svd_full_jvp(y, da)
    return y, ProjectTo(y)({"U": du, "S": ds, "Vh": dvh})


@rrule.register(np.linalg.svd)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    compute_uv, hermitian = _svd_options(a, args, kwargs)
    y = np.linalg.svd(a, *args, **kwargs)

    def svd_da(du: Any, ds: Any, dvh: Any) -> Any:
        if compute_uv:
            da = _svd_full_vjp(y, du, ds, dvh)
        else:
            u, _, vh = np.linalg.svd(a, full_matrices=False, hermitian=hermitian)
            da = (u * ds[..., None, :]) @ vh
        return _herm(da) if hermitian else da

    def svd_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if compute_uv:
            du, ds, dvh = _field(dy, 0, "U"), _field(dy, 1, "S"), _field(dy, 2, "Vh")
        else:
            du, ds, dvh = None, _value(dy), None
        if du is None and ds is None and dvh is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: svd_da(du, ds, dvh))), *_options(args)

    return y, svd_pullback


@frule.register(np.linalg.svdvals)
def _(tangents: tuple[Any, ...], x: Any) -> Any:
    y = np.linalg.svdvals(x)
    dx = _value(tangents[1])
    if dx is None:
        return y, ZeroTangent()
    u, _, vh = np.linalg.svd(x, full_matrices=False)
    return y, ProjectTo(y)(_diag(_mH(u) @ dx @ _mH(vh)).real)


@rrule.register(np.linalg.svdvals)
def _(x: Any) -> Rrule:
    project_x = ProjectTo(x)
    y = np.linalg.svdvals(x)

    def svdvals_dx(ds: Any) -> Any:
        u, _, vh = np.linalg.svd(x, full_matrices=False)
        return (u * ds[..., None, :]) @ vh

    def svdvals_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        return NoTangent(), project_x(Thunk(lambda: svdvals_dx(dy)))

    return y, svdvals_pullback
