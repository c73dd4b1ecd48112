"""Tests of rules.numpy.convolution: convolve and correlate, every mode and length order."""

import numpy as np
import pytest

import rules.numpy.convolution  # noqa: F401  (registers the rules)
from rulescore import rrule
from rulescore.testing import constant, test_frule, test_rrule

ALL_DTYPES = [np.float64, np.float32, np.complex128]
C = constant


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("mode", ["full", "same", "valid", C("same")])
@pytest.mark.parametrize("lengths", [(5, 3), (3, 5), (4, 4), (6, 2), (2, 6), (1, 3)])
@pytest.mark.parametrize("f", [np.convolve, np.correlate])
def test_convolutions(f, lengths, mode, dtype, rng):
    a, v = A(rng, lengths[0], dtype), A(rng, lengths[1], dtype)
    if isinstance(mode, str):
        _check(f, (a, v), {"mode": mode}, rng)
    else:  # positional
        _check(f, (a, v, mode), {}, rng)


def test_correlate_conjugates_its_second_argument():
    a, v = np.array([1.0 + 2.0j, 0.5]), np.array([1.0j])
    _, back = rrule(np.correlate, a, v)
    _, da, dv = back(np.array([1.0, 1.0]))
    # z = a conj(v): dz/da = conj(v) (holomorphic), and z is anti-holomorphic in v
    np.testing.assert_allclose(da, [1.0j, 1.0j])
    np.testing.assert_allclose(dv, [1.5 + 2.0j])


ARRAY_LIKES = [
    (np.convolve, ([1.0, 2.0], [0.5, 1.0, 3.0])),
    (np.correlate, ([1.0, 2.0], [0.5, 1.0, 3.0], "full")),
]


@pytest.mark.parametrize(("f", "args"), ARRAY_LIKES, ids=[f.__name__ for f, _ in ARRAY_LIKES])
def test_lists_as_arrays(f, args, rng):
    """Array-likes given as lists get list cotangents."""
    _check(f, args, {}, rng)
