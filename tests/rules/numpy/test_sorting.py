"""Tests of rules.numpy.sorting: every rule through the harness, table-driven."""

import numpy as np
import pytest

from rules.numpy import sorting
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = [np.float64, np.float32, np.complex128]


def _separated(rng, shape, dtype, spacing=0.5):
    """Entries at least `spacing` apart in their real parts, so that finite differences
    (steps up to 0.2 per entry) never reorder them."""
    size = int(np.prod(shape))
    x = spacing * (rng.permutation(size) - size / 2)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(size)
    return x.reshape(shape).astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


CASES = [
    ("sort-1d", np.sort, 7, (), {}),
    ("sort-2d-default", np.sort, (3, 4), (), {}),
    ("sort-2d-axis0", np.sort, (3, 4), (), {"axis": 0}),
    ("sort-3d-axis1", np.sort, (2, 3, 4), (), {"axis": 1}),
    ("sort-3d-axis-3", np.sort, (2, 3, 2), (), {"axis": -3}),
    ("sort-2d-none", np.sort, (3, 3), (), {"axis": None}),
    ("sort-axis-positional", np.sort, (2, 3), (constant(0),), {"kind": "mergesort"}),
    ("sort-stable", np.sort, (2, 4), (), {"stable": True}),
    ("sort_complex-1d", np.sort_complex, 5, (), {}),
    ("sort_complex-2d", np.sort_complex, (3, 4), (), {}),
    ("partition-1d", np.partition, 9, (constant(4),), {}),
    ("partition-1d-kth-list", np.partition, 9, (constant([1, 6]),), {}),
    ("partition-2d-axis0", np.partition, (5, 3), (constant(-1),), {"axis": 0}),
    ("partition-3d", np.partition, (2, 3, 6), (constant((0, 2, 5)),), {}),
    ("partition-none", np.partition, (3, 4), (constant(5),), {"axis": None}),
    ("partition-axis-positional", np.partition, (4, 3), (constant(2), constant(0)), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("f", "shape", "extra", "fkwargs"), [pytest.param(*c[1:], id=c[0]) for c in CASES]
)
def test_sorting(f, shape, extra, fkwargs, dtype, rng):
    _check(f, (_separated(rng, shape, dtype), *extra), fkwargs, rng)


def test_sort_complex_of_real_input_gives_real_cotangent(rng):
    a = _separated(rng, (2, 3), np.float32)
    _check(np.sort_complex, (a,), {}, rng)
    _, back = rrule(np.sort_complex, a)
    assert back(np.ones((2, 3), dtype=np.complex64))[1].dtype == np.float32


def test_sort_ties_follow_the_stable_order():
    a = np.array([1.0, 1.0, 0.0, 1.0])
    _, back = rrule(np.sort, a)
    np.testing.assert_array_equal(back(np.array([1.0, 2.0, 3.0, 4.0]))[1], [2.0, 3.0, 1.0, 4.0])
    _, dy = frule((NoTangent(), np.array([10.0, 20.0, 30.0, 40.0])), np.sort, a)
    np.testing.assert_array_equal(dy, [30.0, 10.0, 20.0, 40.0])


def test_partition_ties_move_whole_cotangents():
    a = np.array([2.0, 0.0, 2.0, 2.0, 1.0])
    y, back = rrule(np.partition, a, 1)
    da = back(np.arange(5.0))[1]
    # each output slot's cotangent lands on an input entry holding the same value
    assert sorted(da) == [0.0, 1.0, 2.0, 3.0, 4.0]
    for value in (0.0, 1.0, 2.0):
        assert sorted(da[a == value]) == sorted(np.arange(5.0)[y == value])


@pytest.mark.parametrize("axis", [0, -1, None])
def test_partition_permutation_of_another_arrangement(axis, rng):
    """When `partition` orders the non-kth entries unlike `argpartition`, the permutation is
    recovered from the output itself."""
    a = _separated(rng, (4, 6), np.float64)
    y = np.partition(a, 2, axis=axis)
    reordered = np.flip(y, axis=0 if axis is None else axis)  # any arrangement of the values
    perm, along = sorting._partition_permutation(a, reordered, 2, axis)
    flat = np.ravel(a) if axis is None else a
    np.testing.assert_array_equal(np.take_along_axis(flat, perm, axis=along), reordered)


def test_partition_zero_seed(rng):
    _, back = rrule(np.partition, _separated(rng, 6, np.float64), 2)
    assert back(ZeroTangent())[1:] == (ZeroTangent(), NoTangent())


NON_DIFFERENTIABLE = [
    (np.argsort, (np.array([3.0, 1.0, 2.0]),), {"axis": 0}),
    (np.argpartition, (np.array([3.0, 1.0, 2.0]), 1), {}),
    (np.lexsort, ((np.array([1.0, 0.0]), np.array([0.5, 0.5])),), {}),
    (np.ndarray.argsort, (np.array([[3.0, 1.0], [0.0, 2.0]]),), {"axis": None}),
    (np.ndarray.argpartition, (np.array([3.0, 1.0, 2.0]), 0), {}),
]


@pytest.mark.parametrize(
    ("f", "args", "fkwargs"), NON_DIFFERENTIABLE, ids=[c[0].__name__ for c in NON_DIFFERENTIABLE]
)
def test_non_differentiable(f, args, fkwargs, rng):
    _check(f, [constant(a) for a in args], fkwargs, rng)


@pytest.mark.parametrize(
    ("f", "args"),
    [(np.sort, ([3.0, 1.0, 2.0],)), (np.partition, ([3.0, 1.0, 2.0], constant(1)))],
    ids=["sort", "partition"],
)
def test_lists_as_arrays(f, args, rng):
    """Array-likes given as lists get list cotangents."""
    _check(f, args, {}, rng)
