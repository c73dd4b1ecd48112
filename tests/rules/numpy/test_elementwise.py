"""Tests of rules.numpy.elementwise: sinc and i0 through the harness, and sinc's series near 0."""

import numpy as np
import pytest

import rules.numpy.elementwise  # noqa: F401  (registers the rules)
from rulescore import rrule
from rulescore.testing import test_frule, test_rrule

ALL_DTYPES = [np.float64, np.float32, np.complex128]
REAL_DTYPES = [np.float64, np.float32]


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# id -> builder(rng, dtype) -> (function, args, fkwargs), for every dtype of ALL_DTYPES.
CASES = {
    "sinc": lambda r, t: (np.sinc, (A(r, (2, 3), t),), {}),
    "sinc-near-zero": lambda r, t: (
        np.sinc,
        (np.array([0.0, 1e-7, -3e-3, 0.0099, -0.0101, 0.5, 2.0]).astype(t),),
        {},
    ),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_elementwise(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


@pytest.mark.parametrize("dtype", REAL_DTYPES)
@pytest.mark.parametrize("shape", [7, (3, 2), (2, 2, 3)])
def test_i0(shape, dtype, rng):
    _check(np.i0, (A(rng, shape, dtype) * 2,), {}, rng)


def test_sinc_derivative_near_zero_is_accurate():
    x = np.array([0.0, 1e-9, 1e-5, -0.00999, 0.01])
    _, back = rrule(np.sinc, x)
    # the series of the derivative, enough terms for 1e-15 at |x| <= 0.01
    u = (np.pi * x) ** 2
    want = -(np.pi**2) * x / 3 * (1 - u / 10 + u**2 / 280 - u**3 / 15120)
    np.testing.assert_allclose(back(np.ones(5))[1], want, rtol=1e-12, atol=1e-300)
