"""Tests of rules/scipy/stats/continuous.py: every method of every family through the harness,
in x, the shape parameters, loc and scale, at several shape parameters."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rules.scipy.stats.continuous import METHODS
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule

# Standardized points z, inside each support with a margin for the finite differences.
REAL_LINE = np.array([-2.5, -0.4, 0.3, 1.7, 4.0])
POSITIVE = np.array([0.2, 0.9, 2.0, 5.0, 11.0])
UNIT = np.array([0.1, 0.35, 0.6, 0.9])
# The uniform density is constant in x: finite differences take their largest step (0.2).
MIDDLE = np.array([0.3, 0.45, 0.6, 0.7])

CASES = [
    ("norm", (), REAL_LINE),
    ("t", (0.8,), REAL_LINE),
    ("t", (3.5,), REAL_LINE),
    ("t", (40.0,), REAL_LINE),
    ("gamma", (0.7,), POSITIVE),
    ("gamma", (2.5,), POSITIVE),
    ("gamma", (15.0,), POSITIVE + 10),
    ("beta", (0.6, 2.0), UNIT),
    ("beta", (2.0, 3.5), UNIT),
    ("beta", (8.0, 1.5), UNIT),
    ("chi2", (1.5,), POSITIVE),
    ("chi2", (6.0,), POSITIVE),
    ("expon", (), POSITIVE),
    ("laplace", (), REAL_LINE),
    ("logistic", (), REAL_LINE),
    ("cauchy", (), REAL_LINE),
    ("lognorm", (0.4,), POSITIVE),
    ("lognorm", (1.3,), POSITIVE),
    ("uniform", (), MIDDLE),
]
IDS = [f"{name}{shapes}" for name, shapes, _ in CASES]
LOC, SCALE = 0.4, 1.3


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("name", "shapes", "z"), CASES, ids=IDS)
def test_every_argument(name, shapes, z, method, rng):
    f = getattr(getattr(stats, name), method)
    x = LOC + SCALE * z
    test_rrule(f, x, *shapes, LOC, SCALE, rng=rng)
    test_frule(f, x, *shapes, LOC, SCALE, rng=rng)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("name", "shapes", "z"), CASES[::3], ids=IDS[::3])
def test_scalars_and_broadcast_parameters(name, shapes, z, method, rng):
    f = getattr(getattr(stats, name), method)
    test_rrule(f, float(z[1]), *shapes, rng=rng)  # loc and scale left to their defaults
    test_frule(f, float(z[2]), *shapes, 0.0, rng=rng)
    # One shape parameter per point, x a column: a 2-d output, the scalars summed back.
    if shapes:
        columns = np.array(shapes[0]) * np.array([1.0, 1.5])
        test_rrule(f, z[:, None], columns, *shapes[1:], rng=rng)


@pytest.mark.parametrize("method", ["logpdf", "cdf", "logsf"])
def test_keywords_are_constants(method, rng):
    f = getattr(stats.gamma, method)
    test_rrule(f, POSITIVE, 2.5, fkwargs={"loc": 0.1, "scale": 2.0}, rng=rng)
    test_frule(f, POSITIVE, fkwargs={"a": 2.5, "scale": 2.0}, rng=rng)
    _, back = rrule(f, POSITIVE, 2.5, loc=0.1, scale=2.0)
    assert len(back(np.ones(5))) == 3  # f, x, a: nothing for the keywords


@pytest.mark.parametrize("method", ["logpdf", "pdf", "cdf", "logsf"])
def test_float32(method, rng):
    f = getattr(stats.gamma, method)
    x = np.array([0.5, 1.5, 3.0], dtype=np.float32)
    test_rrule(f, x, np.float32(2.5), np.float32(0.1), np.float32(1.5), rng=rng)
    test_frule(f, x, np.float32(2.5), rng=rng)


@pytest.mark.parametrize("method", METHODS)
def test_outside_the_support_every_derivative_is_zero(method):
    f = getattr(stats.gamma, method)
    _, back = rrule(f, np.array([-1.0, -0.5]), 2.5, 0.0, 1.0)
    for cotangent in back(np.ones(2))[1:]:
        assert np.all(unthunk(cotangent) == 0.0)


def test_invalid_parameters_give_nan():
    _, back = rrule(stats.norm.logpdf, 1.0, 0.0, -1.0)
    assert all(np.isnan(unthunk(c)) for c in back(1.0)[1:])


def test_integer_arrays_have_no_tangent(rng):
    test_rrule(stats.gamma.cdf, np.array([1, 2, 3]), 2.5, rng=rng)
    _, back = rrule(stats.norm.cdf, np.array([1, 2]), 0.0, 1.0)
    assert back(np.ones(2))[1] == NoTangent()


def test_shape_derivatives_are_computed_on_demand(monkeypatch):
    import rules.scipy.stats.continuous as continuous

    def refuse(*args):
        raise AssertionError("the derivative in `a` was computed")

    monkeypatch.setattr(continuous, "gammainc_partial_a", refuse)
    _, back = rrule(stats.gamma.cdf, 1.5, 2.5, 0.0, 1.0)
    assert unthunk(back(1.0)[1]) == pytest.approx(stats.gamma.pdf(1.5, 2.5))
    tangents = (NoTangent(), 1.0, ZeroTangent(), ZeroTangent(), ZeroTangent())
    _, dy = frule(tangents, stats.gamma.cdf, 1.5, 2.5, 0.0, 1.0)
    assert dy == pytest.approx(stats.gamma.pdf(1.5, 2.5))


def test_t_cdf_near_the_centre_and_far_out(rng):
    # |t| small against sqrt(df): the derivative in df goes through w = t²/(df + t²).
    test_rrule(stats.t.cdf, np.array([-1e-3, 2e-3, 0.05]), 12.0, rng=rng)
    test_rrule(stats.t.sf, np.array([-30.0, 25.0]), 2.0, rng=rng)
    _, back = rrule(stats.t.cdf, 0.0, 3.0)
    assert unthunk(back(1.0)[2]) == 0.0


def test_constant_shape(rng):
    test_rrule(stats.beta.logcdf, UNIT, constant(2.0), 3.0, rng=rng)
