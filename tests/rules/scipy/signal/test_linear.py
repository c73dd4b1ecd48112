"""Tests of rules/scipy/signal/linear.py: `hilbert`, `detrend`, `savgol_filter` through the
harness, on several shapes, axes and options."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.signal as ss

import rules.scipy.signal  # noqa: F401  (registers the rules)
from rulescore.testing import constant, test_frule, test_rrule

SIGNALS = [((8,), -1), ((3, 7), 1), ((6, 2), 0)]


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


@pytest.mark.parametrize(("shape", "axis"), SIGNALS)
@pytest.mark.parametrize("n", [None, 5, 10])
def test_hilbert(shape, axis, n, rng):
    _check(ss.hilbert, _random(rng, shape), rng=rng, N=n, axis=axis)


def test_hilbert_float32(rng):
    _check(ss.hilbert, _random(rng, 7, np.float32), rng=rng)


@pytest.mark.parametrize(("shape", "axis"), SIGNALS)
@pytest.mark.parametrize(("kind", "bp"), [("linear", 0), ("constant", 0), ("linear", [2, 5])])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_detrend(shape, axis, kind, bp, dtype, rng):
    _check(ss.detrend, _random(rng, shape, dtype), rng=rng, axis=axis, type=kind, bp=bp)


def test_detrend_does_not_overwrite(rng):
    x = _random(rng, (6, 5))
    _check(ss.detrend, x, constant(0), constant("linear"), constant(3), constant(True), rng=rng)


@pytest.mark.parametrize(("shape", "axis"), [*SIGNALS, ((4,), -1)])
@pytest.mark.parametrize(("window", "order"), [(3, 1), (5, 2), (4, 2), (7, 3)])
@pytest.mark.parametrize("mode", ["interp", "mirror", "nearest", "wrap", "constant"])
def test_savgol_filter(shape, axis, window, order, mode, rng):
    if mode == "interp" and window > shape[axis]:
        pytest.skip("interp needs a window no longer than the signal")
    x = _random(rng, shape)
    options = [constant(window), constant(order)]
    # deriv=1, with delta and cval differentiated (given by position)
    args = [*options, constant(1), 0.7, constant(axis), constant(mode), 0.3]
    _check(ss.savgol_filter, x, *args, rng=rng)
    _check(ss.savgol_filter, x, *options, rng=rng, axis=axis, mode=mode)


def test_savgol_filter_float32(rng):
    _check(ss.savgol_filter, _random(rng, 9, np.float32), constant(5), constant(2), rng=rng)
