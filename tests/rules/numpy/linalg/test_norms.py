"""Tests of rules/numpy/linalg/norms.py: every rule through the harness, over `ord`s, axes and
dtypes (the fixtures are in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rules.numpy.linalg.norms  # noqa: F401  (registers the rules)
from rulescore import ZeroTangent, rrule, unthunk
from rulescore.testing import constant

Fixture = Callable[..., Any]  # the fixtures of conftest.py: random inputs, check, composite

la = np.linalg
REAL_COMPLEX = pytest.mark.parametrize("dtype", [np.float64, np.complex128])
ALL_DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])


# ---------------------------------------------------------------------------------------------
# norm, vector_norm, matrix_norm, cond


def _spread(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    """Entries whose absolute values, and their sums along any axes, are well apart: no ties
    near by. The absolute values are `1 + flat index` (plus a jitter under 0.1) with each axis
    shuffled, so along an axis of stride `k` they are at least `k - 0.1` apart, and sums over
    the other axes of `m` entries at least `m * k - 0.1 * m`."""
    size = int(np.prod(shape))
    magnitudes = np.reshape(np.arange(1.0, size + 1), shape) + 0.1 * rng.random(shape)
    for axis, n in enumerate(np.shape(magnitudes)):
        magnitudes = np.take(magnitudes, rng.permutation(n), axis=axis)
    x = np.where(rng.random(shape) < 0.5, -1.0, 1.0) * magnitudes
    if np.dtype(dtype).kind == "c":
        x = x * np.exp(1j * rng.uniform(0, 2 * np.pi, shape))
    return x.astype(dtype)


VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1.5]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@ALL_DTYPES
def test_norm_vector(rng: np.random.Generator, check: Fixture, ord: Any, dtype: Any) -> None:
    check(la.norm, _spread(rng, (5,), dtype), constant(ord))
    check(la.norm, _spread(rng, (3, 4), dtype), constant(ord), constant(1))
    check(la.norm, _spread(rng, (2, 3, 4), dtype), ord=ord, axis=(0,), keepdims=True)


MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@REAL_COMPLEX
def test_norm_matrix(rng: np.random.Generator, check: Fixture, ord: Any, dtype: Any) -> None:
    check(la.norm, _spread(rng, (3, 4), dtype), constant(ord))
    x = _spread(rng, (2, 3, 4), dtype)
    check(la.norm, x, ord=ord, axis=(2, 0))
    check(la.norm, x, ord=ord, axis=(-2, -1), keepdims=True)


def test_norm_whole_array_and_float32(rng: np.random.Generator, check: Fixture) -> None:
    check(la.norm, _spread(rng, (2, 3, 4)))
    check(la.norm, _spread(rng, (3, 4), np.float32), constant("nuc"))


def test_norm_zero_ord_and_zero_vector(rng: np.random.Generator) -> None:
    x = _spread(rng, (4,))
    _, back = rrule(la.norm, x, 0)
    assert isinstance(unthunk(back(1.0)[1]), ZeroTangent)
    _, back = rrule(la.norm, np.zeros(3))
    np.testing.assert_array_equal(unthunk(back(1.0)[1]), np.zeros(3))


def test_norm_ties_share_the_subgradient() -> None:
    _, back = rrule(la.norm, np.array([3.0, -3.0, 1.0]), np.inf)
    np.testing.assert_allclose(unthunk(back(1.0)[1]), [0.5, -0.5, 0.0])


@pytest.mark.parametrize("ord", [2, 1, np.inf, -np.inf, 4])
@pytest.mark.parametrize("axis", [None, 1, (0, 2)])
@REAL_COMPLEX
def test_vector_norm(
    rng: np.random.Generator, check: Fixture, ord: Any, axis: Any, dtype: Any
) -> None:
    check(la.vector_norm, _spread(rng, (2, 3, 4), dtype), ord=ord, axis=axis)


@pytest.mark.parametrize("ord", MATRIX_ORDS[1:])
@REAL_COMPLEX
def test_matrix_norm(rng: np.random.Generator, check: Fixture, ord: Any, dtype: Any) -> None:
    check(la.matrix_norm, _spread(rng, (2, 3, 4), dtype), ord=ord)
    check(la.matrix_norm, _spread(rng, (3, 3), dtype), ord=ord, keepdims=True)


@pytest.mark.parametrize("p", [None, 2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf])
@REAL_COMPLEX
def test_cond(
    rng: np.random.Generator, check: Fixture, with_values: Fixture, p: Any, dtype: Any
) -> None:
    a = (
        with_values((2, 3, 3), dtype, values=[3.0, 2.0, 1.0])
        + 0.3 * _spread(rng, (2, 3, 3), dtype) / 18
    )
    check(la.cond, a, constant(p))
    if p in (None, 2, -2):
        check(la.cond, with_values((4, 3), dtype, values=[3.0, 2.0, 1.0]), constant(p))


def test_cond_singular_raises() -> None:
    _, back = rrule(la.cond, np.diag([1.0, 0.0]))
    with pytest.raises(la.LinAlgError):
        unthunk(back(1.0)[1])
