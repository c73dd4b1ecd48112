"""Tests of rules/scipy/special/integrals.py: every function through the harness."""

import numpy as np
import pytest
import scipy.special as sc

from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar

F64, F32, C128 = np.float64, np.float32, np.complex128


def _away(rng, shape, low, high):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape)


def _complex(rng, shape, low=0.5, high=2.0):
    # right half plane, off the branch cuts on the negative real axis
    return rng.uniform(low, high, shape) + 1j * rng.uniform(-1.5, 1.5, shape)


# (function, real values, complex values or None)
ONE_ARGUMENT = {
    "expi": (sc.expi, lambda rng, s: _away(rng, s, 0.5, 3.0), _complex),
    "exp1": (sc.exp1, lambda rng, s: rng.uniform(0.4, 3.0, s), _complex),
    "spence": (sc.spence, lambda rng, s: rng.uniform(0.3, 3.0, s), _complex),
    "ellipk": (sc.ellipk, lambda rng, s: rng.uniform(-2.0, 0.7, s), None),
    "ellipkm1": (sc.ellipkm1, lambda rng, s: rng.uniform(0.3, 3.0, s), None),
    "ellipe": (sc.ellipe, lambda rng, s: rng.uniform(-2.0, 0.7, s), None),
}


@pytest.mark.parametrize("name", ONE_ARGUMENT)
def test_one_argument(name, rng):
    f, real, complex_ = ONE_ARGUMENT[name]
    test_scalar(f, float(real(rng, ())), rng=rng)
    for dtype in (F64, F32):
        x = real(rng, (2, 3)).astype(dtype)
        test_rrule(f, x, rng=rng)
        test_frule(f, x, rng=rng)
    if complex_ is not None:
        test_scalar(f, complex(complex_(rng, ())), rng=rng)
        z = complex_(rng, 4)
        test_rrule(f, z, rng=rng)
        test_frule(f, z, rng=rng)


def test_singular_points():
    # ellipk and ellipe at m == 0: pi/8 and -pi/8; spence at 1: -1
    for f, at, want in ((sc.ellipk, 0.0, np.pi / 8), (sc.ellipe, 0.0, -np.pi / 8)):
        assert rrule(f, at)[1](1.0)[1] == pytest.approx(want, rel=1e-15)
    assert rrule(sc.spence, np.array([1.0]))[1](np.ones(1))[1] == pytest.approx(-1.0)
    # no cancellation at tiny m: dK/dm = pi/8 (1 + 9 m / 8 + ...)
    m = 1e-9
    assert frule((NoTangent(), 1.0), sc.ellipk, m)[1] == pytest.approx(np.pi / 8 * (1 + 9 * m / 8))


@pytest.mark.parametrize("dtype", [F64, F32])
def test_expn(dtype, rng):
    n = np.array([[0], [1], [2], [5]])
    x = rng.uniform(0.4, 3.0, 3).astype(dtype)
    test_rrule(sc.expn, n, x, rng=rng)
    test_frule(sc.expn, n, x, rng=rng)
    test_rrule(sc.expn, constant(3), x, rng=rng)
    test_frule(sc.expn, constant(0), 1.2, rng=rng)


@pytest.mark.parametrize("f", [sc.sici, sc.shichi, sc.fresnel], ids=lambda f: f.__name__)
def test_two_outputs(f, rng):
    for x in (1.3, _away(rng, (2, 3), 0.4, 3.0), _away(rng, 3, 0.4, 3.0).astype(F32)):
        test_rrule(f, x, rng=rng)
        test_frule(f, x, rng=rng)
    z = _complex(rng, 3)
    test_rrule(f, z, rng=rng)
    test_frule(f, z, rng=rng)
    x = np.array([0.7, 1.5])
    _, back = rrule(f, x)
    _, (_, dc) = frule((NoTangent(), np.ones(2)), f, x)
    # one output's cotangent may be a zero
    np.testing.assert_allclose(back((ZeroTangent(), np.ones(2)))[1], dc)


def test_sine_integrals_at_zero():
    _, back = rrule(sc.sici, np.array([0.0]))
    assert unthunk(back((np.ones(1), ZeroTangent()))[1]) == pytest.approx([1.0])
    _, back = rrule(sc.shichi, np.array([0.0]))
    assert unthunk(back((np.ones(1), ZeroTangent()))[1]) == pytest.approx([1.0])


@pytest.mark.parametrize("f", [sc.ellipkinc, sc.ellipeinc], ids=lambda f: f.__name__)
def test_incomplete_elliptic(f, rng):
    # phi beyond pi/2 (quasi-periodicity), negative phi, m negative and in (0, 1)
    phi = np.array([-2.0, -0.7, 0.4, 1.2, 2.3, 4.5, 7.1])
    m = rng.uniform(-1.5, 0.6, (2, 1))
    test_rrule(f, phi, m, rng=rng)
    test_frule(f, phi, m, rng=rng)
    test_rrule(f, phi.astype(F32), m.astype(F32), rng=rng)
    test_rrule(f, 0.9, 0.3, rng=rng)
    test_frule(f, 0.9, 0.3, rng=rng)


def test_owens_t(rng):
    h = rng.uniform(-2.0, 2.0, (3, 1))
    a = rng.uniform(-2.0, 2.0, 4)
    for dtype in (F64, F32):
        test_rrule(sc.owens_t, h.astype(dtype), a.astype(dtype), rng=rng)
        test_frule(sc.owens_t, h.astype(dtype), a.astype(dtype), rng=rng)
    test_rrule(sc.owens_t, 0.5, 1.5, rng=rng)


def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        rrule(sc.expi, np.ones(2), out=np.empty(2))
    with pytest.raises(TypeError, match="out="):
        rrule(sc.sici, np.ones(2), np.empty(2), np.empty(2))
