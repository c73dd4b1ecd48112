from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

from rulescore import NoTangent, Tangent
from rulescore.testing import rand_tangent


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.complex64, np.complex128])
@pytest.mark.parametrize("shape", [(), (3,), (2, 1, 4)])
def test_arrays_get_arrays_of_their_shape_and_dtype(rng, shape, dtype):
    dx = rand_tangent(np.zeros(shape, dtype=dtype), rng)
    assert isinstance(dx, np.ndarray)
    assert dx.shape == shape
    assert dx.dtype == dtype
    if np.dtype(dtype).kind == "c" and shape:
        assert np.any(dx.imag != 0)


def test_numbers(rng):
    assert type(rand_tangent(1.5, rng)) is float
    assert type(rand_tangent(3, rng)) is float  # ints are differentiated as reals
    assert type(rand_tangent(1j, rng)) is complex
    assert type(rand_tangent(np.float32(1), rng)) is np.float32


@pytest.mark.parametrize(
    "x", [True, "s", None, np.arange(3), np.array([True]), np.int64(2), len, (True, "a")]
)
def test_values_without_tangent_space_get_no_tangent(rng, x):
    assert rand_tangent(x, rng) == NoTangent()


def test_containers_and_objects(rng):
    Pair = namedtuple("Pair", ["a", "label"])

    @dataclass
    class Model:
        w: np.ndarray
        name: str

    dx = rand_tangent({"p": Pair(1.0, "x"), "m": Model(np.ones(2), "n"), "l": [1.0, "z"]}, rng)
    assert isinstance(dx["p"], Tangent[Pair])
    assert dx["p"]["label"] == NoTangent() or "label" not in dx["p"]._fields
    assert isinstance(dx["m"], Tangent[Model])
    assert dx["m"].w.shape == (2,)
    assert dx["l"][1] == NoTangent()


def test_seeded_generator_makes_it_reproducible():
    a = rand_tangent(np.ones(4), np.random.default_rng(3))
    b = rand_tangent(np.ones(4), np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
