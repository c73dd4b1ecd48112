"""Rules of `rules.python.cmath`, checked by the harness away from the branch cuts."""

from __future__ import annotations

import cmath
import math

import pytest

import rules.python.cmath  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar

# Complex points at least 0.5 from every branch cut (finite differences reach about 0.2),
# and real points (a float or an int argument gets a real cotangent), some on a cut: a real
# argument stays on the side of +0 imaginary part as the finite differences move it.
HOLOMORPHIC_POINTS = {
    cmath.exp: [0.3 + 0.4j, -1.2 - 0.5j, 2.0, 1],
    cmath.log: [0.5 + 0.7j, -2.0 + 0.5j, 3.0, -2.0],
    cmath.log10: [0.5 + 0.7j, -2.0 - 0.5j, 3.0, 100, -3.0],
    cmath.sqrt: [0.5 + 0.7j, -2.0 + 0.5j, -1.0 - 0.6j, 4.0, -4.0],
    cmath.sin: [0.3 + 0.4j, -1.2 - 0.5j, 2.0],
    cmath.cos: [0.3 + 0.4j, -1.2 - 0.5j, 2.0],
    cmath.tan: [0.3 + 0.4j, -1.2 - 0.5j, 2.0],
    cmath.asin: [0.3 + 0.4j, -0.5 - 0.7j, 2.0 + 0.5j, -2.0 - 0.6j, 0.6, 2.0, -1.5],
    cmath.acos: [0.3 + 0.4j, -0.5 - 0.7j, 2.0 + 0.5j, -2.0 - 0.6j, 0.6, 2.0, -1.5],
    cmath.atan: [0.3 + 0.4j, -0.5 + 2.0j, 0.6 - 1.5j, 2.0],
    cmath.sinh: [0.3 + 0.4j, -1.2 - 0.5j, 1.5],
    cmath.cosh: [0.3 + 0.4j, -1.2 - 0.5j, 1.5],
    cmath.tanh: [0.3 + 0.4j, -1.2 - 0.5j, 1.5],
    cmath.asinh: [0.3 + 0.4j, 0.5 + 2.0j, -0.6 - 1.5j, -1.5],
    cmath.acosh: [2.0 + 0.5j, -1.5 + 0.6j, -0.7 - 0.6j, 0.3 - 0.8j, 3.0, 0.5, -2.0],
    cmath.atanh: [0.3 + 0.4j, 2.0 + 0.5j, -1.5 - 0.6j, -0.5, 2.0],
    cmath.phase: [0.3 + 0.4j, -1.5 + 0.6j, -0.5 - 0.7j, 2.0, -2.0, 3],
}


@pytest.mark.parametrize(
    ("f", "z"),
    [(f, z) for f, points in HOLOMORPHIC_POINTS.items() for z in points],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_scalar_functions(f, z, rng):
    test_scalar(f, z, rng=rng)


@pytest.mark.parametrize(
    ("z", "base"),
    [(0.5 + 0.7j, 2.0), (3.0, 1.5 + 0.5j), (-2.0 + 0.5j, 0.3 - 0.4j), (8, 2), (2.0, 0.5)],
    ids=repr,
)
def test_log_with_base(z, base, rng):
    test_rrule(cmath.log, z, base, rng=rng)
    test_frule(cmath.log, z, base, rng=rng)


@pytest.mark.parametrize(("r", "phi"), [(1.5, 0.3), (0.5, 3.0), (2, -1), (-0.7, 2.0)], ids=repr)
def test_rect(r, phi, rng):
    test_rrule(cmath.rect, r, phi, rng=rng)
    test_frule(cmath.rect, r, phi, rng=rng)


@pytest.mark.parametrize("z", [0.3 + 0.4j, -1.5 + 0.6j, -0.5 - 0.7j, 2.0, -2.0, 3], ids=repr)
def test_polar(z, rng):
    test_rrule(cmath.polar, z, rng=rng)
    test_frule(cmath.polar, z, rng=rng)


def test_polar_and_phase_at_the_origin():
    _, back = rrule(cmath.polar, 0j)
    assert back((1.0, 1.0)) == (NoTangent(), ZeroTangent())
    assert frule((NoTangent(), 1.0 + 1.0j), cmath.polar, 0j) == ((0.0, 0.0), ZeroTangent())
    _, back = rrule(cmath.phase, 0j)
    assert back(1.0) == (NoTangent(), ZeroTangent())
    assert frule((NoTangent(), 1j), cmath.phase, 0.0) == (0.0, ZeroTangent())


def test_phase_cotangent_follows_real_and_imaginary_parts():
    # phase(x + iy) = atan2(y, x): at 1 + 1j, d/dx = -1/2 and d/dy = 1/2.
    _, back = rrule(cmath.phase, 1 + 1j)
    assert back(1.0)[1] == pytest.approx(-0.5 + 0.5j)
    _, back = rrule(cmath.phase, -3.0)  # a real argument: the real part only
    assert back(1.0)[1] == 0.0


@pytest.mark.parametrize(
    ("f", "z"),
    [
        (cmath.sqrt, 0j),
        (cmath.sqrt, 0.0),
        (cmath.asin, 1.0),
        (cmath.asin, -1 + 0j),
        (cmath.acos, -1 + 0j),
        (cmath.acos, 1),
        (cmath.asinh, 1j),
        (cmath.asinh, -1j),
        (cmath.acosh, 1.0),
        (cmath.acosh, -1.0),
    ],
    ids=repr,
)
def test_infinite_derivatives_are_nan(f, z):
    _, back = rrule(f, z)
    dz = back(1.0)[1]
    assert math.isnan(dz.real)
    assert cmath.isnan(unthunk(frule((NoTangent(), 1.0), f, z)[1]))


def test_holomorphic_pullback_conjugates():
    # d exp(z) = exp(z) dz; the cotangent of a seed 1 is conj(exp(z)).
    z = 0.3 + 0.4j
    _, back = rrule(cmath.exp, z)
    assert back(1.0)[1] == pytest.approx(cmath.exp(z).conjugate())


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (cmath.isclose, (1j, 1j + 1e-12)),
        (cmath.isfinite, (1 + 2j,)),
        (cmath.isinf, (1 + 2j,)),
        (cmath.isnan, (1 + 2j,)),
    ],
    ids=lambda v: getattr(v, "__name__", ""),
)
def test_non_differentiable(f, args):
    y, back = rrule(f, *args)
    assert y == f(*args)
    assert back(1.0) == (NoTangent(),) * (1 + len(args))
    assert frule((NoTangent(),) * (1 + len(args)), f, *args) == (y, NoTangent())
    test_rrule(f, *map(constant, args))


def test_every_callable_of_cmath_has_rules():
    missing = [
        name
        for name in dir(cmath)
        if not name.startswith("_")
        and callable(getattr(cmath, name))
        and not (rrule.has_rule(getattr(cmath, name)) and frule.has_rule(getattr(cmath, name)))
    ]
    assert missing == []
