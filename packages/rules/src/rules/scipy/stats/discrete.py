"""Rules for discrete distributions of `scipy.stats`: `poisson`, `binom` and `nbinom`.

Both an frule and an rrule for `logpmf`, `pmf`, `logcdf`, `cdf`, `sf` and `logsf` of each,
in its continuous parameters, given positionally (keyword arguments are constants, as for
every rule):

- `poisson(mu)`: `∂ log pmf/∂mu = k/mu - 1`; `∂cdf/∂mu = -pmf(⌊k⌋; mu)` (the cdf is
  `Q(⌊k⌋+1, mu)`, whose derivative in `mu` is minus the gamma density);
- `binom(n, p)`: `∂ log pmf/∂p = k/p - (n-k)/(1-p)`; `∂cdf/∂p = -n pmf(⌊k⌋; n-1, p)`.
  `n` takes integer values only (SciPy gives nan elsewhere): no derivative, `NoTangent()`;
- `nbinom(n, p)`, `n > 0` real: `∂ log pmf/∂n = ψ(n+k) - ψ(n) + log p`,
  `∂ log pmf/∂p = n/p - k/(1-p)`; the cdf is `I_p(n, ⌊k⌋+1)`: `∂/∂p` is the beta density,
  `∂/∂n` the derivative of the incomplete beta function in its first parameter (see
  `rules.scipy.special.incomplete`).

The quantile `k` and `loc` have a derivative of 0 (`ZeroTangent()`): each method is piecewise
constant in them, with jumps at the integers (where the derivative is taken to be that of
the pieces, as for `floor`). Outside the support every derivative is 0; where SciPy returns
nan (invalid parameters) the derivatives are nan.

>>> import rules
>>> from scipy import stats
>>> from rulescore import rrule, unthunk
>>> y, back = rrule(stats.poisson.logpmf, 3, 2.0)
>>> dk, dmu = back(1.0)[1:]
>>> dk, unthunk(dmu)  # k: piecewise constant; mu: 3/2 - 1
(ZeroTangent(), 0.5)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special, stats

from rules.scipy.special.incomplete import betainc_partials_ab
from rules.scipy.stats._parameters import Lazy, Parameters, bind, register_method
from rulescore import NoTangent, ZeroTangent

__all__: list[str] = []

METHODS = ("logpmf", "pmf", "logcdf", "cdf", "sf", "logsf")

Shapes = tuple[Any, ...]


# ---------------------------------------------------------------------------------------------
# Per distribution: the partials of log pmf at the integer k, and of the cdf at ⌊k⌋


def _poisson_logpmf(k: Any, mu: Any) -> Shapes:
    return (np.where(k == 0, -1.0, k / mu - 1),)  # k log mu - mu - log k!


def _poisson_cdf(k: Any, mu: Any) -> Shapes:
    return (-stats.poisson.pmf(k, mu),)


def _binom_logpmf(k: Any, n: Any, p: Any) -> Shapes:
    return None, (k / p - (n - k) / (1 - p))


def _binom_cdf(k: Any, n: Any, p: Any) -> Shapes:
    return None, -n * stats.binom.pmf(k, n - 1, p)


def _nbinom_logpmf(k: Any, n: Any, p: Any) -> Shapes:
    # log Γ(n+k) - log Γ(n) - log k! + n log p + k log(1-p)
    return special.digamma(n + k) - special.digamma(n) + np.log(p), n / p - k / (1 - p)


def _nbinom_cdf(k: Any, n: Any, p: Any) -> Shapes:
    dn = betainc_partials_ab(n, k + 1, p)[0]
    dp = np.exp(special.xlogy(n - 1, p) + special.xlog1py(k, -p) - special.betaln(n, k + 1))
    return dn, dp


# (distribution, log pmf partials, cdf partials); None marks a parameter with no derivative.
DISTRIBUTIONS = (
    (stats.poisson, _poisson_logpmf, _poisson_cdf, (True,)),
    (stats.binom, _binom_logpmf, _binom_cdf, (False, True)),
    (stats.nbinom, _nbinom_logpmf, _nbinom_cdf, (True, True)),
)


# ---------------------------------------------------------------------------------------------
# From those to the partials of each method


def method_partials(
    dist: Any,
    logpmf: Callable[..., Shapes],
    cdf: Callable[..., Shapes],
    differentiable: tuple[bool, ...],
    kind: str,
) -> Callable[..., tuple[Lazy, ...]]:
    """`partials(args, kwargs, y)` of `dist.<kind>` for `register_method`."""

    def partials(args: tuple[Any, ...], kwargs: dict[str, Any], y: Any) -> tuple[Lazy, ...]:
        p = bind(dist, args, kwargs)
        shapes = _once(functools.partial(_shape_partials, dist, logpmf, cdf, kind, p, y))
        lazy: list[Lazy] = [ZeroTangent()]
        lazy += [
            functools.partial(_entry, shapes, i) if differentiable[i] else NoTangent()
            for i in range(min(p.positional, len(p.shapes)))
        ]
        lazy += [ZeroTangent()] * (p.positional - len(p.shapes))  # loc
        return tuple(lazy)

    return partials


def _shape_partials(
    dist: Any,
    logpmf: Callable[..., Shapes],
    cdf: Callable[..., Shapes],
    kind: str,
    p: Parameters,
    y: Any,
) -> Shapes:
    y64 = np.asarray(y, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = p.x - p.loc
        low, high = dist.support(*p.shapes)
        if kind in ("logpmf", "pmf"):
            on = (k == np.floor(k)) & (k >= low) & (k <= high)
            ks = np.where(on, k, np.nan)
            values = logpmf(ks, *p.shapes)
            scale = y64 if kind == "pmf" else 1.0
            values = tuple(None if v is None else v * scale for v in values)
        else:
            on = (k >= low) & (k < high)  # the cdf is 0 below the support and 1 above
            ks = np.where(on, np.floor(k), np.nan)
            values = cdf(ks, *p.shapes)
            sign = -1.0 if kind in ("sf", "logsf") else 1.0
            if kind == "logcdf":
                scale = 1 / np.exp(y64)
            elif kind == "logsf":
                scale = -1 / np.exp(y64)
            else:
                scale = sign
            values = tuple(None if v is None else v * scale for v in values)
        return tuple(
            None if v is None else np.where(np.isnan(y64), np.nan, np.where(on, v, 0.0))
            for v in values
        )


def _entry(shapes: Callable[[], Shapes], i: int) -> Any:
    return shapes()[i]


def _once(fn: Callable[[], Any]) -> Callable[[], Any]:
    return functools.cache(fn)


for _dist, _logpmf, _cdf, _differentiable in DISTRIBUTIONS:
    for _kind in METHODS:
        _partials = method_partials(_dist, _logpmf, _cdf, _differentiable, _kind)
        register_method(getattr(_dist, _kind), _partials)
