"""Tests of rules.numpy.insertion: insert, delete, trim_zeros through the harness."""

import numpy as np
import pytest

import rules.numpy.insertion  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

DTYPES = [np.float64, np.float32, np.complex128]
C = constant


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# id -> builder(rng, dtype) -> (function, args, fkwargs)
CASES = {
    "insert-flat-int": lambda r, t: (np.insert, (A(r, (2, 3), t), C(2), A(r, (), t)), {}),
    "insert-flat-list": lambda r, t: (np.insert, (A(r, 5, t), C([0, 2, 5]), A(r, 3, t)), {}),
    "insert-repeated-index": lambda r, t: (np.insert, (A(r, 4, t), C([1, 1]), A(r, 2, t)), {}),
    "insert-axis1-broadcast": lambda r, t: (
        np.insert,
        (A(r, (3, 2), t), C(1), A(r, (), t)),
        {"axis": 1},
    ),
    "insert-axis1-column": lambda r, t: (
        np.insert,
        (A(r, (3, 2), t), C(1), A(r, 3, t)),
        {"axis": 1},
    ),
    "insert-axis0-slice": lambda r, t: (
        np.insert,
        (A(r, (3, 2), t), C(slice(0, 2)), A(r, (2, 2), t), C(0)),
        {},
    ),
    "insert-axis-negative": lambda r, t: (
        np.insert,
        (A(r, (2, 2, 3), t), C([0, 3]), A(r, (2, 2, 1), t)),
        {"axis": -1},
    ),
    "delete-flat": lambda r, t: (np.delete, (A(r, (2, 3), t), C([0, 4])), {}),
    "delete-axis0": lambda r, t: (np.delete, (A(r, (4, 2), t), C(1)), {"axis": 0}),
    "delete-slice-axis1": lambda r, t: (np.delete, (A(r, (2, 5), t), C(slice(1, 4, 2)), C(1)), {}),
    "delete-mask": lambda r, t: (
        np.delete,
        (A(r, 4, t), C(np.array([True, False, False, True]))),
        {},
    ),
    "trim_zeros-none-trimmed": lambda r, t: (np.trim_zeros, (A(r, 5, t) + 3,), {}),
    "trim_zeros-2d": lambda r, t: (np.trim_zeros, (A(r, (3, 4), t) + 3,), {"axis": 0}),
    "trim_zeros-interior-zero": lambda r, t: (
        np.trim_zeros,
        (np.array([1.5, 0.0, -2.0], dtype=t), C("f")),
        {},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_insertion(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (np.insert, ([1.0, 2.0, 3.0], C(1), [4.0, 5.0])),
        (np.delete, ([1.0, 2.0, 3.0], C(0))),
        (np.trim_zeros, ([1.0, 0.0, 2.0],)),
    ],
    ids=["insert", "delete", "trim_zeros"],
)
def test_lists_as_arrays(f, args, rng):
    _check(f, args, {}, rng)


def test_insert_complex_values_into_real_array_get_real_cotangents(rng):
    arr, values = np.array([1.0, 2.0]), np.array([3.0 + 1.0j])
    with pytest.warns(np.exceptions.ComplexWarning):
        _, back = rrule(np.insert, arr, 1, values)
    _, darr, _, dvalues = back(np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(darr, [1.0, 3.0])
    np.testing.assert_array_equal(dvalues, [2.0 + 0.0j])


def test_insert_into_integer_array_has_no_tangent():
    """The output is an integer array: the float `values` (truncated) get a zero cotangent."""
    _, back = rrule(np.insert, np.arange(3), 1, 2.5)
    assert back(NoTangent()) == (NoTangent(), NoTangent(), NoTangent(), ZeroTangent())
    assert (
        frule((NoTangent(), NoTangent(), NoTangent(), 1.0), np.insert, np.arange(3), 1, 2.5)[1]
        == NoTangent()
    )


def test_insert_broadcast_value_collects_every_copy():
    _, back = rrule(np.insert, np.zeros((2, 2)), 1, 7.0, 1)
    assert back(np.arange(6.0).reshape(2, 3))[3] == 1.0 + 4.0


FILT = np.array([[0.0, 0.0, 0.0, 0.0], [0.0, 1.5, 0.0, 0.0], [0.0, 2.0, -3.0, 0.0]])


@pytest.mark.parametrize(
    ("trim", "axis", "box"),
    [
        ("fb", None, (slice(1, 3), slice(1, 3))),
        ("f", None, (slice(1, None), slice(1, None))),
        ("b", 1, (slice(None), slice(None, 3))),
        ("fb", 0, (slice(1, 3), slice(None))),
    ],
)
def test_trim_zeros_trimmed_entries(trim, axis, box, rng):
    """The trimmed zeros get zero cotangent; along tangents that keep them zero the rules
    match finite differences."""
    y, back = rrule(np.trim_zeros, FILT, trim, axis)
    np.testing.assert_array_equal(y, FILT[box])
    dy = rng.standard_normal(y.shape)
    want = np.zeros_like(FILT)
    want[box] = dy
    np.testing.assert_array_equal(back(dy)[1], want)
    dfilt = np.zeros_like(FILT)
    dfilt[box] = rng.standard_normal(y.shape)
    test_frule(np.trim_zeros, with_tangent(FILT, dfilt), C(trim), C(axis), rng=rng)


def test_trim_zeros_all_zero_and_no_axis(rng):
    y, back = rrule(np.trim_zeros, np.zeros(3))
    assert y.shape == (0,)
    np.testing.assert_array_equal(back(np.zeros(0))[1], np.zeros(3))
    _check(np.trim_zeros, (A(rng, (2, 2), np.float64),), {"axis": ()}, rng)
