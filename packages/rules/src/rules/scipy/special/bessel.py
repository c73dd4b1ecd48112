"""Rules for the Bessel functions of `scipy.special`.

Both rules (frule and rrule) for:

- order 0 and 1, real argument: `j0`, `j1`, `y0`, `y1`, `i0`, `i0e`, `i1`, `i1e`, `k0`,
  `k0e`, `k1`, `k1e`;
- real order `v`, real or complex argument `z`: `jv`, `jve`, `yv`, `yve`, `iv`, `ive`, `kv`,
  `kve`, `hankel1`, `hankel1e`, `hankel2`, `hankel2e`;
- spherical, integer order `n`: `spherical_jn`, `spherical_yn`, `spherical_in`,
  `spherical_kn`, with `derivative=False` and `derivative=True` (whose rule uses the second
  derivative, from the recurrences below).

Derivatives in the argument come from the recurrences (DLMF 10.6.1, 10.29.1, 10.51.2,
10.51.5): `C_v' = (C_{v-1} - C_{v+1}) / 2` for `C = J, Y, H1, H2`,
`I_v' = (I_{v-1} + I_{v+1}) / 2`, `K_v' = -(K_{v-1} + K_{v+1}) / 2`, and for the spherical
functions `(2n+1) f_n' = n f_{n-1} - (n+1) f_{n+1}` (`j`, `y`), `n i_{n-1} + (n+1) i_{n+1}`
(`i`), `-(n k_{n-1} + (n+1) k_{n+1})` (`k`). Scaled functions add the derivative of their
factor: `kve = kv exp(z)`, `hankel1e = hankel1 exp(-1j z)` and `hankel2e = hankel2 exp(1j z)`
are holomorphic; `jve`, `yve` (factor `exp(-|Im z|)`) and `ive`, `i0e`, `i1e` (factor
`exp(-|Re z|)`) are not, and their rules follow the `dL/dRe + i dL/dIm` convention.

Derivatives in the order `v` (real `v`, real `z > 0`) are computed, not approximated by
finite differences:

- `J_v`, `I_v`: the power series differentiated term by term (`d/da 1/Gamma(a)` is finite at
  the poles) where it does not cancel (`x` small against `v`), else Schlaefli's integrals
  (DLMF 10.9.6, 10.32.4) differentiated under the integral sign;
- `Y_v` (DLMF 10.9.7), `K_v` (10.32.9, `dK_v/dv = int_0^inf t sinh(vt) exp(-x cosh t) dt`)
  from their integrals; `H^(1,2)_v = J_v +- i Y_v`; scaled variants times their factor.

The integrals use composite Gauss-Legendre rules on the range where the integrand is within
`exp(-45)` of its peak. Compared with 40-digit references the results are accurate to about
`1e-13` relative, except where `J_v(x)` is exponentially small in `1 << x < v` (near the
turning point of `v = 100, x = 60`, about `1e-7` relative, `1e-20` absolute). The order
derivative is NaN for `x <= 0` (where `jv(v, -x)` is real only at integer `v`) except at
`x == 0`, `v > 0` (zero for `J`, `I`), and `not_implemented` for a complex `z`. It is
returned as a `Thunk` by the pullbacks (it costs a few hundred evaluations per entry).

Conventions: the order `n` of the spherical functions is an integer (`NoTangent`), and so is
an integer array of orders. `i0e`, `i1e` and `ive` have a kink at `Re z == 0`, `jve` and
`yve` one at `Im z == 0` (for complex `z`), where the derivative of `|Re z|` (`|Im z|`) is
taken as 0. `out=` is refused.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special as sc

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    has_tangent_space,
    not_implemented,
    rrule,
    scalar_rule,
    unthunk,
)

__all__: list[str] = []

# ---------------------------------------------------------------------------------------------
# Elementwise calculus of the order 0 and 1 functions: one line each. `sign(0) == 0` at the
# kink of the exp(-|x|) factor of i0e.

scalar_rule(sc.j0, lambda x, y: -sc.j1(x))
scalar_rule(sc.j1, lambda x, y: (sc.j0(x) - sc.jv(2, x)) / 2)
scalar_rule(sc.y0, lambda x, y: -sc.y1(x))
scalar_rule(sc.y1, lambda x, y: (sc.y0(x) - sc.yv(2, x)) / 2)
scalar_rule(sc.i0, lambda x, y: sc.i1(x))
scalar_rule(sc.i0e, lambda x, y: sc.i1e(x) - np.sign(x) * y)
scalar_rule(sc.i1, lambda x, y: (sc.i0(x) + sc.iv(2, x)) / 2)
scalar_rule(sc.i1e, lambda x, y: (sc.i0e(x) + sc.ive(2, x)) / 2 - np.sign(x) * y)
scalar_rule(sc.k0, lambda x, y: -sc.k1(x))
scalar_rule(sc.k0e, lambda x, y: y - sc.k1e(x))
scalar_rule(sc.k1, lambda x, y: -(sc.k0(x) + sc.kv(2, x)) / 2)
scalar_rule(sc.k1e, lambda x, y: y - (sc.k0e(x) + sc.kve(2, x)) / 2)

# ---------------------------------------------------------------------------------------------
# Derivatives in the order: quadrature helpers

_NODES = 20  # Gauss-Legendre nodes per panel
_DROP = 45.0  # integrands are cut where they fall exp(-_DROP) below their peak


@functools.cache
def _gauss_legendre() -> tuple[np.ndarray, np.ndarray]:
    nodes, weights = np.polynomial.legendre.leggauss(_NODES)
    return (nodes + 1) / 2, weights / 2  # on [0, 1]


def _integrate(integrand: Callable[[Any], Any], lower: Any, upper: Any, panels: int) -> Any:
    """`int_lower^upper integrand(t) dt` entry by entry, on `panels` equal panels."""
    nodes, weights = _gauss_legendre()
    width = (upper - lower) / panels
    total: Any = 0.0
    for p in range(panels):  # a loop over panels keeps the memory at (entries, _NODES)
        t = (lower + width * p)[..., None] + width[..., None] * nodes
        total = total + np.sum(integrand(t) * weights, axis=-1) * width
    return total


def _bisect(phi: Callable[[Any], Any], target: Any, lo: Any, hi: Any, rising: bool) -> Any:
    for _ in range(60):
        mid = (lo + hi) / 2
        above = phi(mid) >= target
        right = ~above if rising else above
        lo, hi = np.where(right, mid, lo), np.where(right, hi, mid)
    return (lo + hi) / 2


def _half_line(weight: Callable[[Any], Any], a: Any, x: Any, kind: str) -> tuple[Any, Any]:
    """`(I * exp(-peak), peak)` for `I = int_0^inf weight(t) exp(a t - x s(t)) dt`, where
    `s = sinh` or `cosh - 1` and `peak` is the maximum of the (concave) exponent."""

    def s(t: Any) -> Any:
        return np.sinh(t) if kind == "sinh" else np.cosh(t) - 1

    def phi(t: Any) -> Any:
        return a * t - x * s(t)

    if kind == "sinh":
        t_peak = np.where(a > x, np.arccosh(np.maximum(a / x, 1.0)), 0.0)
    else:
        t_peak = np.where(a > 0, np.arcsinh(np.maximum(a / x, 0.0)), 0.0)
    peak = phi(t_peak)
    zero = np.zeros_like(t_peak)
    lower = np.where(peak <= _DROP, zero, _bisect(phi, peak - _DROP, zero, t_peak, rising=True))
    upper = _bisect(phi, peak - _DROP, t_peak, t_peak + 60.0, rising=False)

    def integrand(t: Any) -> Any:
        return weight(t) * np.exp(a[..., None] * t - x[..., None] * s(t) - peak[..., None])

    return _integrate(integrand, lower, upper, 8), peak


def _drgamma(a: Any) -> Any:
    # d/da 1/Gamma(a) = -psi(a) / Gamma(a), which is (-1)**n n! at the poles a = -n.
    pole = (a <= 0) & (a == np.round(a))
    n = np.where(pole, -a, 0.0)
    return np.where(pole, (-1.0) ** n * sc.gamma(n + 1), -sc.rgamma(a) * sc.psi(a))


def _order_series(v: Any, x: Any, sign: float) -> Any:
    """d/dv of sum_k sign**k (x/2)**(2k+v) / (k! Gamma(k+v+1)): J_v (sign -1), I_v (+1)."""
    log_half = np.log(x / 2)
    total: Any = 0.0
    size: Any = 0.0
    for k in range(500):
        a = k + v + 1
        power = np.exp((2 * k + v) * log_half - sc.gammaln(k + 1))
        term = sign**k * power * (log_half * sc.rgamma(a) + _drgamma(a))
        total, size = total + term, size + np.abs(term)
        if k > 2 and np.all(np.abs(term) <= 1e-17 * size):
            break
    return total


def _on_positive(compute: Callable[[Any, Any], Any], v: Any, x: Any, at_zero: float) -> Any:
    """`compute(v, x)` on the entries with `x > 0` (float64), NaN where `x < 0`; at `x == 0`,
    `at_zero` where `v > 0` and NaN elsewhere."""
    v, x = (np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(v, x))
    out = np.full(v.shape, np.nan)
    good = x > 0
    with np.errstate(all="ignore"):  # overflow where the function itself overflows
        if np.any(good):
            out[good] = compute(v[good], x[good])
    out[(x == 0) & (v > 0)] = at_zero
    return out


def _choose(mask: Any, first: Callable[..., Any], second: Callable[..., Any], *args: Any) -> Any:
    """`first(*args)` where `mask`, `second(*args)` elsewhere, each on its entries only."""
    out = np.empty(mask.shape)
    for where, method in ((mask, first), (~mask, second)):
        if np.any(where):
            out[where] = method(*(a[where] for a in args))
    return out


def _dj_integral(v: Any, x: Any) -> Any:
    panels = 1 + int(np.ceil(np.max(x + np.abs(v)) * np.pi / 8))
    oscillating = _integrate(
        lambda t: t * np.sin(x[..., None] * np.sin(t) - v[..., None] * t),
        np.zeros_like(x),
        np.full_like(x, np.pi),
        panels,
    )
    (b0, b1), peak = _half_line(lambda t: np.stack([np.ones_like(t), t]), -v, x, "sinh")
    tail = np.sin(np.pi * v) / np.pi * b1 - np.cos(np.pi * v) * b0
    return oscillating / np.pi + np.exp(peak) * tail


def _order_series_j(v: Any, x: Any) -> Any:
    return _order_series(v, x, -1.0)


def _dj(v: Any, x: Any) -> Any:
    # The series sums terms of about I_|v|(x): it is exact enough where those are small.
    small = sc.iv(np.abs(v), x) * (1 + np.abs(np.log(x / 2)) + np.abs(sc.psi(np.abs(v) + 1)))
    return _choose(small <= 30, _order_series_j, _dj_integral, v, x)


def _dy(v: Any, x: Any) -> Any:
    panels = 1 + int(np.ceil(np.max(x + np.abs(v)) * np.pi / 8))
    oscillating = _integrate(
        lambda t: t * np.cos(x[..., None] * np.sin(t) - v[..., None] * t),
        np.zeros_like(x),
        np.full_like(x, np.pi),
        panels,
    )
    rising, peak_rising = _half_line(lambda t: t, v, x, "sinh")
    c, s = np.cos(np.pi * v)[..., None], np.sin(np.pi * v)[..., None]
    falling, peak_falling = _half_line(lambda t: t * c + np.pi * s, -v, x, "sinh")
    tails = np.exp(peak_falling) * falling - np.exp(peak_rising) * rising
    return (tails - oscillating) / np.pi


def _di_scaled_integral(v: Any, x: Any) -> Any:
    top = np.arccos(np.maximum(-1.0, 1 - _DROP / x))  # exp(x (cos t - 1)) is negligible beyond
    panels = 2 + int(np.ceil(np.max(np.abs(v) * top) / 8))
    hump = _integrate(
        lambda t: t * np.exp(x[..., None] * (np.cos(t) - 1)) * np.sin(v[..., None] * t),
        np.zeros_like(x),
        top,
        panels,
    )
    c, s = np.cos(np.pi * v)[..., None], np.sin(np.pi * v)[..., None]
    tail, peak = _half_line(lambda t: s / np.pi * t - c, -v, x, "cosh")
    return np.exp(peak - 2 * x) * tail - hump / np.pi


def _di_scaled_series(v: Any, x: Any) -> Any:
    return _order_series(v, x, 1.0) * np.exp(-x)


def _di_scaled(v: Any, x: Any) -> Any:
    """exp(-x) dI_v(x)/dv: the series (positive terms) where I_v(x) << exp(x) or x is small."""
    series = (x * x <= 4 * (np.abs(v) + 1)) | (sc.ive(np.abs(v), x) <= 1e-3)
    return _choose(series, _di_scaled_series, _di_scaled_integral, v, x)


def _dk_scaled(v: Any, x: Any) -> Any:
    """exp(x) dK_v(x)/dv; K_v is even in v."""
    a = np.abs(v)
    tail, peak = _half_line(lambda t: -t * np.expm1(-2 * a[..., None] * t) / 2, a, x, "cosh")
    return np.sign(v) * np.exp(peak) * tail


# The order derivative of each function, given (v, x) with real x.
_ORDER: dict[Any, Callable[[Any, Any], Any]] = {
    sc.jv: lambda v, x: _on_positive(_dj, v, x, 0.0),
    sc.jve: lambda v, x: _on_positive(_dj, v, x, 0.0),
    sc.yv: lambda v, x: _on_positive(_dy, v, x, np.nan),
    sc.yve: lambda v, x: _on_positive(_dy, v, x, np.nan),
    sc.iv: lambda v, x: _on_positive(_di_scaled, v, x, 0.0) * np.exp(x),
    sc.ive: lambda v, x: _on_positive(_di_scaled, v, x, 0.0),
    sc.kv: lambda v, x: _on_positive(_dk_scaled, v, x, np.nan) * np.exp(-x),
    sc.kve: lambda v, x: _on_positive(_dk_scaled, v, x, np.nan),
    sc.hankel1: lambda v, x: _hankel_order(v, x, 1j),
    sc.hankel1e: lambda v, x: _hankel_order(v, x, 1j) * np.exp(-1j * x),
    sc.hankel2: lambda v, x: _hankel_order(v, x, -1j),
    sc.hankel2e: lambda v, x: _hankel_order(v, x, -1j) * np.exp(1j * x),
}


def _hankel_order(v: Any, x: Any, i: complex) -> Any:
    return _on_positive(_dj, v, x, 0.0) + i * _on_positive(_dy, v, x, np.nan)


def _order_partial(f: Any, v: Any, z: Any) -> Any:
    if np.iscomplexobj(z):
        return not_implemented(
            f"derivative of scipy.special.{f.__name__} in the order v at a complex argument "
            "(computed for real arguments only)"
        )
    return _ORDER[f](v, z)


# ---------------------------------------------------------------------------------------------
# f(v, z): frule and rrule from the derivative in z and in the order


def _minus_sign(part: Callable[[Any], Any]) -> Callable[[Any, Any], Any]:
    # d/dz of exp(-|part(z)|) is -sign(part(z)) exp(-|part(z)|) d part(z)
    def factor(z: Any, y: Any) -> Any:
        return -np.sign(part(z)) * y

    return factor


def _register_order_bessel(
    f: Any, dz: Callable[[Any, Any, Any], Any], part: Callable[[Any], Any] | None = None
) -> None:
    """Rules of `f(v, z)` with `dz(v, z, y)` its holomorphic derivative in `z`; `part` is
    `np.real` or `np.imag` for a scaling factor `exp(-|part(z)|)` (not holomorphic)."""
    name = f.__name__
    kink = None if part is None else _minus_sign(part)

    def check(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if args or kwargs.get("out") is not None:
            raise TypeError(
                f"differentiating scipy.special.{name} with out= (writing into an array) is not "
                "supported: assign the result instead"
            )

    def bessel_frule(tangents: tuple[Any, ...], v: Any, z: Any, *out: Any, **kwargs: Any) -> Any:
        check(out, kwargs)
        y = f(v, z, **kwargs)
        _, dv, dz_ = (unthunk(t) for t in tangents)
        dy: Any = ZeroTangent()
        if not isinstance(dz_, AbstractZero):
            dy = dz(v, z, y) * dz_
            if kink is not None:
                dy = dy + kink(z, y) * part(dz_)  # type: ignore[misc]
        if not isinstance(dv, AbstractZero):
            dy = dy + _order_partial(f, v, z) * dv
        if isinstance(dy, np.ndarray) and dy.shape != np.shape(y):
            dy = np.broadcast_to(dy, np.shape(y)).copy()
        return y, ProjectTo(y)(dy)

    def bessel_rrule(v: Any, z: Any, *out: Any, **kwargs: Any) -> Any:
        check(out, kwargs)
        project_v, project_z = ProjectTo(v), ProjectTo(z)
        y = f(v, z, **kwargs)

        def order_cotangent(dy: Any) -> Any:
            if np.iscomplexobj(z):
                return _order_partial(f, v, z)  # not implemented

            def order_derivative() -> Any:
                return project_v(_ORDER[f](v, z).conj() * dy)

            return Thunk(order_derivative)

        def bessel_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), project_v(dy), project_z(dy)
            dv = order_cotangent(dy) if has_tangent_space(v) else NoTangent()
            dz_ = np.conj(dz(v, z, y)) * dy
            if kink is not None:
                # The cotangent of a real function of part(z): real part or imaginary part.
                weight = np.real(np.conj(kink(z, y)) * dy)
                dz_ = dz_ + (weight if part is np.real else 1j * weight)
            return NoTangent(), dv, project_z(dz_)

        bessel_pullback.__name__ = bessel_pullback.__qualname__ = f"{name}_pullback"
        return y, bessel_pullback

    frule.register(f)(bessel_frule)
    rrule.register(f)(bessel_rrule)


def _difference(f: Any, sign: float, factor: float = 0.5) -> Callable[[Any, Any, Any], Any]:
    # factor * (f(v-1, z) + sign * f(v+1, z))
    def derivative(v: Any, z: Any, y: Any) -> Any:
        return factor * (f(v - 1, z) + sign * f(v + 1, z))

    derivative.__name__ = f"d{f.__name__}_dz"
    return derivative


def _plus(derivative: Callable[..., Any], c: complex) -> Callable[[Any, Any, Any], Any]:
    # the derivative of f(v, z) exp(c z) is f'(v, z) exp(c z) + c y
    def scaled(v: Any, z: Any, y: Any) -> Any:
        return derivative(v, z, y) + c * y

    return scaled


_register_order_bessel(sc.jv, _difference(sc.jv, -1.0))
_register_order_bessel(sc.jve, _difference(sc.jve, -1.0), np.imag)
_register_order_bessel(sc.yv, _difference(sc.yv, -1.0))
_register_order_bessel(sc.yve, _difference(sc.yve, -1.0), np.imag)
_register_order_bessel(sc.iv, _difference(sc.iv, 1.0))
_register_order_bessel(sc.ive, _difference(sc.ive, 1.0), np.real)
_register_order_bessel(sc.kv, _difference(sc.kv, 1.0, -0.5))
_register_order_bessel(sc.kve, _plus(_difference(sc.kve, 1.0, -0.5), 1.0))
_register_order_bessel(sc.hankel1, _difference(sc.hankel1, -1.0))
_register_order_bessel(sc.hankel1e, _plus(_difference(sc.hankel1e, -1.0), -1j))
_register_order_bessel(sc.hankel2, _difference(sc.hankel2, -1.0))
_register_order_bessel(sc.hankel2e, _plus(_difference(sc.hankel2e, -1.0), 1j))

# ---------------------------------------------------------------------------------------------
# Spherical Bessel functions f(n, z, derivative=False), integer n


def _register_spherical(f: Any, outer: float, inner: float) -> None:
    """`(2n+1) f_n' = outer * (n f_{n-1} + inner * (n+1) f_{n+1})`; with it, the second
    derivative is the same combination of first derivatives (no division by z)."""
    name = f.__name__

    def first_derivative(n: Any, z: Any) -> Any:
        return f(n, z, derivative=True)

    def second_derivative(n: Any, z: Any) -> Any:
        below = n * f(np.maximum(n - 1, 0), z, derivative=True)  # n = 0 drops that term
        above = (n + 1) * f(n + 1, z, derivative=True)
        return outer * (below + inner * above) / (2 * n + 1)

    def slope(n: Any, z: Any, derivative: Any) -> Any:
        return second_derivative(n, z) if derivative else first_derivative(n, z)

    def spherical_frule(
        tangents: tuple[Any, ...], n: Any, z: Any, *flag: Any, derivative: Any = False
    ) -> Any:
        derivative = flag[0] if flag else derivative
        y = f(n, z, derivative)
        dz = unthunk(tangents[2])
        dy = dz if isinstance(dz, AbstractZero) else slope(n, z, derivative) * dz
        if isinstance(dy, np.ndarray) and dy.shape != np.shape(y):
            dy = np.broadcast_to(dy, np.shape(y)).copy()
        return y, ProjectTo(y)(dy)

    def spherical_rrule(n: Any, z: Any, *flag: Any, derivative: Any = False) -> Any:
        derivative = flag[0] if flag else derivative
        project_z = ProjectTo(z)
        y = f(n, z, derivative)

        def spherical_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            dz = dy if isinstance(dy, AbstractZero) else np.conj(slope(n, z, derivative)) * dy
            return (NoTangent(), NoTangent(), project_z(dz), *(NoTangent() for _ in flag))

        spherical_pullback.__name__ = spherical_pullback.__qualname__ = f"{name}_pullback"
        return y, spherical_pullback

    frule.register(f)(spherical_frule)
    rrule.register(f)(spherical_rrule)


_register_spherical(sc.spherical_jn, 1.0, -1.0)
_register_spherical(sc.spherical_yn, 1.0, -1.0)
_register_spherical(sc.spherical_in, 1.0, 1.0)
_register_spherical(sc.spherical_kn, -1.0, 1.0)
