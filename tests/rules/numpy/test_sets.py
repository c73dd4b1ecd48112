"""Tests of rules.numpy.sets: unique and the set operations through the harness, and the
convention where entries merge."""

import numpy as np
import pytest

import rules.numpy.sets  # noqa: F401  (registers the rules)
from rulescore import NoTangent, Tangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

DTYPES = [np.float64, np.float32, np.complex128]
C = constant


def _separated(rng, shape, dtype, offset=0.0):
    """Distinct entries at least 0.5 apart in their real parts, so that finite differences
    (steps up to 0.2 per entry) never make two of them equal or reorder them."""
    size = int(np.prod(shape))
    x = 0.5 * (rng.permutation(size) - size / 2) + offset
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(size)
    return x.reshape(shape).astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


UNIQUE = [
    ("1d", 7, (), {}),
    ("2d-flattened", (3, 4), (), {}),
    ("all-outputs", (3, 4), (C(True), C(True), C(True)), {}),
    ("inverse-keyword", 6, (), {"return_inverse": True, "equal_nan": False}),
    ("axis0", (4, 3), (), {"axis": 0}),
    ("axis1-counts", (2, 5), (C(False), C(False), C(True), C(1)), {}),
    ("axis-negative", (2, 3, 2), (), {"axis": -2, "return_index": True}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "extra", "fkwargs"), [pytest.param(*c[1:], id=c[0]) for c in UNIQUE]
)
def test_unique(shape, extra, fkwargs, dtype, rng):
    _check(np.unique, (_separated(rng, shape, dtype), *extra), fkwargs, rng)


ARRAY_API = [np.unique_values, np.unique_counts, np.unique_inverse, np.unique_all]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("f", ARRAY_API, ids=[f.__name__ for f in ARRAY_API])
def test_unique_array_api(f, dtype, rng):
    if f is np.unique_values and dtype == np.complex128:
        pytest.skip("hash order: the output's order changes with the values (tested below)")
    _check(f, (_separated(rng, (2, 3), dtype),), {}, rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("f", [np.union1d, np.setdiff1d, np.setxor1d])
def test_set_operations(f, dtype, rng):
    """Entries distinct within and across the arrays (0.25 apart at least)."""
    a, b = _separated(rng, 6, dtype), _separated(rng, (2, 2), dtype, offset=0.25)
    _check(f, (a, b), {}, rng)
    if f is not np.union1d:
        _check(f, (a, b, C(True)), {}, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_unique_unsorted(dtype, rng):
    """(Complex numbers come in hash order, which changes with their values: the output's
    order is then not a continuous function of the input. See the `unique_values` test.)"""
    _check(np.unique, (_separated(rng, 6, dtype),), {"sorted": False}, rng)


def test_lists_as_arrays(rng):
    _check(np.unique, ([3.0, 1.0, 2.0],), {}, rng)
    _check(np.union1d, ([3.0, 1.0], [2.0]), {}, rng)


# ---------------------------------------------------------------------------------------------
# Where entries merge: means forward, equal shares backward


def test_unique_splits_cotangent_among_equal_entries():
    a = np.array([3.0, 1.0, 3.0, 3.0])
    y, back = rrule(np.unique, a)
    np.testing.assert_array_equal(y, [1.0, 3.0])
    np.testing.assert_array_equal(back(np.array([1.0, 9.0]))[1], [3.0, 1.0, 3.0, 3.0])
    _, dy = frule((NoTangent(), np.array([1.0, 2.0, 3.0, 8.0])), np.unique, a)
    np.testing.assert_array_equal(dy, [2.0, 4.0])


def test_unique_rows_merge():
    a = np.array([[1.0, 2.0], [0.0, 5.0], [1.0, 2.0]])
    y, back = rrule(np.unique, a, axis=0)
    np.testing.assert_array_equal(y, [[0.0, 5.0], [1.0, 2.0]])
    da = back(np.array([[1.0, 2.0], [4.0, 6.0]]))[1]
    np.testing.assert_array_equal(da, [[2.0, 3.0], [1.0, 2.0], [2.0, 3.0]])


def test_ties_exact_along_tangents_that_keep_them(rng):
    """Along tangents that move equal entries together, the frule matches finite
    differences; the rrule is its adjoint."""
    a = np.array([2.0, -1.0, 2.0, 0.5, -1.0])
    da = np.array([0.3, -0.7, 0.3, 1.1, -0.7])
    test_frule(np.unique, with_tangent(a, da), C(False), C(True), C(True), rng=rng)
    _, dy = frule((NoTangent(), da), np.unique, a)
    _, back = rrule(np.unique, a)
    g = rng.standard_normal(3)
    assert np.isclose(np.dot(back(g)[1], da), np.dot(g, dy))


def test_intersect1d_values_merge_both_arrays(rng):
    a, b = np.array([3.0, 1.0, 5.0, 3.0]), np.array([5.0, 3.0, 7.0])
    y, back = rrule(np.intersect1d, a, b)
    np.testing.assert_array_equal(y, [3.0, 5.0])
    _, da, db = back(np.array([10.0, 20.0]))
    np.testing.assert_allclose(da, [10 / 3, 0.0, 10.0, 10 / 3])
    np.testing.assert_allclose(db, [10.0, 10 / 3, 0.0])
    # tangents equal on each shared value (all three 3.0s, both 5.0s) keep them shared
    ta, tb = np.array([2.0, 2.0, 4.0, 2.0]), np.array([4.0, 2.0, 9.0])
    for extra in ((), (C(True), C(True))):
        test_frule(np.intersect1d, with_tangent(a, ta), with_tangent(b, tb), *extra, rng=rng)
    assert rrule(np.intersect1d, a, b, False, True)[1]((np.ones(2), None, None))[2][2] == 0.0


def test_setdiff1d_and_setxor1d_with_shared_entries():
    a, b = np.array([1.0, 2.0, 2.0, 4.0]), np.array([2.0, 5.0])
    y, back = rrule(np.setdiff1d, a, b)
    np.testing.assert_array_equal(y, [1.0, 4.0])
    _, da, db = back(np.array([1.0, 3.0]))
    np.testing.assert_array_equal(da, [1.0, 0.0, 0.0, 3.0])
    np.testing.assert_array_equal(db, [0.0, 0.0])
    y, back = rrule(np.setxor1d, a, b)
    np.testing.assert_array_equal(y, [1.0, 4.0, 5.0])
    _, da, db = back(np.array([1.0, 3.0, 7.0]))
    np.testing.assert_array_equal(da, [1.0, 0.0, 0.0, 3.0])
    np.testing.assert_array_equal(db, [0.0, 7.0])


def test_union1d_shares_across_arrays():
    _, back = rrule(np.union1d, np.array([1.0, 2.0]), np.array([2.0]))
    _, da, db = back(np.array([1.0, 6.0]))
    np.testing.assert_array_equal(da, [1.0, 3.0])
    np.testing.assert_array_equal(db, [3.0])


def test_unique_values_in_hash_order():
    """`unique_values` of complex numbers comes in hash order: values are matched to
    entries by value, whatever the order."""
    x = np.array([1 + 2j, 3 - 1j, 0.5j, 1 + 2j])
    y, back = rrule(np.unique_values, x)
    g = np.arange(len(y)) + 1.0
    dx = back(g)[1]
    for i, xi in enumerate(x):
        k = int(np.flatnonzero(y == xi)[0])
        assert dx[i] == g[k] / np.sum(x == xi)
    _, dy = frule((NoTangent(), np.array([1.0, 2.0, 3.0, 5.0])), np.unique_values, x)
    np.testing.assert_array_equal(dy, [{1 + 2j: 3.0, 3 - 1j: 2.0, 0.5j: 3.0}[v] for v in y])


def test_structured_outputs_and_seeds():
    x = np.array([2.0, 1.0, 2.0])
    y, back = rrule(np.unique_all, x)
    seed = Tangent[type(y)](values=np.array([1.0, 4.0]))
    np.testing.assert_array_equal(back(seed)[1], [2.0, 1.0, 2.0])
    np.testing.assert_array_equal(back({"values": np.array([1.0, 4.0])})[1], [2.0, 1.0, 2.0])
    _, dy = frule((NoTangent(), np.ones(3)), np.unique_counts, x)
    assert isinstance(dy, Tangent) and dy.counts == ZeroTangent()
    _, dy = frule((NoTangent(), np.ones(3)), np.unique, x, True)
    assert isinstance(dy, tuple) and dy[1] == NoTangent()


def test_integer_arrays_have_no_tangent():
    _, back = rrule(np.unique, np.array([2, 1, 2]))
    assert back(NoTangent()) == (NoTangent(), NoTangent())
