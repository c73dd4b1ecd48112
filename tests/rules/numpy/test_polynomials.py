"""Tests of rules.numpy.polynomials: every rule through the harness, table-driven."""

import numpy as np
import pytest

import rules.numpy.polynomials  # noqa: F401  (registers the rules)
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


# id -> builder(rng, dtype) -> (function, args, fkwargs), for every dtype of ALL_DTYPES.
CASES = {
    "polyval-1d": lambda r, t: (np.polyval, (A(r, 4, t), A(r, 5, t)), {}),
    "polyval-2d": lambda r, t: (np.polyval, (A(r, 3, t), A(r, (2, 3), t)), {}),
    "polyval-3d": lambda r, t: (np.polyval, (A(r, 2, t), A(r, (2, 2, 2), t)), {}),
    "polyval-scalar-list": lambda r, t: (np.polyval, ([1.5, -0.5, 2.0], A(r, (), t)[()]), {}),
    "polyval-constant": lambda r, t: (np.polyval, (A(r, 1, t), A(r, 3, t)), {}),
    "polyder": lambda r, t: (np.polyder, (A(r, 5, t),), {}),
    "polyder-m2": lambda r, t: (np.polyder, (A(r, 5, t), C(2)), {}),
    "polyder-m-too-big": lambda r, t: (np.polyder, (A(r, 2, t),), {"m": 3}),
    "polyint": lambda r, t: (np.polyint, (A(r, 3, t),), {}),
    "polyint-m2-k-scalar": lambda r, t: (np.polyint, (A(r, 3, t), C(2), 0.5), {}),
    "polyint-k-list": lambda r, t: (np.polyint, (A(r, 2, t), C(3), [0.5, -1.0, 2.0]), {}),
    "polyint-k-longer": lambda r, t: (np.polyint, (A(r, 4, t), C(1), A(r, 2, t)), {}),
    "polyint-k-keyword": lambda r, t: (np.polyint, (A(r, 4, t),), {"m": 2, "k": 3.0}),
    "polyadd": lambda r, t: (np.polyadd, (A(r, 3, t), A(r, 5, t)), {}),
    "polyadd-scalar": lambda r, t: (np.polyadd, (A(r, 4, t), 2.0), {}),
    "polysub": lambda r, t: (np.polysub, (A(r, 4, t), A(r, 2, t)), {}),
    "polysub-equal": lambda r, t: (np.polysub, (A(r, 3, t), A(r, 3, t)), {}),
    "polymul": lambda r, t: (np.polymul, (A(r, 3, t), A(r, 4, t)), {}),
    "polymul-scalar": lambda r, t: (np.polymul, (1.5, A(r, 4, t)), {}),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_polynomials(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


ARRAY_LIKES = [
    (np.polyval, ([1.0, 4.0, 2.0], [0.5, 2.0])),
    (np.polyder, ([1.0, 4.0, 2.0],)),
    (np.polyint, ([1.0, 2.0], C(2), [1.0, 3.0])),
    (np.polyadd, ([1.0], [1.0, 4.0])),
    (np.polymul, ([1.0, 2.0], [1.0, 4.0])),
]


@pytest.mark.parametrize(("f", "args"), ARRAY_LIKES, ids=[f.__name__ for f, _ in ARRAY_LIKES])
def test_lists_as_arrays(f, args, rng):
    """Array-likes given as lists get list cotangents."""
    _check(f, args, {}, rng)
