"""Tests of rules/scipy/signal/convolution.py: every rule through the harness, on both
operand orders, every mode and method, with broadcasting and every boundary condition."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.signal as ss

import rules.scipy.signal  # noqa: F401  (registers the rules)
from rulescore import NoTangent, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = [np.float64, np.complex128]
MODES = ["full", "same", "valid"]


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _valid(f: Any, shape1: Any, shape2: Any, mode: str, **kwargs: Any) -> bool:
    try:
        f(np.ones(shape1), np.ones(shape2), mode, **kwargs)
    except ValueError:
        return False
    return True


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# ---------------------------------------------------------------------------------------------
# convolve, correlate

ND_SHAPES = [((5,), (3,)), ((3,), (6,)), ((4,), (4,)), ((4, 5), (2, 3)), ((2, 3), (4, 4))]


@pytest.mark.parametrize("f", [ss.convolve, ss.correlate])
@pytest.mark.parametrize(("shape1", "shape2"), ND_SHAPES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("method", ["direct", "fft"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_convolve_correlate(f, shape1, shape2, mode, method, dtype, rng):
    if not _valid(f, shape1, shape2, mode):
        pytest.skip("SciPy refuses these shapes in this mode")
    a, b = _random(rng, shape1, dtype), _random(rng, shape2, dtype)
    _check(f, a, b, constant(mode), rng=rng, method=method)


@pytest.mark.parametrize("f", [ss.convolve, ss.correlate])
def test_convolve_correlate_mixed_and_auto(f, rng):
    _check(f, _random(rng, (6,)), _random(rng, (3,), np.complex128), rng=rng)
    _check(f, _random(rng, (3, 4), np.complex128), _random(rng, (2, 2)), rng=rng, mode="same")


@pytest.mark.parametrize("f", [ss.convolve, ss.correlate])
def test_convolve_correlate_scalars(f, rng):
    _check(f, _random(rng, (), np.complex128), _random(rng, (), np.complex128), rng=rng)


@pytest.mark.parametrize("f", [ss.convolve, ss.correlate, ss.fftconvolve])
def test_float32(f, rng):
    a, b = _random(rng, (7,), np.float32), _random(rng, (3,), np.float32)
    _check(f, a, b, rng=rng, mode="same")


# ---------------------------------------------------------------------------------------------
# fftconvolve, oaconvolve

AXES_CASES = [
    ((5,), (3,), None),
    ((4, 5), (2, 3), None),
    ((3, 5), (3, 2), 1),
    ((1, 5), (3, 2), -1),  # broadcast along axis 0
    ((4, 5, 2), (4, 2, 1), (0, 1)),
    ((4, 1), (3, 2), None),  # a convolved axis of length 1
    ((1, 5), (3, 1), None),  # no axis convolved: a broadcast product
]


@pytest.mark.parametrize("f", [ss.fftconvolve, ss.oaconvolve])
@pytest.mark.parametrize(("shape1", "shape2", "axes"), AXES_CASES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_fftconvolve_oaconvolve(f, shape1, shape2, axes, mode, dtype, rng):
    if not _valid(f, shape1, shape2, mode, axes=axes):
        pytest.skip("SciPy refuses these shapes in this mode")
    a, b = _random(rng, shape1, dtype), _random(rng, shape2, dtype)
    _check(f, a, b, constant(mode), rng=rng, axes=axes)


# ---------------------------------------------------------------------------------------------
# convolve2d, correlate2d

SHAPES_2D = [((5, 4), (2, 3)), ((2, 3), (4, 5)), ((3, 3), (3, 3)), ((3, 2), (4, 5))]


@pytest.mark.parametrize("f", [ss.convolve2d, ss.correlate2d])
@pytest.mark.parametrize(("shape1", "shape2"), SHAPES_2D)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("boundary", ["fill", "wrap", "symm"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_convolve2d_correlate2d(f, shape1, shape2, mode, boundary, dtype, rng):
    if not _valid(f, shape1, shape2, mode):
        pytest.skip("SciPy refuses these shapes in this mode")
    a, b = _random(rng, shape1, dtype), _random(rng, shape2, dtype)
    _check(f, a, b, constant(mode), constant(boundary), rng=rng)


@pytest.mark.parametrize("f", [ss.convolve2d, ss.correlate2d])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("fillvalue", [0.0, 1.5])
def test_fillvalue_is_differentiated(f, mode, fillvalue, rng):
    a, b = _random(rng, (4, 3), np.complex128), _random(rng, (2, 3), np.complex128)
    _check(f, a, b, constant(mode), constant("fill"), fillvalue, rng=rng)
    _check(f, a, b, rng=rng, mode=mode, fillvalue=fillvalue)  # a keyword option


def test_convolve2d_float32(rng):
    a, b = _random(rng, (5, 4), np.float32), _random(rng, (2, 3), np.float32)
    _check(ss.convolve2d, a, b, rng=rng, mode="same", boundary="symm")


def test_positional_options_get_no_tangent(rng):
    a, b = _random(rng, (5,)), _random(rng, (2,))
    _, back = rrule(ss.correlate, a, b, "same", "direct")
    cotangents = back(np.ones(5))
    assert cotangents[3:] == (NoTangent(), NoTangent())
    assert unthunk(cotangents[1]).shape == (5,)
