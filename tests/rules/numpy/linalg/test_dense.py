"""Tests of rules/numpy/linalg/dense.py: every rule through the harness, over shapes and
dtypes (the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rules.numpy.linalg.dense  # noqa: F401  (registers the rules)
from rulescore import NoTangent, Tangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_rrule

Fixture = Callable[..., Any]  # the fixtures of conftest.py: random inputs, check, composite

la = np.linalg
REAL_COMPLEX = pytest.mark.parametrize("dtype", [np.float64, np.complex128])
ALL_DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
SQUARE = pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3, 3)])
ANY_SHAPE = pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 3, 4), (2, 4, 3)])


# ---------------------------------------------------------------------------------------------
# inv, pinv, det, slogdet


@SQUARE
@ALL_DTYPES
def test_inv(check: Fixture, with_values: Fixture, shape: Any, dtype: Any) -> None:
    check(la.inv, with_values(shape, dtype))


def test_inv_singular_raises() -> None:
    with pytest.raises(la.LinAlgError):
        rrule(la.inv, np.ones((3, 3)))


@ANY_SHAPE
@REAL_COMPLEX
def test_pinv(check: Fixture, with_values: Fixture, shape: Any, dtype: Any) -> None:
    check(la.pinv, with_values(shape, dtype))


def test_pinv_options(check: Fixture, with_values: Fixture) -> None:
    check(la.pinv, with_values((4, 3)), constant(1e-10))
    check(la.pinv, with_values((3, 4)), rtol=1e-12)


@REAL_COMPLEX
def test_pinv_hermitian(check: Fixture, composite: Fixture, hermitian: Fixture, dtype: Any) -> None:
    a = hermitian((2, 3, 3), dtype, values=[-2.0, 1.0, 2.5])
    g = composite(la.pinv, symmetric=True, hermitian=True)
    check(g, a)


@SQUARE
@ALL_DTYPES
def test_det(check: Fixture, with_values: Fixture, shape: Any, dtype: Any) -> None:
    check(la.det, with_values(shape, dtype))


@pytest.mark.parametrize("values", [[2.0, 1.0, 0.0], [2.0, 0.0, 0.0], [0.0, 0.0, 0.0]])
@REAL_COMPLEX
def test_det_singular_is_finite(
    check: Fixture, with_values: Fixture, values: Any, dtype: Any
) -> None:
    a = with_values((3, 3), dtype, values=values)
    check(la.det, a)
    _, back = rrule(la.det, a)
    assert np.all(np.isfinite(unthunk(back(1.0)[1])))


@pytest.mark.parametrize("kind", ["zero row", "zero column", "rank one", "zero"])
@REAL_COMPLEX
def test_det_exactly_singular(check: Fixture, random: Fixture, kind: str, dtype: Any) -> None:
    """det == 0 exactly: the adjugate comes from an SVD (the batch's other matrix is regular)."""
    a = random((2, 3, 3), dtype)
    if kind == "zero row":
        a[0, 1] = 0
    elif kind == "zero column":
        a[0, :, 2] = 0
    elif kind == "rank one":
        a[0] = np.outer(random(3, dtype), random(3, dtype))
        a[0, 1:] = a[0, :1]
    else:
        a[0] = 0
    assert la.det(a)[0] == 0
    check(la.det, a)


@SQUARE
@REAL_COMPLEX
def test_slogdet(
    rng: np.random.Generator,
    check: Fixture,
    random: Fixture,
    with_values: Fixture,
    shape: Any,
    dtype: Any,
) -> None:
    a = with_values(shape, dtype) * np.where(rng.random(shape[:-2]) < 0.5, -1, 1)[..., None, None]
    check(la.slogdet, a)
    y = la.slogdet(a)
    only_log = Tangent[type(y)](logabsdet=random(np.shape(y.logabsdet)))
    test_rrule(la.slogdet, a, output_tangent=only_log, rng=rng)
    if dtype == np.complex128:
        only_sign = Tangent[type(y)](sign=random(np.shape(y.sign), dtype))
        test_rrule(la.slogdet, a, output_tangent=only_sign, rng=rng)


def test_slogdet_real_sign_has_zero_tangent(random: Fixture, with_values: Fixture) -> None:
    a = with_values((3, 3))
    y, dy = frule((NoTangent(), random((3, 3))), la.slogdet, a)
    assert isinstance(dy.sign, ZeroTangent)
    _, back = rrule(la.slogdet, a)
    assert isinstance(back(Tangent[type(y)](sign=1.0))[1], ZeroTangent)


def test_slogdet_singular_raises() -> None:
    y, back = rrule(la.slogdet, np.ones((3, 3)))
    assert y.logabsdet == -np.inf
    with pytest.raises(la.LinAlgError):
        unthunk(back(Tangent[type(y)](logabsdet=1.0))[1])


# ---------------------------------------------------------------------------------------------
# solve, lstsq, tensorsolve, tensorinv


SOLVE_SHAPES = [
    ((3, 3), (3,)),
    ((3, 3), (3, 2)),
    ((2, 3, 3), (3,)),
    ((2, 3, 3), (2, 3, 2)),
    ((3, 3), (2, 3, 1)),
    ((2, 2), (2, 2)),
]


@pytest.mark.parametrize(("shape_a", "shape_b"), SOLVE_SHAPES)
@pytest.mark.parametrize(
    "dtypes",
    [(np.float64, np.float64), (np.complex128, np.complex128), (np.float64, np.complex128)],
)
def test_solve(
    check: Fixture, random: Fixture, with_values: Fixture, shape_a: Any, shape_b: Any, dtypes: Any
) -> None:
    a, b = with_values(shape_a, dtypes[0]), random(shape_b, dtypes[1])
    check(la.solve, a, b)


def test_solve_float32(check: Fixture, random: Fixture, with_values: Fixture) -> None:
    a = with_values((2, 3, 3), np.float32)
    check(la.solve, a, random((3,), np.float32))


LSTSQ_SHAPES = [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 3), (3,)), ((3, 5), (3,)), ((3, 5), (3, 2))]


@pytest.mark.parametrize(("shape_a", "shape_b"), LSTSQ_SHAPES)
@REAL_COMPLEX
def test_lstsq(
    rng: np.random.Generator,
    check: Fixture,
    random: Fixture,
    with_values: Fixture,
    shape_a: Any,
    shape_b: Any,
    dtype: Any,
) -> None:
    a, b = with_values(shape_a, dtype), random(shape_b, dtype)
    check(la.lstsq, a, b)
    y = la.lstsq(a, b)
    for i in (0, 1, 3):  # one output at a time: x, residuals, s
        seed: list[Any] = [ZeroTangent(), ZeroTangent(), NoTangent(), ZeroTangent()]
        seed[i] = random(np.shape(y[i]))
        seed[i] = seed[i] + 0j if i == 0 and dtype == np.complex128 else seed[i]
        test_rrule(la.lstsq, a, b, output_tangent=tuple(seed), rng=rng)


def test_lstsq_rcond(check: Fixture, random: Fixture, with_values: Fixture) -> None:
    check(la.lstsq, with_values((5, 3)), random((5,)), constant(None))


@pytest.mark.parametrize(
    ("shape_a", "shape_b", "axes"),
    [((2, 3, 6), (2, 3), None), ((6, 2, 3), (2, 3), (0,)), ((4, 2, 2), (4,), None)],
)
@REAL_COMPLEX
def test_tensorsolve(
    check: Fixture,
    random: Fixture,
    with_values: Fixture,
    shape_a: Any,
    shape_b: Any,
    axes: Any,
    dtype: Any,
) -> None:
    n = int(np.prod(shape_b))
    a = np.reshape(with_values((n, n), dtype), shape_a)
    check(la.tensorsolve, a, random(shape_b, dtype), axes=axes)


@pytest.mark.parametrize(("shape", "ind"), [((6, 2, 3), 1), ((2, 3, 2, 3), 2), ((4, 4), 1)])
@REAL_COMPLEX
def test_tensorinv(check: Fixture, with_values: Fixture, shape: Any, ind: int, dtype: Any) -> None:
    n = int(np.prod(shape[:ind]))
    a = np.reshape(with_values((n, n), dtype), shape)
    check(la.tensorinv, a, constant(ind))
    if ind == 2:
        check(la.tensorinv, a)


# ---------------------------------------------------------------------------------------------
# matrix_power, multi_dot, matmul, matrix_transpose, diagonal


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -3])
@SQUARE
@ALL_DTYPES
def test_matrix_power(
    rng: np.random.Generator, check: Fixture, with_values: Fixture, n: int, shape: Any, dtype: Any
) -> None:
    a = with_values(shape, dtype, values=rng.uniform(0.8, 1.2, shape[-1]))
    check(la.matrix_power, a, constant(n))


MULTI_DOT_SHAPES = [
    [(2, 3), (3, 4)],
    [(3,), (3, 4), (4, 2)],
    [(2, 3), (3, 4), (4,)],
    [(3,), (3, 4), (4, 2), (2,)],
    [(2, 3), (3, 5), (5, 4), (4, 2), (2, 3)],
]


@pytest.mark.parametrize("shapes", MULTI_DOT_SHAPES)
@pytest.mark.parametrize("dtypes", [(np.float64,), (np.complex128,), (np.float64, np.complex128)])
def test_multi_dot(check: Fixture, random: Fixture, shapes: Any, dtypes: Any) -> None:
    arrays = [random(s, dtypes[i % len(dtypes)]) for i, s in enumerate(shapes)]
    check(la.multi_dot, arrays)
    check(la.multi_dot, tuple(arrays))


MATMUL_SHAPES = [
    ((2, 3), (3, 4)),
    ((3,), (3, 4)),
    ((2, 3), (3,)),
    ((3,), (3,)),
    ((1, 2, 3), (4, 3, 2)),
    ((3,), (2, 3, 4)),
    ((2, 2, 3), (3,)),
]


@pytest.mark.parametrize(("shape1", "shape2"), MATMUL_SHAPES)
@pytest.mark.parametrize(
    "dtypes", [(np.float64, np.float64), (np.complex128, np.float64), (np.float32, np.float32)]
)
def test_matmul(check: Fixture, random: Fixture, shape1: Any, shape2: Any, dtypes: Any) -> None:
    check(la.matmul, random(shape1, dtypes[0]), random(shape2, dtypes[1]))


@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 4)])
@REAL_COMPLEX
def test_matrix_transpose_and_diagonal(
    check: Fixture, random: Fixture, shape: Any, dtype: Any
) -> None:
    x = random(shape, dtype)
    check(la.matrix_transpose, x)
    for offset in (0, 1, -2):
        check(la.diagonal, x, offset=offset)


def test_matrix_rank_is_non_differentiable(random: Fixture) -> None:
    y, back = rrule(la.matrix_rank, random((3, 3)))
    assert y == 3
    assert back(1.0) == (NoTangent(), NoTangent())
    assert frule((NoTangent(), np.ones((3, 3))), la.matrix_rank, np.eye(3))[1] == NoTangent()
