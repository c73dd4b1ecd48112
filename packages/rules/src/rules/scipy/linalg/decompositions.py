"""Rules for the eigen, singular value, Schur and polar decompositions of `scipy.linalg`: an
frule and an rrule for each of

- `eigh` and `eigvalsh` (`lower=`, `eigvals_only=`, `subset_by_index=`, `subset_by_value=`,
  `driver=`, and the generalized problem `b=` of `type=1`; types 2 and 3 are declared
  `not_implemented`);
- `svd` (`full_matrices=`, `compute_uv=`, `lapack_driver=`) and `svdvals` (through the rules of
  `numpy.linalg.svdvals`);
- `schur` (`output='real'` and `'complex'`, `sort=`);
- `polar` (`side='right'` and `'left'`, square and rectangular input of full rank).

Conventions (with those of `rules.scipy.linalg`: options never differentiated, inputs never
overwritten, stacked matrices where SciPy accepts them):

- `eigh`, `eigvalsh` read one triangle of `a` (and of `b`) assumed Hermitian: the pullbacks
  return the Hermitian parts of the cotangents and the frules use those of the tangents.
- Gauge freedom. Eigenvectors and singular vectors are defined up to a phase (a sign when
  real; for `b=`, normalized by `v^H b v = 1`), and within a repeated value up to a unitary
  mix; complex Schur vectors up to a phase each, with `T` changing by the same phases. The
  frules pick the tangent with no component along the gauge (`Im v_i^H dv_i = 0`; for `svd`
  the relative phase of `u_i` and `v_i` goes to `u_i`; `Im z_i^H dz_i = 0` for `schur`), and
  the pullbacks are their adjoints, exact for losses that are gauge invariant. The
  `1 / (l_j - l_i)` factors are 0 where two values agree to `8 n eps max|l|`, so that the rules
  stay finite at repeated values (exact there for functions of the values and of the
  projectors onto whole eigenspaces), as in `numpy.linalg`'s rules. `svd(full_matrices=True)`'s
  extra columns of `U` or `Vh` follow the others with no motion within their own span.
- `eigh(subset_by_...)`: the derivative of the selected eigenvectors needs the whole spectrum,
  which the rules compute (at the cost of a full `eigh`).
- Real `schur`: the 2x2 blocks of complex eigenvalue pairs keep LAPACK's standard form (equal
  diagonal entries); for a block with `T[i, i+1] = -T[i+1, i]` that form does not fix the
  rotation within the block, a gauge the rules leave at zero. `sort=` is piecewise constant;
  `sdim` has `NoTangent()`. The Schur rules need distinct eigenvalues.
- `polar` is differentiated where `a` has full rank (its factors are smooth there).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import (
    Rrule,
    _batched,
    _bind,
    _call,
    _diag,
    _diag_embed,
    _entry,
    _herm,
    _mH,
    _options,
    _safe_inverse,
    _value,
)
from rulescore import NoTangent, ProjectTo, Thunk, ZeroTangent, frule, not_implemented, rrule

__all__: list[str] = []

# Eigen/singular values closer than this many `n * eps * max|value|` count as repeated.
_DEGENERACY = 8


def _inverse_gaps(row_values: Any, column_values: Any) -> Any:
    """`F[..., i, j] = 1 / (column_values_j - row_values_i)`, 0 for (nearly) equal values."""
    diff = column_values[..., None, :] - row_values[..., :, None]
    scale = np.max(np.abs(row_values), axis=-1, initial=0.0)[..., None, None]
    tol = _DEGENERACY * row_values.shape[-1] * np.finfo(row_values.dtype).eps * scale
    repeated = np.abs(diff) <= tol
    return np.where(repeated, 0, 1 / np.where(repeated, 1, diff))


# ---------------------------------------------------------------------------------------------
# eigh, eigvalsh: a v = l b v, v^H b v = 1 (b = I without `b=`)


class _Eigh:
    """The eigenpairs `(w, v)` that a call returned and the whole spectrum `(w_all, v_all)`
    that their derivatives need, for `eigh(a, b, **options)` or `eigvalsh`."""

    def __init__(self, a: Any, b: Any, options: dict[str, Any], y: Any) -> None:
        self.options = options
        subset = options["subset_by_index"] is not None or options["subset_by_value"] is not None
        if y is None:
            y = sl.eigh(a, b, **options, check_finite=False)
        self.w, self.v = y[0], y[1]
        if subset:
            full = {
                k: v for k, v in options.items() if not k.startswith("subset") and k != "driver"
            }
            self.w_all, self.v_all = sl.eigh(a, b, **full, check_finite=False)
        else:
            self.w_all, self.v_all = self.w, self.v

    def jvp(self, da: Any, db: Any) -> tuple[Any, Any]:
        """`(dw, dv)` for Hermitian `da`, `db` (either may be `None`)."""
        v, v_all = self.v, self.v_all
        x = 0 if da is None else _mH(v_all) @ da @ v
        if db is not None:
            x = x - (_mH(v_all) @ db @ v) * self.w[..., None, :]
        x = np.asarray(x, dtype=np.result_type(x, v))
        dv = v_all @ (_inverse_gaps(self.w_all, self.w) * x)
        own = np.sum(np.conj(v) * (0 if da is None else da @ v), axis=-2).real
        if db is not None:
            d = np.sum(np.conj(v) * (db @ v), axis=-2).real
            own, dv = own - self.w * d, dv - v * (d / 2)[..., None, :]
        return own, dv

    def vjp(self, dw: Any, dv: Any, generalized: bool) -> tuple[Any, Any]:
        """`(da, db)` (Hermitian) for the cotangents `dw`, `dv` (either may be `None`)."""
        v, v_all = self.v, self.v_all
        dtype = np.result_type(v, 1.0)
        da = np.zeros(v_all.shape[:-1] + v_all.shape[-2:-1], dtype=dtype)
        db = np.zeros_like(da) if generalized else None
        if dw is not None:
            da = da + (v * dw[..., None, :]) @ _mH(v)
            if generalized:
                db = db - (v * (self.w * dw)[..., None, :]) @ _mH(v)
        if dv is not None:
            c = _inverse_gaps(self.w_all, self.w) * (_mH(v_all) @ dv)
            da = da + v_all @ c @ _mH(v)
            if generalized:
                own = np.sum(np.conj(v) * dv, axis=-2).real
                db = db - v_all @ (c * self.w[..., None, :]) @ _mH(v)
                db = db - (v * (own / 2)[..., None, :]) @ _mH(v)
        return _herm(da), None if db is None else _herm(db)


_EIGH_OPTIONS = ("lower", "type", "subset_by_index", "subset_by_value", "driver")


def _eigh_options(f: Any, a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`(b, options, values_only)`: `b` given positionally or by keyword (then a constant)."""
    bound = _bind(f, a, *args, **kwargs)
    options = {k: bound[k] for k in _EIGH_OPTIONS}
    return bound["b"], options, bool(bound.get("eigvals_only", True))


def _register_eigh(f: Any) -> None:
    name = f.__name__

    @frule.register(f)
    def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        b, options, values_only = _eigh_options(f, a, args, kwargs)
        y = _call(f, a, *args, **kwargs)
        da = _value(tangents[1])
        db = _value(tangents[2]) if args and b is not None else None
        if da is None and db is None:
            return y, ZeroTangent()
        if options["type"] != 1:
            return y, not_implemented(f"derivative of {name}(type={options['type']})")
        pairs = _Eigh(a, b, options, None if values_only else y)
        dw, dv = pairs.jvp(None if da is None else _herm(da), None if db is None else _herm(db))
        return y, ProjectTo(y)(dw if values_only else type(y)((dw, dv)))

    @rrule.register(f)
    def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a, project_args = ProjectTo(a), ProjectTo(args)
        b, options, values_only = _eigh_options(f, a, args, kwargs)
        y = _call(f, a, *args, **kwargs)

        def eigh_pullback(dy: Any) -> tuple[Any, ...]:
            dw, dv = (_value(dy), None) if values_only else (_entry(dy, 0), _entry(dy, 1))
            if dw is None and dv is None:
                return NoTangent(), ZeroTangent(), *project_args((ZeroTangent(),) * len(args))
            if options["type"] != 1:
                unknown = not_implemented(f"derivative of {name}(type={options['type']})")
                return NoTangent(), unknown, *project_args((unknown,) * len(args))
            cotangents: list[Any] = []

            def eigh_cotangents() -> tuple[Any, Any]:
                if not cotangents:
                    pairs = _Eigh(a, b, options, None if values_only else y)
                    cotangents.append(pairs.vjp(dw, dv, b is not None))
                return cotangents[0]  # type: ignore[no-any-return]

            da = project_a(Thunk(lambda: eigh_cotangents()[0]))
            db = Thunk(lambda: eigh_cotangents()[1])
            return NoTangent(), da, *project_args((db,) * len(args))

        eigh_pullback.__name__ = eigh_pullback.__qualname__ = f"{name}_pullback"
        return y, eigh_pullback


_register_eigh(sl.eigh)
_register_eigh(sl.eigvalsh)


# ---------------------------------------------------------------------------------------------
# svd: a = U diag(s) Vh (Townsend 2016, "Differentiating the SVD"); svdvals via numpy's rules


def _svd_gaps(s: Any) -> tuple[Any, Any]:
    """`(1 / (s_j - s_i), 1 / (s_j + s_i))` off the diagonal (0 for repeated values, resp. two
    zeros): `1 / (s_j^2 - s_i^2)` split so that only the first factor needs the guard."""
    total = s[..., None, :] + s[..., :, None]
    off_diagonal = 1 - np.eye(s.shape[-1], dtype=s.dtype)
    plus = np.where(total == 0, 0, off_diagonal / np.where(total == 0, 1, total))
    return _inverse_gaps(s, s), plus


def _svd_jvp(u: Any, s: Any, vh: Any, da: Any) -> tuple[Any, Any, Any]:
    """`(du, ds, dvh)` of the thin SVD. With `p = u^H da v`: `u^H du = F- o (p + p^H) / 2 +
    F+ o (p - p^H) / 2` and `v^H dv` the same with `-F+`."""
    v = _mH(vh)
    p = _mH(u) @ da @ v
    (minus, plus), s_inv = _svd_gaps(s), _safe_inverse(s)
    symmetric, antisymmetric = minus * (p + _mH(p)) / 2, plus * (p - _mH(p)) / 2
    du, dv = u @ (symmetric + antisymmetric), v @ (symmetric - antisymmetric)
    if np.iscomplexobj(p):
        du = du + u * (1j * _diag(p).imag * s_inv)[..., None, :]
    if u.shape[-2] > u.shape[-1]:
        du = du + (da @ v - u @ p) * s_inv[..., None, :]
    if v.shape[-2] > v.shape[-1]:
        dv = dv + (_mH(da) @ u - v @ _mH(p)) * s_inv[..., None, :]
    return du, _diag(p).real, _mH(dv)


def _svd_vjp(u: Any, s: Any, vh: Any, du: Any, ds: Any, dvh: Any) -> Any:
    """The adjoint of `_svd_jvp`; each cotangent may be `None`."""
    v = _mH(vh)
    (minus, plus), s_inv = _svd_gaps(s), _safe_inverse(s)
    ju = 0 if du is None else _mH(u) @ du
    jv = 0 if dvh is None else vh @ _mH(dvh)
    both, difference = np.asarray(ju + jv), np.asarray(ju - jv)
    p = minus * (both - _mH(both)) / 2 + plus * (difference - _mH(difference)) / 2
    if ds is not None:
        p = p + _diag_embed(np.asarray(ds, dtype=u.dtype))
    if du is not None and np.iscomplexobj(ju):
        p = p + _diag_embed(1j * _diag(ju).imag * s_inv)
    da = u @ p @ vh
    if du is not None and u.shape[-2] > u.shape[-1]:
        da = da + ((du - u @ ju) * s_inv[..., None, :]) @ vh
    if dvh is not None and v.shape[-2] > v.shape[-1]:
        da = da + u @ (s_inv[..., :, None] * _mH(_mH(dvh) - v @ jv))
    return da


def _svd_full_jvp(y: Any, da: Any) -> tuple[Any, Any, Any]:
    u, s, vh = y
    k = s.shape[-1]
    du, ds, dvh = _svd_jvp(u[..., :, :k], s, vh[..., :k, :], da)
    if u.shape[-1] > k:  # the completion follows, with no motion within its span
        u1, u2 = u[..., :, :k], u[..., :, k:]
        du = np.concatenate([du, -(u1 @ (_mH(du) @ u2))], axis=-1)
    if vh.shape[-2] > k:
        v1, v2 = _mH(vh[..., :k, :]), _mH(vh[..., k:, :])
        dvh = np.concatenate([dvh, _mH(-(v1 @ (dvh @ v2)))], axis=-2)
    return du, ds, dvh


def _svd_full_vjp(y: Any, du: Any, ds: Any, dvh: Any) -> Any:
    u, s, vh = y
    k = s.shape[-1]
    if du is not None and u.shape[-1] > k:
        u1, u2 = u[..., :, :k], u[..., :, k:]
        du = du[..., :, :k] - u2 @ (_mH(du[..., :, k:]) @ u1)
    if dvh is not None and vh.shape[-2] > k:
        v1, v2 = _mH(vh[..., :k, :]), _mH(vh[..., k:, :])
        dvh = _mH(_mH(dvh[..., :k, :]) - v2 @ (dvh[..., k:, :] @ v1))
    return _svd_vjp(u[..., :, :k], s, vh[..., :k, :], du, ds, dvh)


def _svd_options(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[bool, str]:
    bound = _bind(sl.svd, a, *args, **kwargs)
    return bool(bound["compute_uv"]), bound["lapack_driver"]


@frule.register(sl.svd)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    compute_uv, driver = _svd_options(a, args, kwargs)
    y = _call(sl.svd, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    if not compute_uv:
        u, _, vh = sl.svd(a, full_matrices=False, lapack_driver=driver, check_finite=False)
        return y, ProjectTo(y)(_diag(_mH(u) @ da @ _mH(vh)).real)
    return y, ProjectTo(y)(type(y)(_svd_full_jvp(y, da)))


@rrule.register(sl.svd)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    compute_uv, driver = _svd_options(a, args, kwargs)
    y = _call(sl.svd, a, *args, **kwargs)

    def svd_da(du: Any, ds: Any, dvh: Any) -> Any:
        if compute_uv:
            return _svd_full_vjp(y, du, ds, dvh)
        u, _, vh = sl.svd(a, full_matrices=False, lapack_driver=driver, check_finite=False)
        return (u * ds[..., None, :]) @ vh

    def svd_pullback(dy: Any) -> tuple[Any, ...]:
        if compute_uv:
            du, ds, dvh = _entry(dy, 0), _entry(dy, 1), _entry(dy, 2)
        else:
            du, ds, dvh = None, _value(dy), None
        if du is None and ds is None and dvh is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: svd_da(du, ds, dvh))), *_options(args)

    return y, svd_pullback


@frule.register(sl.svdvals)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = _call(sl.svdvals, a, *args, **kwargs)
    _, ds = frule(tangents[:2], np.linalg.svdvals, np.asarray(a))  # type: ignore[misc]
    return y, ProjectTo(y)(ds)


@rrule.register(sl.svdvals)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = _call(sl.svdvals, a, *args, **kwargs)
    _, back = rrule(np.linalg.svdvals, np.asarray(a))  # type: ignore[misc]

    def svdvals_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), project_a(back(dy)[1]), *_options(args)

    return y, svdvals_pullback


# ---------------------------------------------------------------------------------------------
# schur: a = Z T Z^H. With c = Z^H da Z and k = Z^H dZ (anti-Hermitian):
# dT = c + T k - k T, whose part below the (block) diagonal must vanish. That part involves
# only the strictly block-lower part of k, found one block column at a time from a Sylvester
# equation with quasi-triangular coefficients (LAPACK's trsyl); within a real 2x2 block, the
# rotation angle keeps the block's diagonal entries equal.


def _schur_blocks(t: Any) -> list[tuple[int, int]]:
    """The diagonal blocks `(start, stop)` of a (quasi-)triangular Schur factor."""
    n, blocks, i = t.shape[-1], [], 0
    while i < n:
        size = 2 if i + 1 < n and t[i + 1, i] != 0 else 1
        blocks.append((i, i + size))
        i += size
    return blocks


def _trsyl(a: Any, b: Any, c: Any, adjoint: bool) -> Any:
    """`X` with `op(a) X - X op(b) = c`, `op` the identity or the conjugate transpose."""
    if c.size == 0:
        return c
    dtype = np.result_type(a, b, c)
    (trsyl,) = sl.get_lapack_funcs(("trsyl",), (np.zeros(1, dtype),))
    op = ("C" if np.iscomplexobj(np.zeros(1, dtype)) else "T") if adjoint else "N"
    x, scale, info = trsyl(a.astype(dtype), b.astype(dtype), c.astype(dtype), op, op, -1)
    if info < 0:
        raise ValueError(f"trsyl: illegal argument {-info}")
    return x / scale


def _rotation_terms(t: Any, blocks: list[tuple[int, int]]) -> list[tuple[int, float]]:
    """For each real 2x2 block at `i`: `2 (T[i, i+1] + T[i+1, i])`, the rate at which a
    rotation within the block separates its diagonal entries (0: a gauge, left at 0)."""
    terms = []
    for start, stop in blocks:
        if stop - start == 2:
            terms.append((start, float(2 * (t[start, start + 1] + t[start + 1, start]).real)))
    return terms


def _rotation(j: Any) -> Any:
    return np.array([[0.0, -1.0], [1.0, 0.0]], dtype=j.dtype)


def _schur_jvp(t: Any, z: Any, da: Any) -> tuple[Any, Any]:
    n = t.shape[-1]
    c = _mH(z) @ da @ z
    blocks = _schur_blocks(t)
    k = np.zeros_like(c)
    for start, stop in blocks:
        rhs = -c[stop:, start:stop] + k[stop:, :start] @ t[:start, start:stop]
        k[stop:, start:stop] = _trsyl(t[stop:, stop:], t[start:stop, start:stop], rhs, False)
    k = k - _mH(k)
    dt = c + t @ k - k @ t
    for i, rate in _rotation_terms(t, blocks):
        theta = 0.0 if rate == 0 else (dt[i + 1, i + 1] - dt[i, i]) / rate
        j = np.zeros((n, n), dtype=c.dtype)
        j[i : i + 2, i : i + 2] = _rotation(j)
        k, dt = k + theta * j, dt + theta * (t @ j - j @ t)
    return dt, z @ k


def _schur_vjp(t: Any, z: Any, dt: Any, dz: Any) -> Any:
    n = t.shape[-1]
    dtype = np.result_type(t, z, 1.0)
    dt = np.zeros((n, n), dtype) if dt is None else np.asarray(dt, dtype)
    k_bar = _mH(t) @ dt - dt @ _mH(t)
    if dz is not None:
        k_bar = k_bar + _mH(z) @ dz
    c_bar = dt.copy()
    blocks = _schur_blocks(t)
    for i, rate in _rotation_terms(t, blocks):
        if rate == 0:
            continue
        j = np.zeros((n, n), dtype=dtype)
        j[i : i + 2, i : i + 2] = _rotation(j)
        theta_bar = np.sum(np.conj(k_bar) * j).real  # k_bar holds dt's part already
        e = np.zeros((n, n), dtype=dtype)
        e[i, i], e[i + 1, i + 1] = -theta_bar / rate, theta_bar / rate
        c_bar = c_bar + e
        k_bar = k_bar + _mH(t) @ e - e @ _mH(t)
    lower_bar = k_bar - _mH(k_bar)
    x = np.zeros((n, n), dtype=dtype)
    for start, stop in reversed(blocks):
        rhs = lower_bar[stop:, start:stop] + x[stop:, stop:] @ _mH(t[start:stop, stop:])
        x[stop:, start:stop] = _trsyl(t[stop:, stop:], t[start:stop, start:stop], rhs, True)
    return z @ (c_bar - x) @ _mH(z)


@frule.register(sl.schur)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    y = _call(sl.schur, a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    dt, dz = _batched(_schur_jvp, y[0], y[1], np.asarray(da))
    return y, ProjectTo(y)(type(y)((dt, dz, NoTangent())[: len(y)]))


@rrule.register(sl.schur)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    y = _call(sl.schur, a, *args, **kwargs)

    def schur_pullback(dy: Any) -> tuple[Any, ...]:
        dt, dz = _entry(dy, 0), _entry(dy, 1)
        if dt is None and dz is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        da = Thunk(lambda: _batched(_schur_vjp, y[0], y[1], dt, dz))
        return NoTangent(), project_a(da), *_options(args)

    return y, schur_pullback


# ---------------------------------------------------------------------------------------------
# polar: a = U P (right, P = (a^H a)^(1/2)) or P U (left, P = (a a^H)^(1/2)), from the thin
# SVD a = W diag(s) V^H. Where P is invertible (right and m >= n, left and m <= n), P dP + dP P
# is the tangent of P^2, solved in P's eigenbasis; otherwise U is the other side's, and
# P = U^H a (right) or a U^H (left).


class _Polar:
    def __init__(self, a: Any) -> None:
        self.a = np.asarray(a)
        self.w, self.s, self.vh = sl.svd(self.a, full_matrices=False, check_finite=False)
        m, n = self.a.shape[-2:]
        self.tall = m >= n  # P = (a^H a)^(1/2) invertible: the right-side formulas
        self.basis = _mH(self.vh) if self.tall else self.w
        self.u = self.w @ self.vh
        self.p = (self.basis * self.s[..., None, :]) @ _mH(self.basis)

    def _sylvester(self, x: Any) -> Any:
        """`y` with `P y + y P = x` (self-adjoint)."""
        b, s = self.basis, self.s
        return b @ ((_mH(b) @ x @ b) / (s[..., :, None] + s[..., None, :])) @ _mH(b)

    def _p_inverse(self, x: Any, right: bool) -> Any:
        b, s_inv = self.basis, 1 / self.s
        inverse = (b * s_inv[..., None, :]) @ _mH(b)
        return x @ inverse if right else inverse @ x

    def jvp(self, da: Any, side: str) -> tuple[Any, Any]:
        a, u = self.a, self.u
        if self.tall:
            dp = self._sylvester(_mH(da) @ a + _mH(a) @ da)
            du = self._p_inverse(da - u @ dp, right=True)
            return du, dp if side == "right" else da @ _mH(u) + a @ _mH(du)
        dp = self._sylvester(da @ _mH(a) + a @ _mH(da))
        du = self._p_inverse(da - dp @ u, right=False)
        return du, dp if side == "left" else _mH(du) @ a + _mH(u) @ da

    def vjp(self, du: Any, dp: Any, side: str) -> Any:
        a, u = self.a, self.u
        du = np.zeros_like(u) if du is None else du
        da: Any = 0
        if dp is not None and side == ("left" if self.tall else "right"):
            if self.tall:  # P_left = a U^H
                da, du = dp @ u, du + _mH(dp) @ a
            else:  # P_right = U^H a
                da, du = u @ dp, du + a @ _mH(dp)
            dp = None
        if self.tall:
            dp_total = -(_mH(u) @ self._p_inverse(du, right=True))
            q = self._sylvester(dp_total if dp is None else dp + dp_total)
            return da + self._p_inverse(du, right=True) + a @ (q + _mH(q))
        dp_total = -(self._p_inverse(du, right=False) @ _mH(u))
        q = self._sylvester(dp_total if dp is None else dp + dp_total)
        return da + self._p_inverse(du, right=False) + (q + _mH(q)) @ a


def _polar_side(a: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
    return str(_bind(sl.polar, a, *args, **kwargs)["side"])


@frule.register(sl.polar)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
    side = _polar_side(a, args, kwargs)
    y = sl.polar(a, *args, **kwargs)
    da = _value(tangents[1])
    if da is None:
        return y, ZeroTangent()
    return y, ProjectTo(y)(type(y)(_Polar(a).jvp(da, side)))


@rrule.register(sl.polar)
def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a = ProjectTo(a)
    side = _polar_side(a, args, kwargs)
    y = sl.polar(a, *args, **kwargs)

    def polar_pullback(dy: Any) -> tuple[Any, ...]:
        du, dp = _entry(dy, 0), _entry(dy, 1)
        if du is None and dp is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        return NoTangent(), project_a(Thunk(lambda: _Polar(a).vjp(du, dp, side))), *_options(args)

    return y, polar_pullback
