"""Tests of rules/numpy/products.py: every rule through the harness, over shapes and dtypes."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rules.numpy.products  # noqa: F401  (registers the rules)
from rulescore import NoTangent, Thunk, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = {
    "float64": (np.float64, np.float64),
    "float32": (np.float32, np.float32),
    "complex128": (np.complex128, np.complex128),
    "real-complex": (np.float64, np.complex128),
    "complex-real": (np.complex128, np.float64),
}
dtypes = pytest.mark.parametrize("dtypes", DTYPES.values(), ids=DTYPES.keys())


def _random(rng: np.random.Generator, shape: Any, dtype: Any) -> Any:
    """A random array of `shape` (a 0-d array for `()`), or a Python number for "scalar"."""
    if shape == "scalar":
        x = rng.standard_normal()
        return complex(x, rng.standard_normal()) if np.dtype(dtype).kind == "c" else x
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _operands(rng: np.random.Generator, shapes: Any, dtypes: tuple[Any, Any]) -> list[Any]:
    return [_random(rng, s, dtypes[i % 2]) for i, s in enumerate(shapes)]


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# dot, ndarray.dot, inner, vdot, outer


DOT_SHAPES = [
    ("scalar", (3,)),
    ((2, 3), "scalar"),
    ((), (3,)),
    ((3,), ()),
    ((), ()),
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 3)),
    ((3, 4), (4, 2)),
    ((2, 3, 4), (4,)),
    ((2, 3, 4), (4, 2)),
    ((2, 3, 4), (5, 4, 2)),
    ((4,), (2, 4, 3)),
]


@dtypes
@pytest.mark.parametrize("shapes", DOT_SHAPES, ids=str)
def test_dot(rng: np.random.Generator, shapes: Any, dtypes: Any) -> None:
    _check(np.dot, *_operands(rng, shapes, dtypes), rng=rng)


@dtypes
@pytest.mark.parametrize("shapes", [((3, 4), (4,)), ((2, 3, 4), (5, 4, 2)), ((3,), "scalar")])
def test_ndarray_dot(rng: np.random.Generator, shapes: Any, dtypes: Any) -> None:
    _check(np.ndarray.dot, *_operands(rng, shapes, dtypes), rng=rng)


def test_dot_integer_argument_has_no_tangent(rng: np.random.Generator) -> None:
    a, b = np.arange(6).reshape(2, 3), rng.standard_normal((3, 2))
    _check(np.dot, a, b, rng=rng)
    _, back = rrule(np.dot, a, b)
    assert unthunk(back(np.ones((2, 2)))[1]) == NoTangent()


def test_out_is_honoured(rng: np.random.Generator) -> None:
    a, b, out = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), np.empty((2, 2))
    for f, args in [(np.dot, (a, b)), (np.einsum, ("ij,jk", a, b))]:
        y, back = rrule(f, *args, out=out)
        assert y is out
        np.testing.assert_allclose(out, a @ b)
        np.testing.assert_allclose(unthunk(back(np.ones((2, 2)))[-1]), a.T @ np.ones((2, 2)))


def test_dot_cotangents_are_thunks() -> None:
    _, back = rrule(np.dot, np.ones((2, 3)), np.ones((3, 2)))
    _, da, db = back(np.ones((2, 2)))
    assert isinstance(da, Thunk) and isinstance(db, Thunk)
    np.testing.assert_allclose(unthunk(da), np.full((2, 3), 2.0))


INNER_SHAPES = [
    ("scalar", (3,)),
    ((), (2, 3)),
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((2, 3, 4), (5, 4)),
]


@dtypes
@pytest.mark.parametrize("shapes", INNER_SHAPES, ids=str)
def test_inner(rng: np.random.Generator, shapes: Any, dtypes: Any) -> None:
    _check(np.inner, *_operands(rng, shapes, dtypes), rng=rng)


VDOT_SHAPES = [("scalar", "scalar"), ((), ()), ((4,), (4,)), ((2, 3), (6,)), ((2, 3), (3, 2))]


@dtypes
@pytest.mark.parametrize("shapes", VDOT_SHAPES, ids=str)
def test_vdot(rng: np.random.Generator, shapes: Any, dtypes: Any) -> None:
    _check(np.vdot, *_operands(rng, shapes, dtypes), rng=rng)


@dtypes
@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (2, 2)), ((), (3,)), ((1,), (1,))])
def test_outer(rng: np.random.Generator, shapes: Any, dtypes: Any) -> None:
    _check(np.outer, *_operands(rng, shapes, dtypes), rng=rng)


@dtypes
def test_linalg_outer(rng: np.random.Generator, dtypes: Any) -> None:
    assert np.linalg.outer is not np.outer
    _check(np.linalg.outer, *_operands(rng, [(3,), (4,)], dtypes), rng=rng)


# tensordot

TENSORDOT_CASES = [
    ((3,), (4,), 0),
    ((2, 3), (3, 4), 1),
    ((2, 3, 4), (3, 4, 5), 2),
    ((3, 4), (3, 4), 2),
    ((2, 3, 4), (4, 3, 5), ([1, 2], [1, 0])),
    ((2, 3, 4), (5, 2), ((0,), (1,))),
    ((3, 4), (4, 3), (1, 0)),
    ((2, 3, 4), (4, 2), ([-1, 0], [-2, 1])),
    ((), (3,), 0),
]


@dtypes
@pytest.mark.parametrize("case", TENSORDOT_CASES, ids=str)
def test_tensordot(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    *shapes, axes = case
    a, b = _operands(rng, shapes, dtypes)
    _check(np.tensordot, a, b, rng=rng, axes=axes)
    _check(np.linalg.tensordot, a, b, rng=rng, axes=axes)


def test_tensordot_positional_axes(rng: np.random.Generator) -> None:
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((3, 4, 2))
    _check(np.tensordot, a, b, constant(2), rng=rng)
    _, back = rrule(np.tensordot, a, b, 2)
    assert back(np.ones((2, 2)))[3] == NoTangent()


def test_linalg_tensordot_default_axes(rng: np.random.Generator) -> None:
    assert np.linalg.tensordot is not np.tensordot
    _check(np.linalg.tensordot, *_operands(rng, [(2, 3, 4), (3, 4)], DTYPES["float64"]), rng=rng)


# einsum

EINSUM_CASES = [
    ("ij,jk->ik", (2, 3), (3, 4)),  # matrix product
    ("bij,bjk->bik", (2, 2, 3), (2, 3, 2)),  # batched
    ("i,j->ij", (3,), (4,)),  # outer
    ("ii", (3, 3)),  # trace
    ("ii->i", (3, 3)),  # diagonal
    ("ij->", (2, 3)),  # sum
    ("ij->ji", (2, 3)),  # transpose
    ("...ij,...jk->...ik", (2, 1, 2, 3), (4, 3, 2)),  # ellipsis, broadcast batch
    ("ij,jk,kl->il", (2, 3), (3, 2), (2, 4)),  # three operands
    ("ij->i", (3, 4)),  # an index in one operand only
    ("i,i,i->", (4,), (4,), (4,)),  # repeated across three operands
    ("ij,jk", (2, 3), (3, 4)),  # implicit output
    ("ba,cb", (2, 3), (4, 2)),  # implicit output, sorted labels
    ("aB", (2, 3)),  # implicit: upper case sorts first
    ("iij,j->ij", (3, 3, 2), (2,)),  # diagonal times vector
    ("iii->", (2, 2, 2)),  # label three times
    ("ij,ij->ij", (3, 1), (3, 4)),  # size-1 broadcast of an explicit label
    ("...i,...i->...", (2, 3), (3,)),  # ellipsis of different lengths
    ("i...->...", (3, 2, 2)),
    ("...", ()),  # 0-d
    (",i->i", (), (3,)),  # 0-d operand
    ("i, j -> ij", (2,), (3,)),  # spaces
    ("ijk,jl->kil", (2, 3, 2), (3, 2)),  # output permuted
]


@dtypes
@pytest.mark.parametrize("case", EINSUM_CASES, ids=lambda c: c[0])
def test_einsum(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    subscripts, *shapes = case
    _check(np.einsum, subscripts, *_operands(rng, shapes, dtypes), rng=rng)


@pytest.mark.parametrize("optimize", [True, "greedy", "optimal", "path"])
def test_einsum_optimize(rng: np.random.Generator, optimize: Any) -> None:
    subscripts = "ij,jk,kl->il"
    operands = _operands(rng, [(2, 3), (3, 4), (4, 2)], DTYPES["real-complex"])
    if optimize == "path":
        optimize = np.einsum_path(subscripts, *operands, optimize="greedy")[0]
    _check(np.einsum, subscripts, *operands, rng=rng, optimize=optimize)


def test_einsum_keyword_options(rng: np.random.Generator) -> None:
    operands = _operands(rng, [(2, 3), (3, 2)], DTYPES["float32"])
    _check(np.einsum, "ij,jk->ik", *operands, rng=rng, dtype=np.float64, casting="safe")


INTERLEAVED_CASES = [
    ([(2, 3), [0, 1], (3, 4), [1, 2], [0, 2]]),  # matrix product
    ([(2, 3), [0, 1], (3, 4), [1, 2]]),  # implicit output
    ([(3, 3), [0, 0]]),  # trace
    ([(3, 3), [0, 0], [0]]),  # diagonal
    ([(2, 2, 3), [Ellipsis, 0], (3,), [0], [Ellipsis]]),  # ellipsis
    ([(2,), [5], (3,), [2], (2,), [5], [2, 5]]),  # three operands, repeated label
    ([(2, 3), [0, 1], (3, 4), [1, Ellipsis]]),  # implicit output with ellipsis
]


@dtypes
@pytest.mark.parametrize("case", INTERLEAVED_CASES, ids=str)
def test_einsum_interleaved(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    args = []
    for i, item in enumerate(case):
        if isinstance(item, tuple):
            args.append(_random(rng, item, dtypes[(i // 2) % 2]))
        else:
            args.append(constant(item))
    _check(np.einsum, *args, rng=rng)
    _check(np.einsum, *args, rng=rng, optimize=True)


def test_einsum_cotangents() -> None:
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    y, back = rrule(np.einsum, "ij,j->i", a, b)
    np.testing.assert_allclose(y, a @ b)
    cotangents = back(np.ones(2))
    assert cotangents[:2] == (NoTangent(), NoTangent())
    assert isinstance(cotangents[2], Thunk)
    np.testing.assert_allclose(unthunk(cotangents[2]), np.tile(b, (2, 1)))
    np.testing.assert_allclose(unthunk(cotangents[3]), a.sum(axis=0))


# kron


KRON_SHAPES = [((2, 3), (4, 2)), ((3,), (2, 2)), ((2, 2), (3,)), ((), (3,)), ((2, 1, 2), (3, 2))]


@dtypes
@pytest.mark.parametrize("shapes", KRON_SHAPES, ids=str)
def test_kron(rng: np.random.Generator, shapes: Any, dtypes: Any) -> None:
    _check(np.kron, *_operands(rng, shapes, dtypes), rng=rng)


# cross


CROSS_CASES = [
    ((3,), (3,), {}),
    ((4, 3), (4, 3), {}),
    ((4, 3), (3,), {}),  # broadcast
    ((2, 1, 3), (4, 3), {}),
    ((3, 4), (4, 3), {"axisa": 0}),
    ((3, 4), (3, 4), {"axisa": 0, "axisb": 0, "axisc": 0}),
    ((2, 3, 4), (2, 3, 4), {"axis": 1}),
]


@dtypes
@pytest.mark.parametrize("case", CROSS_CASES, ids=str)
def test_cross(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    *shapes, kwargs = case
    _check(np.cross, *_operands(rng, shapes, dtypes), rng=rng, **kwargs)


TWO_VECTOR_CASES = [
    ((2,), (2,), {}),
    ((4, 2), (2,), {}),
    ((2, 4), (4, 2), {"axisa": 0}),
    ((2,), (3,), {}),
    ((4, 3), (4, 2), {}),
    ((3, 4), (2,), {"axisa": 0, "axisc": 0}),
]


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
@dtypes
@pytest.mark.parametrize("case", TWO_VECTOR_CASES, ids=str)
def test_cross_two_vectors(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    *shapes, kwargs = case
    _check(np.cross, *_operands(rng, shapes, dtypes), rng=rng, **kwargs)


def test_cross_positional_axes(rng: np.random.Generator) -> None:
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 3))
    _check(np.cross, a, b, constant(0), constant(-1), constant(0), rng=rng)


@dtypes
@pytest.mark.parametrize(
    "case", [((3,), (3,), {}), ((2, 3), (3,), {}), ((3, 2), (3, 2), {"axis": 0})], ids=str
)
def test_linalg_cross(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    assert np.linalg.cross is not np.cross
    *shapes, kwargs = case
    _check(np.linalg.cross, *_operands(rng, shapes, dtypes), rng=rng, **kwargs)


# trace


TRACE_CASES = [
    ((3, 3), {}),
    ((3, 4), {"offset": 1}),
    ((4, 3), {"offset": -2}),
    ((3, 3), {"offset": 5}),
    ((2, 3, 4), {"axis1": 1, "axis2": 2}),
    ((2, 3, 4), {"axis1": 2, "axis2": 0, "offset": 1}),
    ((3, 2, 3), {"axis1": -1, "axis2": -3}),
    ((3, 3), {"dtype": np.complex128}),
]


@dtypes
@pytest.mark.parametrize("case", TRACE_CASES, ids=str)
def test_trace(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    shape, kwargs = case
    _check(np.trace, _random(rng, shape, dtypes[1]), rng=rng, **kwargs)


def test_trace_positional_options(rng: np.random.Generator) -> None:
    a = rng.standard_normal((2, 3, 3))
    _check(np.trace, a, constant(1), constant(1), constant(2), rng=rng)


@dtypes
@pytest.mark.parametrize("case", [((3, 3), {}), ((2, 3, 4), {"offset": 1})], ids=str)
def test_linalg_trace(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    assert np.linalg.trace is not np.trace
    shape, kwargs = case
    _check(np.linalg.trace, _random(rng, shape, dtypes[0]), rng=rng, **kwargs)


# linalg.vecdot


VECDOT_CASES = [
    ((4,), (4,), {}),
    ((3, 4), (4,), {}),
    ((2, 1, 4), (3, 4), {}),
    ((4, 3), (4, 3), {"axis": 0}),
    ((4, 2), (3, 4, 2), {"axis": -2}),
]


@dtypes
@pytest.mark.parametrize("case", VECDOT_CASES, ids=str)
def test_linalg_vecdot(rng: np.random.Generator, case: Any, dtypes: Any) -> None:
    *shapes, kwargs = case
    _check(np.linalg.vecdot, *_operands(rng, shapes, dtypes), rng=rng, **kwargs)
