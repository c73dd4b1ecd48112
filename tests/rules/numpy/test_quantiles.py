"""Tests of rules/numpy/quantiles.py: medians, quantiles and percentiles (the tests of what
they share with the reductions, over all three modules, are in test_reductions.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import rules.numpy.quantiles  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import central_fdm, constant, test_frule, test_rrule, with_tangent

# What the three test modules share; pytest's importlib mode puts no test directory on
# sys.path, so it loads by file path.
_spec = importlib.util.spec_from_file_location(
    "reducing_helpers", Path(__file__).with_name("reducing_helpers.py")
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
F64, REAL, AXES = helpers.F64, helpers.REAL, helpers.AXES
spread, with_nans = helpers.spread, helpers.with_nans
cases, check, pullback = helpers.cases, helpers.check, helpers.pullback


MEDIANS = [(np.median, spread, REAL), (np.nanmedian, with_nans(spread), REAL)]


@pytest.mark.parametrize(
    ("f", "sampler", "shape", "axis", "keepdims", "dtype"),
    list(cases(MEDIANS, AXES, (False, True))),
)
def test_median(f, sampler, shape, axis, keepdims, dtype, rng):
    check(f, sampler(shape, dtype, rng), {"axis": axis, "keepdims": keepdims}, rng)


# ---------------------------------------------------------------------------------------
# median and quantiles
# ---------------------------------------------------------------------------------------


def test_median_even_count():
    x = np.array([4.0, 1.0, 3.0, 2.0])  # median (2 + 3) / 2
    y, (_, dx) = pullback(np.median, x)
    assert y == 2.5
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.5, 0.5])
    assert frule((NoTangent(), np.array([1.0, 0.0, 4.0, 2.0])), np.median, x)[1] == 3.0


def test_median_odd_count_and_ties():
    _, (_, dx) = pullback(np.median, np.array([5.0, 1.0, 3.0]))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0])
    _, (_, dx) = pullback(np.median, np.array([2.0, 1.0, 2.0]))  # tied median: split
    np.testing.assert_array_equal(dx, [0.5, 0.0, 0.5])
    _, (_, dx) = pullback(np.nanmedian, np.array([np.nan, 2.0, 1.0, 2.0, 7.0]))
    np.testing.assert_array_equal(dx, [0.0, 0.5, 0.0, 0.5, 0.0])


def test_quantile_between_order_statistics():
    x = np.array([10.0, 0.0, 30.0, 20.0])  # sorted 0 10 20 30; q = 0.4: index 1.2
    y, (_, dx, dq) = pullback(np.quantile, x, 0.4)
    np.testing.assert_allclose(y, 12.0)
    np.testing.assert_allclose(dx, [0.8, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(dq, 30.0)  # (20 - 10) * (n - 1)
    _, dy = frule((NoTangent(), np.array([1.0, 0.0, 0.0, 2.0]), 0.5), np.quantile, x, 0.4)
    np.testing.assert_allclose(dy, 0.8 + 0.4 + 15.0)
    _, (_, dx, dq) = pullback(np.percentile, x, 40.0)
    np.testing.assert_allclose(dx, [0.8, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(dq, 0.3)


def test_quantile_at_the_ends_and_on_order_statistics():
    x = np.array([10.0, 0.0, 30.0, 20.0])
    _, (_, dx, dq) = pullback(np.quantile, x, 1.0)  # the top: slope of the last segment
    np.testing.assert_allclose(dx, [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(dq, 30.0)
    _, (_, dx, dq) = pullback(np.quantile, x, 0.0)
    np.testing.assert_allclose(dx, [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(dq, 30.0)
    _, (_, dx, dq) = pullback(np.quantile, x, 1 / 3)  # on x_(1) = 10: the segment above
    np.testing.assert_allclose(dx, [1.0, 0.0, 0.0, 0.0], atol=1e-15)
    np.testing.assert_allclose(dq, 30.0)


@pytest.mark.parametrize(
    ("method", "weights", "dq"),
    [
        ("lower", [1.0, 0.0, 0.0, 0.0], ZeroTangent()),
        ("higher", [0.0, 0.0, 0.0, 1.0], ZeroTangent()),
        ("nearest", [1.0, 0.0, 0.0, 0.0], ZeroTangent()),
        ("midpoint", [0.5, 0.0, 0.0, 0.5], ZeroTangent()),
        ("hazen", [0.9, 0.0, 0.0, 0.1], 40.0),  # v = 4 q - 0.5 = 1.1
        ("weibull", [1.0, 0.0, 0.0, 0.0], 50.0),  # v = 5 q - 1 = 1: x_(1), slope above
        ("median_unbiased", [0.9333333333333333, 0.0, 0.0, 0.0666666666666667], 43.3333333333),
    ],
)
def test_quantile_methods(method, weights, dq):
    x = np.array([10.0, 0.0, 30.0, 20.0])
    y, (_, dx, got) = pullback(np.quantile, x, 0.4, method=method)
    np.testing.assert_allclose(dx, weights, atol=1e-12)
    np.testing.assert_allclose(np.sum(dx * x), y)  # the weights reproduce the value
    if isinstance(dq, ZeroTangent):
        assert isinstance(got, ZeroTangent)
    else:
        np.testing.assert_allclose(got, dq, rtol=1e-9)


QUANTILES = [
    (np.quantile, spread, 0.37),
    (np.quantile, spread, np.array([0.12, 0.81])),
    (np.nanquantile, with_nans(spread), 0.37),
    (np.percentile, spread, 37.0),
    (np.percentile, spread, [12.0, 81.0]),
    (np.nanpercentile, with_nans(spread), np.array([37.0, 55.0])),
]


@pytest.mark.parametrize(
    ("f", "sampler", "shape", "axis", "keepdims", "dtype"),
    list(cases([(f, s, REAL) for f, s, _ in QUANTILES[:1]], AXES, (False, True))),
)
@pytest.mark.parametrize("which", range(len(QUANTILES)))
def test_quantile_family(f, sampler, shape, axis, keepdims, dtype, which, rng):
    f, sampler, q = QUANTILES[which]
    x = sampler(shape, dtype, rng)
    kwargs = {"axis": axis, "keepdims": keepdims}
    # q's kinks are 1 / (n - 1) apart: finite differences in q only for percentile's wide q
    check(f, x, kwargs, rng, q if f in (np.percentile, np.nanpercentile) else constant(q))


# Steps in q of at most 0.02 * |dq| (2 * max_step, the 5-point grid's reach): q stays
# inside [0, 1] and, on x[:, 0]'s 3 entries, off the kinks at 0.5 and 1.
SMALL_STEPS = central_fdm(5, max_step=0.01)


@pytest.mark.parametrize("f", [np.quantile, np.nanquantile])
@pytest.mark.parametrize("q", [0.3, np.array([0.25, 0.5, 0.75])])
def test_quantile_derivative_in_q(f, q, rng):
    """Slices of two entries: one segment, so finite differences in q do not cross a kink."""
    x = spread((3, 2), F64, rng)
    test_rrule(f, x, q, fkwargs={"axis": 1}, method=SMALL_STEPS, rng=rng)
    test_frule(f, x, q, fkwargs={"axis": 1}, method=SMALL_STEPS, rng=rng)
    test_rrule(f, x[:, 0], with_tangent(0.75, 1.0), constant(0), method=SMALL_STEPS, rng=rng)


def test_quantile_q_by_keyword_is_a_constant(rng):
    x = spread((5,), F64, rng)
    y, back = rrule(np.quantile, x, q=0.3)
    assert y == np.quantile(x, 0.3)
    assert len(back(1.0)) == 2
    test_rrule(np.percentile, x, fkwargs={"q": 30.0, "method": "nearest"}, rng=rng)


def test_median_does_not_overwrite_its_input(rng):
    # (not through the harness: it calls np.median itself, which may overwrite the input)
    x = spread((7,), F64, rng)
    kept = x.copy()
    y, back = rrule(np.median, x, overwrite_input=True)
    np.testing.assert_array_equal(x, kept)
    assert y == np.median(kept)
    np.testing.assert_array_equal(unthunk(back(1.0)[1]), unthunk(rrule(np.median, x)[1](1.0)[1]))
