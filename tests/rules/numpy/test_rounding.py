"""Rounding and cleaning functions: zero derivatives, nan_to_num and real_if_close."""

from __future__ import annotations

import numpy as np
import pytest

from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule


@pytest.mark.parametrize("f", [np.round, np.around, np.fix, np.ndarray.round])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_rounding_has_zero_derivative(rng, f, dtype):
    # Entries well inside their rounding steps, so finite differences see a constant.
    x = (np.arange(6).reshape(2, 3) + 0.3).astype(dtype)
    test_rrule(f, x, method=None, rng=rng)
    test_frule(f, x, rng=rng)


def test_round_with_decimals_and_complex(rng):
    x = np.array([0.31, 1.52, -2.27])
    _, back = rrule(np.round, x, 1)
    assert back(np.ones(3)) == (NoTangent(), ZeroTangent(), NoTangent())
    test_frule(np.round, np.array([0.3 + 1.3j, 2.2 - 0.3j]), rng=rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_nan_to_num_on_finite_inputs_is_the_identity(rng, dtype):
    x = rng.standard_normal((2, 3)).astype(dtype)
    test_rrule(np.nan_to_num, x, rng=rng)
    test_frule(np.nan_to_num, x, rng=rng)


def test_nan_to_num_gives_zero_where_it_replaced():
    x = np.array([1.0, np.nan, np.inf, -np.inf, 2.0])
    _, back = rrule(np.nan_to_num, x)
    np.testing.assert_array_equal(back(np.full(5, 3.0))[1], [3.0, 0, 0, 0, 3.0])
    _, dy = frule((NoTangent(), np.ones(5)), np.nan_to_num, x)
    np.testing.assert_array_equal(dy, [1.0, 0, 0, 0, 1.0])


def test_real_if_close(rng):
    # Where the imaginary part is dropped the output's dtype changes with a perturbation, so
    # finite differences cannot see it: the rules are checked by value there.
    close = np.array([1.0 + 1e-20j, 2.0 - 1e-20j])
    _, back = rrule(np.real_if_close, close)
    assert back(np.array([3.0, 4.0]))[1].tolist() == [3.0 + 0j, 4.0 + 0j]
    _, dy = frule((NoTangent(), np.array([1.0 + 5j, 2.0])), np.real_if_close, close)
    assert dy.dtype == np.float64
    assert dy.tolist() == [1.0, 2.0]
    far = np.array([1.0 + 0.5j, 2.0])
    test_rrule(np.real_if_close, far, rng=rng)
    test_frule(np.real_if_close, far, constant(100), rng=rng)
