"""Tests of rules.scipy.integrate.samples: every rule through the harness, table-driven.

These are closed-form functions of their inputs (no solver), so the harness's default
tolerances apply.
"""

import numpy as np
import pytest
import scipy.integrate

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import NoTangent, ZeroTangent, rrule
from rulescore.testing import constant, test_frule, test_rrule

C = constant
DTYPES = [np.float64, np.float32, np.complex128]
si = scipy.integrate


def A(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def X(rng, shape, axis=-1):
    """Increasing sample points along `axis`, spaced 0.5 to 1.5 apart (wider than the
    finite differences' steps, so that they stay increasing)."""
    return np.cumsum(0.5 + rng.random(shape), axis=axis)


# id -> builder(rng, dtype) -> (function, args, fkwargs)
CASES = {
    "trapezoid-x": lambda r, t: (si.trapezoid, (A(r, 5, t), X(r, 5)), {}),
    "trapezoid-dx": lambda r, t: (si.trapezoid, (A(r, (2, 4), t), None, 0.7), {}),
    "cumtrapz-x": lambda r, t: (si.cumulative_trapezoid, (A(r, 6, t), X(r, 6)), {}),
    "cumtrapz-dx-initial": lambda r, t: (
        si.cumulative_trapezoid,
        (A(r, (3, 4), t), None, 0.7, C(0)),
        {"initial": 0},
    ),
    "cumtrapz-x2d-axis0": lambda r, t: (
        si.cumulative_trapezoid,
        (A(r, (4, 3), t), X(r, (4, 3), axis=0), 1.0, C(0)),
        {},
    ),
    "cumtrapz-x1d-axis0": lambda r, t: (
        si.cumulative_trapezoid,
        (A(r, (4, 3), t), X(r, 4), C(1.0), C(0)),
        {},
    ),
    "simpson-odd": lambda r, t: (si.simpson, (A(r, 7, t), X(r, 7)), {}),
    "simpson-even": lambda r, t: (si.simpson, (A(r, 6, t), X(r, 6)), {}),
    "simpson-two": lambda r, t: (si.simpson, (A(r, 2, t), X(r, 2)), {}),
    "simpson-four": lambda r, t: (si.simpson, (A(r, 4, t), X(r, 4)), {}),
    "simpson-dx": lambda r, t: (si.simpson, (A(r, (2, 6), t),), {"dx": 0.3}),
    "simpson-x2d-axis0": lambda r, t: (
        si.simpson,
        (A(r, (5, 2), t), X(r, (5, 2), axis=0)),
        {"axis": 0},
    ),
    "simpson-x1d-axis0": lambda r, t: (si.simpson, (A(r, (6, 2), t), X(r, 6)), {"axis": 0}),
    "cumsimpson-x": lambda r, t: (si.cumulative_simpson, (A(r, 7, t),), {"x": X(r, 7)}),
    "cumsimpson-even": lambda r, t: (si.cumulative_simpson, (A(r, (2, 6), t),), {"dx": 0.4}),
    "cumsimpson-initial-axis0": lambda r, t: (
        si.cumulative_simpson,
        (A(r, (5, 3), t),),
        {"x": X(r, (5, 3), axis=0), "axis": 0, "initial": 1.5},
    ),
    "cumsimpson-two": lambda r, t: (si.cumulative_simpson, (A(r, 2, t),), {"dx": 0.4}),
    "romb-9": lambda r, t: (si.romb, (A(r, 9, t), 0.3), {}),
    "romb-5-axis0": lambda r, t: (si.romb, (A(r, (5, 2), t), 0.25, C(0)), {}),
    "romb-2": lambda r, t: (si.romb, (A(r, 2, t),), {}),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("case", list(CASES))
def test_sampled_integral(case, dtype, rng):
    f, args, fkwargs = CASES[case](rng, dtype)
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


def test_keywords_are_constant(rng):
    y, x = A(rng, 5, np.float64), X(rng, 5)
    _, back = rrule(si.simpson, y, x=x)
    assert len(back(1.0)) == 2
    _, back = rrule(si.cumulative_trapezoid, y, x, 1.0, -1, 0)
    dy = back(np.ones(5))
    # dx is ignored when x is given; axis and initial are options (Python ints: zeros).
    assert dy[3] == dy[4] == dy[5] == ZeroTangent()
    _, back = rrule(si.trapezoid, y, None, 0.5)
    assert back(1.0)[2] == NoTangent()


def test_romb_weights_match_scipy():
    """Romberg's weights, from its recursion on weight vectors, against romb of unit samples."""
    from rules.scipy.integrate.samples import _romb_weights

    for n in (2, 3, 5, 9, 17):
        np.testing.assert_allclose(_romb_weights(n), si.romb(np.eye(n)), rtol=1e-13, atol=1e-15)
