"""Rules for the `cmath` module of the standard library.

Both an frule and an rrule for:

- the holomorphic functions, one `scalar_rule` line each: `exp`, `log10`, `sqrt`, `sin`,
  `cos`, `tan`, `asin`, `acos`, `atan`, `sinh`, `cosh`, `tanh`, `asinh`, `acosh`, `atanh`,
  and `rect(r, phi)` (real arguments, complex output);
- `log(z[, base])`, holomorphic in both arguments;
- the non-holomorphic `phase(z)` (real output) and `polar(z) -> (r, phi)`.

As everywhere in these rules, the pullback of a holomorphic function multiplies the seed by
the conjugate of the derivative, and a non-holomorphic function's cotangent is
`dL/dRe(z) + 1j * dL/dIm(z)`; a real argument (a float or an int) gets the real part.
`abs` is the builtin (see `rules.python.builtins`). `isclose`, `isfinite`, `isinf` and
`isnan` are non-differentiable.

Conventions where a derivative does not exist:

- derivatives follow the principal branches that `cmath` computes; on a branch cut
  (`log`, `sqrt` and `phase` on the negative real axis, `asin`, `acos`, `atanh` on the real
  axis beyond ±1, `asinh`, `atan` on the imaginary axis beyond ±i, `acosh` left of 1) the
  derivative is the one of the side `cmath` takes (it depends on the sign of a zero
  imaginary part; a float or int argument is on the side of +0): the partials are written
  in terms of the output where the side matters;
- at branch points where the derivative is infinite (`sqrt` at 0, `asin`/`acos` at ±1,
  `asinh` at ±i, `acosh` at ±1) it is `nan + nanj`: its direction is undefined, and a
  complex infinity gives that anyway once multiplied by a tangent;
- `phase` and `polar` at 0: zero derivatives (the zero subgradient of `abs`; ChainRules.jl
  and PyTorch take zero for the angle there too).
"""

from __future__ import annotations

import cmath
import math
from typing import Any

from rulescore import (
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    scalar_rule,
    unthunk,
)

_LN10 = math.log(10.0)
_NAN = complex(math.nan, math.nan)


def _inv(w: Any, at_branch_point: bool = False) -> Any:
    """`1 / w`, and `nan + nanj` at a branch point or where `w == 0` (an infinite derivative:
    at the branch points `w` is zero up to the rounding of, e.g., `cos(pi / 2)`)."""
    return _NAN if at_branch_point or not w else 1 / w


# ---------------------------------------------------------------------------- calculus table

scalar_rule(cmath.exp, lambda z, y: y)
scalar_rule(cmath.log10, lambda z, y: 1 / (z * _LN10))
scalar_rule(cmath.sqrt, lambda z, y: 0.5 * _inv(y))
scalar_rule(cmath.sin, lambda z, y: cmath.cos(z))
scalar_rule(cmath.cos, lambda z, y: -cmath.sin(z))
scalar_rule(cmath.tan, lambda z, y: 1 + y * y)
# In terms of y: cos(asin(z)) is sqrt(1 - z**2) off the cut, and on the cut it follows the
# side cmath took (sqrt(1 - z**2) computed from z does not, for a real z > 1).
scalar_rule(cmath.asin, lambda z, y: _inv(cmath.cos(y), z * z == 1))
scalar_rule(cmath.acos, lambda z, y: -_inv(cmath.sin(y), z * z == 1))
scalar_rule(cmath.atan, lambda z, y: 1 / (1 + z * z))
scalar_rule(cmath.sinh, lambda z, y: cmath.cosh(z))
scalar_rule(cmath.cosh, lambda z, y: cmath.sinh(z))
scalar_rule(cmath.tanh, lambda z, y: 1 - y * y)
scalar_rule(cmath.asinh, lambda z, y: _inv(cmath.cosh(y), z * z == -1))
# Not 1 / sqrt(z**2 - 1), whose sign is wrong for Re(z) < 0.
scalar_rule(cmath.acosh, lambda z, y: _inv(cmath.sinh(y), z * z == 1))
scalar_rule(cmath.atanh, lambda z, y: 1 / (1 - z * z))
scalar_rule(cmath.rect, lambda r, phi, y: cmath.rect(1.0, phi), lambda r, phi, y: 1j * y)

non_differentiable(cmath.isclose, cmath.isfinite, cmath.isinf, cmath.isnan)


# ---------------------------------------------------------------------------- log(z[, base])


def _log_partials(z: Any, base: tuple[Any, ...], y: Any) -> tuple[Any, ...]:
    if not base:
        return (1 / z,)
    # log(z, b) = log(z) / log(b)
    scale = 1 / cmath.log(base[0])
    return scale / z, -scale * y / base[0]


@frule.register(cmath.log)
def _log_frule(tangents: tuple[Any, ...], z: Any, *base: Any) -> tuple[Any, Any]:
    y = cmath.log(z, *base)
    partials = _log_partials(z, base, y)
    dy = sum(
        (p * unthunk(d) for p, d in zip(partials, tangents[1:], strict=True)), start=ZeroTangent()
    )
    return y, ProjectTo(y)(dy)


@rrule.register(cmath.log)
def _log_rrule(z: Any, *base: Any) -> tuple[Any, Any]:
    projects = [ProjectTo(a) for a in (z, *base)]
    y = cmath.log(z, *base)

    def log_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        partials = _log_partials(z, base, y)
        return NoTangent(), *(
            project(p.conjugate() * dy) for project, p in zip(projects, partials, strict=True)
        )

    return y, log_pullback


# ---------------------------------------------------------------------------- phase and polar
# With w = dz / z: d|z| = |z| Re(w) and d phase(z) = Im(w). Their adjoints give the cotangent
# (|z| dr + 1j dphi) / conj(z).


@frule.register(cmath.phase)
def _phase_frule(tangents: tuple[Any, ...], z: Any) -> tuple[Any, Any]:
    y = cmath.phase(z)
    return y, ProjectTo(y)((unthunk(tangents[1]) / z).imag if z else ZeroTangent())


@rrule.register(cmath.phase)
def _phase_rrule(z: Any) -> tuple[Any, Any]:
    project_z = ProjectTo(z)

    def phase_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        return NoTangent(), project_z(1j * dy / z.conjugate() if z else ZeroTangent())

    return cmath.phase(z), phase_pullback


@frule.register(cmath.polar)
def _polar_frule(tangents: tuple[Any, ...], z: Any) -> tuple[Any, Any]:
    r, _ = y = cmath.polar(z)
    if not z:
        return y, ZeroTangent()
    w = unthunk(tangents[1]) / z
    return y, ProjectTo(y)((r * w.real, w.imag))


@rrule.register(cmath.polar)
def _polar_rrule(z: Any) -> tuple[Any, Any]:
    project_z = ProjectTo(z)
    r, _ = y = cmath.polar(z)

    def polar_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        dr, dphi = dy[0], dy[1]
        return NoTangent(), project_z((r * dr + 1j * dphi) / z.conjugate() if z else ZeroTangent())

    return y, polar_pullback
