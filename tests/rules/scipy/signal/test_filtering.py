"""Tests of rules/scipy/signal/filtering.py: `lfilter` in all its arguments (with and
without initial state, along every axis, FIR and IIR, real and complex) and `sosfilt`.

`sosfilt` refuses `sos[:, 3] != 1`, so finite differences cannot move that column: the
frule is tested along tangents that leave it alone, the rrule with `sos` held fixed, and the
rrule's `sos` cotangent against the (tested) frule by the adjoint identity
`<dy, J dsos> = <J^H dy, dsos>`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.signal as ss

import rules.scipy.signal  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

DTYPES = [np.float64, np.complex128]


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _denominator(rng: np.random.Generator, n: int, dtype: Any) -> Any:
    """A stable denominator whose leading coefficient is not 1 (lfilter divides by it)."""
    a = 0.3 * _random(rng, n, dtype)
    a[0] = 1.5
    return a


def _state_shape(shape: tuple[int, ...], axis: int, order: int) -> tuple[int, ...]:
    out = list(shape)
    out[axis] = order
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# lfilter

ORDERS = [(3, 1), (1, 3), (3, 3), (2, 4)]
SIGNALS = [((7,), -1), ((3, 6), 1), ((5, 2), 0)]


@pytest.mark.parametrize(("nb", "na"), ORDERS)
@pytest.mark.parametrize(("shape", "axis"), SIGNALS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_lfilter(nb, na, shape, axis, dtype, rng):
    b, a, x = _random(rng, nb, dtype), _denominator(rng, na, dtype), _random(rng, shape, dtype)
    test_rrule(ss.lfilter, b, a, x, fkwargs={"axis": axis}, rng=rng)
    test_frule(ss.lfilter, b, a, x, fkwargs={"axis": axis}, rng=rng)


@pytest.mark.parametrize(("nb", "na"), [*ORDERS, (1, 1)])
@pytest.mark.parametrize(("shape", "axis"), SIGNALS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_lfilter_with_state(nb, na, shape, axis, dtype, rng):
    b, a, x = _random(rng, nb, dtype), _denominator(rng, na, dtype), _random(rng, shape, dtype)
    zi = _random(rng, _state_shape(shape, axis, max(nb, na) - 1), dtype)
    test_rrule(ss.lfilter, b, a, x, constant(axis), zi, rng=rng)
    test_frule(ss.lfilter, b, a, x, constant(axis), zi, rng=rng)


def test_lfilter_state_longer_than_signal(rng):
    b, a, x = _random(rng, 5), _denominator(rng, 3, np.float64), _random(rng, 3)
    test_rrule(ss.lfilter, b, a, x, constant(-1), _random(rng, 4), rng=rng)
    test_frule(ss.lfilter, b, a, x, constant(-1), _random(rng, 4), rng=rng)


def test_lfilter_broadcast_state(rng):
    b, a, x = _random(rng, 3), _denominator(rng, 3, np.float64), _random(rng, (4, 6))
    test_rrule(ss.lfilter, b, a, x, constant(-1), _random(rng, (1, 2)), rng=rng)
    test_frule(ss.lfilter, b, a, x, constant(-1), _random(rng, (1, 2)), rng=rng)


def test_lfilter_long_fir(rng):
    """More than 64 taps: the coefficients' cotangents are correlated by FFT."""
    b, a, x = _random(rng, 70) / 10, np.array([1.0, 0.2]), _random(rng, (2, 80))
    test_rrule(ss.lfilter, b, a, x, constant(-1), _random(rng, (2, 69)), rng=rng)
    test_frule(ss.lfilter, b, a, x, constant(-1), _random(rng, (2, 69)), rng=rng)


def test_lfilter_lists_scalars_float32(rng):
    test_rrule(ss.lfilter, [1.0, 0.5], 2.0, _random(rng, 6), rng=rng)
    test_frule(ss.lfilter, [1.0, 0.5], [2.0, 0.3], _random(rng, 6), rng=rng)
    b, a = _random(rng, 3, np.float32), np.array([1.0, -0.3, 0.1], dtype=np.float32)
    x = _random(rng, (2, 9), np.float32)
    test_rrule(ss.lfilter, b, a, x, rng=rng)
    test_frule(ss.lfilter, b, a, x, rng=rng)


def test_lfilter_zero_seed_parts(rng):
    """A seed for the final state only, or for the output only."""
    b, a, x, zi = _random(rng, 3), _denominator(rng, 2, np.float64), _random(rng, 5), np.ones(2)
    (y, zf), back = rrule(ss.lfilter, b, a, x, -1, zi)
    only_state = back((ZeroTangent(), np.ones_like(zf)))
    assert unthunk(only_state[3]).shape == x.shape
    assert only_state[4] == NoTangent()
    only_output = back((np.ones_like(y), ZeroTangent()))
    assert unthunk(only_output[5]).shape == zi.shape


# ---------------------------------------------------------------------------------------------
# sosfilt


def _sos(rng: np.random.Generator, n: int, dtype: Any) -> Any:
    sos = 0.3 * _random(rng, (n, 6), dtype)
    sos[:, 0] += 1
    sos[:, 3] = 1
    return sos


def _flat(t: Any) -> Any:
    return np.concatenate([np.ravel(u) for u in t]) if isinstance(t, tuple) else np.ravel(t)


@pytest.mark.parametrize("sections", [1, 3])
@pytest.mark.parametrize(("shape", "axis"), SIGNALS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("with_state", [False, True])
def test_sosfilt(sections, shape, axis, dtype, with_state, rng):
    sos, x = _sos(rng, sections, dtype), _random(rng, shape, dtype)
    dsos = _random(rng, sos.shape, dtype)
    dsos[:, 3] = 0
    args: list[Any] = [x, constant(axis)]
    if with_state:
        zi = _random(rng, (sections, *_state_shape(shape, axis, 2)), dtype)
        args.append(zi)
    test_rrule(ss.sosfilt, constant(sos), *args, rng=rng)
    test_frule(ss.sosfilt, with_tangent(sos, dsos), *args, rng=rng)

    # the cotangent of sos, against the frule: <g, J dsos> = <J^H g, dsos>
    primals = [sos, x, axis, *([zi] if with_state else [])]
    y, back = rrule(ss.sosfilt, *primals)
    g = tuple(_random(rng, np.shape(p), dtype) for p in y) if with_state else _random(rng, y.shape)
    dsos_back = unthunk(back(g)[1])
    assert np.all(dsos_back[:, 3] == 0)
    zeros = [np.zeros_like(x), NoTangent(), *([np.zeros_like(zi)] if with_state else [])]
    _, dy = frule((NoTangent(), dsos, *zeros), ss.sosfilt, *primals)
    forward, backward = np.vdot(_flat(g), _flat(dy)).real, np.vdot(dsos_back, dsos).real
    assert abs(forward - backward) <= 1e-10 * (1 + abs(forward))


def test_sosfilt_float32(rng):
    sos, x = _sos(rng, 2, np.float32), _random(rng, 9, np.float32)
    test_rrule(ss.sosfilt, constant(sos), x, rng=rng)
