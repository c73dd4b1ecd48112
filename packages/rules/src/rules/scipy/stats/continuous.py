"""Rules for continuous distributions of `scipy.stats`, in every argument.

Both an frule and an rrule for `logpdf`, `pdf`, `logcdf`, `cdf`, `sf` and `logsf` of `norm`,
`t`, `gamma`, `beta`, `chi2`, `expon`, `laplace`, `logistic`, `cauchy`, `lognorm` and
`uniform` (the methods of those instances: `scipy.stats.norm.logpdf`, ...), in `x`, the shape
parameters, `loc` and `scale`.

Arguments are differentiated when given positionally: `gamma.logpdf(x, a, loc, scale)`.
Keyword arguments are never differentiated (the rule contract), so `norm.logpdf(x,
loc=m, scale=s)` treats `m` and `s` as constants: pass them positionally to differentiate
them. Every family is a location-scale family of a standardized distribution: with
`z = (x - loc) / scale`, `logpdf(x) = logpdf₀(z) - log(scale)` and `cdf(x) = cdf₀(z)`, so each
family states only the partials of `logpdf₀` in `z` and its shapes, and of `cdf₀` in its
shapes; the densities, `cdf₀` and `sf₀` themselves come from SciPy's own methods.

The derivatives of the cdf in the shape parameters: `gamma` and `chi2` through
`∂P(a, x)/∂a`, `beta` through `∂I_x(a, b)/∂a, ∂b`, and `t` through `∂I_x(df/2, 1/2)/∂a` (or
`∂I_w(1/2, df/2)/∂b` with `w = 1 - x = t²/(df + t²)` where `x` is near 1) with the chain
rule through `x` (see `rules.scipy.special.incomplete`); `lognorm` in closed form.

Conventions: outside the support (`x < loc` for `gamma`, ...) and at `x = ±inf`, where each
method is constant, every derivative is 0; where SciPy returns nan (invalid parameters) every
derivative is nan. At the kink of `laplace` (`x == loc`) the derivative in `x` is 0 (the zero
subgradient).

>>> import numpy as np
>>> import rules
>>> from scipy import stats
>>> from rulescore import rrule, unthunk
>>> y, back = rrule(stats.norm.logpdf, 1.0, 0.0, 2.0)
>>> [float(unthunk(c)) for c in back(1.0)[1:]]  # x, loc, scale: -z/s, z/s, (z² - 1)/s
[-0.25, 0.25, -0.375]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from rules.scipy.special.incomplete import betainc_partials_ab, gammainc_partial_a
from rules.scipy.stats._parameters import Lazy, Parameters, bind, register_method

__all__: list[str] = []

METHODS = ("logpdf", "pdf", "logcdf", "cdf", "sf", "logsf")

Shapes = tuple[Any, ...]


@dataclass(frozen=True)
class Family:
    """A standardized distribution: `logpdf(z, *shapes) -> (∂z, (∂shape, ...))` of its log
    density and `cdf_shapes(z, *shapes) -> (∂shape, ...)` of its cdf (computed only when
    asked)."""

    dist: Any
    logpdf: Callable[..., tuple[Any, Shapes]]
    cdf_shapes: Callable[..., Shapes]


def _no_shapes(z: Any) -> Shapes:
    return ()


# ---------------------------------------------------------------------------------------------
# The families: partials of the standardized log density, and of the cdf in the shapes


def _norm_logpdf(z: Any) -> tuple[Any, Shapes]:
    return -z, ()


def _t_logpdf(z: Any, df: Any) -> tuple[Any, Shapes]:
    # log Γ((ν+1)/2) - log Γ(ν/2) - log(νπ)/2 - (ν+1)/2 log(1 + z²/ν)
    z2 = z * z
    ddf = (
        (special.digamma((df + 1) / 2) - special.digamma(df / 2)) / 2
        - 1 / (2 * df)
        - np.log1p(z2 / df) / 2
        + (df + 1) * z2 / (2 * df * (df + z2))
    )
    return -(df + 1) * z / (df + z2), (ddf,)


def _t_cdf_shapes(z: Any, df: Any) -> Shapes:
    """`∂cdf/∂ν` from `G(ν, t) = P(T < -|t|) = I_x(ν/2, 1/2) / 2 = 1/2 - I_w(1/2, ν/2) / 2`
    (`x = ν/(ν+t²)`, `w = t²/(ν+t²)`), whichever of `x`, `w` is below 1/2 (so that it is
    exact), with `∂x/∂ν = t²/(ν+t²)² = -∂w/∂ν`; `cdf = G` for `t < 0`, `1 - G` for `t > 0`."""
    z2 = z * z
    x, w = df / (df + z2), z2 / (df + z2)
    dx = z2 / (df + z2) ** 2
    dg = np.zeros(np.shape(z))
    by_x = (w >= 0.5) & np.isfinite(z)
    by_w = (w < 0.5) & (z != 0)
    if by_x.any():
        a, xs, dxs = df[by_x] / 2, x[by_x], dx[by_x]
        dg[by_x] = (betainc_partials_ab(a, 0.5, xs)[0] / 2 + _beta_density(a, 0.5, xs) * dxs) / 2
    if by_w.any():
        b, ws, dws = df[by_w] / 2, w[by_w], -dx[by_w]
        dg[by_w] = -(betainc_partials_ab(0.5, b, ws)[1] / 2 + _beta_density(0.5, b, ws) * dws) / 2
    dg[~np.isfinite(df) | np.isnan(z)] = np.nan
    return (np.where(z > 0, -dg, dg),)


def _gamma_logpdf(z: Any, a: Any) -> tuple[Any, Shapes]:
    return (a - 1) / z - 1, (np.log(z) - special.digamma(a),)


def _gamma_cdf_shapes(z: Any, a: Any) -> Shapes:
    return (gammainc_partial_a(a, z),)


def _beta_logpdf(z: Any, a: Any, b: Any) -> tuple[Any, Shapes]:
    psi_ab = special.digamma(a + b)
    return (a - 1) / z - (b - 1) / (1 - z), (
        np.log(z) - special.digamma(a) + psi_ab,
        np.log1p(-z) - special.digamma(b) + psi_ab,
    )


def _beta_cdf_shapes(z: Any, a: Any, b: Any) -> Shapes:
    return betainc_partials_ab(a, b, z)


def _chi2_logpdf(z: Any, df: Any) -> tuple[Any, Shapes]:
    # (ν/2 - 1) log z - z/2 - (ν/2) log 2 - log Γ(ν/2)
    return (df / 2 - 1) / z - 0.5, ((np.log(z / 2) - special.digamma(df / 2)) / 2,)


def _chi2_cdf_shapes(z: Any, df: Any) -> Shapes:
    return (gammainc_partial_a(df / 2, z / 2) / 2,)  # cdf = P(ν/2, z/2)


def _expon_logpdf(z: Any) -> tuple[Any, Shapes]:
    return -np.ones_like(z), ()


def _laplace_logpdf(z: Any) -> tuple[Any, Shapes]:
    return -np.sign(z), ()


def _logistic_logpdf(z: Any) -> tuple[Any, Shapes]:
    return -np.tanh(z / 2), ()  # d/dz (-z - 2 log(1 + e**-z))


def _cauchy_logpdf(z: Any) -> tuple[Any, Shapes]:
    return -2 * z / (1 + z * z), ()


def _lognorm_logpdf(z: Any, s: Any) -> tuple[Any, Shapes]:
    # -log(s z √(2π)) - (log z)² / (2 s²)
    log_z = np.log(z)
    return -(1 + log_z / s**2) / z, (-1 / s + log_z**2 / s**3,)


def _lognorm_cdf_shapes(z: Any, s: Any) -> Shapes:
    u = np.log(z) / s  # cdf = Φ(u)
    return (-np.exp(-(u**2) / 2) / np.sqrt(2 * np.pi) * u / s,)


def _uniform_logpdf(z: Any) -> tuple[Any, Shapes]:
    return np.zeros_like(z), ()


FAMILIES = (
    Family(stats.norm, _norm_logpdf, _no_shapes),
    Family(stats.t, _t_logpdf, _t_cdf_shapes),
    Family(stats.gamma, _gamma_logpdf, _gamma_cdf_shapes),
    Family(stats.beta, _beta_logpdf, _beta_cdf_shapes),
    Family(stats.chi2, _chi2_logpdf, _chi2_cdf_shapes),
    Family(stats.expon, _expon_logpdf, _no_shapes),
    Family(stats.laplace, _laplace_logpdf, _no_shapes),
    Family(stats.logistic, _logistic_logpdf, _no_shapes),
    Family(stats.cauchy, _cauchy_logpdf, _no_shapes),
    Family(stats.lognorm, _lognorm_logpdf, _lognorm_cdf_shapes),
    Family(stats.uniform, _uniform_logpdf, _no_shapes),
)


# ---------------------------------------------------------------------------------------------
# From the standardized partials to those of each method in (x, *shapes, loc, scale)


def method_partials(family: Family, kind: str) -> Callable[..., tuple[Lazy, ...]]:
    """`partials(args, kwargs, y)` of `family.dist.<kind>` for `register_method`."""

    def partials(args: tuple[Any, ...], kwargs: dict[str, Any], y: Any) -> tuple[Lazy, ...]:
        p = bind(family.dist, args, kwargs)
        location = _once(functools.partial(_location_scale_partials, family, kind, p, y))
        lazy: list[Lazy] = [functools.partial(_entry, location, 0)]
        lazy += [
            functools.partial(_shape_partial, family, kind, p, y, i)
            for i in range(min(p.positional, len(p.shapes)))
        ]
        extra = p.positional - len(p.shapes)
        lazy += [functools.partial(_entry, location, 1 + i) for i in range(extra)]
        return tuple(lazy)

    return partials


def _location_scale_partials(family: Family, kind: str, p: Parameters, y: Any) -> Any:
    """The partials in `x`, `loc` and `scale`."""
    dist, shapes, scale = family.dist, p.shapes, p.scale
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (p.x - p.loc) / scale
        log_y = np.asarray(y, dtype=np.float64)
        extra: Any = 0.0  # d/d(scale) of -log(scale) in logpdf
        if kind in ("logpdf", "pdf"):
            dz = family.logpdf(z, *shapes)[0]
            extra = -1 / scale
            if kind == "pdf":
                dz, extra = dz * log_y, extra * log_y
        elif kind == "cdf":
            dz = dist.pdf(z, *shapes)
        elif kind == "sf":
            dz = -dist.pdf(z, *shapes)
        elif kind == "logcdf":
            dz = np.exp(dist.logpdf(z, *shapes) - log_y)
        else:  # logsf
            dz = -np.exp(dist.logpdf(z, *shapes) - log_y)
        dx = dz / scale
        values = (dx, -dx, -dx * z + extra)
    return tuple(_clean(v, family, z, shapes, y) for v in values)


def _shape_partial(family: Family, kind: str, p: Parameters, y: Any, i: int) -> Any:
    """The partial in the i-th shape parameter."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z = (p.x - p.loc) / p.scale
        inside = _inside(family, z, p.shapes)
        zs = np.where(inside, z, np.nan)  # no work, and no warnings, outside the support
        y64 = np.asarray(y, dtype=np.float64)
        if kind in ("logpdf", "pdf"):
            d = family.logpdf(zs, *p.shapes)[1][i]
            d = d * y64 if kind == "pdf" else d
        else:
            d = family.cdf_shapes(zs, *p.shapes)[i]
            if kind in ("sf", "logsf"):
                d = -d
            if kind in ("logcdf", "logsf"):
                d = d / np.exp(y64)
    return _clean(d, family, z, p.shapes, y)


def _clean(value: Any, family: Family, z: Any, shapes: Shapes, y: Any) -> Any:
    """0 outside the support (each method is constant there), nan where SciPy says nan."""
    value = np.where(_inside(family, z, shapes), value, 0.0)
    return np.where(np.isnan(y), np.nan, value)


def _inside(family: Family, z: Any, shapes: Shapes) -> Any:
    # At x = ±inf every method is at its limit, constant in the parameters.
    low, high = family.dist.support(*shapes)
    return (z >= low) & (z <= high) & np.isfinite(z)


def _beta_density(a: Any, b: Any, x: Any) -> Any:
    return np.exp(special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b))


def _entry(location: Callable[[], Any], i: int) -> Any:
    return location()[i]


def _once(fn: Callable[[], Any]) -> Callable[[], Any]:
    return functools.cache(fn)


for _family in FAMILIES:
    for _kind in METHODS:
        register_method(getattr(_family.dist, _kind), method_partials(_family, _kind))
