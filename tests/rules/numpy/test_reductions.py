"""Tests of rules/numpy/reductions.py: reductions, scans, averages and quantiles."""

import numpy as np
import pytest

import rules.numpy.reductions  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

F64, F32, C128 = np.float64, np.float32, np.complex128

# Every axis form per shape: None, an int, a negative int, a tuple.
AXES = {
    (): [None],
    (4,): [None, 0, -1, (0,)],
    (2, 3): [None, 1, -1, (0, 1)],
    (2, 3, 4): [None, 1, -2, (2, 0)],
}
SCAN_AXES = {(): [None], (4,): [None, 0, -1], (2, 3): [None, 1, -2], (2, 3, 4): [None, 0, -1]}


# ---------------------------------------------------------------------------------------
# Input samplers
# ---------------------------------------------------------------------------------------


def normal(shape, dtype, rng):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def near_one(shape, dtype, rng):
    """Magnitudes in [0.5, 1.5] and random signs: products of many stay of order one."""
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if np.dtype(dtype).kind == "c":
        x = x * np.exp(1j * rng.uniform(0, 2 * np.pi, shape))
    return np.asarray(x, dtype=dtype)


def spread(shape, dtype, rng):
    """A shuffled arange: entries 1 apart, so finite differences never cross a tie."""
    size = int(np.prod(shape))
    x = np.reshape(rng.permutation(size) - size / 2 + 0.25, shape) * 1.0
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def with_nans(sampler):
    """NaN at every flat index = 2 mod 5: no slice of the shapes above is all NaN."""

    def sample(shape, dtype, rng):
        x = sampler(shape, dtype, rng)
        flat = np.reshape(x, -1).copy()
        flat[np.arange(flat.size) % 5 == 2] = np.nan
        return np.reshape(flat, shape)

    sample.__name__ = f"{sampler.__name__}_with_nans"
    return sample


REAL, ALL = (F64, F32), (F64, F32, C128)

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
    (np.median, spread, REAL),
    (np.nanmedian, with_nans(spread), REAL),
]
SCANS = [
    (np.cumsum, normal, ALL),
    (np.ndarray.cumsum, normal, ALL),
    (np.nancumsum, with_nans(normal), ALL),
    (np.cumprod, near_one, ALL),
    (np.ndarray.cumprod, near_one, ALL),
    (np.nancumprod, with_nans(near_one), ALL),
]


def _name(f):
    return getattr(f, "__qualname__", f.__name__)


def _cases(table, axes_table, keepdims_forms):
    """Every function x shape x axis form; keepdims both ways in float64, alternating in the
    other dtypes (to keep the suite fast)."""
    for f, sampler, dtypes in table:
        for shape, axes in axes_table.items():
            for i, axis in enumerate(axes):
                for dtype in dtypes:
                    forms = keepdims_forms if dtype is F64 else keepdims_forms[i % 2 :][:1]
                    for keepdims in forms:
                        name = f"{_name(f)}-{shape}-axis={axis}-keepdims={keepdims}-"
                        yield pytest.param(
                            f, sampler, shape, axis, keepdims, dtype, id=name + dtype.__name__
                        )


def _check(f, x, kwargs, rng, *args):
    """test_rrule and test_frule of `f(x, *args, **kwargs)`."""
    nan = np.isnan(x)
    if not np.any(nan):
        test_rrule(f, x, *args, fkwargs=kwargs, rng=rng)
        test_frule(f, x, *args, fkwargs=kwargs, rng=rng)
        return
    # The harness's finite-difference error bound is NaN as soon as an input holds a NaN
    # (see the report), so the pullback is checked on the other entries through
    # `at_valid_entries`, and the pushforward along tangents that are zero at the NaNs.
    valid = x[~nan]
    test_rrule(at_valid_entries, constant(f), constant(x), valid, *args, fkwargs=kwargs, rng=rng)
    dx = np.where(nan, 0, normal(np.shape(x), x.dtype, rng))
    test_frule(f, with_tangent(x, dx), *args, fkwargs=kwargs, rng=rng)


def at_valid_entries(f, template, values, *args, **kwargs):
    """`f(x, *args)` for `x` = `template` with its non-NaN entries replaced by `values`."""
    x = np.array(template)
    x[~np.isnan(template)] = values
    return f(x, *args, **kwargs)


@rrule.register(at_valid_entries)
def _(f, template, values, *args, **kwargs):
    valid = ~np.isnan(template)
    x = np.array(template)
    x[valid] = values
    y, back = rrule(f, x, *args, **kwargs)

    def at_valid_entries_pullback(dy):
        _, dx, *rest = back(dy)
        assert len(rest) == len(args)
        dx = unthunk(dx)
        if not isinstance(dx, ZeroTangent):
            assert dx.shape == x.shape and dx.dtype == x.dtype
            assert np.all(dx[~valid] == 0), "NaN entries must get zero cotangents"
            dx = dx[valid]
        return NoTangent(), NoTangent(), NoTangent(), dx, *rest

    return y, at_valid_entries_pullback


@pytest.mark.parametrize(
    ("f", "sampler", "shape", "axis", "keepdims", "dtype"),
    list(_cases(REDUCTIONS, AXES, (False, True))),
)
def test_reduction(f, sampler, shape, axis, keepdims, dtype, rng):
    _check(f, sampler(shape, dtype, rng), {"axis": axis, "keepdims": keepdims}, rng)


@pytest.mark.parametrize(
    ("f", "sampler", "shape", "axis", "keepdims", "dtype"), list(_cases(SCANS, SCAN_AXES, (None,)))
)
def test_scan(f, sampler, shape, axis, keepdims, dtype, rng):
    _check(f, sampler(shape, dtype, rng), {"axis": axis}, rng)


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
    (np.cumsum, normal, {"axis": 1, "dtype": np.float64}),
    (np.cumprod, near_one, {"axis": 0, "dtype": np.complex128}),
]


@pytest.mark.parametrize(
    ("f", "sampler", "kwargs"),
    OPTIONS,
    ids=[f"{_name(f)}-{sorted(k)}" for f, _, k in OPTIONS],
)
@pytest.mark.parametrize("dtype", REAL)
def test_options(f, sampler, kwargs, dtype, rng):
    _check(f, sampler((3, 4), dtype, rng), kwargs, rng)


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
        _check(f, [0.5, -1.5, 2.0], {}, rng)
        _check(f, [[0.5, 1.0], [-1.5, 2.0]], {"axis": 0}, rng)
        _check(f, 1.5, {}, rng)
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
# prod and cumprod at zeros: no division, exact
# ---------------------------------------------------------------------------------------


def _pullback(f, *args, seed=1.0, **kwargs):
    y, back = rrule(f, *args, **kwargs)
    return y, tuple(unthunk(t) for t in back(seed))


def test_prod_with_one_zero():
    x = np.array([2.0, 0.0, 3.0, 4.0])
    _, (_, dx) = _pullback(np.prod, x)
    np.testing.assert_array_equal(dx, [0.0, 24.0, 0.0, 0.0])
    assert frule((NoTangent(), np.array([1.0, 1.0, 1.0, 1.0])), np.prod, x)[1] == 24.0


def test_prod_with_two_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    _, (_, dx) = _pullback(np.prod, x)
    np.testing.assert_array_equal(dx, np.zeros(4))
    assert frule((NoTangent(), np.ones(4)), np.prod, x)[1] == 0.0


def test_prod_with_zeros_along_an_axis(rng):
    # row 0: no zero, row 1: one zero, row 2: two zeros
    x = np.array([[2.0, -1.0, 3.0], [2.0, 0.0, 3.0], [0.0, 5.0, 0.0]])
    _, (_, dx) = _pullback(np.prod, x, axis=1, seed=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(dx, [[-3.0, 6.0, -2.0], [0.0, 12.0, 0.0], [0.0, 0.0, 0.0]])
    for f in (np.prod, np.nanprod):
        for dtype in ALL:
            _check(f, x.astype(dtype), {"axis": 1}, rng)
            _check(f, x.astype(dtype), {"axis": (0, 1)}, rng)


def test_cumprod_with_zeros(rng):
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    _, (_, dx) = _pullback(np.cumprod, x, seed=np.ones(5))
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
                _check(f, x2.astype(dtype), {"axis": axis}, rng)


def test_cumprod_long_scan(rng):
    """The scan takes log2(n) steps: check one well past a power of two."""
    x = near_one((37,), F64, rng)
    x[[3, 20]] = 0.0
    test_rrule(np.cumprod, x, rng=rng)
    test_frule(np.cumprod, x, rng=rng)


# ---------------------------------------------------------------------------------------
# Ties: the cotangent is split equally among the tied entries
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [np.max, np.amax, np.nanmax, np.ndarray.max])
def test_max_ties_split(f):
    x = np.array([[1.0, 3.0, 3.0, 2.0], [5.0, 5.0, 5.0, -1.0]])
    _, (_, dx) = _pullback(f, x, axis=1, seed=np.array([1.0, 6.0]))
    np.testing.assert_array_equal(dx, [[0.0, 0.5, 0.5, 0.0], [2.0, 2.0, 2.0, 0.0]])
    _, dy = frule(
        (NoTangent(), np.array([[0.0, 1.0, 0.0, 0.0], [1.0, 2.0, 6.0, 0.0]])), f, x, axis=1
    )
    np.testing.assert_array_equal(dy, [0.5, 3.0])


def test_min_and_ptp_ties_split():
    x = np.array([1.0, 3.0, 1.0, 3.0, 2.0])
    _, (_, dx) = _pullback(np.min, x)
    np.testing.assert_array_equal(dx, [0.5, 0.0, 0.5, 0.0, 0.0])
    _, (_, dx) = _pullback(np.ptp, x)
    np.testing.assert_array_equal(dx, [-0.5, 0.5, -0.5, 0.5, 0.0])
    _, (_, dx) = _pullback(np.ptp, np.full(3, 2.0))  # all tied: max - min is constant
    np.testing.assert_array_equal(dx, np.zeros(3))


def test_max_tie_with_initial():
    x = np.array([1.0, 4.0, 4.0])
    _, (_, dx) = _pullback(np.max, x, initial=4.0)  # three candidates, initial's share dropped
    np.testing.assert_allclose(dx, [0.0, 1 / 3, 1 / 3])
    _, (_, dx) = _pullback(np.max, x, initial=9.0)
    np.testing.assert_array_equal(dx, np.zeros(3))


def test_max_with_nan_and_nanmax():
    x = np.array([1.0, np.nan, 3.0, np.nan])
    with np.errstate(invalid="ignore"):
        y, (_, dx) = _pullback(np.max, x)
    assert np.isnan(y)
    np.testing.assert_array_equal(dx, [0.0, 0.5, 0.0, 0.5])
    _, (_, dx) = _pullback(np.nanmax, x)
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0, 0.0])


# ---------------------------------------------------------------------------------------
# var and std at zero variance
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("f", [np.std, np.var, np.nanstd, np.nanvar, np.ndarray.std])
@pytest.mark.parametrize("dtype", ALL)
def test_zero_variance_gives_zero(f, dtype):
    # 0.1 three times: NumPy's mean is off by one ulp, and its std is ~1e-17, not 0
    x = np.array([[0.1, 0.1, 0.1], [1.0, 2.0, 4.0]], dtype=dtype)
    _, (_, dx) = _pullback(f, x, axis=1, seed=np.array([1.0, 0.0]))
    assert np.all(np.isfinite(dx))
    np.testing.assert_array_equal(dx, np.zeros_like(x))
    _, dy = frule((NoTangent(), np.ones_like(x)), f, x, axis=1)
    assert dy[0] == 0.0
    _, (_, dx) = _pullback(f, np.full((3,), 2.5, dtype=dtype))
    np.testing.assert_array_equal(dx, np.zeros(3, dtype=dtype))


def test_nanstd_single_valid_entry_is_zero_variance():
    x = np.array([[np.nan, 2.0], [1.0, 3.0]])
    _, (_, dx) = _pullback(np.nanstd, x, axis=1, seed=np.array([1.0, 1.0]))
    np.testing.assert_array_equal(dx, [[0.0, 0.0], [-0.5, 0.5]])


def test_std_value():
    x = np.array([1.0, 2.0, 4.0, 5.0])  # mean 3, std sqrt(2.5)
    _, (_, dx) = _pullback(np.std, x)
    np.testing.assert_allclose(dx, (x - 3) / (4 * np.sqrt(2.5)))
    _, (_, dx) = _pullback(np.var, x, ddof=1)
    np.testing.assert_allclose(dx, 2 * (x - 3) / 3)


# ---------------------------------------------------------------------------------------
# nan-functions: NaN entries get zero cotangents
# ---------------------------------------------------------------------------------------

NAN_FUNCTIONS = [
    np.nansum, np.nanprod, np.nanmean, np.nanvar, np.nanstd, np.nanmax, np.nanmin,
    np.nancumsum, np.nancumprod, np.nanmedian,
]  # fmt: skip


@pytest.mark.parametrize("f", NAN_FUNCTIONS, ids=_name)
def test_nan_entries_get_zero(f):
    x = np.array([[1.0, np.nan, 3.5, -2.0], [np.nan, 0.5, 2.0, 4.0]])
    y, back = rrule(f, x, axis=1)
    dx = unthunk(back(np.ones(np.shape(y)))[1])
    assert np.all(np.isfinite(dx))
    assert dx[0, 1] == 0.0 and dx[1, 0] == 0.0
    assert np.any(dx != 0)


@pytest.mark.parametrize(
    "f", [np.nansum, np.nanprod, np.nanmean, np.nanstd, np.nanmax, np.nanmedian], ids=_name
)
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's "All-NaN slice encountered"
def test_all_nan_slice(f):
    x = np.array([[np.nan, np.nan], [1.0, 2.0]])
    _, (_, dx) = _pullback(f, x, axis=1, seed=np.ones(2))
    np.testing.assert_array_equal(dx[0], [0.0, 0.0])
    assert np.any(dx[1] != 0)
    _, dy = frule((NoTangent(), np.ones((2, 2))), f, x, axis=1)
    assert np.isfinite(dy[1])


# ---------------------------------------------------------------------------------------
# median and quantiles
# ---------------------------------------------------------------------------------------


def test_median_even_count():
    x = np.array([4.0, 1.0, 3.0, 2.0])  # median (2 + 3) / 2
    y, (_, dx) = _pullback(np.median, x)
    assert y == 2.5
    np.testing.assert_array_equal(dx, [0.0, 0.0, 0.5, 0.5])
    assert frule((NoTangent(), np.array([1.0, 0.0, 4.0, 2.0])), np.median, x)[1] == 3.0


def test_median_odd_count_and_ties():
    _, (_, dx) = _pullback(np.median, np.array([5.0, 1.0, 3.0]))
    np.testing.assert_array_equal(dx, [0.0, 0.0, 1.0])
    _, (_, dx) = _pullback(np.median, np.array([2.0, 1.0, 2.0]))  # tied median: split
    np.testing.assert_array_equal(dx, [0.5, 0.0, 0.5])
    _, (_, dx) = _pullback(np.nanmedian, np.array([np.nan, 2.0, 1.0, 2.0, 7.0]))
    np.testing.assert_array_equal(dx, [0.0, 0.5, 0.0, 0.5, 0.0])


def test_quantile_between_order_statistics():
    x = np.array([10.0, 0.0, 30.0, 20.0])  # sorted 0 10 20 30; q = 0.4: index 1.2
    y, (_, dx, dq) = _pullback(np.quantile, x, 0.4)
    np.testing.assert_allclose(y, 12.0)
    np.testing.assert_allclose(dx, [0.8, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(dq, 30.0)  # (20 - 10) * (n - 1)
    _, dy = frule((NoTangent(), np.array([1.0, 0.0, 0.0, 2.0]), 0.5), np.quantile, x, 0.4)
    np.testing.assert_allclose(dy, 0.8 + 0.4 + 15.0)
    _, (_, dx, dq) = _pullback(np.percentile, x, 40.0)
    np.testing.assert_allclose(dx, [0.8, 0.0, 0.0, 0.2])
    np.testing.assert_allclose(dq, 0.3)


def test_quantile_at_the_ends_and_on_order_statistics():
    x = np.array([10.0, 0.0, 30.0, 20.0])
    _, (_, dx, dq) = _pullback(np.quantile, x, 1.0)  # the top: slope of the last segment
    np.testing.assert_allclose(dx, [0.0, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(dq, 30.0)
    _, (_, dx, dq) = _pullback(np.quantile, x, 0.0)
    np.testing.assert_allclose(dx, [0.0, 1.0, 0.0, 0.0])
    np.testing.assert_allclose(dq, 30.0)
    _, (_, dx, dq) = _pullback(np.quantile, x, 1 / 3)  # on x_(1) = 10: the segment above
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
    y, (_, dx, got) = _pullback(np.quantile, x, 0.4, method=method)
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
    list(_cases([(f, s, REAL) for f, s, _ in QUANTILES[:1]], AXES, (False, True))),
)
@pytest.mark.parametrize("which", range(len(QUANTILES)))
def test_quantile_family(f, sampler, shape, axis, keepdims, dtype, which, rng):
    f, sampler, q = QUANTILES[which]
    x = sampler(shape, dtype, rng)
    kwargs = {"axis": axis, "keepdims": keepdims}
    # q's kinks are 1 / (n - 1) apart: finite differences in q only for percentile's wide q
    _check(f, x, kwargs, rng, q if f in (np.percentile, np.nanpercentile) else constant(q))


@pytest.mark.parametrize("f", [np.quantile, np.nanquantile])
@pytest.mark.parametrize("q", [0.3, np.array([0.15, 0.5, 0.9])])
def test_quantile_derivative_in_q(f, q, rng):
    """Slices of two entries: one segment, so finite differences in q do not cross a kink."""
    x = spread((3, 2), F64, rng)
    test_rrule(f, x, q, fkwargs={"axis": 1}, rng=rng)
    test_frule(f, x, q, fkwargs={"axis": 1}, rng=rng)
    test_rrule(f, x[:, 0], with_tangent(0.6, 1.0), constant(0), rng=rng)  # positional axis


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
        _check(np.average, x, kwargs | {"axis": axis}, rng)
        return
    w = _positive(wshape, rng).astype(F64 if dtype is C128 else dtype)
    test_rrule(np.average, x, constant(axis), w, fkwargs=kwargs, rng=rng)
    test_frule(np.average, x, constant(axis), w, fkwargs=kwargs, rng=rng)
    # weights by keyword are a constant: only x is differentiated
    test_rrule(np.average, x, fkwargs=kwargs | {"axis": axis, "weights": w}, rng=rng)
    test_frule(np.average, x, fkwargs=kwargs | {"axis": axis, "weights": w}, rng=rng)


def test_average_values():
    x, w = np.array([1.0, 2.0, 6.0]), np.array([1.0, 1.0, 2.0])  # average 15 / 4
    _, (_, dx, _, dw) = _pullback(np.average, x, None, w)
    np.testing.assert_allclose(dx, w / 4)
    np.testing.assert_allclose(dw, (x - 3.75) / 4)
    # returned=True: the sum of the weights depends on them only
    _, (_, dx, _, dw, _) = _pullback(np.average, x, None, w, True, seed=(ZeroTangent(), 2.0))
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


@pytest.mark.parametrize("f", NON_DIFFERENTIABLE, ids=_name)
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
