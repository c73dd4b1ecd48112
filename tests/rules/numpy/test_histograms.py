"""Tests of rules.numpy.histograms: edges, weights and densities through the harness."""

import numpy as np
import pytest

import rules.numpy.histograms  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = [np.float64, np.float32]
C = constant
LO, WIDTH = -20.0, 4.0


def _edges(bins):
    """`bins + 1` evenly spaced edges from `LO`, `WIDTH` apart."""
    return LO + WIDTH * np.arange(bins + 1)


def _centred(rng, n, bins, dtype, extremes=True):
    """`n` samples near the centres of the bins of `_edges(bins)` (within 0.15 of a width),
    so that finite differences (which move a sample or an edge by well under 1) never move
    one across an edge. With `extremes`, two samples are the span's ends, so that edges
    computed from the samples' minimum and maximum are `_edges(bins)`."""
    k = rng.integers(0, bins, n)
    x = LO + (k + 0.5 + rng.uniform(-0.15, 0.15, n)) * WIDTH
    if extremes:
        x[0], x[1] = LO, LO + bins * WIDTH
    return rng.permutation(x).astype(dtype)


def _span(bins):
    return (LO, LO + bins * WIDTH)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


def _weights(rng, n, dtype):
    return (0.5 + rng.random(n)).astype(dtype)


NONE, TRUE, FALSE = C(None), C(True), C(False)
S = _centred

# id -> builder(rng, dtype) -> (function, args, fkwargs)
CASES = {
    "edges-default": lambda r, t: (np.histogram_bin_edges, (S(r, 12, 10, t),), {}),
    "edges-count": lambda r, t: (
        np.histogram_bin_edges,
        (S(r, 12, 4, t).reshape(3, 4), C(4)),
        {},
    ),
    "edges-estimator": lambda r, t: (np.histogram_bin_edges, (S(r, 12, 5, t), C("auto")), {}),
    "edges-range": lambda r, t: (
        np.histogram_bin_edges,
        (S(r, 12, 4, t, False), C(4), _span(4)),
        {},
    ),
    "edges-range-keyword": lambda r, t: (
        np.histogram_bin_edges,
        (S(r, 12, 3, t, False), C(3)),
        {"range": _span(3)},
    ),
    "edges-given": lambda r, t: (
        np.histogram_bin_edges,
        (S(r, 12, 3, t, False), _edges(3).astype(t)),
        {},
    ),
    "edges-weights-ignored": lambda r, t: (
        np.histogram_bin_edges,
        (S(r, 12, 4, t), C(4), NONE, _weights(r, 12, t)),
        {},
    ),
    "counts": lambda r, t: (np.histogram, (S(r, 12, 5, t), C(5)), {}),
    "density": lambda r, t: (np.histogram, (S(r, 12, 5, t), C(5), NONE, TRUE), {}),
    "density-range": lambda r, t: (
        np.histogram,
        (S(r, 12, 5, t, False).reshape(3, 4), C(5), _span(5), TRUE),
        {},
    ),
    "density-range-outliers": lambda r, t: (
        np.histogram,
        (S(r, 12, 5, t, False), C(3), _span(3), TRUE),
        {},
    ),
    "density-given-edges": lambda r, t: (
        np.histogram,
        (S(r, 12, 3, t, False), _edges(3).astype(t), NONE, TRUE),
        {},
    ),
    "weighted": lambda r, t: (
        np.histogram,
        (S(r, 12, 5, t), C(5), NONE, FALSE, _weights(r, 12, t)),
        {},
    ),
    "weighted-density": lambda r, t: (
        np.histogram,
        (S(r, 12, 5, t), C(5), NONE, TRUE, _weights(r, 12, t)),
        {},
    ),
    "weighted-density-given-edges": lambda r, t: (
        np.histogram,
        (S(r, 12, 3, t, False), _edges(3).astype(t), NONE, TRUE, _weights(r, 12, t)),
        {},
    ),
    "weights-keyword": lambda r, t: (
        np.histogram,
        (S(r, 12, 5, t), C(5)),
        {"weights": _weights(r, 12, t), "density": True},
    ),
    "dd": lambda r, t: (np.histogramdd, (np.stack([S(r, 15, 10, t), S(r, 15, 10, t)], 1),), {}),
    "dd-density": lambda r, t: (
        np.histogramdd,
        (np.stack([S(r, 15, 3, t) for _ in range(3)], 1), C(3), NONE, TRUE),
        {},
    ),
    "dd-range-weights": lambda r, t: (
        np.histogramdd,
        (
            np.stack([S(r, 15, 3, t, False), S(r, 15, 4, t)], 1),
            C([3, 4]),
            [_span(3), None],
            TRUE,
            _weights(r, 15, t),
        ),
        {},
    ),
    "dd-given-edges": lambda r, t: (
        np.histogramdd,
        (
            np.stack([S(r, 15, 2, t, False), S(r, 15, 3, t, False)], 1),
            [_edges(2).astype(t), _edges(3).astype(t)],
            NONE,
            TRUE,
            _weights(r, 15, t),
        ),
        {},
    ),
    "dd-coordinate-list": lambda r, t: (
        np.histogramdd,
        ([S(r, 15, 3, t), S(r, 15, 3, t)], C(3), NONE, TRUE),
        {},
    ),
    "dd-1d-sample": lambda r, t: (np.histogramdd, (S(r, 15, 3, t), C(3), NONE, TRUE), {}),
    "2d": lambda r, t: (np.histogram2d, (S(r, 15, 10, t), S(r, 15, 10, t)), {}),
    "2d-weighted-density": lambda r, t: (
        np.histogram2d,
        (S(r, 15, 3, t), S(r, 15, 3, t), C(3), NONE, TRUE, _weights(r, 15, t)),
        {},
    ),
    "2d-shared-edges": lambda r, t: (
        np.histogram2d,
        (S(r, 15, 3, t, False), S(r, 15, 3, t, False), _edges(3).astype(t), NONE, TRUE),
        {},
    ),
    "2d-edges-per-axis": lambda r, t: (
        np.histogram2d,
        (
            S(r, 15, 2, t, False),
            S(r, 15, 3, t, False),
            [_edges(2).astype(t), _edges(3).astype(t)],
            NONE,
            TRUE,
        ),
        {},
    ),
    "2d-range": lambda r, t: (
        np.histogram2d,
        (S(r, 15, 3, t, False), S(r, 15, 4, t, False), C([3, 4]), [_span(3), _span(4)], TRUE),
        {},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_histograms(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


@pytest.mark.parametrize("density", [False, True])
def test_histogram_complex_weights(density, rng):
    w = _weights(rng, 12, np.float64) + 1j * rng.random(12)
    _check(np.histogram, (S(rng, 12, 5, np.float64), C(5), NONE, C(density), w), {}, rng)


def test_lists_as_arrays(rng):
    _check(np.histogram, (S(rng, 6, 3, np.float64).tolist(), C(3), NONE, TRUE), {}, rng)


def test_edges_from_the_extremes():
    y, back = rrule(np.histogram_bin_edges, np.array([0.0, 1.0, 4.0]), 2)
    np.testing.assert_array_equal(y, [0.0, 2.0, 4.0])
    da, dbins = back(np.array([1.0, 10.0, 100.0]))[1:]
    np.testing.assert_array_equal(da, [6.0, 0.0, 105.0])
    assert dbins == NoTangent()


def test_tied_extremes_share_the_cotangent():
    a = np.array([1.0, 0.0, 3.0, 0.0, 3.0, 3.0])
    _, back = rrule(np.histogram_bin_edges, a, 1)
    da = back(np.array([4.0, 6.0]))[1]
    np.testing.assert_allclose(da, [0.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    _, de = frule(
        (NoTangent(), np.array([0.0, 1.0, 6.0, 3.0, 0.0, 0.0]), NoTangent()),
        np.histogram_bin_edges,
        a,
        1,
    )
    np.testing.assert_allclose(de, [2.0, 2.0])


def test_all_equal_samples_and_empty_samples():
    _, back = rrule(np.histogram_bin_edges, np.array([2.0, 2.0]), 2)
    np.testing.assert_allclose(back(np.array([1.0, 1.0, 1.0]))[1], [1.5, 1.5])
    y, back = rrule(np.histogram_bin_edges, np.zeros(0), 2)
    np.testing.assert_array_equal(y, [0.0, 0.5, 1.0])
    assert back(np.ones(3))[1].shape == (0,)


def test_unweighted_counts_have_no_tangent():
    a = np.array([0.1, 0.7, 2.0])
    (hist, _), dy = frule((NoTangent(), np.ones(3), NoTangent()), np.histogram, a, 2)
    assert hist.dtype.kind == "i" and dy[0] == NoTangent()
    np.testing.assert_allclose(dy[1], np.ones(3))
    _, back = rrule(np.histogram, a, 2, None, None, np.ones(3))
    _, da, _, _, _, dw = back((np.array([1.0, 2.0]), ZeroTangent()))
    np.testing.assert_array_equal(dw, [1.0, 1.0, 2.0])
    np.testing.assert_array_equal(da, [0.0, 0.0, 0.0])
