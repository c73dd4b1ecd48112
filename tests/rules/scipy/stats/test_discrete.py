"""Tests of rules/scipy/stats/discrete.py: every method of poisson, binom and nbinom through
the harness, in their continuous parameters; k and loc are held constant (each method jumps
at the integers)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rules.scipy.stats.discrete import METHODS
from rulescore import NoTangent, ZeroTangent, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule

K = np.array([0, 1, 3, 7, 12])

CASES = [
    ("poisson", (0.6,)),
    ("poisson", (4.5,)),
    ("poisson", (20.0,)),
    ("binom", (constant(14), 0.2)),
    ("binom", (constant(np.int64(15)), 0.65)),
    ("nbinom", (0.7, 0.3)),
    ("nbinom", (4.0, 0.55)),
    ("nbinom", (constant(3), 0.8)),
]
IDS = [f"{name}{i}" for i, (name, _) in enumerate(CASES)]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(("name", "shapes"), CASES, ids=IDS)
def test_every_parameter(name, shapes, method, rng):
    f = getattr(getattr(stats, name), method)
    test_rrule(f, constant(K), *shapes, rng=rng)
    test_frule(f, constant(K), *shapes, rng=rng)
    # Float quantiles and a positional loc: both constant, their cotangents zero.
    test_rrule(f, constant(K + 1.0), *shapes, constant(1.0), rng=rng)


@pytest.mark.parametrize("method", METHODS)
def test_scalars_and_non_integer_quantiles(method, rng):
    f = getattr(stats.nbinom, method)
    k = 2.0 if method.endswith("pmf") else 2.5  # the cdf at 2.5 is the cdf at 2
    test_rrule(f, constant(k), 1.5, 0.4, rng=rng)
    test_frule(f, constant(4), 1.5, 0.4, rng=rng)


def test_k_and_loc_cotangents_are_zero_and_n_of_binom_has_none():
    _, back = rrule(stats.binom.cdf, 3.0, 10.0, 0.3, 0.0)
    dk, dn, dp, dloc = back(1.0)[1:]
    assert dk == ZeroTangent() and dloc == ZeroTangent() and dn == NoTangent()
    assert unthunk(dp) == pytest.approx(-10 * stats.binom.pmf(3, 9, 0.3))


def test_outside_the_support(rng):
    _, back = rrule(stats.poisson.logpmf, np.array([-2.0, 1.5]), 3.0)
    np.testing.assert_array_equal(unthunk(back(np.ones(2))[2]), 0.0)
    _, back = rrule(stats.binom.sf, np.array([-1, 20]), 10, 0.3)
    np.testing.assert_array_equal(unthunk(back(np.ones(2))[3]), 0.0)


def test_keywords_are_constants(rng):
    test_rrule(stats.poisson.pmf, constant(K), fkwargs={"mu": 2.0, "loc": 1}, rng=rng)
    test_rrule(stats.nbinom.cdf, constant(K), 2.0, fkwargs={"p": 0.4}, rng=rng)
