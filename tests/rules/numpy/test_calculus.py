"""Tests of rules.numpy.calculus: every rule through the harness, table-driven."""

import numpy as np
import pytest

import rules.numpy.calculus  # noqa: F401  (registers the rules)
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

ALL_DTYPES = [np.float64, np.float32, np.complex128]
REAL_DTYPES = [np.float64, np.float32]
C = constant


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def R(rng, shape, dtype):
    """A random real array of the real type that goes with `dtype`."""
    return A(rng, shape, np.float32 if dtype == np.float32 else np.float64)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


def _with_zeros(rng, shape, dtype):
    """Entries of which some lanes hold one zero, some two, some none (cumulative_prod)."""
    x = A(rng, shape, dtype)
    x.reshape(-1)[[1, 4, 5]] = 0
    return x


def _phases(rng, shape, axis):
    """Phases whose steps along `axis` stay far from ±π: 1 or 5 radians give or take 0.1."""
    steps = rng.choice([-5.0, -1.0, 1.0, 5.0], size=shape) + 0.1 * rng.standard_normal(shape)
    return np.cumsum(steps, axis=axis)


# id -> builder(rng, dtype) -> (function, args, fkwargs), for every dtype of ALL_DTYPES.
CASES = {
    "diff-1d": lambda r, t: (np.diff, (A(r, 6, t),), {}),
    "diff-2d-n2-axis0": lambda r, t: (np.diff, (A(r, (4, 3), t),), {"n": 2, "axis": 0}),
    "diff-3d-n3": lambda r, t: (np.diff, (A(r, (2, 3, 5), t),), {"n": 3, "axis": -1}),
    "diff-n0": lambda r, t: (np.diff, (A(r, (2, 3), t),), {"n": 0}),
    "diff-prepend-append": lambda r, t: (
        np.diff,
        (A(r, (3, 4), t), C(2), C(1), A(r, (3, 2), t), A(r, (), t)[()]),
        {},
    ),
    "diff-prepend-scalar": lambda r, t: (np.diff, (A(r, (2, 3, 2), t), C(1), C(1), 1.5), {}),
    "diff-keyword-prepend": lambda r, t: (np.diff, (A(r, 4, t),), {"prepend": A(r, 2, t)}),
    "ediff1d-1d": lambda r, t: (np.ediff1d, (A(r, 5, t),), {}),
    "ediff1d-2d-ends": lambda r, t: (np.ediff1d, (A(r, (2, 3), t), A(r, 2, t), A(r, (), t)), {}),
    "ediff1d-3d-begin": lambda r, t: (np.ediff1d, (A(r, (2, 2, 2), t), None, A(r, 3, t)), {}),
    "ediff1d-keywords": lambda r, t: (np.ediff1d, (A(r, 4, t),), {"to_end": A(r, 1, t)}),
    "gradient-1d": lambda r, t: (np.gradient, (A(r, 5, t),), {}),
    "gradient-2d": lambda r, t: (np.gradient, (A(r, (3, 4), t),), {}),
    "gradient-2d-one-spacing": lambda r, t: (np.gradient, (A(r, (3, 4), t), 0.7), {}),
    "gradient-2d-spacings": lambda r, t: (np.gradient, (A(r, (4, 3), t), 0.7, 2.0), {}),
    "gradient-3d-axis": lambda r, t: (np.gradient, (A(r, (2, 4, 3), t), 1.5), {"axis": 1}),
    "gradient-3d-axes-order2": lambda r, t: (
        np.gradient,
        (A(r, (3, 4, 5), t), 0.5, 3.0),
        {"axis": (-1, 0), "edge_order": 2},
    ),
    "gradient-coordinates": lambda r, t: (
        np.gradient,
        (A(r, (5, 3), t), C(np.array([0.0, 0.5, 1.5, 1.7, 3.0])), 2.0),
        {"edge_order": 2},
    ),
    "gradient-coordinates-order1": lambda r, t: (
        np.gradient,
        (A(r, 4, t), C(np.array([0.0, 0.5, 1.5, 3.0]))),
        {},
    ),
    "gradient-two-points": lambda r, t: (np.gradient, (A(r, 2, t), 0.5), {}),
    "trapezoid-1d": lambda r, t: (np.trapezoid, (A(r, 5, t),), {}),
    "trapezoid-2d-x": lambda r, t: (np.trapezoid, (A(r, (3, 4), t), R(r, 4, t)), {}),
    "trapezoid-2d-x-axis0": lambda r, t: (np.trapezoid, (A(r, (3, 4), t), R(r, 3, t)), {"axis": 0}),
    "trapezoid-3d-x-nd": lambda r, t: (
        np.trapezoid,
        (A(r, (2, 3, 4), t), R(r, (2, 3, 4), t)),
        {"axis": 1},
    ),
    "trapezoid-x-broadcasts": lambda r, t: (np.trapezoid, (A(r, 4, t), R(r, (2, 4), t)), {}),
    "trapezoid-dx": lambda r, t: (np.trapezoid, (A(r, (3, 2), t), None, 0.5), {"axis": 0}),
    "trapezoid-dx-keyword": lambda r, t: (np.trapezoid, (A(r, (3, 2), t),), {"dx": 0.3}),
    "cumulative_sum-1d": lambda r, t: (np.cumulative_sum, (A(r, 5, t),), {}),
    "cumulative_sum-2d": lambda r, t: (np.cumulative_sum, (A(r, (3, 4), t),), {"axis": 0}),
    "cumulative_sum-3d-initial": lambda r, t: (
        np.cumulative_sum,
        (A(r, (2, 3, 2), t),),
        {"axis": -2, "include_initial": True},
    ),
    "cumulative_prod-1d": lambda r, t: (np.cumulative_prod, (A(r, 5, t),), {}),
    "cumulative_prod-zeros-2d": lambda r, t: (
        np.cumulative_prod,
        (_with_zeros(r, (2, 4), t),),
        {"axis": 1},
    ),
    "cumulative_prod-zeros-3d": lambda r, t: (
        np.cumulative_prod,
        (_with_zeros(r, (3, 2, 2), t),),
        {"axis": 0, "include_initial": True},
    ),
    "cumulative_prod-zeros-1d": lambda r, t: (
        np.cumulative_prod,
        (_with_zeros(r, 7, t),),
        {"include_initial": True},
    ),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_calculus(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


@pytest.mark.parametrize("dtype", REAL_DTYPES)
@pytest.mark.parametrize(
    ("shape", "fkwargs"),
    [(8, {}), ((3, 5), {"axis": 0}), ((2, 3, 4), {"axis": -1})],
    ids=["1d", "2d-axis0", "3d"],
)
def test_unwrap(shape, fkwargs, dtype, rng):
    p = _phases(rng, shape, fkwargs.get("axis", -1)).astype(dtype)
    _check(np.unwrap, (p,), fkwargs, rng)
    _check(np.unwrap, (p, 4.0, C(fkwargs.get("axis", -1))), {}, rng)
    _check(np.unwrap, (p,), {**fkwargs, "period": 8.0}, rng)


def _knots(rng, dtype, n=5):
    """Knots near 0, 2, 4, ... so that points at odd numbers are 0.8 or more from any."""
    return (2.0 * np.arange(n) + 0.2 * rng.uniform(-1, 1, n)).astype(dtype)


def _points(rng, shape, dtype):
    """Points at odd numbers from -3 to 11 (some left, some right of knots 0..8)."""
    return rng.choice(np.arange(-3.0, 12.0, 2.0), size=shape).astype(dtype)


INTERP_CASES = {
    "1d": lambda r, t, f: ((_points(r, 6, t), _knots(r, t), f(r, 5)), {}),
    "2d-left-right": lambda r, t, f: (
        (_points(r, (3, 4), t), _knots(r, t), f(r, 5), 1.5, -2.0),
        {},
    ),
    "3d-left": lambda r, t, f: ((_points(r, (2, 2, 3), t), _knots(r, t), f(r, 5), -0.5), {}),
    "scalar-x": lambda r, t, f: ((3.0, _knots(r, t), f(r, 5)), {}),
    "keyword-left": lambda r, t, f: ((_points(r, 5, t), _knots(r, t), f(r, 5)), {"left": 2.0}),
    "two-knots": lambda r, t, f: ((_points(r, 5, t), _knots(r, t, 2), f(r, 2)), {}),
    "one-knot": lambda r, t, f: ((np.array([-1.0, 1.0]), np.array([0.0]), f(r, 1)), {}),
    "period": lambda r, t, f: (
        (np.array([-1.0, 1.0, 3.0, 5.0, 7.0, 13.0]), _knots(r, t, 4), f(r, 4)),
        {"period": 8.0},
    ),
    "period-unsorted": lambda r, t, f: (
        (_points(r, (2, 3), t), _knots(r, t, 4)[[2, 0, 3, 1]], f(r, 4)),
        {"period": 8.0},
    ),
}


@pytest.mark.parametrize("fp_dtype", ALL_DTYPES)
@pytest.mark.parametrize("x_dtype", REAL_DTYPES)
@pytest.mark.parametrize("build", INTERP_CASES.values(), ids=INTERP_CASES.keys())
def test_interp(build, x_dtype, fp_dtype, rng):
    args, fkwargs = build(rng, x_dtype, lambda r, n: A(r, n, fp_dtype))
    _check(np.interp, args, fkwargs, rng)


def test_interp_at_knots_takes_the_segment_to_the_right():
    xp, fp = np.array([0.0, 1.0, 3.0]), np.array([0.0, 2.0, 3.0])
    x = np.array([0.0, 1.0, 3.0, 4.0])
    _, back = rrule(np.interp, x, xp, fp)
    _, dx, dxp, dfp = back(np.ones(4))
    np.testing.assert_allclose(dx, [2.0, 0.5, 0.5, 0.0])  # right slopes; the last one's left
    np.testing.assert_allclose(dfp, [1.0, 1.0, 2.0])  # x = 4 is right of the knots: fp[-1]
    np.testing.assert_allclose(dxp, [-2.0, -0.5, -0.5])


def test_interp_period_positional_is_not_implemented():
    args = (np.array([0.5, 1.5]), np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 0.0]))
    _, back = rrule(np.interp, *args, None, None, 3.0)
    assert isinstance(unthunk(back(np.ones(2))[-1]), NotImplementedTangent)
    _, dy = frule((NoTangent(), 0.0, 0.0, 0.0, None, None, 1.0), np.interp, *args, None, None, 3.0)
    assert isinstance(dy, NotImplementedTangent)


def test_gradient_coordinates_get_not_implemented(rng):
    f, x = rng.standard_normal(4), np.array([0.0, 1.0, 1.5, 3.0])
    _, back = rrule(np.gradient, f, x)
    assert isinstance(back(np.ones(4))[2], NotImplementedTangent)
    test_frule(np.gradient, f, with_tangent(x, np.ones(4)))  # a NotImplemented tangent


def test_cumulative_prod_with_zeros_exact():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    _, back = rrule(np.cumulative_prod, x)
    # y = [2, 0, 0, 0, 0]; dy_i/dx_j = prod_{k <= i, k != j} x_k
    np.testing.assert_array_equal(back(np.ones(5))[1], [1.0, 2 + 6 + 0 + 0, 0.0, 0.0, 0.0])
    _, dy = frule((NoTangent(), np.ones(5)), np.cumulative_prod, x)
    np.testing.assert_array_equal(dy, [1.0, 2.0, 6.0, 0.0, 0.0])


def test_zero_seed_is_a_zero_cotangent(rng):
    _, back = rrule(np.trapezoid, rng.standard_normal(4))
    assert back(ZeroTangent())[1] == ZeroTangent()


ARRAY_LIKES = [
    (np.diff, ([1.0, 4.0, 2.0],)),
    (np.ediff1d, ([1.0, 4.0, 2.0], [1.0])),
    (np.gradient, ([[1.0, 4.0, 2.0], [0.0, 1.0, 1.0]],)),
    (np.trapezoid, ([1.0, 4.0, 2.0], [0.0, 1.0, 3.0])),
    (np.cumulative_sum, ([1.0, 4.0, 2.0],)),
    (np.cumulative_prod, ([1.0, 0.0, 2.0],)),
    (np.interp, ([0.5, 1.5], [0.0, 1.0, 2.0], [1.0, 3.0, 2.0])),
    (np.unwrap, ([0.0, 1.0, 7.0],)),
]


@pytest.mark.parametrize(("f", "args"), ARRAY_LIKES, ids=[f.__name__ for f, _ in ARRAY_LIKES])
def test_lists_as_arrays(f, args, rng):
    """Array-likes given as lists get list cotangents."""
    _check(f, args, {}, rng)
