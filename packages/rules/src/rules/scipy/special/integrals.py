"""Rules for the exponential, trigonometric, Fresnel and elliptic integrals of `scipy.special`,
the dilogarithm `spence` and Owen's T function.

Both rules (frule and rrule) for:

- exponential integrals: `expi` (`e^x / x`), `exp1` (`-e^{-z} / z`), `expn(n, x)`
  (`-E_{n-1}(x)`, and `-e^{-x} (x + 1) / x**2` for `n == 0`; the integer `n` gets
  `NoTangent`);
- two outputs from one argument: `sici` (`sin z / z`, `cos z / z`), `shichi` (`sinh z / z`,
  `cosh z / z`), `fresnel` (`(S, C)`: `sin(pi z**2 / 2)`, `cos(pi z**2 / 2)`);
- complete elliptic integrals `ellipk`, `ellipkm1`, `ellipe`, and incomplete ones
  `ellipkinc(phi, m)`, `ellipeinc(phi, m)` in both arguments;
- `spence(z)` (`log z / (1 - z)`), `owens_t(h, a)` in both arguments:
  `dT/dh = -phi(h) erf(h a / sqrt 2) / 2` (`phi` the normal density),
  `dT/da = exp(-h**2 (1 + a**2) / 2) / (2 pi (1 + a**2))`.

The derivatives of the elliptic integrals in `m` are written with Carlson's `R_D`
(`elliprd`), which does not cancel at small `m` as the textbook forms do:
`dF(phi|m)/dm = sin^3(phi) R_D(cos^2 phi, 1, 1 - m sin^2 phi) / 6`,
`dE(phi|m)/dm = -sin^3(phi) R_D(cos^2 phi, 1 - m sin^2 phi, 1) / 6` for `|phi| <= pi/2`, and
`F(phi + k pi|m) = F(phi|m) + 2k K(m)` (same for `E`) beyond.

Conventions at singular points: `sin z / z` is 1 at 0 (`sici`, `shichi`), `log z / (1 - z)`
is -1 at 1 (`spence`); the logarithmic singularities of `expi`, `exp1`, `ci`, `chi` at 0 give
infinite or NaN derivatives, and so does `ellipk` at `m == 1`. For a negative real argument
SciPy's `ci(x)` and `chi(x)` are `ci(|x|)` and `chi(|x|)` (the real part), whose derivatives
are again `cos x / x` and `cosh x / x`. Complex arguments are supported wherever SciPy
supports them (`expi`, `exp1`, `sici`, `shichi`, `fresnel`, `spence`). `out=` is refused.
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
    ZeroTangent,
    frule,
    rrule,
    scalar_rule,
    unthunk,
)

__all__: list[str] = []


def _quiet(partial: Callable[..., Any]) -> Callable[..., Any]:
    """`partial` with NumPy's warnings off: its singular points are replaced by `np.where`."""

    def quiet_partial(*args: Any) -> Any:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return partial(*args)

    quiet_partial.__name__ = quiet_partial.__qualname__ = partial.__name__
    return quiet_partial


# ---------------------------------------------------------------------------------------------
# Exponential integrals


@_quiet
def _dexpn(n: Any, x: Any, y: Any) -> Any:
    # E_n' = -E_{n-1}; E_0 = e^{-x} / x, whose derivative is -e^{-x} (x + 1) / x**2.
    below = sc.expn(np.maximum(np.asarray(n) - 1, 0), x)
    return np.where(np.asarray(n) == 0, -np.exp(-x) * (x + 1) / x**2, -below)


scalar_rule(sc.expi, _quiet(lambda x, y: np.exp(x) / x))
scalar_rule(sc.exp1, _quiet(lambda z, y: -np.exp(-z) / z))
scalar_rule(sc.expn, None, _dexpn)

# ---------------------------------------------------------------------------------------------
# spence, owens_t


@_quiet
def _dspence(z: Any, y: Any) -> Any:
    one = z == 1
    return np.where(one, -1.0, np.log(np.where(one, 2.0, z)) / (1 - np.where(one, 2.0, z)))


_SQRT_2PI = np.sqrt(2 * np.pi)

scalar_rule(sc.spence, _dspence)
scalar_rule(
    sc.owens_t,
    lambda h, a, y: -np.exp(-(h**2) / 2) * sc.erf(h * a / np.sqrt(2)) / (2 * _SQRT_2PI),
    lambda h, a, y: np.exp(-(h**2) * (1 + a**2) / 2) / (2 * np.pi * (1 + a**2)),
)

# ---------------------------------------------------------------------------------------------
# Elliptic integrals: the derivatives in m through Carlson's R_D


def _dk_dm(m: Any) -> Any:
    return sc.elliprd(0.0, 1.0, 1 - m) / 6


def _de_dm(m: Any) -> Any:
    return -sc.elliprd(0.0, 1 - m, 1.0) / 6


def _reduced(phi: Any) -> tuple[Any, Any, Any, Any]:
    """`(k, sin, cos**2, sin**2)` of `phi = k pi + phi0`, `|phi0| <= pi/2`."""
    k = np.round(np.asarray(phi, dtype=np.float64) / np.pi)
    s = np.sin(phi - k * np.pi)
    return k, s, 1 - s * s, s * s


@_quiet
def _dellipkinc_dm(phi: Any, m: Any, y: Any) -> Any:
    k, s, c2, s2 = _reduced(phi)
    partial = s**3 * sc.elliprd(c2, 1.0, 1 - m * s2) / 6
    return partial + np.where(k == 0, 0.0, 2 * k * _dk_dm(m))


@_quiet
def _dellipeinc_dm(phi: Any, m: Any, y: Any) -> Any:
    k, s, c2, s2 = _reduced(phi)
    partial = -(s**3) * sc.elliprd(c2, 1 - m * s2, 1.0) / 6
    return partial + np.where(k == 0, 0.0, 2 * k * _de_dm(m))


scalar_rule(sc.ellipk, _quiet(lambda m, y: _dk_dm(m)))
scalar_rule(sc.ellipkm1, _quiet(lambda p, y: -sc.elliprd(0.0, 1.0, p) / 6))
scalar_rule(sc.ellipe, _quiet(lambda m, y: _de_dm(m)))
scalar_rule(
    sc.ellipkinc, _quiet(lambda phi, m, y: 1 / np.sqrt(1 - m * np.sin(phi) ** 2)), _dellipkinc_dm
)
scalar_rule(sc.ellipeinc, lambda phi, m, y: np.sqrt(1 - m * np.sin(phi) ** 2), _dellipeinc_dm)

# ---------------------------------------------------------------------------------------------
# Functions with two outputs: (f1(z), f2(z)) = f(z)


def _sinc(z: Any) -> Any:
    zero = z == 0
    safe = np.where(zero, 1, z)
    return np.where(zero, 1, np.sin(safe) / safe)  # sin z / z, 1 at 0


def _sinhc(z: Any) -> Any:
    zero = z == 0
    safe = np.where(zero, 1, z)
    return np.where(zero, 1, np.sinh(safe) / safe)


def _register_pair(f: Any, first: Callable[[Any], Any], second: Callable[[Any], Any]) -> None:
    """Rules of `(y1, y2) = f(z)` with derivatives `first(z)`, `second(z)`."""
    name = f.__name__

    def check(out: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        if out or kwargs.get("out") is not None:
            raise TypeError(
                f"differentiating scipy.special.{name} with out= (writing into arrays) is not "
                "supported: assign the results instead"
            )

    def pair_frule(tangents: tuple[Any, ...], z: Any, *out: Any, **kwargs: Any) -> Any:
        check(out, kwargs)
        y1, y2 = f(z, **kwargs)
        dz = unthunk(tangents[1])
        if isinstance(dz, AbstractZero):
            return (y1, y2), ZeroTangent()
        with np.errstate(divide="ignore", invalid="ignore"):
            return (y1, y2), (ProjectTo(y1)(first(z) * dz), ProjectTo(y2)(second(z) * dz))

    def pair_rrule(z: Any, *out: Any, **kwargs: Any) -> Any:
        check(out, kwargs)
        project_z = ProjectTo(z)
        y = f(z, **kwargs)

        def pair_pullback(dy: Any) -> tuple[Any, Any]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), dy
            dz: Any = ZeroTangent()
            with np.errstate(divide="ignore", invalid="ignore"):
                for derivative, dyi in zip((first, second), dy, strict=True):
                    dyi = unthunk(dyi)
                    if not isinstance(dyi, AbstractZero):
                        dz = dz + np.conj(derivative(z)) * dyi
            return NoTangent(), project_z(dz)

        pair_pullback.__name__ = pair_pullback.__qualname__ = f"{name}_pullback"
        return y, pair_pullback

    frule.register(f)(pair_frule)
    rrule.register(f)(pair_rrule)


def _cosc(z: Any) -> Any:
    return np.cos(z) / z


def _coshc(z: Any) -> Any:
    return np.cosh(z) / z


def _fresnel_s(z: Any) -> Any:
    return np.sin(np.pi * z**2 / 2)


def _fresnel_c(z: Any) -> Any:
    return np.cos(np.pi * z**2 / 2)


_register_pair(sc.sici, _sinc, _cosc)
_register_pair(sc.shichi, _sinhc, _coshc)
_register_pair(sc.fresnel, _fresnel_s, _fresnel_c)
