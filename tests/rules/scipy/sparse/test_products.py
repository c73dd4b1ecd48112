"""Tests of rules/scipy/sparse/products.py: products with dense arrays and dense views, for
every format, through functions of the stored values (see conftest.py), so that the
cotangents of both the values and the dense operand are checked by finite differences."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import scipy.sparse as sps

import rules.scipy.sparse  # noqa: F401  (registers the rules)
from rulescore import NotImplementedTangent, Tangent, frule, rrule, unthunk
from rulescore.testing import test_frule, test_rrule

DTYPES = [np.float64, np.complex128]
SHAPE = (4, 3)
COO_FORMATS = [
    sps.csr_array,
    sps.csc_array,
    sps.coo_array,
    sps.bsr_array,
    sps.csr_matrix,
    sps.csc_matrix,
    sps.coo_matrix,
]


def _builders(cls, pattern, from_values):
    """`build(data)` for a format, and the number of stored values it takes."""
    if cls in (sps.dia_array, sps.dia_matrix):
        offsets = np.array([0, -1, 2])
        return from_values(cls, (offsets,), SHAPE), (3, 4)
    rows, cols = pattern(SHAPE, 6)
    return from_values(cls, ((rows, cols),), SHAPE), (6,)


FORMATS = [*COO_FORMATS, sps.dia_array, sps.dia_matrix]


@pytest.mark.parametrize("cls", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("width", [None, 2])
def test_matmul(cls, dtype, width, rng, compose, from_values, values, pattern):
    build, size = _builders(cls, pattern, from_values)
    data = values(size, dtype)
    right = values((3,) if width is None else (3, width), dtype)
    left = values((4,) if width is None else (width, 4), dtype)
    for f, x in (
        (compose(operator.matmul, build), right),
        (compose(operator.matmul, build, 1), left),
    ):
        test_rrule(f, data, x, rng=rng)
        test_frule(f, data, x, rng=rng)


@pytest.mark.parametrize("cls", FORMATS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_dot_toarray_todense(cls, dtype, rng, compose, from_values, values, pattern):
    build, size = _builders(cls, pattern, from_values)
    data = values(size, dtype)
    dot = compose(cls.dot, build)
    test_rrule(dot, data, values((3, 2), dtype), rng=rng)
    test_frule(dot, data, values(3, dtype), rng=rng)
    for method in (cls.toarray, cls.todense):
        test_rrule(compose(method, build), data, rng=rng)
        test_frule(compose(method, build), data, rng=rng)


def test_mixed_dtypes(rng, compose, from_values, values, pattern):
    build, size = _builders(sps.csr_array, pattern, from_values)
    f = compose(operator.matmul, build)
    test_rrule(f, values(size), values((3, 2), np.complex128), rng=rng)
    test_rrule(f, values(size, np.complex128), values(3), rng=rng)
    test_rrule(f, values(size, np.float32), values(3, np.float32), rng=rng)


def test_values_past_indptr_get_zero():
    """Compressed storage may hold unused values; they do not reach the product."""
    a = sps.csr_array((np.array([1.0, 2.0, 9.0]), np.array([0, 1, 0]), np.array([0, 1, 2])))
    a.data = np.array([1.0, 2.0, 9.0])  # one value past indptr[-1]
    _, back = rrule(operator.matmul, a, np.ones(2))
    assert np.array_equal(unthunk(back(np.ones(2))[1]).data, [1.0, 1.0, 0.0])


def test_sparse_times_sparse_has_no_rule():
    a = sps.csr_array(np.eye(2))
    assert rrule(operator.matmul, a, a) is None
    assert rrule(operator.matmul, a, sps.lil_array(a)) is None
    assert frule((None, None, None), operator.matmul, sps.coo_array(a), a) is None
    assert rrule(sps.csr_array.dot, a, a) is None


def test_dot_with_a_scalar_is_not_implemented():
    a = sps.csr_array(np.eye(2))
    _, back = rrule(sps.csr_array.dot, a, 2.0)
    assert isinstance(back(Tangent[sps.csr_array](data=np.ones(2)))[1], NotImplementedTangent)
