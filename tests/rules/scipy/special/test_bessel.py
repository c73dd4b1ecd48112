"""Tests of rules/scipy/special/bessel.py: every function through the harness, and the order
derivatives against closed forms (DLMF 10.15, 10.38)."""

import numpy as np
import pytest
import scipy.special as sc

from rulescore import NoTangent, NotImplementedTangent, Thunk, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar

F64, F32 = np.float64, np.float32


def _away(rng, shape, low, high):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape)


# ---------------------------------------------------------------------------------------------
# Order 0 and 1

ONE_ARGUMENT = [
    (sc.j0, "any"),
    (sc.j1, "any"),
    (sc.y0, "positive"),
    (sc.y1, "positive"),
    (sc.i0, "any"),
    (sc.i0e, "nonzero"),
    (sc.i1, "any"),
    (sc.i1e, "nonzero"),
    (sc.k0, "positive"),
    (sc.k0e, "positive"),
    (sc.k1, "positive"),
    (sc.k1e, "positive"),
]


def _draw(rng, domain, shape):
    if domain == "positive":
        return rng.uniform(0.5, 4.0, shape)
    if domain == "nonzero":
        return _away(rng, shape, 0.4, 4.0)
    return rng.uniform(-4.0, 4.0, shape)


@pytest.mark.parametrize(("f", "domain"), ONE_ARGUMENT, ids=lambda a: getattr(a, "__name__", a))
def test_order_zero_and_one(f, domain, rng):
    test_scalar(f, float(_draw(rng, domain, ())), rng=rng)
    for dtype in (F64, F32):
        x = _draw(rng, domain, (2, 3)).astype(dtype)
        test_rrule(f, x, rng=rng)
        test_frule(f, x, rng=rng)


# ---------------------------------------------------------------------------------------------
# f(v, z): derivatives in the argument and in the order

ORDER_FUNCTIONS = [
    sc.jv,
    sc.jve,
    sc.yv,
    sc.yve,
    sc.iv,
    sc.ive,
    sc.kv,
    sc.kve,
    sc.hankel1,
    sc.hankel1e,
    sc.hankel2,
    sc.hankel2e,
]
COMPLEX_ONLY = (sc.hankel1, sc.hankel1e, sc.hankel2, sc.hankel2e)


# x small (the series of J and I) and large (their integrals)
@pytest.mark.parametrize("low_high", [(0.5, 3.0), (6.0, 14.0)], ids=["small", "large"])
@pytest.mark.parametrize("f", ORDER_FUNCTIONS, ids=lambda f: f.__name__)
def test_order_and_argument_real(f, low_high, rng):
    low, high = low_high
    v, x = rng.uniform(-1.8, 2.8, (3, 1)), rng.uniform(low, high, 4)
    test_rrule(f, v, x, rng=rng)
    test_frule(f, v, x, rng=rng)
    test_rrule(f, float(v[0, 0]), float(x[0]), rng=rng)
    test_frule(f, float(v[0, 0]), float(x[0]), rng=rng)
    if f not in COMPLEX_ONLY:
        v32, x32 = v.astype(F32), x.astype(F32)
        test_rrule(f, v32, x32, rng=rng)
        test_frule(f, v32, x32, rng=rng)


@pytest.mark.parametrize("f", ORDER_FUNCTIONS, ids=lambda f: f.__name__)
def test_argument_complex(f, rng):
    # Right half plane, away from the axes where the scaled functions have kinks.
    z = rng.uniform(0.5, 3.0, 4) + 1j * _away(rng, 4, 0.4, 1.5)
    v = rng.uniform(-1.8, 2.8, (2, 1))
    test_rrule(f, constant(v), z, rng=rng)
    test_frule(f, constant(v), z, rng=rng)
    test_rrule(f, v, z, rng=rng)  # the order's cotangent is not implemented, the rest checked
    _, back = rrule(f, v, z)
    assert isinstance(unthunk(back(np.ones((2, 4), dtype=complex))[1]), NotImplementedTangent)
    _, dy = frule((NoTangent(), np.ones_like(v), np.zeros_like(z)), f, v, z)
    assert isinstance(dy, NotImplementedTangent)


def test_scaled_kinks_on_real_line(rng):
    # ive has the factor exp(-|x|) on the real line, on both sides of 0.
    x = _away(rng, 5, 0.4, 3.0)
    test_rrule(sc.ive, constant(2.0), x, rng=rng)
    test_frule(sc.ive, constant(2.0), x, rng=rng)
    test_rrule(sc.ive, constant(np.arange(5)), x, rng=rng)


def test_order_cotangent_is_lazy():
    _, back = rrule(sc.jv, 2.5, np.array([1.0, 3.0]))
    assert isinstance(back(np.ones(2))[1], Thunk)


def test_integer_orders_have_no_tangent(rng):
    x = rng.uniform(0.5, 3.0, 3)
    _, back = rrule(sc.jv, np.arange(3), x)
    assert isinstance(back(np.ones(3))[1], NoTangent)
    test_rrule(sc.kv, np.arange(3), x, rng=rng)
    test_frule(sc.jv, 2, 1.5, rng=rng)  # a Python int order is differentiated as a real


def test_large_orders_and_arguments(rng):
    v = np.array([[-20.5], [0.0], [12.7], [40.0]])
    x = np.array([0.05, 2.0, 30.0, 120.0])
    for f in (sc.jv, sc.yve, sc.ive, sc.kve):
        test_rrule(f, v, x, rng=rng)


def test_order_derivative_closed_forms():
    x = np.array([0.01, 0.3, 1.0, 2.5, 4.0, 7.0, 20.0, 60.0, 300.0])

    def order(f, v):
        # per entry, to see each regime of the rule
        return np.array([unthunk(rrule(f, v, xi)[1](1.0)[1]) for xi in x])

    close = {"rtol": 1e-12, "atol": 1e-14}  # absolute where a derivative crosses zero
    si, ci = sc.sici(2 * x)
    root = np.sqrt(2 / (np.pi * x))
    j_half = root * (ci * np.sin(x) - si * np.cos(x))
    np.testing.assert_allclose(order(sc.jv, 0.5), j_half, **close)
    y_half = root * (ci * np.cos(x) + (si - np.pi) * np.sin(x))
    np.testing.assert_allclose(order(sc.yv, 0.5), y_half, **close)
    np.testing.assert_allclose(order(sc.jv, 0.0), np.pi / 2 * sc.y0(x), **close)
    np.testing.assert_allclose(order(sc.yv, 0.0), -np.pi / 2 * sc.j0(x), **close)
    np.testing.assert_allclose(order(sc.ive, 0.0), -sc.k0(x) * np.exp(-x), 1e-12)
    k_half = np.sqrt(np.pi / (2 * x)) * sc.exp1(2 * x) * np.exp(x)
    np.testing.assert_allclose(order(sc.kv, 0.5), k_half, 1e-12)
    np.testing.assert_allclose(order(sc.kv, -0.5), -k_half, 1e-12)
    _, h1 = frule((NoTangent(), 1.0, 0.0), sc.hankel1, 0.5, x)  # complex: the frule
    np.testing.assert_allclose(h1, j_half + 1j * y_half, **close)


def test_order_derivative_outside_the_domain():
    _, back = rrule(sc.jv, np.array([0.5, 1.5, 0.0]), np.array([-1.0, 0.0, 0.0]))
    np.testing.assert_equal(unthunk(back(np.ones(3))[1]), [np.nan, 0.0, np.nan])


def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        rrule(sc.jv, 1.0, np.ones(2), out=np.empty(2))
    with pytest.raises(TypeError, match="out="):
        frule((NoTangent(), 1.0, np.ones(2)), sc.kv, 1.0, np.ones(2), np.empty(2))


# ---------------------------------------------------------------------------------------------
# Spherical Bessel functions

SPHERICAL = [sc.spherical_jn, sc.spherical_yn, sc.spherical_in, sc.spherical_kn]


@pytest.mark.parametrize("derivative", [False, True])
@pytest.mark.parametrize("f", SPHERICAL, ids=lambda f: f.__name__)
def test_spherical(f, derivative, rng):
    kwargs = {"derivative": derivative}
    n = np.array([[0], [1], [3]])
    z = rng.uniform(0.5, 4.0, 4)
    test_rrule(f, constant(n), z, fkwargs=kwargs, rng=rng)
    test_frule(f, constant(n), z, fkwargs=kwargs, rng=rng)
    test_rrule(f, constant(2), z.astype(F32), fkwargs=kwargs, rng=rng)
    zc = rng.uniform(0.5, 3.0, 3) + 1j * rng.uniform(-1.5, 1.5, 3)
    test_rrule(f, constant(1), zc, fkwargs=kwargs, rng=rng)
    test_frule(f, constant(0), zc, fkwargs=kwargs, rng=rng)
    test_rrule(f, constant(2), 1.3, constant(derivative), rng=rng)
    test_frule(f, constant(2), 1.3, constant(derivative), rng=rng)


def test_spherical_at_zero():
    # j_n''(0): -1/3 for n = 0, 2/15 for n = 2 (the series of j_n); no division by z.
    _, back = rrule(sc.spherical_jn, np.array([0, 1, 2]), 0.0, derivative=True)
    np.testing.assert_allclose(unthunk(back(np.array([1.0, 0.0, 0.0]))[2]), -1 / 3, 1e-15)
    np.testing.assert_allclose(unthunk(back(np.array([0.0, 0.0, 1.0]))[2]), 2 / 15, 1e-15)
