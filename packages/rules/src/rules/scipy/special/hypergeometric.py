"""Rules for the hypergeometric functions and the zeta functions of `scipy.special`.

Both rules (frule and rrule) for:

- `hyp0f1(v, z)`: `d/dz = hyp0f1(v + 1, z) / v`; `d/dv` for real `z`;
- `hyp1f1(a, b, z)`: `d/dz = a / b hyp1f1(a + 1, b + 1, z)`; `d/da`, `d/db` for real `z`;
- `hyp2f1(a, b, c, z)`: `d/dz = a b / c hyp2f1(a + 1, b + 1, c + 1, z)`; the parameters get
  `not_implemented` (the Gauss series converges only for `|z| < 1`, and SciPy's
  transformations to the rest of the plane have degenerate cases of their own);
- `zeta(x)` (Riemann), `zeta(x, q)` (Hurwitz) and `zetac(x)`: `d/dq = -x zeta(x + 1, q)`;
  `d/dx = -sum_k log(k + q) (k + q)**-x` by Euler-Maclaurin summation (15 terms, then the
  integral and 12 Bernoulli corrections, more terms for a large `|Im x|`), and for Riemann's
  zeta at `Re x < -1/2` from the functional equation
  `zeta(x) = 2**x pi**(x-1) sin(pi x / 2) Gamma(1 - x) zeta(1 - x)`.

Parameter derivatives (`a`, `b`, `v`), computed for real `z` only (`not_implemented` for a
complex `z`): the power series differentiated term by term, its Pochhammer symbols and their
derivatives carried by recurrences (so non-positive integer parameters are fine); for
`hyp1f1` at `z < 0` after Kummer's transformation `M(a, b, z) = e^z M(b - a, b, -z)` (so
the series has no cancellation), for `hyp0f1` at `z < -(|v| + 1)` through
`0F1(; v; -w) = Gamma(v) w**((1 - v)/2) J_{v-1}(2 sqrt w)` and the order derivative of
`jv` (`rules.scipy.special.bessel`). The series also sums the function itself: where that
sum disagrees with SciPy's value by more than `1e-8` relative, the derivative is NaN rather
than wrong. They are returned as `Thunk`s by the pullbacks.

Complex arguments: `z` of the hypergeometric functions, `x` of Riemann's zeta (SciPy's
Hurwitz zeta and `zetac` are real). Conventions: `d/dx` of the Hurwitz zeta is NaN for
`q <= 0` (where `zeta(x, q)` is real only at integer `x`); `zeta(1)` is a pole (infinite
derivative). `q` given by keyword is not differentiated (keywords never are). `out=` is
refused.
"""

from __future__ import annotations

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
    unthunk,
)

__all__: list[str] = []

_TINY = 1e-17  # a series stops when its terms fall below _TINY times the sum of their sizes


def _refuse_out(name: str, out: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    if out or kwargs.get("out") is not None:
        raise TypeError(
            f"differentiating scipy.special.{name} with out= (writing into an array) is not "
            "supported: assign the result instead"
        )


def _fit(dy: Any, y: Any) -> Any:
    # A tangent of one broadcast argument covers less than y.
    if isinstance(dy, np.ndarray) and dy.shape != np.shape(y):
        return np.broadcast_to(dy, np.shape(y)).copy()
    return dy


# ---------------------------------------------------------------------------------------------
# Rules of f(*parameters, z) from the derivative in z and lazily computed parameter partials


def _register(
    f: Any,
    dz: Callable[..., Any],
    parameters: Callable[..., tuple[Any, ...]],
    unavailable: Callable[..., str | None],
) -> None:
    """`dz(*args, y)`: the derivative in `z` (the last argument). `parameters(*args, y)`: the
    partials in the others; `unavailable(*args)`: why they are not computed, or None."""
    name = f.__name__

    def parametric_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        n = f.nin
        args, out = args[:n], args[n:]
        _refuse_out(name, out, kwargs)
        y = f(*args, **kwargs)
        dparameters, dz_ = [unthunk(t) for t in tangents[1:n]], unthunk(tangents[n])
        dy: Any = ZeroTangent() if isinstance(dz_, AbstractZero) else dz(*args, y) * dz_
        if not all(isinstance(d, AbstractZero) for d in dparameters):
            reason = unavailable(*args)
            if reason is not None:
                return y, not_implemented(reason)
            for partial, d in zip(parameters(*args, y), dparameters, strict=True):
                if not isinstance(d, AbstractZero):
                    dy = dy + partial * d
        return y, ProjectTo(y)(_fit(dy, y))

    def parametric_rrule(*args: Any, **kwargs: Any) -> Any:
        n = f.nin
        args, out = args[:n], args[n:]
        _refuse_out(name, out, kwargs)
        projections = [ProjectTo(a) for a in args]
        y = f(*args, **kwargs)
        memo: list[tuple[Any, ...]] = []

        def partials() -> tuple[Any, ...]:
            if not memo:  # one computation serves every parameter's thunk
                memo.append(parameters(*args, y))
            return memo[0]

        def parameter_cotangent(i: int, dy: Any) -> Any:
            if not has_tangent_space(args[i]):
                return NoTangent()
            reason = unavailable(*args)
            if reason is not None:
                return not_implemented(reason)

            def parameter_derivative() -> Any:
                return projections[i](np.conj(partials()[i]) * dy)

            return Thunk(parameter_derivative)

        def parametric_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), *(p(dy) for p in projections)
            dz_ = projections[-1](np.conj(dz(*args, y)) * dy)
            return NoTangent(), *(parameter_cotangent(i, dy) for i in range(n - 1)), dz_

        parametric_pullback.__name__ = parametric_pullback.__qualname__ = f"{name}_pullback"
        return y, parametric_pullback

    frule.register(f)(parametric_frule)
    rrule.register(f)(parametric_rrule)


def _real_z_only(name: str) -> Callable[..., str | None]:
    def unavailable(*args: Any) -> str | None:
        if np.iscomplexobj(args[-1]):
            return f"derivative of scipy.special.{name} in its parameters at a complex z"
        return None

    return unavailable


def _checked(value: Any, y: Any, *partials: Any) -> tuple[Any, ...]:
    """The partials, NaN where the series' own value of the function disagrees with SciPy's."""
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(value - y) <= 1e-8 * np.abs(y) + 1e-300)
    return tuple(np.where(bad, np.nan, p) for p in partials)


def _floats(*args: Any) -> list[Any]:
    return [np.asarray(a, dtype=np.float64) for a in np.broadcast_arrays(*args)]


# ---------------------------------------------------------------------------------------------
# hyp1f1(a, b, z)


def _kummer_series(a: Any, b: Any, z: Any) -> tuple[Any, Any, Any]:
    """`M(a, b, z)` and its derivatives in `a` and `b`, by the series (for z >= 0)."""
    term, dterm_a = np.ones_like(z), np.zeros_like(z)  # (a)_k z^k / ((b)_k k!) and d/da
    harmonic = np.zeros_like(z)  # sum_{j<k} 1 / (b + j) = d/db log (b)_k
    value, da, db = term.copy(), dterm_a.copy(), np.zeros_like(z)
    size = np.ones_like(z)
    start = np.max(np.abs(a) + np.abs(b) + z, initial=0.0)
    for k in range(20000):
        ratio = z / ((b + k) * (k + 1))
        term, dterm_a = term * (a + k) * ratio, (dterm_a * (a + k) + term) * ratio
        harmonic = harmonic + 1 / (b + k)
        dterm_b = -term * harmonic
        value, da, db = value + term, da + dterm_a, db + dterm_b
        last = np.abs(term) + np.abs(dterm_a) + np.abs(dterm_b)
        size = size + last
        if k > start and np.all(~(last > _TINY * size)):
            break
    return value, da, db


def _hyp1f1_parameters(a: Any, b: Any, z: Any, y: Any) -> tuple[Any, Any]:
    a, b, z = _floats(a, b, z)
    y = sc.hyp1f1(a, b, z)  # in float64, to check the series against
    with np.errstate(all="ignore"):
        flip = z < 0
        value, da, db = _kummer_series(np.where(flip, b - a, a), b, np.abs(z))
        scale = np.exp(np.where(flip, z, 0.0))
        # M(a, b, z) = e^z M(b - a, b, -z): d/da = -e^z M_1, d/db = e^z (M_1 + M_2)
        da, db = np.where(flip, -scale * da, da), np.where(flip, scale * (da + db), db)
        return _checked(scale * value, y, da, db)  # type: ignore[return-value]


_register(
    sc.hyp1f1,
    lambda a, b, z, y: a / b * sc.hyp1f1(a + 1, b + 1, z),
    _hyp1f1_parameters,
    _real_z_only("hyp1f1"),
)

# ---------------------------------------------------------------------------------------------
# hyp0f1(v, z)


def _hyp0f1_series(v: Any, z: Any) -> tuple[Any, Any]:
    term, harmonic = np.ones_like(z), np.zeros_like(z)
    value, dv, size = term.copy(), np.zeros_like(z), np.ones_like(z)
    start = np.max(np.abs(v) + np.sqrt(np.abs(z)), initial=0.0)
    for k in range(20000):
        term = term * z / ((v + k) * (k + 1))
        harmonic = harmonic + 1 / (v + k)
        value, dv = value + term, dv - term * harmonic
        last = np.abs(term) * (1 + np.abs(harmonic))
        size = size + last
        if k > start and np.all(~(last > _TINY * size)):
            break
    return value, dv


def _hyp0f1_through_bessel(v: Any, w: Any) -> Any:
    # 0F1(; v; -w) = Gamma(v) w**((1-v)/2) J_{v-1}(2 sqrt(w)), differentiated in v
    x = 2 * np.sqrt(w)
    j, dj = frule((NoTangent(), np.ones_like(v), ZeroTangent()), sc.jv, v - 1, x)  # type: ignore[misc]
    factor = sc.gammasgn(v) * np.exp(sc.gammaln(v) + (1 - v) / 2 * np.log(w))
    return factor * ((sc.psi(v) - np.log(w) / 2) * j + dj)


def _hyp0f1_parameters(v: Any, z: Any, y: Any) -> tuple[Any]:
    v, z = _floats(v, z)
    y = sc.hyp0f1(v, z)  # in float64, to check the series against
    with np.errstate(all="ignore"):
        bessel = z < -(np.abs(v) + 1)  # where the alternating series would cancel
        value, dv = _hyp0f1_series(np.where(bessel, 1.0, v), np.where(bessel, 0.0, z))
        (dv,) = _checked(np.where(bessel, y, value), y, dv)
        if np.any(bessel):
            dv[bessel] = _hyp0f1_through_bessel(v[bessel], -z[bessel])
    return (dv,)


_register(
    sc.hyp0f1,
    lambda v, z, y: sc.hyp0f1(v + 1, z) / v,
    _hyp0f1_parameters,
    _real_z_only("hyp0f1"),
)

# ---------------------------------------------------------------------------------------------
# hyp2f1(a, b, c, z)


def _hyp2f1_unavailable(*args: Any) -> str:
    return "derivative of scipy.special.hyp2f1 in its parameters a, b, c"


def _hyp2f1_parameters(*args: Any) -> tuple[Any, ...]:
    raise AssertionError("never called: the parameter derivatives are always unavailable")


_register(
    sc.hyp2f1,
    lambda a, b, c, z, y: a * b / c * sc.hyp2f1(a + 1, b + 1, c + 1, z),
    _hyp2f1_parameters,
    _hyp2f1_unavailable,
)

# ---------------------------------------------------------------------------------------------
# zeta(x, q=None), zetac(x): d/dx by Euler-Maclaurin summation

_TERMS, _CORRECTIONS = 15, 12


def _dzeta_euler_maclaurin(s: Any, q: Any) -> Any:
    """d/ds zeta(s, q) = -sum_k log(k + q) (k + q)**-s, for q > 0 (real) and s != 1."""
    terms = _TERMS + int(np.ceil(np.max(np.abs(np.imag(s)), initial=0.0)))
    total: Any = 0.0
    for k in range(terms):
        log_kq = np.log(k + q)
        total = total - log_kq * np.exp(-s * log_kq)
    u = q + terms
    log_u = np.log(u)
    # the integral u**(1-s) / (s-1) and the end point u**-s / 2, differentiated in s
    total = total - np.exp((1 - s) * log_u) * (log_u / (s - 1) + 1 / (s - 1) ** 2)
    total = total - log_u * np.exp(-s * log_u) / 2
    # B_2j / (2j)! (s)_{2j-1} u**(1-s-2j), with P = (s)_{2j-1} and dP = d/ds (s)_{2j-1}
    bernoulli = sc.bernoulli(2 * _CORRECTIONS)
    p, dp = s, np.ones_like(s)
    for j in range(1, _CORRECTIONS + 1):
        weight = bernoulli[2 * j] / sc.factorial(2 * j)
        total = total + weight * np.exp((1 - s - 2 * j) * log_u) * (dp - p * log_u)
        for m in (2 * j - 1, 2 * j):  # (s)_{2j+1} = (s)_{2j-1} (s + 2j - 1) (s + 2j)
            p, dp = p * (s + m), dp * (s + m) + p
    return total


def _dzeta_riemann(s: Any) -> Any:
    s = np.asarray(s)
    s = s.astype(np.complex128 if np.iscomplexobj(s) else np.float64)
    reflect = np.real(s) < -0.5
    out = np.array(_dzeta_euler_maclaurin(np.where(reflect, 0.75, s), 1.0))
    if np.any(reflect):
        t = s[reflect]
        r = 1 - t
        # zeta(t) = chi(t) zeta(1 - t), chi(t) = 2**t pi**(t-1) sin(pi t/2) Gamma(1 - t)
        scale = np.exp(t * np.log(2) + (t - 1) * np.log(np.pi) + sc.loggamma(r))
        sin, cos = np.sin(np.pi * t / 2), np.cos(np.pi * t / 2)
        dchi = sin * (np.log(2 * np.pi) - sc.psi(r)) + np.pi / 2 * cos
        out[reflect] = scale * (dchi * sc.zeta(r) - sin * _dzeta_euler_maclaurin(r, 1.0))
    return out


def _dzeta_dx(x: Any, q: Any) -> Any:
    with np.errstate(all="ignore"):
        if q is None:
            return _dzeta_riemann(x)
        x, q = np.broadcast_arrays(x, q)
        x = x.astype(np.complex128 if np.iscomplexobj(x) else np.float64)
        q = np.asarray(q, dtype=np.float64)
        return np.where(q > 0, _dzeta_euler_maclaurin(x, np.where(q > 0, q, 1.0)), np.nan)


@frule.register(sc.zeta)
def _(tangents: tuple[Any, ...], x: Any, *rest: Any, **kwargs: Any) -> Any:
    _refuse_out("zeta", rest[1:], kwargs)
    y = sc.zeta(x, *rest, **kwargs)
    q = rest[0] if rest else kwargs.get("q")
    dx = unthunk(tangents[1])
    dy: Any = ZeroTangent() if isinstance(dx, AbstractZero) else _dzeta_dx(x, q) * dx
    if rest:
        dq = unthunk(tangents[2])
        if not isinstance(dq, AbstractZero):
            dy = dy - x * sc.zeta(x + 1, q) * dq
    return y, ProjectTo(y)(_fit(dy, y))


@rrule.register(sc.zeta)
def _(x: Any, *rest: Any, **kwargs: Any) -> Any:
    _refuse_out("zeta", rest[1:], kwargs)
    q = rest[0] if rest else kwargs.get("q")
    project_x, project_q = ProjectTo(x), ProjectTo(q)
    y = sc.zeta(x, *rest, **kwargs)

    def zeta_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), dy, *(project_q(dy) for _ in rest)

        def x_derivative() -> Any:
            return project_x(np.conj(_dzeta_dx(x, q)) * dy)

        dx = Thunk(x_derivative)
        if not rest:
            return NoTangent(), dx
        return NoTangent(), dx, project_q(np.conj(-x * sc.zeta(x + 1, q)) * dy)

    return y, zeta_pullback


def _zetac_derivative(x: Any, y: Any) -> Any:
    return _dzeta_dx(x, None)


@frule.register(sc.zetac)
def _(tangents: tuple[Any, ...], x: Any, *out: Any, **kwargs: Any) -> Any:
    _refuse_out("zetac", out, kwargs)
    y = sc.zetac(x, **kwargs)
    dx = unthunk(tangents[1])
    dy = dx if isinstance(dx, AbstractZero) else _zetac_derivative(x, y) * dx
    return y, ProjectTo(y)(dy)


@rrule.register(sc.zetac)
def _(x: Any, *out: Any, **kwargs: Any) -> Any:
    _refuse_out("zetac", out, kwargs)
    project_x = ProjectTo(x)
    y = sc.zetac(x, **kwargs)

    def zetac_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), dy
        return NoTangent(), Thunk(lambda: project_x(_zetac_derivative(x, y) * dy))

    return y, zetac_pullback
