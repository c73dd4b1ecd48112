"""Tests of rules/scipy/special/incomplete.py: every rule through the harness, on a grid of
shape parameters and arguments, and the derivatives in the shape parameters against mpmath."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from rules.scipy.special import incomplete
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule

# a in [0.5, 20] (a column), x in [0.1, 30] (a row): 35 points, both sides of x = a + 1.
GAMMA_A = np.array([[0.5], [0.9], [1.0], [2.5], [7.0], [19.5], [20.0]])
GAMMA_X = np.array([0.1, 0.7, 3.0, 12.0, 30.0])
BETA_A = np.array([[0.5], [1.0], [2.5], [7.0], [20.0]])
BETA_B = np.array([[[0.5]], [[3.0]], [[15.0]]])
BETA_X = np.array([0.05, 0.3, 0.5, 0.7, 0.95])

# mpmath, 40 digits: d/da P(a, x) by numerical differentiation of the regularized integral.
GAMMAINC_DA = [
    (0.5, 0.1, -0.82293609697959875),
    (0.5, 30.0, -5.118991143389857e-14),
    (2.5, 3.0, -0.22754855127826082),
    (7.0, 6.5, -0.15537649903573241),
    (20.0, 21.0, -0.085322021830814853),
    (20.0, 0.5, -9.0473370548224757e-25),
    (150.0, 140.0, -0.023793726651202103),
]
BETAINC_DAB = [
    (0.5, 3.0, 0.1, -0.73622839517335171, 0.082017418314049229),
    (2.0, 0.5, 0.9, -0.11323389562236227, 0.77119995361555701),
    (7.0, 15.0, 0.3, -0.12923604397840171, 0.05709378391470757),
    (20.0, 1.0, 0.99, -0.0082202394197610212, 0.37431430138450662),
    (20.0, 20.0, 0.5, -0.063740468830439859, 0.063740468830439859),
    (300.0, 200.0, 0.61, -0.013019268712332675, 0.019946917236122257),
]


@pytest.mark.parametrize(("a", "x", "want"), GAMMAINC_DA)
def test_gammainc_partial_a_against_mpmath(a, x, want):
    assert incomplete.gammainc_partial_a(a, x) == pytest.approx(want, rel=1e-12, abs=0)


@pytest.mark.parametrize(("a", "b", "x", "want_a", "want_b"), BETAINC_DAB)
def test_betainc_partials_against_mpmath(a, b, x, want_a, want_b):
    da, db = incomplete.betainc_partials_ab(a, b, x)
    assert da == pytest.approx(want_a, rel=1e-12, abs=0)
    assert db == pytest.approx(want_b, rel=1e-12, abs=0)


@pytest.mark.parametrize("f", [special.gammainc, special.gammaincc])
def test_gammainc_on_the_grid(f, rng):
    test_rrule(f, GAMMA_A, GAMMA_X, rng=rng)
    test_frule(f, GAMMA_A, GAMMA_X, rng=rng)


@pytest.mark.parametrize("f", [special.gammainc, special.gammaincc])
@pytest.mark.parametrize(("a", "x"), [(0.5, 0.1), (3.0, 3.9), (3.0, 4.1), (20.0, 30.0)])
def test_gammainc_scalars(f, a, x, rng):
    test_rrule(f, a, x, rng=rng)
    test_frule(f, a, x, rng=rng)


@pytest.mark.parametrize("f", [special.gammaincinv, special.gammainccinv])
def test_gammainc_inverses(f, rng):
    p = np.array([0.05, 0.2, 0.5, 0.8, 0.95])
    test_rrule(f, GAMMA_A, p, rng=rng)
    test_frule(f, GAMMA_A, p, rng=rng)
    test_rrule(f, 2.5, 0.3, rng=rng)


@pytest.mark.parametrize("f", [special.betainc, special.betaincc])
def test_betainc_on_the_grid(f, rng):
    test_rrule(f, BETA_A, BETA_B, BETA_X, rng=rng)
    test_frule(f, BETA_A, BETA_B, BETA_X, rng=rng)


@pytest.mark.parametrize("f", [special.betainc, special.betaincc])
@pytest.mark.parametrize(("a", "b", "x"), [(0.5, 0.5, 0.2), (3.0, 4.0, 0.44), (3.0, 4.0, 0.46)])
def test_betainc_scalars(f, a, b, x, rng):
    test_rrule(f, a, b, x, rng=rng)
    test_frule(f, a, b, x, rng=rng)


@pytest.mark.parametrize("f", [special.betaincinv, special.betainccinv])
def test_betainc_inverses(f, rng):
    p = np.array([0.05, 0.3, 0.5, 0.7, 0.95])
    test_rrule(f, BETA_A, BETA_B, p, rng=rng)
    test_frule(f, BETA_A, BETA_B, p, rng=rng)
    test_rrule(f, 2.0, 5.0, 0.25, rng=rng)


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (special.gammainc, (2.5, 3.0)),
        (special.gammaincinv, (2.5, 0.4)),
        (special.betainc, (2.0, 3.0, 0.4)),
        (special.betainccinv, (2.0, 3.0, 0.4)),
    ],
)
def test_float32(f, args, rng):
    args32 = [np.full(3, v, dtype=np.float32) for v in args]
    test_rrule(f, *args32, rng=rng)
    test_frule(f, *args32, rng=rng)


def test_integer_shape_parameters_have_no_tangent(rng):
    test_rrule(special.gammainc, np.array([1, 2, 3]), np.array([0.5, 2.0, 4.0]), rng=rng)
    test_rrule(special.betainc, np.array([1, 2]), 3, np.array([0.2, 0.6]), rng=rng)
    _, back = rrule(special.gammainc, np.array([1, 2]), np.array([0.5, 2.0]))
    assert back(np.ones(2))[1] == NoTangent()


def test_only_the_asked_derivatives_are_computed(monkeypatch):
    def refuse(*args):
        raise AssertionError("the derivative in `a` was computed")

    monkeypatch.setattr(incomplete, "gammainc_partial_a", refuse)
    _, back = rrule(special.gammainc, 2.0, 3.0)
    assert unthunk(back(1.0)[2]) == pytest.approx(np.exp(np.log(3.0) - 3.0))
    _, dy = frule((NoTangent(), ZeroTangent(), 1.0), special.gammainc, 2.0, 3.0)
    assert dy == pytest.approx(np.exp(np.log(3.0) - 3.0))


def test_edges():
    # x == 0: no change in a; the density takes its limit.
    assert incomplete.gammainc_partial_a(2.0, 0.0) == 0.0
    _, back = rrule(special.gammainc, np.array([0.5, 1.0, 2.0]), np.zeros(3))
    _, da, dx = (unthunk(c) for c in back(np.ones(3)))
    np.testing.assert_array_equal(da, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(dx, [np.inf, 1.0, 0.0])
    # Outside the domain: nan, as the function.
    assert np.isnan(incomplete.gammainc_partial_a(-1.0, 2.0))
    assert all(np.isnan(incomplete.betainc_partials_ab(2.0, -1.0, 0.5)))
    np.testing.assert_array_equal(incomplete.betainc_partials_ab(2.0, 3.0, 1.0), [0.0, 0.0])


def test_constant_arguments(rng):
    test_rrule(special.betainc, constant(2.0), 3.0, np.array([0.1, 0.9]), rng=rng)
    test_frule(special.gammaincc, 2.0, constant(np.array([1.0, 5.0])), rng=rng)
    assert not isinstance(rrule(special.betainc, 2.0, 3.0, 0.5)[1](1.0)[1], NotImplementedTangent)
