"""Tests of rules/scipy/linalg/equations.py: every rule through the harness, on equations with
a well-conditioned unique solution."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import rules.scipy.linalg  # noqa: F401  (registers the rules)
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _shifted(rng: np.random.Generator, n: int, shift: float, dtype: Any) -> Any:
    """`shift I + x / (2 n)`: eigenvalues within 1/2 of `shift`."""
    return np.asarray(shift * np.eye(n) + _random(rng, (n, n), dtype) / (2 * n), dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


@pytest.mark.parametrize(("m", "n"), [(2, 2), (3, 2)])
@DTYPES
def test_solve_sylvester(rng: np.random.Generator, m: int, n: int, dtype: Any) -> None:
    a, b = _shifted(rng, m, 1.0, dtype), _shifted(rng, n, 2.0, dtype)
    _check(sl.solve_sylvester, a, b, _random(rng, (m, n), dtype), rng=rng)


@pytest.mark.parametrize("n", [2, 3])
@DTYPES
def test_solve_continuous_lyapunov(rng: np.random.Generator, n: int, dtype: Any) -> None:
    a = _shifted(rng, n, -1.0, dtype)
    _check(sl.solve_continuous_lyapunov, a, _random(rng, (n, n), dtype), rng=rng)


@pytest.mark.parametrize("method", [None, "direct", "bilinear"])
@DTYPES
def test_solve_discrete_lyapunov(rng: np.random.Generator, method: Any, dtype: Any) -> None:
    a, q = _shifted(rng, 3, 0.3, dtype), _random(rng, (3, 3), dtype)
    _check(sl.solve_discrete_lyapunov, a, q, rng=rng, method=method)


def test_solve_discrete_lyapunov_positional_method(rng: np.random.Generator) -> None:
    a, q = _shifted(rng, 2, 0.3, np.float64), _random(rng, (2, 2))
    _check(sl.solve_discrete_lyapunov, a, q, constant("bilinear"), rng=rng)
