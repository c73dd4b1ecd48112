"""Tests of rules/scipy/sparse/construction.py: the constructors on every input form (their
sparse outputs go through the harness as they are: only `data` has tangents), conversions
between formats, `diags` and `diags_array`, and the cases that are `not_implemented`."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sps

import rules.scipy.sparse  # noqa: F401  (registers the rules)
from rulescore import NotImplementedTangent, Tangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = [np.float64, np.complex128]
COMPRESSED = {
    "csr": (sps.csr_array, sps.csr_matrix),
    "csc": (sps.csc_array, sps.csc_matrix),
    "bsr": (sps.bsr_array, sps.bsr_matrix),
}


def _check(f, *args, rng, **fkwargs):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


@pytest.mark.parametrize(
    "cls",
    [sps.csr_array, sps.csr_matrix, sps.csc_array, sps.coo_array, sps.coo_matrix, sps.bsr_array],
)
@pytest.mark.parametrize("dtype", DTYPES)
def test_from_positions(cls, dtype, rng, values, pattern):
    """`(data, (row, col))`, with a repeated position: summed by compressed formats."""
    rows, cols = pattern((4, 3), 6)
    _check(cls, (values(6, dtype), (rows, cols)), rng=rng, shape=(4, 3))


@pytest.mark.parametrize("fmt", list(COMPRESSED))
@pytest.mark.parametrize("dtype", DTYPES)
def test_from_compressed_arrays(fmt, dtype, rng, values):
    structure = sps.random_array((5, 4), density=0.5, rng=rng, format="csr").asformat(fmt)
    for cls in COMPRESSED[fmt]:
        data = values(structure.data.shape, dtype)
        arg = (data, structure.indices, structure.indptr)
        _check(cls, arg, rng=rng, shape=structure.shape)


@pytest.mark.parametrize("cls", [sps.dia_array, sps.dia_matrix])
def test_from_diagonals_storage(cls, rng, values):
    """`(data, offsets)`: the slots outside the matrix are stored values too."""
    _check(cls, (values((2, 4)), np.array([0, -1])), rng=rng, shape=(4, 3))


def test_dtype_option(rng, values, pattern):
    rows, cols = pattern((3, 3), 4)
    _check(sps.csr_array, (values(4), (rows, cols)), rng=rng, shape=(3, 3), dtype=np.float32)


@pytest.mark.parametrize(
    "target", [sps.csr_array, sps.csc_matrix, sps.bsr_array, sps.coo_matrix, sps.dia_array]
)
def test_conversions(target, rng, compose, from_values, values, pattern):
    rows, cols = pattern((4, 3), 6)
    build = from_values(sps.coo_array, ((rows, cols),), (4, 3))
    data = values(6, np.complex128)
    convert = compose(target, build)
    _check(convert, data, rng=rng)
    _check(compose(target.toarray, convert), data, rng=rng)


def test_conversion_from_diagonals(rng, compose, from_values, values):
    build = from_values(sps.dia_array, (np.array([0, 1]),), (4, 3))
    data = values((2, 4))
    _check(compose(sps.csr_array, build), data, rng=rng)


def test_dropped_values_are_not_implemented(compose, from_values):
    """DIA to CSR drops stored zeros: the output's tangent cannot hold their derivative."""
    data = np.array([[1.0, 0.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]])
    dia = sps.dia_array((data, np.array([0, 1])), shape=(4, 3))
    y, back = rrule(sps.csr_array, dia)
    assert isinstance(back(Tangent[type(y)](data=np.ones_like(y.data)))[1], NotImplementedTangent)
    dia_tangent = Tangent[type(dia)](data=np.ones_like(data))
    assert isinstance(frule((None, dia_tangent), sps.csr_array, dia)[1], NotImplementedTangent)


def test_dense_input_is_not_implemented():
    y, back = rrule(sps.csr_array, np.eye(2))
    assert isinstance(back(Tangent[type(y)](data=np.ones(2)))[1], NotImplementedTangent)
    assert isinstance(
        frule((None, np.ones((2, 2))), sps.csr_array, np.eye(2))[1], NotImplementedTangent
    )


def test_not_implemented_seeds_pass_through(compose, from_values):
    build = from_values(sps.coo_array, ((np.array([0, 1]), np.array([1, 0])),), (2, 2))
    seed = NotImplementedTangent("test")
    _, back = rrule(sps.csr_array, build(np.ones(2)))
    assert back(seed)[1] is seed


DIAGS_CASES = [
    (lambda v: [v(4), v(3)], [0, 1], None, None),
    (lambda v: [v(3, np.complex128), 2.0 + 1.0j], [0, -1], (3, 3), "csr"),  # a broadcast scalar
    (lambda v: v(3), 1, None, None),
    (lambda v: [v(3), v(3)], [1, 0], (3, 4), "coo"),
    (lambda v: [[1.0, 2.0], [3.0, 4.0, 5.0]], [1, 0], None, None),
    (lambda v: v((2, 3)), [0, 1], (3, 4), None),
    (lambda v: [v(5)], [0], (3, 3), "dia"),  # truncated
]


@pytest.mark.parametrize("f", [sps.diags, sps.diags_array])
@pytest.mark.parametrize(("diagonals", "offsets", "shape", "fmt"), DIAGS_CASES)
def test_diags(f, diagonals, offsets, shape, fmt, rng, values):
    _check(f, diagonals(values), rng=rng, offsets=offsets, shape=shape, format=fmt)


def test_diags_positional_options(rng, values):
    _, back = rrule(sps.diags, [values(3), values(2)], [0, 1])
    cotangents = back(Tangent[sps.dia_matrix](data=np.ones((2, 3))))
    assert [np.shape(unthunk(c)) for c in cotangents[1]] == [(3,), (2,)]
    test_rrule(sps.diags, [values(3), values(2)], constant([0, 1]), rng=rng)


def test_diags_dropping_zeros_is_not_implemented():
    y, back = rrule(sps.diags, [np.array([1.0, 0.0, 3.0])], [0], format="csr")
    assert isinstance(back(Tangent[type(y)](data=np.ones(2)))[1], NotImplementedTangent)


def test_shape_only_and_list_data(rng):
    y, back = rrule(sps.csr_array, (np.int64(2), 3))
    assert back(Tangent[type(y)](data=y.data))[1] == ZeroTangent()
    rows, cols = np.array([0, 1, 0]), np.array([1, 0, 1])
    _check(sps.coo_array, ([1.0, 2.0, 3.0], (rows, cols)), rng=rng, shape=(2, 2))
    _check(sps.csr_matrix, ([1.0, 2.0, 3.0], (rows, cols)), rng=rng, shape=(2, 2))
