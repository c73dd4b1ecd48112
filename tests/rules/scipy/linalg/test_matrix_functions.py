"""Tests of rules/scipy/linalg/matrix_functions.py: every rule through the harness, on
well-conditioned matrices (eigenvalues away from branch cuts and from poles of `tanm`)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import rules.scipy.linalg  # noqa: F401  (registers the rules)
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _near_identity(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    """`I + x / (2 n)`: eigenvalues within 1/2 of 1."""
    n = shape[-1]
    return np.asarray(np.eye(n) + _random(rng, shape, dtype) / (2 * n), dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


FUNCTIONS = [sl.expm, sl.logm, sl.sqrtm, sl.cosm, sl.sinm, sl.tanm, sl.coshm, sl.sinhm, sl.tanhm]


@pytest.mark.parametrize("f", FUNCTIONS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_matrix_function(rng: np.random.Generator, f: Any, dtype: Any) -> None:
    _check(f, _near_identity(rng, (3, 3), dtype), rng=rng)


@pytest.mark.parametrize("f", [sl.expm, sl.sqrtm, sl.sinm], ids=lambda f: f.__name__)
def test_matrix_function_batched_and_float32(rng: np.random.Generator, f: Any) -> None:
    _check(f, _near_identity(rng, (2, 2, 2)), rng=rng)
    _check(f, _near_identity(rng, (3, 3), np.float32), rng=rng)


def test_expm_larger_norm(rng: np.random.Generator) -> None:
    """Scaling and squaring at work: the derivative stays accurate."""
    _check(sl.expm, 2 * _random(rng, (4, 4)), rng=rng)


def test_logm_sqrtm_negative_eigenvalues(rng: np.random.Generator) -> None:
    """Real input with complex results: the principal branch, whose cut the real tangents
    keep the negative eigenvalue on."""
    p = _near_identity(rng, (3, 3))
    a = (p * np.array([-2.0, 1.0, 3.0])) @ np.linalg.inv(p)
    assert np.iscomplexobj(sl.logm(a))
    _check(sl.logm, a, rng=rng)
    _check(sl.sqrtm, a, rng=rng)


def test_disp_false_error_estimate(rng: np.random.Generator) -> None:
    a = _near_identity(rng, (3, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        _, dy = frule((NoTangent(), a, NoTangent()), sl.logm, a, False)
        assert isinstance(dy[1], ZeroTangent)
        _, back = rrule(sl.sqrtm, a, False)
        assert back((np.ones((3, 3)), ZeroTangent()))[2] == NoTangent()


def test_sqrtm_of_a_scalar_not_implemented() -> None:
    _, back = rrule(sl.sqrtm, np.float64(2.0))
    assert isinstance(back(np.ones((1, 1)))[1], NotImplementedTangent)


@pytest.mark.parametrize("t", [0.5, -1.5])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_fractional_matrix_power(rng: np.random.Generator, t: float, dtype: Any) -> None:
    _check(sl.fractional_matrix_power, _near_identity(rng, (2, 2), dtype), t, rng=rng)


def test_fractional_matrix_power_integer(rng: np.random.Generator) -> None:
    """An integer power is a matrix power (SciPy's output type changes with `t` there)."""
    _check(sl.fractional_matrix_power, _near_identity(rng, (3, 3)), constant(2.0), rng=rng)


@pytest.mark.parametrize("compute_expm", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_expm_frechet(rng: np.random.Generator, compute_expm: bool, dtype: Any) -> None:
    a, e = _random(rng, (2, 2), dtype), _random(rng, (2, 2), dtype)
    _check(sl.expm_frechet, a, e, rng=rng, compute_expm=compute_expm)


def test_expm_frechet_method(rng: np.random.Generator) -> None:
    a, e = _random(rng, (3, 3)), _random(rng, (3, 3))
    _check(sl.expm_frechet, a, e, rng=rng, method="blockEnlarge")


def test_expm_frechet_one_output(rng: np.random.Generator) -> None:
    a, e = _random(rng, (3, 3)), _random(rng, (3, 3))
    seed = (ZeroTangent(), _random(rng, (3, 3)))
    test_rrule(sl.expm_frechet, a, e, output_tangent=seed, rng=rng)
    seed = (_random(rng, (3, 3)), ZeroTangent())
    test_rrule(sl.expm_frechet, a, e, output_tangent=seed, rng=rng)


def test_funm_not_implemented(rng: np.random.Generator) -> None:
    a = _near_identity(rng, (3, 3))
    y, back = rrule(sl.funm, a, np.exp)
    np.testing.assert_allclose(y, sl.expm(a))
    cotangents = back(np.ones((3, 3)))
    assert isinstance(cotangents[1], NotImplementedTangent) and cotangents[2] == NoTangent()
    _, dy = frule((NoTangent(), a, NoTangent()), sl.funm, a, np.exp)
    assert isinstance(dy, NotImplementedTangent)


def test_fractional_matrix_power_keyword_t(rng: np.random.Generator) -> None:
    _check(sl.fractional_matrix_power, _near_identity(rng, (2, 2)), rng=rng, t=0.5)
