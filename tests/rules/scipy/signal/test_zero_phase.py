"""Tests of rules/scipy/signal/zero_phase.py: `filtfilt` in `b`, `a` and `x` for every pad
type, and `sosfiltfilt` (whose `sos` cotangent is checked against the tested frule by the
adjoint identity, as for `sosfilt`: finite differences cannot move `sos[:, 3]`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.signal as ss

import rules.scipy.signal  # noqa: F401  (registers the rules)
from rulescore import NoTangent, NotImplementedTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

DTYPES = [np.float64, np.complex128]


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


FILTFILT_CASES = [  # (nb, na, shape, axis, padtype, padlen)
    (3, 3, (16,), -1, "odd", None),
    (2, 1, (2, 15), 1, "odd", None),
    (1, 3, (14, 2), 0, "odd", None),
    (3, 3, (2, 15), 1, "even", 3),
    (3, 2, (14, 2), 0, "constant", 4),
    (2, 3, (16,), -1, None, None),
    (4, 2, (2, 16), -1, "even", None),
]


@pytest.mark.parametrize(("nb", "na", "shape", "axis", "padtype", "padlen"), FILTFILT_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_filtfilt(nb, na, shape, axis, padtype, padlen, dtype, rng):
    b, a, x = _random(rng, nb, dtype), 0.3 * _random(rng, na, dtype), _random(rng, shape, dtype)
    a[0] = 1.3
    options = {"axis": axis, "padtype": padtype, "padlen": padlen}
    test_rrule(ss.filtfilt, b, a, x, fkwargs=options, rng=rng)
    test_frule(ss.filtfilt, b, a, x, fkwargs=options, rng=rng)


def test_filtfilt_positional_options(rng):
    b, a, x = _random(rng, 3), np.array([1.0, -0.2, 0.1]), _random(rng, (3, 12))
    test_rrule(ss.filtfilt, b, a, x, constant(1), constant("even"), constant(2), rng=rng)


def test_filtfilt_gust(rng):
    b, a, x = _random(rng, 3), np.array([1.0, -0.2, 0.1]), _random(rng, 12)
    test_frule(ss.filtfilt, constant(b), constant(a), x, fkwargs={"method": "gust"}, rng=rng)
    _, back = rrule(ss.filtfilt, b, a, x, method="gust")
    assert all(isinstance(c, NotImplementedTangent) for c in back(np.ones(12))[1:])
    _, dy = frule((NoTangent(), np.ones(3), 0.0 * a, 0.0 * x), ss.filtfilt, b, a, x, method="gust")
    assert isinstance(dy, NotImplementedTangent)


def _sos(rng: np.random.Generator, n: int, dtype: Any) -> Any:
    sos = 0.3 * _random(rng, (n, 6), dtype)
    sos[:, 0] += 1
    sos[:, 3] = 1
    return sos


SOSFILTFILT_CASES = [  # (sections, shape, axis, padtype, padlen)
    (1, (22,), -1, "odd", None),
    (2, (2, 21), 1, "odd", None),
    (2, (20, 2), 0, "even", 3),
    (1, (2, 21), 1, "constant", 4),
    (2, (22,), -1, None, None),
]


@pytest.mark.parametrize(("sections", "shape", "axis", "padtype", "padlen"), SOSFILTFILT_CASES)
@pytest.mark.parametrize("dtype", DTYPES)
def test_sosfiltfilt(sections, shape, axis, padtype, padlen, dtype, rng):
    sos, x = _sos(rng, sections, dtype), _random(rng, shape, dtype)
    dsos = _random(rng, sos.shape, dtype)
    dsos[:, 3] = 0
    options = {"axis": axis, "padtype": padtype, "padlen": padlen}
    test_rrule(ss.sosfiltfilt, constant(sos), x, fkwargs=options, rng=rng)
    test_frule(ss.sosfiltfilt, with_tangent(sos, dsos), x, fkwargs=options, rng=rng)

    y, back = rrule(ss.sosfiltfilt, sos, x, **options)
    g = _random(rng, y.shape, dtype)
    dsos_back = unthunk(back(g)[1])
    assert np.all(dsos_back[:, 3] == 0)
    _, dy = frule((NoTangent(), dsos, np.zeros_like(x)), ss.sosfiltfilt, sos, x, **options)
    forward, backward = np.vdot(g, dy).real, np.vdot(dsos_back, dsos).real
    assert abs(forward - backward) <= 1e-9 * (1 + abs(forward))


def test_sosfiltfilt_zero_last_coefficients(rng):
    """Sections with zero `b[2]` and `a[2]` count fewer taps in SciPy's default pad length."""
    sos = _sos(rng, 2, np.float64)
    sos[:, 2] = sos[:, 5] = 0
    test_rrule(ss.sosfiltfilt, constant(sos), _random(rng, 12), rng=rng)
