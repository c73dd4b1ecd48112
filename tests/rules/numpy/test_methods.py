"""ndarray methods that share a function's rules, and item/tolist."""

from __future__ import annotations

import numpy as np
import pytest

from rulescore.testing import constant, test_frule, test_rrule


@pytest.mark.parametrize("method", [np.ndarray.conj, np.ndarray.conjugate])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_conjugate_methods(rng, method, dtype):
    x = rng.standard_normal((2, 3)).astype(dtype)
    if dtype is np.complex128:
        x = x + 1j * rng.standard_normal((2, 3))
    test_rrule(method, x, rng=rng)
    test_frule(method, x, rng=rng)


def test_trace_and_choose_methods(rng):
    a = rng.standard_normal((3, 3))
    test_rrule(np.ndarray.trace, a, rng=rng)
    test_frule(np.ndarray.trace, a, constant(1), rng=rng)
    index = np.array([0, 1, 0])
    choices = [rng.standard_normal(3), rng.standard_normal(3)]
    test_rrule(np.ndarray.choose, constant(index), choices, rng=rng)
    test_frule(np.ndarray.choose, constant(index), choices, rng=rng)


@pytest.mark.parametrize("index", [(4,), (-1,), (1, 2)])
def test_item(rng, index):
    a = rng.standard_normal((2, 3))
    test_rrule(np.ndarray.item, a, *map(constant, index), rng=rng)
    test_frule(np.ndarray.item, a, *map(constant, index), rng=rng)


def test_item_of_a_size_one_array_and_tolist(rng):
    test_rrule(np.ndarray.item, np.array([2.5]), rng=rng)
    a = rng.standard_normal((2, 3))
    test_rrule(np.ndarray.tolist, a, rng=rng)
    test_frule(np.ndarray.tolist, a, rng=rng)
    test_rrule(np.ndarray.tolist, a.astype(np.float32), rng=rng)
