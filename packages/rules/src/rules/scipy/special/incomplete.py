"""Rules for the incomplete gamma and beta functions of `scipy.special`, in every argument.

Both an frule and an rrule for:

- `gammainc(a, x)` (`P`) and `gammaincc(a, x)` (`Q = 1 - P`): in `x` the gamma density
  `x**(a-1) e**-x / Γ(a)`; in `a`, which has no closed form, the derivative of the power
  series of `P` (for `x < a + 1`) or of the continued fraction of `Q` (elsewhere, Legendre's,
  evaluated as in Cephes' `igamc`), each differentiated term by term in forward mode, as
  Moore's AS 187 and Eigen's `igamma_der_a` do; relative error ~1e-13 against mpmath for
  `a` up to 1e4 (it grows like the rounding of `a log x - log Γ(a)`);
- `gammaincinv(a, p)` and `gammainccinv(a, q)`: the implicit function theorem on the above,
  `dx/dp = 1 / P_x`, `dx/da = -P_a / P_x`;
- `betainc(a, b, x)` (`I_x(a, b)`) and `betaincc(a, b, x)`: in `x` the beta density; in `a`
  and `b` the continued fraction of `I_x` (Numerical Recipes' form, for
  `x < (a+1)/(a+b+2)`, else of `I_{1-x}(b, a)` by symmetry) differentiated in forward mode
  along its three-term recurrence, as Boik & Robinson-Cox (1998) do;
- `betaincinv(a, b, p)` and `betainccinv(a, b, q)`: the implicit function theorem.

Derivatives in the shape parameters are computed once per call, for the arguments that are
asked for: the pullback returns thunks, and the shared series or continued fraction runs on
the first of them. Inputs are computed in float64; cotangents are projected onto the
arguments (float32 stays float32, broadcast arguments are summed back, integer arrays get
`NoTangent()`).

Conventions: at `x == 0` (and `x == 1` for the beta functions, `x == inf` for the gamma
ones) the derivatives in the shape parameters are 0, the densities take their limits
(`inf` for `a < 1`). Outside the domain (`a <= 0`, `x < 0`, ...) derivatives are nan, as the
functions are. Where the series or continued fraction has not converged after 10,000 terms
(shape parameters beyond ~1e6, near the mean) the derivative is nan, never a truncated value.

>>> import numpy as np
>>> import rules
>>> from scipy import special
>>> from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
>>> y, da = frule((NoTangent(), 1.0, ZeroTangent()), special.gammainc, 1.0, 2.0)
>>> float(da)  # d/da P(a, 2) at a = 1
-0.22082542621...
>>> y, back = rrule(special.betainc, 2.0, 3.0, np.array([0.2, 0.5]))
>>> [unthunk(c) for c in back(np.ones(2))[1:]]  # a and b summed over the two entries
[-0.39027506..., 0.23450769..., array([1.536, 1.5  ])]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
from scipy import special

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    has_tangent_space,
    rrule,
    unthunk,
)

# The derivatives in the shape parameters, which the rules of scipy.stats use too.
__all__ = ["betainc_partials_ab", "gammainc_partial_a"]

_EPS = float(np.finfo(np.float64).eps)
_BIG = 2.0**500  # continuants are rescaled past this, as in Cephes
_MAX_TERMS = 10_000

Lazy = Callable[[], Any]


# ---------------------------------------------------------------------------------------------
# The derivatives in the shape parameters


def gammainc_partial_a(a: Any, x: Any) -> Any:
    """`∂P(a, x)/∂a` elementwise, in float64 (`∂Q/∂a` is its negative)."""
    a, x = _float64(a, x)
    out = np.full(a.shape, np.nan)
    valid = (a > 0) & (x >= 0) & np.isfinite(a)
    ends = valid & ((x == 0) | np.isinf(x))
    out[ends] = 0.0
    inner = valid & ~ends
    series = inner & (x < a + 1)
    fraction = inner & ~series
    if series.any():
        out[series] = _gamma_series_da(a[series], x[series])
    if fraction.any():
        out[fraction] = -_gamma_fraction_da(a[fraction], x[fraction])
    return out


def _gamma_series_da(a: Any, x: Any) -> Any:
    """`P = x**a e**-x / Γ(a+1) * Σ x**n / ((a+1)...(a+n))` (DLMF 8.7.1), differentiated in
    `a` term by term: `c_n = c_{n-1} x / (a+n)` gives `c_n' = (x c_{n-1}' - c_n) / (a+n)`."""
    log_x = np.log(x)
    dlog = log_x - special.digamma(a + 1)
    term, dterm = np.ones_like(a), np.zeros_like(a)
    total, dtotal = term.copy(), dterm.copy()
    active = np.arange(a.size)
    for n in range(1, _MAX_TERMS):
        aa, xx = a[active], x[active]
        t = term[active] * xx / (aa + n)
        dt = (dterm[active] * xx - t) / (aa + n)
        term[active], dterm[active] = t, dt
        total[active] += t
        dtotal[active] += dt
        small = (np.abs(t) <= _EPS / 4 * np.abs(total[active])) & _converged(
            4 * dt, total[active] * dlog[active], dtotal[active]
        )
        active = active[~small]
        if not active.size:
            break
    dtotal[active] = np.nan  # not converged
    prefactor = np.exp(a * log_x - x - special.gammaln(a + 1))
    return prefactor * (dlog * total + dtotal)


def _gamma_fraction_da(a: Any, x: Any) -> Any:
    """`∂Q/∂a` from `Q = x**a e**-x / Γ(a) * p_n/q_n`, the convergents of Legendre's
    continued fraction (DLMF 8.9.2) by the recurrence of Cephes' `igamc`; `p_n` and `q_n`
    are differentiated along with it (`z = x - a + 2 + 2n` and `y = 1 - a + n` both have
    derivative -1 in `a`)."""
    log_x = np.log(x)
    dlog = log_x - special.digamma(a)
    y = 1 - a
    z = x + y + 1
    p2, q2, p1, q1 = np.ones_like(a), x.copy(), x + 1, z * x
    dp2, dq2, dp1, dq1 = np.zeros_like(a), np.zeros_like(a), np.zeros_like(a), -x
    ratio = p1 / q1
    dratio = (dp1 - ratio * dq1) / q1
    result = np.full(a.shape, np.nan)
    dresult = np.full(a.shape, np.nan)
    active = np.arange(a.size)
    for c in range(1, _MAX_TERMS):
        y, z = y + 1, z + 2
        yc = y * c
        p, q = p1 * z - p2 * yc, q1 * z - q2 * yc
        dp = dp1 * z - p1 - dp2 * yc + p2 * c
        dq = dq1 * z - q1 - dq2 * yc + q2 * c
        new = p / q
        dnew = (dp - new * dq) / q
        done = (np.abs(new - ratio) <= _EPS * np.abs(new)) & _converged(
            dnew - dratio, new * dlog[active], dnew
        )
        result[active[done]], dresult[active[done]] = new[done], dnew[done]
        keep = ~done
        # The recurrence is linear: rescaling p, q and their derivatives by one constant
        # keeps the convergents and their derivatives.
        s = np.where(np.abs(p) > _BIG, 1 / _BIG, 1.0)[keep]
        p2, p1, q2, q1 = p1[keep] * s, p[keep] * s, q1[keep] * s, q[keep] * s
        dp2, dp1, dq2, dq1 = dp1[keep] * s, dp[keep] * s, dq1[keep] * s, dq[keep] * s
        ratio, dratio, y, z, active = new[keep], dnew[keep], y[keep], z[keep], active[keep]
        if not active.size:
            break
    prefactor = np.exp(a * log_x - x - special.gammaln(a))
    return prefactor * (dlog * result + dresult)


def betainc_partials_ab(a: Any, b: Any, x: Any) -> tuple[Any, Any]:
    """`(∂I_x(a, b)/∂a, ∂I_x(a, b)/∂b)` elementwise, in float64."""
    a, b, x = _float64(a, b, x)
    da, db = np.full(a.shape, np.nan), np.full(a.shape, np.nan)
    valid = (a > 0) & (b > 0) & (x >= 0) & (x <= 1) & np.isfinite(a) & np.isfinite(b)
    ends = valid & ((x == 0) | (x == 1))
    da[ends] = db[ends] = 0.0
    inner = valid & ~ends
    direct = inner & (x < (a + 1) / (a + b + 2))
    swapped = inner & ~direct
    if direct.any():
        x_direct = x[direct]
        da[direct], db[direct] = _beta_fraction_dab(a[direct], b[direct], x_direct, 1 - x_direct)
    if swapped.any():
        # I_x(a, b) = 1 - I_{1-x}(b, a), where the fraction converges.
        x_swapped = x[swapped]
        db_swapped, da_swapped = _beta_fraction_dab(
            b[swapped], a[swapped], 1 - x_swapped, x_swapped
        )
        da[swapped], db[swapped] = -da_swapped, -db_swapped
    return da, db


def _beta_fraction_dab(a: Any, b: Any, x: Any, y: Any) -> tuple[Any, Any]:
    """`I_x(a, b) = x**a (1-x)**b / (a B(a, b)) * 1/(1 + d_1/(1 + d_2/(1 + ...)))` (DLMF
    8.17.22), differentiated in `a` and `b`: the continuants `A_n = A_{n-1} + d_{n-1}
    A_{n-2}` (and `B_n`) are differentiated along the recurrence and rescaled by `B_n` at
    each step (a constant factor keeps the ratio and its derivatives). `y` is `1 - x`."""
    psi_ab = special.digamma(a + b)
    log_x, log_y = np.log(x), np.log(y)
    prefactor = np.exp(a * log_x + b * log_y - np.log(a) - special.betaln(a, b))
    dlog_a = log_x - 1 / a - special.digamma(a) + psi_ab
    dlog_b = log_y - special.digamma(b) + psi_ab
    fraction, dfraction = _beta_fraction(a, b, x, (dlog_a, dlog_b))
    return (
        prefactor * (dlog_a * fraction + dfraction[0]),
        prefactor * (dlog_b * fraction + dfraction[1]),
    )


def _beta_fraction(a: Any, b: Any, x: Any, dlog: tuple[Any, Any]) -> tuple[Any, tuple[Any, Any]]:
    """The continued fraction of `_beta_fraction_dab` and its derivatives in `a` and `b`;
    `dlog` holds the derivatives of the log of the prefactor, which set the scale that the
    derivatives of the fraction must converge to (`F dlog + F'`, their sum, can be far
    smaller than `F'` alone: for `b == 1`, `F` does not depend on `a`)."""
    zero, one = np.zeros_like(a), np.ones_like(a)
    # (A_{n-2}, A_{n-1}) and (B_{n-2}, B_{n-1}) before step n = 1, with derivatives in a, b.
    a2, a1, b2, b1 = zero, one, one, one
    da2, da1, db2, db1 = (zero, zero), (zero, zero), (zero, zero), (zero, zero)
    fraction, dfraction = one, (zero, zero)
    result = np.full(a.shape, np.nan)
    dresult = (np.full(a.shape, np.nan), np.full(a.shape, np.nan))
    active = np.arange(a.size)
    for n in range(1, 2 * _MAX_TERMS):
        d, dd = _beta_fraction_coefficient(n, a[active], b[active], x[active])
        an, bn = a1 + d * a2, b1 + d * b2
        dan = tuple(da1[k] + dd[k] * a2 + d * da2[k] for k in (0, 1))
        dbn = tuple(db1[k] + dd[k] * b2 + d * db2[k] for k in (0, 1))
        s = 1 / bn
        new = an * s
        dnew = tuple((dan[k] - new * dbn[k]) * s for k in (0, 1))
        done = (
            (np.abs(new - fraction) <= _EPS * np.abs(new))
            & _converged(dnew[0] - dfraction[0], new * dlog[0][active], dnew[0])
            & _converged(dnew[1] - dfraction[1], new * dlog[1][active], dnew[1])
        )
        index = active[done]
        result[index] = new[done]
        dresult[0][index], dresult[1][index] = dnew[0][done], dnew[1][done]
        keep, s = ~done, s[~done]
        a2, a1, b2, b1 = a1[keep] * s, new[keep], b1[keep] * s, one[: s.size]
        da2 = tuple(v[keep] * s for v in da1)
        da1 = tuple(v[keep] * s for v in dan)
        db2 = tuple(v[keep] * s for v in db1)
        db1 = tuple(v[keep] * s for v in dbn)
        fraction, dfraction = new[keep], (dnew[0][keep], dnew[1][keep])
        active = active[keep]
        if not active.size:
            break
    return result, dresult


def _beta_fraction_coefficient(n: int, a: Any, b: Any, x: Any) -> tuple[Any, tuple[Any, Any]]:
    """`d_n` and its derivatives in `a` and `b`."""
    m = n // 2
    if n % 2:  # d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1))
        d = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))
        da = d * (1 / (a + m) + 1 / (a + b + m) - 1 / (a + 2 * m) - 1 / (a + 2 * m + 1))
        return d, (da, d / (a + b + m))
    # d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)); b - m may be 0, so ∂b is written out.
    denominator = (a + 2 * m - 1) * (a + 2 * m)
    d = m * (b - m) * x / denominator
    return d, (-d * (1 / (a + 2 * m - 1) + 1 / (a + 2 * m)), m * x / denominator)


def _converged(change: Any, part: Any, derivative: Any) -> Any:
    """Whether the last `change` of `derivative` is below rounding of `part + derivative`,
    the derivative of the function (`part` from the prefactor); a floor far below the parts
    stops the loop where they cancel exactly."""
    scale = np.maximum(np.abs(part + derivative), 1e-6 * (np.abs(part) + np.abs(derivative)))
    return np.abs(change) <= _EPS * scale


# ---------------------------------------------------------------------------------------------
# Densities: the derivatives in x


def _gamma_density(a: Any, x: Any) -> Any:
    """`x**(a-1) e**-x / Γ(a)`: 1 at `x == 0` for `a == 1`, 0 for `a > 1`, inf for `a < 1`."""
    a, x = _float64(a, x)
    return np.exp(special.xlogy(a - 1, x) - x - special.gammaln(a))


def _beta_density(a: Any, b: Any, x: Any) -> Any:
    a, b, x = _float64(a, b, x)
    return np.exp(special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b))


def _float64(*values: Any) -> Any:
    return np.broadcast_arrays(*(np.asarray(v, dtype=np.float64) for v in values))


# ---------------------------------------------------------------------------------------------
# Registration: elementwise rules whose partials are computed on demand


def _elementwise_rules(f: Any, partials: Callable[..., tuple[Lazy, ...]]) -> None:
    """The frule and rrule of the ufunc `f` from `partials(*args, y)`: one nullary function
    per argument, giving the partial derivative broadcast against `y` (computed only for the
    arguments that have a tangent)."""
    name = f.__name__

    def elementwise_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        _refuse_out(name, kwargs)
        y = f(*args, **kwargs)
        lazy = partials(*args, y)
        projections = [ProjectTo(x) if has_tangent_space(x) else None for x in args]

        def pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            return NoTangent(), *(
                NoTangent() if project is None else _cotangent(project, partial, dy)
                for project, partial in zip(projections, lazy, strict=True)
            )

        pullback.__name__ = pullback.__qualname__ = f"{name}_pullback"
        return y, pullback

    def elementwise_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        _refuse_out(name, kwargs)
        y = f(*args, **kwargs)
        lazy = partials(*args, y)
        dy: Any = ZeroTangent()
        for partial, dx in zip(lazy, tangents[1:], strict=True):
            dx = unthunk(dx)
            if not isinstance(dx, AbstractZero):
                dy = dy + _times(partial, dx)
        if isinstance(dy, AbstractZero):
            return y, dy
        return y, ProjectTo(y)(np.broadcast_to(dy, np.shape(y)).copy())

    rrule.register(f)(elementwise_rrule)
    frule.register(f)(elementwise_frule)


def _cotangent(project: ProjectTo, partial: Lazy, dy: Any) -> Any:
    if isinstance(dy, AbstractZero):
        return ZeroTangent()

    def cotangent() -> Any:
        return _times(partial, dy)

    return project(Thunk(cotangent))


def _times(partial: Lazy, tangent: Any) -> Any:
    # Limits at the ends of the domain are infinite or nan (1 / density at x == 0), on purpose.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return partial() * tangent


def _refuse_out(name: str, kwargs: dict[str, Any]) -> None:
    if kwargs.get("out") is not None:
        raise TypeError(f"differentiating {name} with out= is not supported: assign the result")


def _once(fn: Callable[[], Any]) -> Callable[[], Any]:
    return functools.cache(fn)


def _implicit(partial: Any, density: Any) -> Any:
    """`dx/dθ = -F_θ / F_x` for the inverse `x` of `F(θ, x) = p`; 0 where `F_θ` is (at the
    ends of the support, `p` 0 or 1, `x` does not move), even where the density is 0 too."""
    return np.where(partial == 0, 0.0, -partial / density)


# ---------------------------------------------------------------------------------------------
# gammainc, gammaincc and their inverses


def _gammainc_partials(a: Any, x: Any, y: Any) -> tuple[Lazy, Lazy]:
    return (lambda: gammainc_partial_a(a, x)), (lambda: _gamma_density(a, x))


def _gammaincc_partials(a: Any, x: Any, y: Any) -> tuple[Lazy, Lazy]:
    return (lambda: -gammainc_partial_a(a, x)), (lambda: -_gamma_density(a, x))


def _gammaincinv_partials(a: Any, p: Any, x: Any) -> tuple[Lazy, Lazy]:
    # P(a, x(a, p)) = p: dx/dp = 1 / P_x, dx/da = -P_a / P_x.
    density = _once(lambda: _gamma_density(a, x))
    return (lambda: _implicit(gammainc_partial_a(a, x), density())), (lambda: 1 / density())


def _gammainccinv_partials(a: Any, q: Any, x: Any) -> tuple[Lazy, Lazy]:
    # Q(a, x(a, q)) = q: dx/dq = 1 / Q_x = -1 / P_x, dx/da = -Q_a / Q_x = -P_a / P_x.
    density = _once(lambda: _gamma_density(a, x))
    return (lambda: _implicit(gammainc_partial_a(a, x), density())), (lambda: -1 / density())


# ---------------------------------------------------------------------------------------------
# betainc, betaincc and their inverses


def _betainc_partials(a: Any, b: Any, x: Any, y: Any) -> tuple[Lazy, Lazy, Lazy]:
    shape = _once(lambda: betainc_partials_ab(a, b, x))
    return (lambda: shape()[0]), (lambda: shape()[1]), (lambda: _beta_density(a, b, x))


def _betaincc_partials(a: Any, b: Any, x: Any, y: Any) -> tuple[Lazy, Lazy, Lazy]:
    shape = _once(lambda: betainc_partials_ab(a, b, x))
    return (lambda: -shape()[0]), (lambda: -shape()[1]), (lambda: -_beta_density(a, b, x))


def _betaincinv_partials(a: Any, b: Any, p: Any, x: Any) -> tuple[Lazy, Lazy, Lazy]:
    # I_x(a, b) = p: dx/dp = 1 / I_x', dx/da = -I_a / I_x', dx/db = -I_b / I_x'.
    shape = _once(lambda: betainc_partials_ab(a, b, x))
    density = _once(lambda: _beta_density(a, b, x))
    return (
        (lambda: _implicit(shape()[0], density())),
        (lambda: _implicit(shape()[1], density())),
        (lambda: 1 / density()),
    )


def _betainccinv_partials(a: Any, b: Any, q: Any, x: Any) -> tuple[Lazy, Lazy, Lazy]:
    # 1 - I_x(a, b) = q: the same derivatives in a and b, dx/dq = -1 / I_x'.
    shape = _once(lambda: betainc_partials_ab(a, b, x))
    density = _once(lambda: _beta_density(a, b, x))
    return (
        (lambda: _implicit(shape()[0], density())),
        (lambda: _implicit(shape()[1], density())),
        (lambda: -1 / density()),
    )


_elementwise_rules(special.gammainc, _gammainc_partials)
_elementwise_rules(special.gammaincc, _gammaincc_partials)
_elementwise_rules(special.gammaincinv, _gammaincinv_partials)
_elementwise_rules(special.gammainccinv, _gammainccinv_partials)
_elementwise_rules(special.betainc, _betainc_partials)
_elementwise_rules(special.betaincc, _betaincc_partials)
_elementwise_rules(special.betaincinv, _betaincinv_partials)
_elementwise_rules(special.betainccinv, _betainccinv_partials)
