"""Rules for NumPy's polynomial routines that solve or factor (coefficient arrays, highest
degree first): `polyfit`, `poly`, `roots`, `polydiv`.

Covered, with an rrule and an frule each:

- `polyfit(x, y, deg, rcond, full, w, cov)`, in `x`, `y` and the weights `w` (when given
  positionally), real or complex, `y` with one or several columns. With `A = diag(w) V(x)`
  (`V` the Vandermonde matrix), `b = w y` and `r = b - A c`, the least-squares solution
  moves by `dc = G⁻¹ dAᴴ r + A⁺ (db - dA c)`, `G = AᴴA`, computed from the SVD of NumPy's
  column-scaled `A`. `full=True` adds the residuals (`2 Re rᴴ(db - dA c)`), the rank
  (`NoTangent()`), the singular values of the scaled matrix (first-order perturbation of
  the SVD, through the column scaling) and `rcond` (its own tangent when given
  positionally, else constant); `cov=True` the covariance `(AᵀA)⁻¹ resids / (len(x) -
  deg - 1)` (`cov="unscaled"`: without the factor);
- `poly(seq_of_zeros)`: for roots, `∂a/∂r_i = -[0, poly(roots without r_i)]`; for a square
  matrix (its characteristic polynomial), `da_(k+1) = -tr(B_k dA)` with the
  Faddeev-LeVerrier matrices `B_0 = I`, `B_k = A B_(k-1) + a_k I` (no eigenvalues: smooth at
  repeated ones too);
- `roots(p)`: by the implicit function theorem, `dr_i = -(Σ_k r_i^(n-k) dp_k) / p'(r_i)`;
  complex roots of a real `p` get the real part of their cotangent's projection;
- `polydiv(u, v)`, quotient and remainder: linear in `u`, rational in `v`. With
  `u = q v + r`, `dq = quotient(du - q dv, v)` and `dr = du - q dv - dq v`.

Conventions:

- `deg`, `full`, `cov` are options (`NoTangent()`); keyword arguments are constants (the
  common `polyfit(x, y, deg, w=w)` holds `w` fixed).
- `polyfit` where the scaled Vandermonde matrix is rank deficient (NumPy's `RankWarning`):
  the solution is the truncated least-squares one, whose derivative is not computed:
  `not_implemented` (the singular values' derivative is given with `full=True`).
- `poly` whose roots come in conjugate pairs returns real coefficients: its tangent is then
  the real part, exact along tangents that keep the pairs conjugate.
- `roots` at a repeated root: `p'(r) = 0`, so its derivative is infinite or NaN (there is
  none). Leading zero coefficients (a lower degree than the array suggests) get the
  derivative of the roots that exist (a new root would come from infinity); trailing zeros
  (roots at 0) are ordinary coefficients.
- `polydiv`'s remainder is stripped of leading (near-)zeros; the derivative is that of the
  entries it keeps. `poly1d` arguments get no rule (`None`).

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.roots, np.array([1.0, -3.0, 2.0]))  # roots 2 and 1
>>> np.round(back(np.array([1.0, 0.0]))[1], 12)  # dr_0/dp = -[4, 2, 1] / p'(2)
array([-4., -2., -1.])
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to, zero_output
from rulescore import (
    NoTangent,
    ProjectTo,
    Tangent,
    Thunk,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
    unthunk,
)

__all__: list[str] = []


def _mH(a: Any) -> Any:
    return np.conj(np.swapaxes(a, -1, -2))


def _field(dy: Any, i: int, name: str) -> Any:
    """Field `i` (`name`) of the cotangent of a tuple output; `None` for a zero."""
    if isinstance(dy, dict):
        value = unthunk(dy.get(name, ZeroTangent()))
    elif isinstance(dy, (tuple, list, Tangent)):
        value = unthunk(dy[i])
    else:
        value = dy if i == 0 else ZeroTangent()
    return None if is_zero(value) else np.asarray(value)


# ---------------------------------------------------------------------------------------------
# polyfit


class _Polyfit:
    """One call of `polyfit`, with the factorization its derivatives need."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.call = call = Call(np.polyfit, args, kwargs)
        self.y = np.polyfit(*args, **kwargs)
        self.full, self.cov = bool(call.get("full", False)), call.get("cov", False)
        x, values = (np.asarray(call.get(n)) + 0.0 for n in ("x", "y"))
        self.weighted = call.get("w") is not None
        w = np.asarray(call.get("w")) + 0.0 if self.weighted else None
        self.vector = values.ndim == 1
        self.order = order = int(call.get("deg")) + 1
        self.vander = np.vander(x, order)
        self.rows = w[:, None] if w is not None else np.ones((x.shape[0], 1))
        self.values = values[:, None] if self.vector else values  # m × K
        self.a = self.rows * self.vander
        self.b = self.rows * self.values
        self.scale = np.sqrt(np.sum(self.a * self.a, axis=0))  # NumPy's (no conjugate)
        self.scaled = self.a / self.scale
        self.u, self.s, self.vh = np.linalg.svd(self.scaled, full_matrices=False)
        rcond = call.get("rcond")
        rcond = len(x) * np.finfo(x.dtype).eps if rcond is None else rcond
        self.full_rank = int(np.sum(self.s > rcond * self.s[0])) == order
        c = self.y[0] if self.full or self.cov else self.y
        self.c = c[:, None] if self.vector else c
        self.r = self.b - self.a @ self.c
        self.x = x
        self.has_residuals = self.full_rank and x.shape[0] > order
        self.dof = x.shape[0] - order

    # A = scaled D with D = diag(scale): A⁺ = D⁻¹ V S⁻¹ Uᴴ and G⁻¹ = D⁻¹ V S⁻² Vᴴ D⁻ᴴ.
    def pinv(self, z: Any) -> Any:
        return (_mH(self.vh) @ ((_mH(self.u) @ z) / self.s[:, None])) / self.scale[:, None]

    def pinv_h(self, z: Any) -> Any:
        return self.u @ ((self.vh @ (z / np.conj(self.scale)[:, None])) / self.s[:, None])

    def gram_inv(self, z: Any) -> Any:
        inner = self.vh @ (z / np.conj(self.scale)[:, None]) / self.s[:, None] ** 2
        return (_mH(self.vh) @ inner) / self.scale[:, None]

    @functools.cached_property
    def vbase(self) -> Any:
        """`(AᵀA)⁻¹` as NumPy forms it (no conjugate)."""
        inverse = np.linalg.inv(self.scaled.T @ self.scaled)
        return inverse / np.outer(self.scale, self.scale)

    @functools.cached_property
    def factor(self) -> Any:
        return 1.0 if self.cov == "unscaled" else np.sum(np.abs(self.r) ** 2, 0) / self.dof

    def _stack(self, t: Any) -> Any:
        return t[:, :, None] if not self.vector else t

    # -- forward

    def tangent(self, dx: Any, dvalues: Any, dw: Any, drcond: Any) -> Any:
        if not self.full_rank:
            return not_implemented("polyfit of a rank-deficient Vandermonde matrix")
        da: Any = 0
        db: Any = 0
        if dx is not None:
            da = self.rows * (_vander_slope(self.x, self.order) * dx[:, None])
        if dw is not None:
            da = da + dw[:, None] * self.vander
            db = dw[:, None] * self.values
        if dvalues is not None:
            db = db + self.rows * (dvalues[:, None] if self.vector else dvalues)
        da, db = da + np.zeros_like(self.a), db + np.zeros_like(self.b)
        change = db - da @ self.c  # d(b - A c) at fixed c
        dc = self.gram_inv(_mH(da) @ self.r) + self.pinv(change)
        dc = dc[:, 0] if self.vector else dc
        if not (self.full or self.cov):
            return dc
        dres = 2 * np.sum(np.conj(self.r) * change, axis=0).real
        if self.full:
            dres = dres if self.has_residuals else ZeroTangent()
            dscaled = da / self.scale - self.scaled * (np.sum(self.a * da, 0) / self.scale**2)
            ds = np.einsum("ik,ij,kj->k", np.conj(self.u), dscaled, np.conj(self.vh)).real
            return dc, dres, NoTangent(), ds, ZeroTangent() if drcond is None else drcond
        dvbase = -self.vbase @ (da.T @ self.a + self.a.T @ da) @ self.vbase
        dcov = self._stack(dvbase) * self.factor
        if self.cov != "unscaled":
            dcov = dcov + self._stack(self.vbase) * (dres / self.dof)
        return dc, dcov

    # -- reverse

    def cotangents(self, dy: Any) -> tuple[Any, Any, Any] | None:
        """`(dx, dy, dw)` for the output cotangent `dy`; `None` if it is zero."""
        several = self.full or self.cov
        gc = _field(dy, 0, "c") if several else (None if is_zero(dy) else np.asarray(dy))
        gres = _field(dy, 1, "residuals") if self.full and self.has_residuals else None
        gs = _field(dy, 3, "s") if self.full else None
        gcov = _field(dy, 1, "cov") if self.cov and not self.full else None
        if gc is None and gres is None and gs is None and gcov is None:
            return None
        if not self.full_rank:
            unknown = not_implemented("polyfit of a rank-deficient Vandermonde matrix")
            return unknown, unknown, unknown
        ga: Any = 0
        gb: Any = 0
        if gcov is not None:
            fac = self.factor
            gcov = gcov[:, :, None] if self.vector else gcov
            gvbase = np.sum(gcov * np.conj(fac), axis=-1)
            if self.cov != "unscaled":
                gfac = np.sum(np.conj(self.vbase)[:, :, None] * gcov, axis=(0, 1)).real
                gres = gfac / self.dof if gres is None else gres + gfac / self.dof
            gm = -_mH(self.vbase) @ gvbase @ _mH(self.vbase)  # through (AᵀA)⁻¹
            ga = np.conj(self.a) @ (gm + gm.T)
        if gc is not None:
            gcm = gc[:, None] if self.vector else gc
            gb = self.pinv_h(gcm)
            ga = ga + self.r @ _mH(self.gram_inv(gcm))
        if gres is not None:
            gb = gb + 2 * self.r * gres
        if gc is not None or gres is not None:
            ga = ga - gb @ _mH(self.c)
        if gs is not None:
            gscaled = (self.u * gs) @ self.vh
            gscale = -np.sum(np.conj(self.scaled / self.scale) * gscaled, axis=0)
            ga = ga + gscaled / np.conj(self.scale) + np.conj(self.a / self.scale) * gscale
        ga, gb = np.asarray(ga) + np.zeros_like(self.a), np.asarray(gb) + np.zeros_like(self.b)
        gvalues = np.conj(self.rows) * gb
        gw = np.sum(np.conj(self.values) * gb, 1) + np.sum(np.conj(self.vander) * ga, 1)
        gx = np.sum(np.conj(_vander_slope(self.x, self.order)) * np.conj(self.rows) * ga, 1)
        return gx, gvalues[:, 0] if self.vector else gvalues, gw


def _vander_slope(x: Any, order: int) -> Any:
    """`d vander(x, order) / dx` entry by entry: `p x^(p - 1)`, powers decreasing."""
    powers = np.arange(order - 1, -1, -1)
    return np.where(powers > 0, powers * x[:, None] ** np.maximum(powers - 1, 0), 0)


@rrule.register(np.polyfit)
def _(*args: Any, **kwargs: Any) -> Any:
    rule = _Polyfit(args, kwargs)
    names = ("x", "y", "w", "rcond")
    projectors = {name: project_to(rule.call.get(name)) for name in names}
    rcond_ = rule.call.get("rcond")

    def polyfit_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        found = None if is_zero(dy) else rule.cotangents(dy)
        gx, gy, gw = (ZeroTangent(),) * 3 if found is None else found
        grcond = _field(dy, 4, "rcond") if rule.full and rcond_ is not None else None
        parts = {"x": gx, "y": gy, "w": gw, "rcond": ZeroTangent() if grcond is None else grcond}
        return rule.call.cotangents(**{n: projectors[n](parts[n]) for n in names})

    return rule.y, polyfit_pullback


@frule.register(np.polyfit)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    rule = _Polyfit(args, kwargs)
    dx, dy, dw, drcond = (rule.call.tangent(tangents, n) for n in ("x", "y", "w", "rcond"))
    if all(is_zero(d) for d in (dx, dy, dw, drcond)):
        return zero_output(rule.y)
    dense_or_none = [None if is_zero(d) else np.asarray(d) for d in (dx, dy, dw)]
    drcond = None if is_zero(drcond) or rule.call.get("rcond") is None else drcond
    if all(d is None for d in dense_or_none) and not rule.full:
        return zero_output(rule.y)
    tangent = rule.tangent(*dense_or_none, drcond)
    return rule.y, ProjectTo(rule.y)(tangent)


# ---------------------------------------------------------------------------------------------
# poly: coefficients from roots, or the characteristic polynomial of a matrix


def _product(roots: Any) -> Any:
    """The coefficients of `prod (x - r)`, without `poly`'s conversion to real."""
    a = np.ones(1, dtype=np.result_type(roots, 1.0))
    for root in roots:
        a = np.convolve(a, np.array([1, -root], dtype=a.dtype))
    return a


class _Poly:
    def __init__(self, zeros: Any) -> None:
        self.y = np.poly(zeros)
        self.z = np.atleast_1d(np.asarray(zeros))
        self.matrix = self.z.ndim == 2

    @functools.cached_property
    def jacobian(self) -> Any:
        """For roots: `∂a / ∂r`, one column per root."""
        n = self.z.shape[0]
        jac = np.zeros((n + 1, n), dtype=np.result_type(self.z, 1.0))
        for i in range(n):
            jac[1:, i] = -_product(np.delete(self.z, i))
        return jac

    @functools.cached_property
    def leverrier(self) -> Any:
        """For a matrix: `B_0, ..., B_(n-1)` with `da_(k+1) = -tr(B_k dA)`, stacked."""
        a, n = self.z, self.z.shape[0]
        stack = [np.eye(n, dtype=np.result_type(a, self.y))]
        for k in range(1, n):
            stack.append(a @ stack[-1] + self.y[k] * np.eye(n))
        return np.array(stack)

    def tangent(self, dz: Any) -> Any:
        if self.matrix:
            return np.concatenate([[0], -np.einsum("kij,ji->k", self.leverrier, dz)])
        return self.jacobian @ dz

    def cotangent(self, da: Any) -> Any:
        if self.matrix:
            return -np.einsum("kij,k->ji", np.conj(self.leverrier), da[1:])
        return _mH(self.jacobian) @ da


@rrule.register(np.poly)
def _(seq_of_zeros: Any) -> Any:
    rule = _Poly(seq_of_zeros)
    project = project_to(seq_of_zeros)

    def poly_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy) or rule.z.size == 0:
            return NoTangent(), project(ZeroTangent())
        return NoTangent(), project(Thunk(lambda: rule.cotangent(np.asarray(dy))))

    return rule.y, poly_pullback


@frule.register(np.poly)
def _(tangents: Any, seq_of_zeros: Any) -> Any:
    rule = _Poly(seq_of_zeros)
    dz = unthunk(tangents[1])
    if is_zero(dz) or rule.z.size == 0:
        return zero_output(rule.y)
    return rule.y, ProjectTo(rule.y)(rule.tangent(np.asarray(dense(dz, seq_of_zeros))))


# ---------------------------------------------------------------------------------------------
# roots: the implicit function theorem on p(r) = 0


def _roots_jacobian(p: Any, r: Any) -> Any:
    """`∂r_i / ∂p_k = -r_i^(n-k) / p'(r_i)`; infinite or NaN at a repeated root."""
    p = np.atleast_1d(np.asarray(p)) + 0.0
    slope = np.polyval(np.polyder(p), r)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.vander(r, p.shape[0]) / slope[:, None]


@rrule.register(np.roots)
def _(p: Any) -> Any:
    project_p = project_to(p)
    r = np.roots(p)

    def roots_pullback(dr: Any) -> tuple[Any, ...]:
        dr = unthunk(dr)
        if is_zero(dr) or r.size == 0:
            return NoTangent(), project_p(ZeroTangent())
        dp = _mH(_roots_jacobian(p, r)) @ np.asarray(dr)
        return NoTangent(), project_p(np.reshape(dp, np.shape(p)))

    return r, roots_pullback


@frule.register(np.roots)
def _(tangents: Any, p: Any) -> Any:
    r = np.roots(p)
    dp = unthunk(tangents[1])
    if is_zero(dp) or r.size == 0:
        return zero_output(r)
    dr = _roots_jacobian(p, r) @ np.ravel(dense(dp, p))
    return r, ProjectTo(r)(dr)


# ---------------------------------------------------------------------------------------------
# polydiv: u = q v + r


class _Polydiv:
    def __init__(self, u: Any, v: Any) -> None:
        self.y = np.polydiv(u, v)
        self.u, self.v = np.atleast_1d(u) + 0.0, np.atleast_1d(v) + 0.0
        self.q, self.kept = self.y[0], np.shape(self.y[1])[0]
        self.nq = self.u.shape[0] - self.v.shape[0] + 1  # < 1: the quotient is [0.]

    def tangent(self, du: Any, dv: Any) -> tuple[Any, Any]:
        change = np.asarray(du) + 0.0
        if self.nq < 1:
            return ZeroTangent(), change[-self.kept :]
        if dv is not None:
            change = change - np.convolve(self.q, dv)
        dq = np.polydiv(change, self.v)[0]
        dr = change - np.convolve(dq, self.v)
        return dq, dr[-self.kept :]

    def cotangents(self, gq: Any, gr: Any) -> tuple[Any, Any]:
        m = self.u.shape[0]
        dtype = np.result_type(self.u, self.v, *(g for g in (gq, gr) if g is not None))
        gremainder = np.zeros(m, dtype=dtype)
        if gr is not None:
            gremainder[-self.kept :] = gr
        if self.nq < 1:
            return gremainder, np.zeros(self.v.shape[0], dtype=dtype)
        # quotient(e) = L⁻¹ e[:nq], L the lower-triangular Toeplitz matrix of v;
        # the remainder is e - q v
        z = -np.correlate(gremainder, self.v, "valid")
        if gq is not None:
            z = z + gq
        lag = np.subtract.outer(np.arange(self.nq), np.arange(self.nq))
        inside = (lag >= 0) & (lag < self.v.shape[0])
        lower = np.where(inside, self.v[np.clip(lag, 0, self.v.shape[0] - 1)], 0)
        dividend = gremainder.copy()
        dividend[: self.nq] += np.linalg.solve(_mH(lower), z)
        return dividend, -np.correlate(dividend, self.q, "valid")


def _is_poly1d(*args: Any) -> bool:
    return any(isinstance(a, np.poly1d) for a in args)


@rrule.register(np.polydiv)
def _(u: Any, v: Any) -> Any:
    if _is_poly1d(u, v):
        return None
    rule = _Polydiv(u, v)
    project_u, project_v = project_to(u), project_to(v)

    def polydiv_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        gq, gr = _field(dy, 0, "q"), _field(dy, 1, "r")
        if gq is None and gr is None:
            return NoTangent(), project_u(ZeroTangent()), project_v(ZeroTangent())
        du, dv = rule.cotangents(gq, gr)
        return (
            NoTangent(),
            project_u(np.reshape(du, np.shape(u))),
            project_v(np.reshape(dv, np.shape(v))),
        )

    return rule.y, polydiv_pullback


@frule.register(np.polydiv)
def _(tangents: Any, u: Any, v: Any) -> Any:
    if _is_poly1d(u, v):
        return None
    rule = _Polydiv(u, v)
    du, dv = unthunk(tangents[1]), unthunk(tangents[2])
    if is_zero(du) and is_zero(dv):
        return zero_output(rule.y)
    dv = None if is_zero(dv) else np.ravel(dense(dv, v))
    dq, dr = rule.tangent(np.ravel(dense(du, u)), dv)
    return rule.y, ProjectTo(rule.y)((dq, dr))
