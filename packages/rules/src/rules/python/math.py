"""Rules for the `math` module of the standard library.

Both an frule and an rrule for:

- elementwise calculus, one `scalar_rule` line each: `sqrt`, `cbrt`, `exp`, `exp2`, `expm1`,
  `log1p`, `log2`, `log10`, `pow`, `sin`, `cos`, `tan`, `asin`, `acos`, `atan`, `atan2`,
  `sinh`, `cosh`, `tanh`, `asinh`, `acosh`, `atanh`, `degrees`, `radians`, `copysign`,
  `fabs`, `fmod`, `remainder`, `ldexp`, `erf`, `erfc`, `gamma`, `lgamma`, `nextafter`, and
  `fma` (Python 3.13+);
- piecewise constant functions, whose derivative is `ZeroTangent()`: `ceil`, `floor`,
  `trunc` (they return an `int`, which is differentiated as a real like every Python `int`,
  so an engine's user gets `0.0`, as from JAX's `floor`) and `ulp`;
- `log(x[, base])`, `hypot(*coordinates)` (any number of arguments), `dist(p, q)`,
  `fsum(iterable)`, `prod(iterable, *, start=1)` and `sumprod(p, q)` (Python 3.12+): the
  sequences are tuples, lists (namedtuples included) or 1-d arrays, whose cotangents are
  of the same kind; `start` is a keyword, hence not differentiated;
- `frexp(x) -> (m, e)` and `modf(x) -> (fraction, integer part)`: the tangent of `e` and of
  the integer part is `ZeroTangent()`.

`factorial`, `comb`, `perm`, `gcd`, `lcm`, `isqrt` (integer functions) and `isclose`,
`isfinite`, `isinf`, `isnan` are non-differentiable. The exponent `i` of `ldexp(x, i)` must be
an `int`, so it gets `NoTangent()`, as an index does.

Partials take the arguments, then the output: `y`, or `out` where an argument is named `y`.

Conventions where a derivative does not exist:

- vertical tangents (`sqrt` and `cbrt` at 0, `asin`/`acos` at ±1, `acosh` at 1): ±inf;
- kinks of convex functions take the zero subgradient: `fabs`, `hypot` and `dist` at the
  origin;
- `atan2(0, 0)`: nan in both arguments (as ChainRules.jl, JAX and PyTorch), the function
  is discontinuous there;
- `pow(x, y)` at `x == 0` takes the one-sided limits of ChainRules.jl: d/dx is 1 for `y == 1`,
  0 for `y == 0` or `y > 1`, +inf for `0 < y < 1`; d/dy is 0 for `y > 0`, nan for `y == 0`.
  For `x < 0` (integer `y`) d/dy is `pow(x, y) * log(abs(x))`, the derivative of the real
  continuation `abs(x)**y * cos(pi * y)`, as ChainRules.jl;
- `copysign(x, y)`: d/dx is +1 where the signs (sign bits) of `x` and `y` agree, -1 where
  they differ, also at `x == ±0`; d/dy is 0;
- jumps (`fmod`, `remainder`, `modf`, `floor`, ..., `frexp` at powers of two): the
  derivative of the branch the primal takes there (ChainRules.jl gives nan for `rem`);
- `nextafter(x, y)` is `x` moved by one ulp: d/dx is 1 and d/dy is 0.
"""

from __future__ import annotations

import itertools
import math
import operator
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    scalar_rule,
    unthunk,
)

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SEQUENCES = (tuple, list, np.ndarray)


def _inv(d: Any) -> Any:
    """`1 / d`, and +inf where `d == 0` (a vertical tangent)."""
    return 1 / d if d else math.inf


def _digamma(x: Any) -> float:
    # Imported here: importing the rules must not import scipy.special.
    from scipy.special import digamma

    return float(digamma(x))


def _pow_dx(x: Any, y: Any, out: Any) -> Any:
    if x:  # x == 0 with y < 0 raises in math.pow itself
        return y * out / x
    return 1.0 if y == 1 else 0.0 if y == 0 or y > 1 else math.inf


def _pow_dy(x: Any, y: Any, out: Any) -> Any:
    if x:
        return out * math.log(abs(x))
    return 0.0 if y > 0 else math.nan


def _atan2_partial(a: Any, y: Any, x: Any) -> Any:
    """`a / (x**2 + y**2)`, nan at the origin."""
    u = x * x + y * y
    return a / u if u else math.nan


def _quotient(x: Any, y: Any, out: Any) -> Any:
    """The integer `n` with `out == x - n * y` (`fmod`, `remainder`)."""
    return round((x - out) / y)


# ---------------------------------------------------------------------------- calculus table

scalar_rule(math.sqrt, lambda x, y: 0.5 * _inv(y))
scalar_rule(math.cbrt, lambda x, y: _inv(3 * y * y))
scalar_rule(math.exp, lambda x, y: y)
scalar_rule(math.exp2, lambda x, y: y * _LN2)
scalar_rule(math.expm1, lambda x, y: y + 1)
scalar_rule(math.log1p, lambda x, y: 1 / (1 + x))
scalar_rule(math.log2, lambda x, y: 1 / (x * _LN2))
scalar_rule(math.log10, lambda x, y: 1 / (x * _LN10))
scalar_rule(math.pow, _pow_dx, _pow_dy)

scalar_rule(math.sin, lambda x, y: math.cos(x))
scalar_rule(math.cos, lambda x, y: -math.sin(x))
scalar_rule(math.tan, lambda x, y: 1 + y * y)
scalar_rule(math.asin, lambda x, y: _inv(math.sqrt(1 - x * x)))
scalar_rule(math.acos, lambda x, y: -_inv(math.sqrt(1 - x * x)))
scalar_rule(math.atan, lambda x, y: 1 / (1 + x * x))
scalar_rule(
    math.atan2,
    lambda y, x, out: _atan2_partial(x, y, x),
    lambda y, x, out: _atan2_partial(-y, y, x),
)
scalar_rule(math.sinh, lambda x, y: math.cosh(x))
scalar_rule(math.cosh, lambda x, y: math.sinh(x))
scalar_rule(math.tanh, lambda x, y: 1 - y * y)
scalar_rule(math.asinh, lambda x, y: 1 / math.sqrt(x * x + 1))
scalar_rule(math.acosh, lambda x, y: _inv(math.sqrt(x * x - 1)))
scalar_rule(math.atanh, lambda x, y: 1 / (1 - x * x))
scalar_rule(math.degrees, lambda x, y: 180 / math.pi)
scalar_rule(math.radians, lambda x, y: math.pi / 180)

scalar_rule(
    math.copysign,
    lambda x, y, out: 1.0 if math.copysign(1.0, x) == math.copysign(1.0, y) else -1.0,
    lambda x, y, out: ZeroTangent(),
)
scalar_rule(math.fabs, lambda x, y: float((x > 0) - (x < 0)))
scalar_rule(math.fmod, lambda x, y, out: 1.0, lambda x, y, out: -_quotient(x, y, out))
scalar_rule(math.remainder, lambda x, y, out: 1.0, lambda x, y, out: -_quotient(x, y, out))
scalar_rule(math.ldexp, lambda x, i, y: math.ldexp(1.0, i), None)
scalar_rule(math.nextafter, lambda x, y, out: 1.0, lambda x, y, out: ZeroTangent())
scalar_rule(math.ulp, lambda x, y: ZeroTangent())
scalar_rule(math.ceil, lambda x, y: ZeroTangent())
scalar_rule(math.floor, lambda x, y: ZeroTangent())
scalar_rule(math.trunc, lambda x, y: ZeroTangent())

scalar_rule(math.erf, lambda x, y: _TWO_OVER_SQRT_PI * math.exp(-x * x))
scalar_rule(math.erfc, lambda x, y: -_TWO_OVER_SQRT_PI * math.exp(-x * x))
scalar_rule(math.gamma, lambda x, y: y * _digamma(x))
scalar_rule(math.lgamma, lambda x, y: _digamma(x))

if hasattr(math, "fma"):  # Python 3.13+
    scalar_rule(math.fma, lambda x, y, z, out: y, lambda x, y, z, out: x, lambda x, y, z, out: 1.0)

non_differentiable(
    math.comb,
    math.factorial,
    math.gcd,
    math.isclose,
    math.isfinite,
    math.isinf,
    math.isnan,
    math.isqrt,
    math.lcm,
    math.perm,
)


# ---------------------------------------------------------------------------- log(x[, base])


def _log_partials(x: Any, base: tuple[Any, ...], y: Any) -> tuple[Any, ...]:
    if not base:
        return (1 / x,)
    # log(x, b) = log(x) / log(b)
    scale = 1 / math.log(base[0])
    return scale / x, -scale * y / base[0]


@frule.register(math.log)
def _log_frule(tangents: tuple[Any, ...], x: Any, *base: Any) -> tuple[Any, Any]:
    y = math.log(x, *base)
    partials = _log_partials(x, base, y)
    dy = sum(
        (p * unthunk(d) for p, d in zip(partials, tangents[1:], strict=True)), start=ZeroTangent()
    )
    return y, ProjectTo(y)(dy)


@rrule.register(math.log)
def _log_rrule(x: Any, *base: Any) -> tuple[Any, Any]:
    projects = [ProjectTo(a) for a in (x, *base)]
    y = math.log(x, *base)

    def log_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        partials = _log_partials(x, base, y)
        return NoTangent(), *(
            project(p * dy) for project, p in zip(projects, partials, strict=True)
        )

    return y, log_pullback


# ---------------------------------------------------------------------------- hypot(*coordinates)


@frule.register(math.hypot)
def _hypot_frule(tangents: tuple[Any, ...], *coordinates: Any) -> tuple[Any, Any]:
    y = math.hypot(*coordinates)
    dy = sum(
        (x * unthunk(d) for x, d in zip(coordinates, tangents[1:], strict=True)),
        start=ZeroTangent(),
    )
    return y, ProjectTo(y)(dy / y if y else dy * 0.0)


@rrule.register(math.hypot)
def _hypot_rrule(*coordinates: Any) -> tuple[Any, Any]:
    projects = [ProjectTo(x) for x in coordinates]
    y = math.hypot(*coordinates)

    def hypot_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        scale = dy / y if y else dy * 0.0  # zero at the origin
        return NoTangent(), *(
            project(scale * x) for project, x in zip(projects, coordinates, strict=True)
        )

    return y, hypot_pullback


# ---------------------------------------------------------------------------- sequences


def _entries(dxs: Any, n: int) -> list[Any]:
    """The tangents of the `n` entries of a sequence, from its tangent `dxs` (a list, a tuple,
    an array, a namedtuple's `Tangent` or a zero)."""
    dxs = unthunk(dxs)
    return [unthunk(dxs[i]) for i in range(n)]


def _cotangent(project: ProjectTo, xs: Any, values: list[Any]) -> Any:
    """`values`, one per entry of the sequence `xs`, as its projected cotangent."""
    if not values:  # an empty sequence has no tangent space
        return NoTangent()
    if all(isinstance(v, AbstractZero) for v in values):
        return ZeroTangent()
    fields = getattr(type(xs), "_fields", None)
    return project(dict(zip(fields, values, strict=True)) if fields else values)


@frule.register(math.dist, _SEQUENCES, _SEQUENCES)
def _dist_frule(tangents: tuple[Any, ...], p: Any, q: Any) -> tuple[Any, Any]:
    y = math.dist(p, q)
    dp, dq = _entries(tangents[1], len(p)), _entries(tangents[2], len(q))
    dy = sum(
        ((a - b) * (da - db) for a, b, da, db in zip(p, q, dp, dq, strict=True)),
        start=ZeroTangent(),
    )
    return y, ProjectTo(y)(dy / y if y else dy * 0.0)


@rrule.register(math.dist, _SEQUENCES, _SEQUENCES)
def _dist_rrule(p: Any, q: Any) -> tuple[Any, Any]:
    project_p, project_q = ProjectTo(p), ProjectTo(q)
    y = math.dist(p, q)

    def dist_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        scale = dy / y if y else dy * 0.0  # zero where p == q
        dp = [scale * (a - b) for a, b in zip(p, q, strict=True)]
        return NoTangent(), _cotangent(project_p, p, dp), _cotangent(project_q, q, [-d for d in dp])

    return y, dist_pullback


@frule.register(math.fsum, _SEQUENCES)
def _fsum_frule(tangents: tuple[Any, ...], iterable: Any) -> tuple[Any, Any]:
    y = math.fsum(iterable)
    return y, ProjectTo(y)(sum(_entries(tangents[1], len(iterable)), start=ZeroTangent()))


@rrule.register(math.fsum, _SEQUENCES)
def _fsum_rrule(iterable: Any) -> tuple[Any, Any]:
    project = ProjectTo(iterable)

    def fsum_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        return NoTangent(), _cotangent(project, iterable, [dy] * len(iterable))

    return math.fsum(iterable), fsum_pullback


def _products_of_others(iterable: Any, start: Any) -> list[Any]:
    """`start` times the product of all entries but the i-th, for each i, without dividing
    (zeros are fine): prefix products times suffix products."""
    before = list(itertools.accumulate(iterable, operator.mul, initial=start))[:-1]
    after = list(itertools.accumulate(reversed(iterable), operator.mul, initial=1))[:-1]
    return [b * a for b, a in zip(before, reversed(after), strict=True)]


@frule.register(math.prod, _SEQUENCES)
def _prod_frule(tangents: tuple[Any, ...], iterable: Any, *, start: Any = 1) -> tuple[Any, Any]:
    y = math.prod(iterable, start=start)
    partials = _products_of_others(iterable, start)
    dxs = _entries(tangents[1], len(iterable))
    dy = sum((p * d for p, d in zip(partials, dxs, strict=True)), start=ZeroTangent())
    return y, ProjectTo(y)(dy)


@rrule.register(math.prod, _SEQUENCES)
def _prod_rrule(iterable: Any, *, start: Any = 1) -> tuple[Any, Any]:
    project = ProjectTo(iterable)

    def prod_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        partials = _products_of_others(iterable, start)
        return NoTangent(), _cotangent(project, iterable, [p * dy for p in partials])

    return math.prod(iterable, start=start), prod_pullback


if hasattr(math, "sumprod"):  # Python 3.12+

    @frule.register(math.sumprod, _SEQUENCES, _SEQUENCES)
    def _sumprod_frule(tangents: tuple[Any, ...], p: Any, q: Any) -> tuple[Any, Any]:
        y = math.sumprod(p, q)
        dp, dq = _entries(tangents[1], len(p)), _entries(tangents[2], len(q))
        dy = sum(
            (a * db + da * b for a, b, da, db in zip(p, q, dp, dq, strict=True)),
            start=ZeroTangent(),
        )
        return y, ProjectTo(y)(dy)

    @rrule.register(math.sumprod, _SEQUENCES, _SEQUENCES)
    def _sumprod_rrule(p: Any, q: Any) -> tuple[Any, Any]:
        project_p, project_q = ProjectTo(p), ProjectTo(q)

        def sumprod_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            dp = _cotangent(project_p, p, [b * dy for b in q])
            return NoTangent(), dp, _cotangent(project_q, q, [a * dy for a in p])

        return math.sumprod(p, q), sumprod_pullback


# ---------------------------------------------------------------------------- tuple outputs


@frule.register(math.frexp)
def _frexp_frule(tangents: tuple[Any, ...], x: Any) -> tuple[Any, Any]:
    m, e = y = math.frexp(x)  # x == m * 2**e
    return y, (ProjectTo(m)(unthunk(tangents[1]) * math.ldexp(1.0, -e)), ZeroTangent())


@rrule.register(math.frexp)
def _frexp_rrule(x: Any) -> tuple[Any, Any]:
    project_x = ProjectTo(x)
    _, e = y = math.frexp(x)

    def frexp_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        return NoTangent(), project_x(dy[0] * math.ldexp(1.0, -e))

    return y, frexp_pullback


@frule.register(math.modf)
def _modf_frule(tangents: tuple[Any, ...], x: Any) -> tuple[Any, Any]:
    fraction, _ = y = math.modf(x)
    return y, (ProjectTo(fraction)(unthunk(tangents[1])), ZeroTangent())


@rrule.register(math.modf)
def _modf_rrule(x: Any) -> tuple[Any, Any]:
    project_x = ProjectTo(x)

    def modf_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        return NoTangent(), project_x(dy[0])

    return math.modf(x), modf_pullback
