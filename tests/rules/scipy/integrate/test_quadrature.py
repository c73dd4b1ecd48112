"""Tests of rules.scipy.integrate.quadrature (`quad`) through the harness.

The reference is a finite difference of the whole `quad` call, asked for `epsabs=epsrel=1e-13`
so that its value is exact to rounding for these smooth integrands; the rule integrates the
derivatives to the same tolerances. The harness's tolerances are loosened modestly
(`rtol=1e-7`, `atol=1e-9`) for the rounding of the quadrature that finite differences divide
by their step. The error estimate `abserr` is given a zero cotangent (its derivative is taken
to be zero).
"""

import numpy as np
import pytest
import scipy.integrate

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule
from rulescore.testing import FiniteDifferenceConfig, constant, test_frule, test_rrule

C = constant
CONFIG = FiniteDifferenceConfig()
TIGHT = dict(epsabs=1e-13, epsrel=1e-13)
TOL = dict(rtol=1e-7, atol=1e-9)
quad = scipy.integrate.quad


def bump(x, k, c):
    return np.exp(-k * x**2) * np.cos(c * x)


def damped(x, k):
    return np.exp(-k * x) / (1 + x**2)


def vector_params(x, w):
    return np.sin(w[0] * x) + w[1] * x**2


def test_quad_limits_and_args(rng):
    args = (C(bump), -0.5, 1.3, (0.7, 1.1))
    test_rrule(quad, *args, fkwargs=TIGHT, output_tangent=(0.8, 0.0), config=CONFIG, rng=rng, **TOL)
    test_frule(quad, *args, fkwargs=TIGHT, config=CONFIG, rng=rng, **TOL)


def test_quad_array_parameter(rng):
    args = (C(vector_params), 0.0, 2.0, (np.array([1.3, -0.4]),))
    test_rrule(quad, *args, fkwargs=TIGHT, output_tangent=(1.0, 0.0), config=CONFIG, rng=rng, **TOL)
    test_frule(quad, *args, fkwargs=TIGHT, config=CONFIG, rng=rng, **TOL)


def test_quad_infinite_limit(rng):
    """An infinite limit gets zero (finite differences cannot move it either)."""
    args = (C(damped), 0.5, np.inf, (0.9,))
    test_rrule(quad, *args, fkwargs=TIGHT, output_tangent=(1.0, 0.0), config=CONFIG, rng=rng, **TOL)
    test_frule(quad, *args, fkwargs=TIGHT, config=CONFIG, rng=rng, **TOL)


def test_quad_single_parameter_not_in_a_tuple(rng):
    args = (C(damped), 0.0, 1.0, 0.9)
    test_rrule(quad, *args, fkwargs=TIGHT, output_tangent=(1.0, 0.0), config=CONFIG, rng=rng, **TOL)
    test_frule(quad, *args, fkwargs=TIGHT, config=CONFIG, rng=rng, **TOL)


@pytest.mark.parametrize("weight", ["cos", "sin"])
def test_quad_oscillatory_weight(weight, rng):
    kwargs = dict(TIGHT, weight=weight, wvar=3.0)
    args = (C(damped), 0.2, 2.5, (0.9,))
    test_rrule(
        quad, *args, fkwargs=kwargs, output_tangent=(1.0, 0.0), config=CONFIG, rng=rng, **TOL
    )
    test_frule(quad, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


def test_quad_fourier_integral(rng):
    """weight="cos" over [a, inf): QAWF."""
    kwargs = dict(epsabs=1e-12, weight="cos", wvar=2.0)
    args = (C(damped), 0.0, C(np.inf), (0.9,))
    test_rrule(
        quad, *args, fkwargs=kwargs, output_tangent=(1.0, 0.0), config=CONFIG, rng=rng, **TOL
    )


def test_quad_algebraic_weight_limits_not_implemented(rng):
    kwargs = dict(TIGHT, weight="alg", wvar=(0.5, 0.5))
    args = (C(damped), C(0.0), C(1.0), (0.9,))
    test_rrule(
        quad, *args, fkwargs=kwargs, output_tangent=(1.0, 0.0), config=CONFIG, rng=rng, **TOL
    )
    _, back = rrule(CONFIG, quad, damped, 0.0, 1.0, (0.9,), **kwargs)
    _, _, da, db, _ = back((1.0, 0.0))
    assert isinstance(da, NotImplementedTangent) and isinstance(db, NotImplementedTangent)


def test_quad_error_estimate_and_keyword_args(rng):
    _, back = rrule(CONFIG, quad, bump, 0.0, 1.0, args=(0.7, 1.1))
    cotangents = back((1.0, 5.0))
    assert len(cotangents) == 4 and cotangents == back((1.0, ZeroTangent()))
    _, back = rrule(CONFIG, quad, bump, 0.0, 1.0, (0.7, 1.1), 1)
    assert isinstance(back((1.0, 0.0, {"alist": np.ones(50)}))[4], NotImplementedTangent)
    np.testing.assert_allclose(back((1.0, 0.0, {}))[4], back((1.0, 0.0, ZeroTangent()))[4])
    tangents = (NoTangent(), NoTangent(), 0.0, 1.0, (0.0, 0.0), NoTangent())
    _, (dy, derr, dinfo) = frule(CONFIG, tangents, quad, bump, 0.0, 1.0, (0.7, 1.1), 1)
    assert dy == pytest.approx(bump(1.0, 0.7, 1.1)) and derr == ZeroTangent()
    assert isinstance(dinfo["alist"], NotImplementedTangent)
