"""Tests of rules.numpy.windows: kaiser in beta through the harness."""

import numpy as np
import pytest
from scipy.special import i0, i1

import rules.numpy.windows  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule


@pytest.mark.parametrize("m", [1, 2, 5, 8])
@pytest.mark.parametrize("beta", [0.0, 0.7, -2.0, 14.0, np.float32(5.0), 3])
def test_kaiser(m, beta, rng):
    test_rrule(np.kaiser, constant(m), beta, rng=rng)
    test_frule(np.kaiser, constant(m), beta, rng=rng)


def test_kaiser_derivative_at_the_ends():
    """At the ends `s = 0`: `w = 1 / I0(β)`, so `dw/dβ = -I1(β) / I0(β)²`."""
    beta = 3.0
    _, back = rrule(np.kaiser, 4, beta)
    _, dm, dbeta = back(np.array([1.0, 0.0, 0.0, 0.0]))
    assert dm == NoTangent()
    assert np.isclose(dbeta, -i1(beta) / i0(beta) ** 2, rtol=1e-12)


def test_kaiser_zero_tangents():
    _, back = rrule(np.kaiser, 4, 2.0)
    assert back(ZeroTangent())[2] == ZeroTangent()
    assert frule((NoTangent(), NoTangent(), ZeroTangent()), np.kaiser, 4, 2.0)[1] == ZeroTangent()
