"""Tests of rules/numpy/scans.py: cumulative sums and products (the tests of what they share
with the reductions, over all three modules, are in test_reductions.py)."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import rules.numpy.scans  # noqa: F401  (registers the rules)
from rulescore import NoTangent, frule
from rulescore.testing import test_frule, test_rrule

# What the three test modules share; pytest's importlib mode puts no test directory on
# sys.path, so it loads by file path.
_spec = importlib.util.spec_from_file_location(
    "reducing_helpers", Path(__file__).with_name("reducing_helpers.py")
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
F64, REAL, ALL = helpers.F64, helpers.REAL, helpers.ALL
normal, near_one, with_nans = helpers.normal, helpers.near_one, helpers.with_nans
label, cases, check, pullback = helpers.label, helpers.cases, helpers.check, helpers.pullback


SCAN_AXES = {(): [None], (4,): [None, 0, -1], (2, 3): [None, 1, -2], (2, 3, 4): [None, 0, -1]}

SCANS = [
    (np.cumsum, normal, ALL),
    (np.ndarray.cumsum, normal, ALL),
    (np.nancumsum, with_nans(normal), ALL),
    (np.cumprod, near_one, ALL),
    (np.ndarray.cumprod, near_one, ALL),
    (np.nancumprod, with_nans(near_one), ALL),
]


@pytest.mark.parametrize(
    ("f", "sampler", "shape", "axis", "keepdims", "dtype"), list(cases(SCANS, SCAN_AXES, (None,)))
)
def test_scan(f, sampler, shape, axis, keepdims, dtype, rng):
    check(f, sampler(shape, dtype, rng), {"axis": axis}, rng)


# Options other than axis, on a (3, 4) array.
OPTIONS = [
    (np.cumsum, normal, {"axis": 1, "dtype": np.float64}),
    (np.cumprod, near_one, {"axis": 0, "dtype": np.complex128}),
]


@pytest.mark.parametrize(
    ("f", "sampler", "kwargs"),
    OPTIONS,
    ids=[f"{label(f)}-{sorted(k)}" for f, _, k in OPTIONS],
)
@pytest.mark.parametrize("dtype", REAL)
def test_options(f, sampler, kwargs, dtype, rng):
    check(f, sampler((3, 4), dtype, rng), kwargs, rng)


# ---------------------------------------------------------------------------------------
# cumprod at zeros: no division, exact
# ---------------------------------------------------------------------------------------


def test_cumprod_with_zeros(rng):
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    _, (_, dx) = pullback(np.cumprod, x, seed=np.ones(5))
    # d y[k] / d x[i] is the product of x[:k+1] without x[i]
    brute_force = [sum(np.prod(np.delete(x[: k + 1], i)) for k in range(i, 5)) for i in range(5)]
    np.testing.assert_array_equal(dx, brute_force)
    np.testing.assert_array_equal(dx, [1.0, 8.0, 0.0, 0.0, 0.0])
    _, dy = frule((NoTangent(), np.array([0.0, 1.0, 0.0, 0.0, 0.0])), np.cumprod, x)
    np.testing.assert_array_equal(dy, [0.0, 2.0, 6.0, 0.0, 0.0])
    x2 = np.array([[0.0, 2.0, 3.0, -1.0], [1.5, 0.0, 0.0, 2.0], [1.0, 2.0, 0.0, 4.0]])
    for f in (np.cumprod, np.nancumprod):
        for dtype in ALL:
            for axis in (None, 0, 1):
                check(f, x2.astype(dtype), {"axis": axis}, rng)


def test_cumprod_long_scan(rng):
    """The scan takes log2(n) steps: check one well past a power of two."""
    x = near_one((37,), F64, rng)
    x[[3, 20]] = 0.0
    test_rrule(np.cumprod, x, rng=rng)
    test_frule(np.cumprod, x, rng=rng)
