"""Tests of rules/scipy/linalg/solves.py: every rule through the harness.

Solvers that read one triangle of a symmetric or Hermitian matrix are tested on that subspace
(`on_subspace`); solvers that read part of a matrix (a triangle, a band) are tested on full
random matrices, so that finite differences check that the unread entries get zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import rules.scipy.linalg  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, on_subspace, test_frule, test_rrule

REAL_COMPLEX = pytest.mark.parametrize("dtype", [np.float64, np.complex128])


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _dominant(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    """A random matrix with a dominant diagonal: each triangle and band is well conditioned."""
    n = shape[-1]
    return np.asarray(_random(rng, shape, dtype) / n + 3 * np.eye(n), dtype=dtype)


def _hermitian(x: Any) -> Any:
    return (x + np.conj(np.swapaxes(x, -1, -2))) / 2


def _symmetric(x: Any) -> Any:
    return (x + np.swapaxes(x, -1, -2)) / 2


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# ---------------------------------------------------------------------------------------------
# solve

SOLVE_SHAPES = [
    ((3, 3), (3,)),
    ((3, 3), (3, 2)),
    ((2, 3, 3), (3,)),
    ((2, 3, 3), (2, 3, 2)),
    ((3, 3), (2, 3, 1)),
    ((1, 1), (3,)),
]


@pytest.mark.parametrize(("shape_a", "shape_b"), SOLVE_SHAPES)
@REAL_COMPLEX
def test_solve_general(rng: np.random.Generator, shape_a: Any, shape_b: Any, dtype: Any) -> None:
    a, b = _dominant(rng, shape_a, dtype), _random(rng, shape_b, dtype)
    _check(sl.solve, a, b, rng=rng)


def test_solve_mixed_dtypes(rng: np.random.Generator) -> None:
    _check(sl.solve, _dominant(rng, (3, 3)), _random(rng, (3, 2), np.complex128), rng=rng)
    _check(sl.solve, _dominant(rng, (3, 3), np.float32), _random(rng, 3, np.float32), rng=rng)


@pytest.mark.parametrize(
    "assume_a",
    ["gen", "general", "diagonal", "tridiagonal", "upper triangular", "lower triangular"],
)
@REAL_COMPLEX
def test_solve_structures(rng: np.random.Generator, assume_a: str, dtype: Any) -> None:
    """Full random matrices: the entries the structure ignores get zero cotangent."""
    a, b = _dominant(rng, (4, 4), dtype), _random(rng, (4, 2), dtype)
    _check(sl.solve, a, b, rng=rng, assume_a=assume_a)
    if dtype == np.float64:
        _check(sl.solve, a, b[:, 0], rng=rng, assume_a=assume_a, transposed=True)


def test_solve_banded_structure(rng: np.random.Generator) -> None:
    a = np.triu(np.tril(_dominant(rng, (5, 5)), 2), -1)
    _check(sl.solve, a, _random(rng, 5), rng=rng, assume_a="banded")


@pytest.mark.parametrize("assume_a", ["sym", "symmetric", "her", "hermitian", "pos"])
@pytest.mark.parametrize("lower", [False, True])
@REAL_COMPLEX
def test_solve_symmetric(rng: np.random.Generator, assume_a: str, lower: bool, dtype: Any) -> None:
    complex_symmetric = assume_a.startswith("sym") and dtype == np.complex128
    project = _symmetric if complex_symmetric else _hermitian
    x = _random(rng, (3, 3), dtype)
    a = (
        project(x @ np.conj(x.T) + 3 * np.eye(3))
        if assume_a == "pos"
        else project(x + 3 * np.eye(3))
    )
    b = _random(rng, (3, 2), dtype)
    _check(sl.solve, on_subspace(a, project), b, rng=rng, assume_a=assume_a, lower=lower)


def test_solve_symmetric_batched_and_transposed(rng: np.random.Generator) -> None:
    a = _hermitian(_dominant(rng, (2, 3, 3)))
    _check(sl.solve, on_subspace(a, _hermitian), _random(rng, 3), rng=rng, assume_a="pos")
    _check(
        sl.solve,
        on_subspace(a, _hermitian),
        _random(rng, 3),
        rng=rng,
        transposed=True,
        assume_a="sym",
    )


def test_solve_symmetric_cotangent_is_symmetric(rng: np.random.Generator) -> None:
    a = _hermitian(_dominant(rng, (3, 3), np.complex128))
    _, back = rrule(sl.solve, a, _random(rng, 3, np.complex128), assume_a="her")
    da = unthunk(back(_random(rng, 3, np.complex128))[1])
    np.testing.assert_allclose(da, _hermitian(da))


def test_solve_positional_options(rng: np.random.Generator) -> None:
    a = _hermitian(_dominant(rng, (3, 3)))
    _check(
        sl.solve,
        on_subspace(a, _hermitian),
        _random(rng, 3),
        constant(True),
        rng=rng,
        assume_a="sym",
    )


def test_solve_never_overwrites(rng: np.random.Generator) -> None:
    a, b = np.asfortranarray(_dominant(rng, (3, 3))), np.asfortranarray(_random(rng, (3, 2)))
    a0, b0 = a.copy(), b.copy()
    x, back = rrule(sl.solve, a, b, overwrite_a=True, overwrite_b=True)
    _, da, _ = back(np.ones((3, 2)))
    unthunk(da)
    frule((NoTangent(), a0, b0), sl.solve, a, b, overwrite_a=True, overwrite_b=True)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(b, b0)
    np.testing.assert_allclose(x, np.linalg.solve(a0, b0))


def test_solve_zero_seed(rng: np.random.Generator) -> None:
    _, back = rrule(sl.solve, _dominant(rng, (3, 3)), _random(rng, 3))
    assert back(ZeroTangent())[1:] == (ZeroTangent(), ZeroTangent())


# ---------------------------------------------------------------------------------------------
# solve_triangular


@pytest.mark.parametrize(
    ("trans", "lower", "unit_diagonal"),
    [(0, False, False), (1, True, False), (2, False, True), ("T", False, True), ("C", True, True)],
)
@REAL_COMPLEX
def test_solve_triangular(
    rng: np.random.Generator, trans: Any, lower: bool, unit_diagonal: bool, dtype: Any
) -> None:
    a, b = _dominant(rng, (3, 3), dtype), _random(rng, (3, 2), dtype)
    _check(
        sl.solve_triangular, a, b, rng=rng, trans=trans, lower=lower, unit_diagonal=unit_diagonal
    )


def test_solve_triangular_shapes(rng: np.random.Generator) -> None:
    _check(sl.solve_triangular, _dominant(rng, (2, 3, 3)), _random(rng, 3), rng=rng)
    _check(sl.solve_triangular, _dominant(rng, (3, 3)), _random(rng, (2, 3, 2)), rng=rng)
    a32 = _dominant(rng, (3, 3), np.float32)
    _check(
        sl.solve_triangular, a32, _random(rng, 3, np.float32), constant(1), constant(True), rng=rng
    )


# ---------------------------------------------------------------------------------------------
# solve_banded, solveh_banded


def _band_storage(rng: np.random.Generator, lower: int, upper: int, n: int, dtype: Any) -> Any:
    ab = _random(rng, (lower + upper + 1, n), dtype) / 2
    ab[upper] += 3
    return ab


@pytest.mark.parametrize(
    ("lower", "upper", "shape_b"), [(1, 1, (4,)), (2, 0, (4, 2)), (0, 2, (4,)), (1, 2, (4, 2))]
)
@REAL_COMPLEX
def test_solve_banded(
    rng: np.random.Generator, lower: int, upper: int, shape_b: Any, dtype: Any
) -> None:
    ab, b = _band_storage(rng, lower, upper, 4, dtype), _random(rng, shape_b, dtype)
    _check(sl.solve_banded, constant((lower, upper)), ab, b, rng=rng)


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("shape_b", [(4,), (4, 2)])
@REAL_COMPLEX
def test_solveh_banded(rng: np.random.Generator, lower: bool, shape_b: Any, dtype: Any) -> None:
    ab = _random(rng, (3, 4), dtype) / 3
    ab[0 if lower else 2] = 3
    _check(sl.solveh_banded, ab, _random(rng, shape_b, dtype), rng=rng, lower=lower)


# ---------------------------------------------------------------------------------------------
# cho_solve, lu_solve


@pytest.mark.parametrize("lower", [False, True])
@pytest.mark.parametrize("shape_b", [(3,), (3, 2)])
@REAL_COMPLEX
def test_cho_solve(rng: np.random.Generator, lower: bool, shape_b: Any, dtype: Any) -> None:
    x = _random(rng, (3, 3), dtype)
    c, flag = sl.cho_factor(x @ np.conj(x.T) + 3 * np.eye(3), lower=lower)
    unused = np.triu(np.ones((3, 3)), 1) if lower else np.tril(np.ones((3, 3)), -1)
    c = c + _random(rng, (3, 3), dtype) * unused  # anything: cho_solve does not read it
    _check(sl.cho_solve, (c, flag), _random(rng, shape_b, dtype), rng=rng)


def test_cho_solve_batched(rng: np.random.Generator) -> None:
    x = _random(rng, (2, 3, 3))
    c_and_lower = sl.cho_factor(x @ np.swapaxes(x, -1, -2) + 3 * np.eye(3))
    _check(sl.cho_solve, c_and_lower, _random(rng, (2, 3, 2)), rng=rng)


@pytest.mark.parametrize(("trans", "shape_b"), [(0, (3,)), (1, (3, 2)), (2, (3, 2))])
@REAL_COMPLEX
def test_lu_solve(rng: np.random.Generator, trans: int, shape_b: Any, dtype: Any) -> None:
    lu_and_piv = sl.lu_factor(_random(rng, (3, 3), dtype) + 2 * np.eye(3))
    _check(sl.lu_solve, lu_and_piv, _random(rng, shape_b, dtype), rng=rng, trans=trans)


def test_lu_solve_batched(rng: np.random.Generator) -> None:
    lu_and_piv = sl.lu_factor(_random(rng, (2, 4, 4)) + 2 * np.eye(4))
    assert np.any(lu_and_piv[1] != np.arange(4))
    _check(sl.lu_solve, lu_and_piv, _random(rng, (2, 4, 2)), rng=rng)
    _check(sl.lu_solve, lu_and_piv, _random(rng, (2, 4, 2)), constant(1), rng=rng)
