"""Rules for the gamma family of `scipy.special`.

Both rules (frule and rrule) for:

- `gamma`, `rgamma`, `loggamma`, `digamma` (`psi` is the same ufunc): real and complex
  (holomorphic); `gammaln` (`log|Γ(x)|`, real only);
- `polygamma(n, x)`: in `x` (`polygamma(n + 1, x)`); the order `n` is an integer
  (`NoTangent`);
- `multigammaln(a, d)`: in `a` (a sum of digammas); the dimension `d` (positional or by
  keyword) is an integer (`NoTangent`);
- `beta`, `betaln`, `binom`, `poch`: in both (real) arguments;
- `gammasgn`: piecewise constant, derivative `ZeroTangent()` (as `np.sign` of a real number).

Conventions at singular points (the poles of `Γ` at `0, -1, -2, ...`):

- `rgamma` is entire: at a pole `-m` its derivative is `(-1)**m * m!`, not `0 * inf`.
- Where `beta`, `binom` or `poch` vanish because a `1/Γ` factor does (`beta(a, b)` with
  `a + b` a pole; `binom(n, k)` with `k + 1` or `n - k + 1` a pole, such as `binom(2, 3)`;
  `poch(z, m)` with `z` a pole, such as `poch(-2, 3)`), the derivatives are those of the
  product with `rgamma`'s derivative at the pole: finite, and exact.
- `poch(z, m)` with both `z` and `z + m` poles (`poch(-2, 2) == 2`): `d/dz` is the limit
  `y * (ψ(1 - z - m) - ψ(1 - z))`; `d/dm` is NaN (the function is 0 for nearby non-integer
  `m`: it is not continuous in `m` there).
- Elsewhere at poles the derivatives are whatever `y * ψ` gives (inf or NaN), without
  warnings, as SciPy's own values at poles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import (
    beta,
    betaln,
    binom,
    digamma,
    gamma,
    gammaln,
    gammasgn,
    loggamma,
    multigammaln,
    poch,
    polygamma,
    rgamma,
)

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    rrule,
    scalar_rule,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# Helpers: poles of Γ, the derivative of 1/Γ, the trigamma function of a complex argument


def _poles(x: Any) -> tuple[Any, Any]:
    """Where `x` is a pole of Γ (0, -1, -2, ...), and `m` with `x == -m` there (else 0)."""
    real = np.real(x)
    pole = (np.imag(x) == 0) & (real <= 0) & (real == np.floor(real))
    return pole, np.where(pole, -real, 0.0)


def _rgamma_derivative(x: Any) -> Any:
    """`d/dx 1/Γ(x) == -ψ(x)/Γ(x)`; at a pole `-m` of Γ, where 1/Γ vanishes, `(-1)**m m!`."""
    pole, m = _poles(x)
    safe = np.where(pole, 0.5, x)
    at_pole = np.where(m % 2 == 0, 1.0, -1.0) * gamma(m + 1)
    return np.where(pole, at_pole, -digamma(safe) * rgamma(safe))


# Bernoulli numbers B2, B4, ..., B14 of the asymptotic series of the trigamma function.
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6)
_SHIFT = 10


def _trigamma(z: Any) -> Any:
    """`ψ'(z)`; SciPy's `polygamma` is real only, so complex `z` is computed here (DLMF 5.15):
    reflection `ψ'(1 - z) + ψ'(z) = π² / sin²(πz)` to `Re z >= 1/2`, recurrence
    `ψ'(z) = 1/z² + ψ'(z + 1)` to `Re z >= 10.5`, then the asymptotic series
    `1/z + 1/(2z²) + Σ B_2k / z^(2k+1)` (relative error below 1e-15)."""
    if not np.iscomplexobj(z):
        return polygamma(1, z)
    z = np.asarray(z, dtype=np.complex128)
    reflect = z.real < 0.5
    w = np.where(reflect, 1 - z, z)
    total = np.zeros_like(w)
    for k in range(_SHIFT):
        total = total + 1 / (w + k) ** 2
    inv = 1 / (w + _SHIFT)
    inv2 = inv * inv
    series = np.zeros_like(w)
    for b in reversed(_BERNOULLI):
        series = (series + b) * inv2
    total = total + inv * (1 + inv / 2 + series)
    # π² / sin²(πz) = -4π² q / (1 - q)² with q = exp(±2πiz), |q| <= 1: no overflow for a
    # large imaginary part.
    q = np.exp(2j * np.pi * np.where(z.imag < 0, -z, z))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflected = -4 * np.pi**2 * q / (1 - q) ** 2 - total
    return np.where(reflect, reflected, total)


# ---------------------------------------------------------------------------------------------
# One argument


def _gamma_dx(x: Any, y: Any) -> Any:
    with np.errstate(invalid="ignore", over="ignore"):
        return y * digamma(x)


scalar_rule(gamma, _gamma_dx)
scalar_rule(rgamma, lambda x, y: _rgamma_derivative(x))
scalar_rule(gammaln, lambda x, y: digamma(x))
scalar_rule(loggamma, lambda x, y: digamma(x))
scalar_rule(digamma, lambda x, y: _trigamma(x))
scalar_rule(gammasgn, lambda x, y: ZeroTangent())
scalar_rule(polygamma, None, lambda n, x, y: polygamma(np.add(n, 1), x))


def _multigammaln_da(a: Any, d: Any) -> Any:
    # multigammaln(a, d) = const + Σ_{j<d} gammaln(a - j/2)
    a = np.asarray(a)
    halves = np.reshape(np.arange(d) / 2, (-1,) + (1,) * a.ndim)
    return np.sum(digamma(a - halves), axis=0)


def _dimension(d: Any) -> Any:
    return d


# Not scalar_rule: the dimension may be passed by keyword, multigammaln(a, d=3).
@frule.register(multigammaln)
def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    d = _dimension(*args, **kwargs)
    y = multigammaln(a, *args, **kwargs)
    da = unthunk(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ZeroTangent()
    return y, ProjectTo(y)(_multigammaln_da(a, d) * da)


@rrule.register(multigammaln)
def _(a: Any, *args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    d = _dimension(*args, **kwargs)
    project_a = ProjectTo(a)
    y = multigammaln(a, *args, **kwargs)

    def multigammaln_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_a(dy), *(NoTangent() for _ in args)
        return NoTangent(), project_a(_multigammaln_da(a, d) * dy), *(NoTangent() for _ in args)

    return y, multigammaln_pullback


# ---------------------------------------------------------------------------------------------
# Two arguments: beta, betaln, binom, poch


def _real_poles(x: Any) -> Any:
    return (x <= 0) & (x == np.floor(x))


def _beta_partial(a: Any, b: Any, y: Any) -> Any:
    # d/da B(a, b) = B(a, b) (ψ(a) - ψ(a + b)); where a + b is a pole (B == 0), the derivative
    # of Γ(a) Γ(b) / Γ(a + b) through 1/Γ.
    with np.errstate(invalid="ignore", over="ignore"):
        vanishes = _real_poles(a + b) & ~_real_poles(a) & ~_real_poles(b)
        through_rgamma = gamma(a) * gamma(b) * _rgamma_derivative(a + b)
        return np.where(vanishes, through_rgamma, y * (digamma(a) - digamma(a + b)))


scalar_rule(
    beta,
    lambda a, b, y: _beta_partial(a, b, y),
    lambda a, b, y: _beta_partial(b, a, y),
)
scalar_rule(
    betaln,
    lambda a, b, y: digamma(a) - digamma(a + b),
    lambda a, b, y: digamma(b) - digamma(a + b),
)


def _binom_partials(n: Any, k: Any, y: Any) -> tuple[Any, Any]:
    # binom(n, k) = Γ(n + 1) rgamma(k + 1) rgamma(n - k + 1): where a rgamma factor vanishes
    # (and Γ(n + 1) is finite) differentiate that product, elsewhere y times digammas.
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        vanishes = (_real_poles(k + 1) | _real_poles(n - k + 1)) & ~_real_poles(n + 1)
        g = gamma(n + 1)
        rk, rnk = rgamma(k + 1), rgamma(n - k + 1)
        drk, drnk = _rgamma_derivative(k + 1), _rgamma_derivative(n - k + 1)
        dn = np.where(vanishes, g * rk * drnk, y * (digamma(n + 1) - digamma(n - k + 1)))
        dk = np.where(
            vanishes, g * (drk * rnk - rk * drnk), y * (digamma(n - k + 1) - digamma(k + 1))
        )
    return dn, dk


scalar_rule(
    binom,
    lambda n, k, y: _binom_partials(n, k, y)[0],
    lambda n, k, y: _binom_partials(n, k, y)[1],
)


def _poch_dz(z: Any, m: Any, y: Any) -> Any:
    # poch(z, m) = Γ(z + m) rgamma(z). At a pole z = -a: with z + m = -b also a pole the
    # value is finite and ψ(z + m) - ψ(z) tends to ψ(1 - z - m) - ψ(1 - z) (reflection);
    # otherwise poch == 0 and the derivative goes through rgamma.
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        pole_z, pole_zm = _real_poles(z), _real_poles(z + m)
        both = y * (digamma(1 - z - m) - digamma(1 - z))
        only_z = gamma(z + m) * _rgamma_derivative(z)
        generic = y * (digamma(z + m) - digamma(z))
        return np.where(pole_z, np.where(pole_zm, both, only_z), generic)


def _poch_dm(z: Any, m: Any, y: Any) -> Any:
    with np.errstate(invalid="ignore", over="ignore"):
        pole_z, pole_zm = _real_poles(z), _real_poles(z + m)
        return np.where(pole_z, np.where(pole_zm, np.nan, 0.0), y * digamma(z + m))


scalar_rule(poch, _poch_dz, _poch_dm)
