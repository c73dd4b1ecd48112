"""Tests of rules/scipy/linalg/special_matrices.py: every rule through the harness."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import rules.scipy.linalg  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, rrule
from rulescore.testing import test_frule, test_rrule

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


@DTYPES
def test_block_diag(rng: np.random.Generator, dtype: Any) -> None:
    _check(
        sl.block_diag,
        _random(rng, (2, 2), dtype),
        _random(rng, 3, dtype),
        _random(rng, (3, 1), dtype),
        rng=rng,
    )


def test_block_diag_mixed_and_batched(rng: np.random.Generator) -> None:
    _check(sl.block_diag, 1.5, _random(rng, (2, 2), np.complex128), np.zeros((2, 0)), rng=rng)
    _check(sl.block_diag, _random(rng, (2, 2, 2)), _random(rng, (1, 3)), rng=rng)
    _, back = rrule(sl.block_diag)
    assert back(np.zeros((1, 0))) == (NoTangent(),)


@pytest.mark.parametrize(("m", "n"), [(3, 3), (3, 4), (4, 2)])
@DTYPES
def test_toeplitz(rng: np.random.Generator, m: int, n: int, dtype: Any) -> None:
    _check(sl.toeplitz, _random(rng, m, dtype), _random(rng, n, dtype), rng=rng)


@DTYPES
def test_toeplitz_hermitian(rng: np.random.Generator, dtype: Any) -> None:
    """`r=None`: the upper triangle holds `conj(c)`."""
    _check(sl.toeplitz, _random(rng, 3, dtype), rng=rng)
    _check(sl.toeplitz, _random(rng, 3, dtype), None, rng=rng)


def test_toeplitz_batched(rng: np.random.Generator) -> None:
    _check(sl.toeplitz, _random(rng, (2, 3)), _random(rng, (2, 4)), rng=rng)
    _check(sl.toeplitz, _random(rng, (2, 3), np.complex128), rng=rng)


def test_toeplitz_zero_seed(rng: np.random.Generator) -> None:
    _, back = rrule(sl.toeplitz, _random(rng, 3), _random(rng, 2))
    assert back(ZeroTangent()) == (NoTangent(), ZeroTangent(), ZeroTangent())


@pytest.mark.parametrize("shape", [(3,), (1,), (2, 4)])
@DTYPES
def test_circulant(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    _check(sl.circulant, _random(rng, shape, dtype), rng=rng)


@pytest.mark.parametrize(("m", "n"), [(3, 3), (3, 4), (4, 2)])
@DTYPES
def test_hankel(rng: np.random.Generator, m: int, n: int, dtype: Any) -> None:
    _check(sl.hankel, _random(rng, m, dtype), _random(rng, n, dtype), rng=rng)


def test_hankel_without_r(rng: np.random.Generator) -> None:
    _check(sl.hankel, _random(rng, 3), rng=rng)
    _check(sl.hankel, _random(rng, 3, np.complex128), None, rng=rng)


def test_r_by_keyword_is_constant(rng: np.random.Generator) -> None:
    _check(sl.toeplitz, _random(rng, 3), rng=rng, r=_random(rng, 2))
    _check(sl.hankel, _random(rng, 3), rng=rng, r=_random(rng, 2))
