"""Tests of rules/numpy/reductions.py: sums, products, means, variances, extrema, averages.

The tests of what the reductions, scans and quantiles share through `rules.numpy._reducing`
(options given positionally, lists and scalars, integer arrays, NaN entries, calls without a
rule, the names of the pullbacks) run over functions of all three modules and are here; the
scans and quantiles have their own in test_scans.py and test_quantiles.py.
"""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

import rules.numpy.reductions  # noqa: F401  (registers the rules)
from rulescore import (
    InplaceableThunk,
    NoTangent,
    ZeroTangent,
    accumulate,
    frule,
    rrule,
    unthunk,
)
from rulescore.testing import constant, test_frule, test_rrule

# What the three test modules share; pytest's importlib mode puts no test directory on
# sys.path, so it loads by file path.
_spec = importlib.util.spec_from_file_location(
    "reducing_helpers", Path(__file__).with_name("reducing_helpers.py")
)
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)
C128, F64, REAL, ALL, AXES = helpers.C128, helpers.F64, helpers.REAL, helpers.ALL, helpers.AXES
normal, near_one, spread = helpers.normal, helpers.near_one, helpers.spread
with_nans = helpers.with_nans
label, cases, check, pullback = helpers.label, helpers.cases, helpers.check, helpers.pullback

# (function, sampler, dtypes)
REDUCTIONS = [
    (np.sum, normal, ALL),
    (np.ndarray.sum, normal, ALL),
    (np.nansum, with_nans(normal), ALL),
    (np.prod, near_one, ALL),
    (np.ndarray.prod, near_one, ALL),
    (np.nanprod, with_nans(near_one), ALL),
    (np.mean, normal, ALL),
    (np.ndarray.mean, normal, ALL),
    (np.nanmean, with_nans(normal), ALL),
    (np.var, normal, ALL),
    (np.ndarray.var, normal, ALL),
    (np.nanvar, with_nans(normal), ALL),
    (np.std, normal, ALL),
    (np.ndarray.std, normal, ALL),
    (np.nanstd, with_nans(normal), ALL),
    (np.max, spread, ALL),
    (np.min, spread, ALL),
    (np.amax, spread, REAL),
    (np.amin, spread, REAL),
    (np.ndarray.max, spread, REAL),
    (np.ndarray.min, spread, REAL),
    (np.nanmax, with_nans(spread), REAL),
    (np.nanmin, with_nans(spread), REAL),
    (np.ptp, spread, ALL),
]


@pytest.mark.parametrize(
    ("f", "sampler", "shape", "axis", "keepdims", "dtype"),
    list(cases(REDUCTIONS, AXES, (False, True))),
)
def test_reduction(f, sampler, shape, axis, keepdims, dtype, rng):
    check(f, sampler(shape, dtype, rng), {"axis": axis, "keepdims": keepdims}, rng)


# Options other than axis/keepdims, on a (3, 4) array.
OPTIONS = [
    (np.sum, normal, {"axis": 1, "dtype": np.float64}),
    (np.sum, normal, {"axis": 0, "initial": 2.0}),
    (np.sum, normal, {"axis": 1, "where": np.array([True, False, True, True])}),
    (np.nansum, with_nans(normal), {"axis": None, "where": np.array([True, True, False, True])}),
    (np.prod, near_one, {"axis": 1, "initial": 3.0}),
    (np.prod, near_one, {"axis": 0, "where": np.array([[True], [False], [True]])}),
    (np.nanprod, with_nans(near_one), {"axis": 1, "where": np.array([1, 0, 1, 1], bool)}),
    (np.mean, normal, {"axis": (0, 1), "dtype": np.float64}),
    (np.mean, normal, {"axis": 1, "where": np.array([True, False, True, True])}),
    (np.var, normal, {"axis": 1, "ddof": 1}),
    (np.var, normal, {"axis": 0, "correction": 2}),
    (np.std, normal, {"axis": None, "ddof": 1, "keepdims": True}),
    (np.ndarray.std, normal, {"axis": 1, "ddof": 1}),
    (np.std, normal, {"axis": 1, "where": np.array([True, False, True, True])}),
    (np.nanvar, with_nans(normal), {"axis": 1, "ddof": 1}),
    (np.nanstd, with_nans(normal), {"axis": 1, "ddof": 1, "dtype": np.float64}),
    (np.max, spread, {"axis": 1, "initial": -100.0}),
    (np.max, spread, {"axis": 1, "initial": 100.0}),
    (np.min, spread, {"axis": 0, "where": np.array([True, False, True, True]), "initial": 50.0}),
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
# Options given positionally, lists and scalars, integer arrays (all three modules)
# ---------------------------------------------------------------------------------------


def test_positional_options_get_no_tangent(rng):
    x = normal((2, 3), F64, rng)
    for f, args in [(np.sum, (1, None, None, True)), (np.var, (0, None, None, 1)),
                     (np.cumprod, (1,)), (np.max, (None, None, True))]:  # fmt: skip
        test_rrule(f, x, *map(constant, args), rng=rng)
        test_frule(f, x, *map(constant, args), rng=rng)
        _, back = rrule(f, x, *args)
        assert back(np.ones(np.shape(f(x, *args))))[2:] == (NoTangent(),) * len(args)


def test_lists_and_scalars(rng):
    for f in (np.sum, np.mean, np.prod, np.max, np.std, np.cumsum, np.median):
        check(f, [0.5, -1.5, 2.0], {}, rng)
        check(f, [[0.5, 1.0], [-1.5, 2.0]], {"axis": 0}, rng)
        check(f, 1.5, {}, rng)
    _, back = rrule(np.sum, [1.0, 2.0])
    assert back(1.0) == (NoTangent(), [1.0, 1.0])
    assert rrule(np.mean, 3)[1](1.0) == (NoTangent(), 1.0)  # ints are differentiated as reals


def test_integer_arrays_have_no_tangent():
    x = np.arange(6).reshape(2, 3)
    for f in (np.sum, np.mean, np.prod, np.max, np.var, np.cumprod, np.median):
        y, back = rrule(f, x, axis=0)
        np.testing.assert_array_equal(y, f(x, axis=0))
        assert back(np.ones(np.shape(y)))[1] == NoTangent()
        dy = frule((NoTangent(), NoTangent()), f, x, axis=0)[1]
        assert dy == (ZeroTangent() if y.dtype.kind == "f" else NoTangent())


# ---------------------------------------------------------------------------------------
# prod at zeros: no division, exact
# ---------------------------------------------------------------------------------------


def test_prod_with_one_zero():
    x = np.array([2.0, 0.0, 3.0, 4.0])
    _, (_, dx) = pullback(np.prod, x)
    np.testing.assert_array_equal(dx, [0.0, 24.0, 0.0, 0.0])
    assert frule((NoTangent(), np.array([1.0, 1.0, 1.0, 1.0])), np.prod, x)[1] == 24.0


def test_prod_with_two_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    _, (_, dx) = pullback(np.prod, x)
    np.testing.assert_array_equal(dx, np.zeros(4))
    assert frule((NoTangent(), np.ones(4)), np.prod, x)[1] == 0.0


def test_prod_with_zeros_along_an_axis(rng):
    # row 0: no zero, row 1: one zero, row 2: two zeros
    x = np.array([[2.0, -1.0, 3.0], [2.0, 0.0, 3.0], [0.0, 5.0, 0.0]])
    _, (_, dx) = pullback(np.prod, x, axis=1, seed=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(dx, [[-3.0, 6.0, -2.0], [0.0, 12.0, 0.0], [0.0, 0.0, 0.0]])
    for f in (np.prod, np.nanprod):
        for dtype in ALL:
            check(f, x.astype(dtype), {"axis": 1}, rng)
            check(f, x.astype(dtype), {"axis": (0, 1)}, rng)


# ---------------------------------------------------------------------------------------
# Ties: the cotangent is split equally among the tied entries
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [np.max, np.amax, np.nanmax, np.ndarray.max])
def test_max_ties_split(f):
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, -1.0]])
    _, (_, dx) = pullback(f, x, axis=1, seed=np.array([1.0, 6.0]))
    np.testing.assert_array_equal(dx, [[0.0, 0.5, 0.5, 0.0], [2.0, 2.0, 2.0, 0.0]])
    _, dy = frule(
        (NoTangent(), np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 2.0, 6.0, 0.0]])), f, x, axis=1
    )
    np.testing.assert_array_equal(dy, [0.5, 3.0])


def test_min_and_ptp_ties_split():
    x = np.array([1.0, 3.0, 1.0, 3.0, 2.0])
    _, (_, dx) = pullback(np.min, x)
    np.testing.assert_array_equal(dx, [0.5, 0.0, 0.5, 0.0, 0.0])
    _, (_, dx) = pullback(np.ptp, x)
    np.testing.assert_array_equal(dx, [-0.5, 0.5, -0.5, 0.5, 0.0])
    _, (_, dx) = pullback(np.ptp, np.full(3, 2.0))  # all tied: max - min is constant
    np.testing.assert_array_equal(dx, np.zeros(3))


def test_max_tie_with_initial():
    x = np.array([1.0, 4.0, 4.0])
    _, (_, dx) = pullback(np.max, x, initial=4.0)  # three candidates, initial's share dropped
    np.testing.assert_allclose(dx, [0.0, 1 / 3, 1 / 3])
    _, (_, dx) = pullback(np.max, x, initial=9.0)
    np.testing.assert_array_equal(dx, np.zeros(3))


def _split_over_ties(x, seed, axis):
    """The convention, written densely: the seed split equally over the entries tying."""
    picked = x == np.max(x, axis=axis, keepdims=True)
    count = np.sum(picked, axis=axis, keepdims=True)
    return picked * (np.reshape(seed, np.shape(count)) / count)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2), (1, 2)])
@pytest.mark.parametrize("tie", [False, True])
def test_extremum_of_an_array_of_many_blocks(axis, tie):
    # Large enough that the extrema are looked for block by block (`_BLOCK` entries).
    rng = np.random.default_rng(3)
    x = spread((70, 40, 30), np.float64, rng)
    if tie:  # one slice, far from the first block, ties: the whole cotangent splits
        x[-1, -1, -1] = x[-1, -2, -2] = np.max(x) + 1.0
    y, back = rrule(np.max, x, axis=axis)
    seed = rng.standard_normal(np.shape(y))
    dx = unthunk(back(seed)[1])
    np.testing.assert_allclose(dx, _split_over_ties(x, seed, axis), rtol=1e-15)
    total = np.ones_like(x)  # the sparse cotangent added into another
    accumulated = accumulate(total, back(seed)[1], inplace=True)
    np.testing.assert_allclose(accumulated, 1.0 + dx, rtol=1e-15)


def test_extremum_cotangent_is_sparse_without_ties():
    x = np.array([[1.0, 3.0, 2.0], [5.0, 4.0, -1.0]])
    _, back = rrule(np.max, x, axis=1)
    assert isinstance(back(np.array([1.0, 2.0]))[1], InplaceableThunk)
    _, back = rrule(np.max, np.array([[1.0, 3.0, 3.0]]), axis=1)
    assert not isinstance(back(np.array([1.0]))[1], InplaceableThunk)


def test_max_with_nan_and_nanmax():
    x = np.array([1.0, np.nan, 3.0, np.nan])
    with np.errstate(invalid="ignore"):
        y, (_, dx) = pullback(np.max, x)
    assert np.isnan(y)
    np.testing.assert_array_equal(dx, [0.0, 0.5, 0.0, 0.5])
    _, (_, dx) = pullback(np.nanmax, x)
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0, 0.0])


# ---------------------------------------------------------------------------------------
# var and std at zero variance
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [np.std, np.var, np.nanstd, np.nanvar, np.ndarray.std])
@pytest.mark.parametrize("dtype", ALL)
def test_zero_variance_gives_zero(f, dtype):
    # 0.1 three times: NumPy's mean is off by one ulp, and its std is ~1e-17, not 0
    x = np.array([[0.1, 0.1, 0.1], [1.0, 2.0, 4.0]], dtype=dtype)
    _, (_, dx) = pullback(f, x, axis=1, seed=np.array([1.0, 0.0]))
    assert np.all(np.isfinite(dx))
    np.testing.assert_array_equal(dx, np.zeros_like(x))
    _, dy = frule((NoTangent(), np.ones_like(x)), f, x, axis=1)
    assert dy[0] == 0.0
    _, (_, dx) = pullback(f, np.full((3,), 2.5, dtype=dtype))
    np.testing.assert_array_equal(dx, np.zeros(3, dtype=dtype))


def test_nanstd_single_valid_entry_is_zero_variance():
    x = np.array([[np.nan, 2.0], [1.0, 3.0]])
    _, (_, dx) = pullback(np.nanstd, x, axis=1, seed=np.array([1.0, 1.0]))
    np.testing.assert_array_equal(dx, [[0.0, 0.0], [-0.5, 0.5]])


def test_std_value():
    x = np.array([1.0, 2.0, 4.0, 5.0])  # mean 3, std sqrt(2.5)
    _, (_, dx) = pullback(np.std, x)
    np.testing.assert_allclose(dx, (x - 3) / (4 * np.sqrt(2.5)))
    _, (_, dx) = pullback(np.var, x, ddof=1)
    np.testing.assert_allclose(dx, 2 * (x - 3) / 3)


# ---------------------------------------------------------------------------------------
# nan-functions: NaN entries get zero cotangents
# ---------------------------------------------------------------------------------------

NAN_FUNCTIONS = [
    np.nansum, np.nanprod, np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nanmin,
    np.nancumsum, np.nancumprod, np.nanmedian,
]  # fmt: skip


@pytest.mark.parametrize("f", NAN_FUNCTIONS, ids=label)
def test_nan_entries_get_zero(f):
    x = np.array([[1.0, np.nan, 3.5, -2.0], [np.nan, 0.5, 2.0, 4.0]])
    y, back = rrule(f, x, axis=1)
    dx = unthunk(back(np.ones(np.shape(y)))[1])
    assert np.all(np.isfinite(dx))
    assert dx[0, 1] == 0.0 and dx[1, 0] == 0.0
    assert np.any(dx != 0)


@pytest.mark.parametrize(
    "f", [np.nansum, np.nanprod, np.nanmean, np.nanstd, np.nanmax, np.nanmedian], ids=label
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's "All-NaN slice encountered"
def test_all_nan_slice(f):
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    _, (_, dx) = pullback(f, x, axis=1, seed=np.ones(2))
    np.testing.assert_array_equal(dx[0], [0.0, 0.0])
    assert np.any(dx[1] != 0)
    _, dy = frule((NoTangent(), np.ones((2, 2))), f, x, axis=1)
    assert np.isfinite(dy[1])


# ---------------------------------------------------------------------------------------
# average
# ---------------------------------------------------------------------------------------


def _positive(shape, rng):
    return rng.uniform(0.5, 1.5, shape)


AVERAGES = [  # (shape, axis, weights shape or None)
    ((), None, None),
    ((4,), None, None),
    ((2, 3), -1, None),
    ((2, 3, 4), (2, 0), None),
    ((4,), None, (4,)),
    ((4,), 0, (4,)),
    ((2, 3), None, (2, 3)),
    ((2, 3), 1, (3,)),
    ((2, 3), -2, (2,)),
    ((2, 3, 4), 1, (2, 3, 4)),
    ((2, 3, 4), (2, 0), (4, 2)),
    ((2, 3, 4), (0, 1), (2, 3)),
]


@pytest.mark.parametrize(("shape", "axis", "wshape"), AVERAGES)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("returned", [False, True])
@pytest.mark.parametrize("dtype", ALL)
def test_average(shape, axis, wshape, keepdims, returned, dtype, rng):
    if dtype is not F64 and (keepdims or returned):
        return  # float32 and complex: the plain forms are enough
    x = normal(shape, dtype, rng)
    kwargs = {"keepdims": keepdims, "returned": returned}
    if wshape is None:
        check(np.average, x, kwargs | {"axis": axis}, rng)
        return
    w = _positive(wshape, rng).astype(F64 if dtype is C128 else dtype)
    test_rrule(np.average, x, constant(axis), w, fkwargs=kwargs, rng=rng)
    test_frule(np.average, x, constant(axis), w, fkwargs=kwargs, rng=rng)
    # weights by keyword are a constant: only x is differentiated
    test_rrule(np.average, x, fkwargs=kwargs | {"axis": axis, "weights": w}, rng=rng)
    test_frule(np.average, x, fkwargs=kwargs | {"axis": axis, "weights": w}, rng=rng)


def test_average_values():
    x, w = np.array([1.0, 2.0, 6.0]), np.array([1.0, 1.0, 2.0])  # average 15 / 4
    _, (_, dx, _, dw) = pullback(np.average, x, None, w)
    np.testing.assert_allclose(dx, w / 4)
    np.testing.assert_allclose(dw, (x - 3.75) / 4)
    # returned=True: the sum of the weights depends on them only
    _, (_, dx, _, dw, _) = pullback(np.average, x, None, w, True, seed=(ZeroTangent(), 2.0))
    assert dx == ZeroTangent()
    np.testing.assert_allclose(dw, [2.0, 2.0, 2.0])


# ---------------------------------------------------------------------------------------
# Calls the rules do not cover, and the non-differentiable functions
# ---------------------------------------------------------------------------------------


def test_uncovered_calls_get_no_rule():
    x = np.ones((2, 3))
    uncovered = [
        (np.sum, (x,), {"out": np.zeros(3), "axis": 0}),
        (np.var, (x,), {"mean": np.ones((2, 1)), "axis": 1, "keepdims": True}),
        (np.quantile, (x, 0.5), {"method": "inverted_cdf"}),
        (np.quantile, (x, 0.5), {"weights": np.ones((2, 3)), "method": "inverted_cdf"}),
        (np.sum, (x, 0), {"axis": 0}),  # axis twice: NumPy's TypeError, not ours
    ]
    for f, args, kwargs in uncovered:
        assert rrule(f, *args, **kwargs) is None
        assert frule((NoTangent(),) * (len(args) + 1), f, *args, **kwargs) is None


NON_DIFFERENTIABLE = [
    np.argmax, np.argmin, np.argsort, np.nanargmax, np.nanargmin, np.count_nonzero, np.all,
    np.any, np.ndarray.argmax, np.ndarray.argmin, np.ndarray.argsort, np.ndarray.all,
    np.ndarray.any,
]  # fmt: skip


@pytest.mark.parametrize("f", NON_DIFFERENTIABLE, ids=label)
def test_non_differentiable(f, rng):
    x = spread((2, 3), F64, rng)
    y, back = rrule(f, x)
    np.testing.assert_array_equal(y, f(x))
    assert back(1.0) == (NoTangent(), NoTangent())
    assert frule((NoTangent(), np.ones((2, 3))), f, x)[1] == NoTangent()


def test_pullbacks_are_named():
    for f in (np.sum, np.nanstd, np.cumprod, np.median, np.ptp, np.average):
        _, back = rrule(f, np.arange(1.0, 5.0))
        assert back.__name__ == f"{f.__name__}_pullback"
