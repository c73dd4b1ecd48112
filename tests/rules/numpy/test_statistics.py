"""Tests of rules.numpy.statistics: every rule through the harness, table-driven."""

import numpy as np
import pytest

import rules.numpy.statistics  # noqa: F401  (registers the rules)
from rulescore import ZeroTangent, rrule
from rulescore.testing import constant, test_frule, test_rrule

ALL_DTYPES = [np.float64, np.float32, np.complex128]
C = constant


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def R(rng, shape, dtype):
    """A random real array of the real type that goes with `dtype`."""
    return A(rng, shape, np.float32 if dtype == np.float32 else np.float64)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# id -> builder(rng, dtype) -> (function, args, fkwargs), for every dtype of ALL_DTYPES.
CASES = {
    "cov-2d": lambda r, t: (np.cov, (A(r, (3, 6), t),), {}),
    "cov-1d": lambda r, t: (np.cov, (A(r, 5, t),), {}),
    "cov-y-rowvar": lambda r, t: (np.cov, (A(r, (6, 2), t), A(r, 6, t)), {"rowvar": False}),
    "cov-3-positional": lambda r, t: (np.cov, (A(r, (5, 2), t), A(r, (5, 1), t), False), {}),
    "cov-bias-ddof": lambda r, t: (np.cov, (A(r, (2, 5), t),), {"bias": True, "ddof": 2}),
    "cov-ddof-positional": lambda r, t: (
        np.cov,
        (A(r, (2, 5), t), None, True, False, C(0)),
        {},
    ),
    "cov-fweights": lambda r, t: (
        np.cov,
        (A(r, (2, 4), t),),
        {"fweights": np.array([1, 3, 2, 1])},
    ),
    "cov-aweights": lambda r, t: (
        np.cov,
        (A(r, (2, 4), t), None, True, False, None, np.array([1, 3, 2, 1]), R(r, 4, t) ** 2 + 1),
        {},
    ),
    "cov-aweights-ddof0": lambda r, t: (
        np.cov,
        (A(r, (3, 4), t), None, True, True, None, None, R(r, 4, t) ** 2 + 0.5),
        {},
    ),
    "corrcoef-2d": lambda r, t: (np.corrcoef, (A(r, (3, 5), t),), {}),
    "corrcoef-y-rowvar": lambda r, t: (np.corrcoef, (A(r, (5, 2), t), A(r, 5, t), False), {}),
    "corrcoef-1d": lambda r, t: (np.corrcoef, (A(r, 4, t),), {}),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_statistics(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


def test_zero_seed_is_a_zero_cotangent():
    _, back = rrule(np.cov, np.eye(3))
    assert back(ZeroTangent())[1] == ZeroTangent()


ARRAY_LIKES = [
    (np.cov, ([[1.0, 2.0, 4.0], [0.0, 1.0, -1.0]],)),
    (np.corrcoef, ([[1.0, 2.0, 4.0], [0.0, 1.0, -1.0]],)),
]


@pytest.mark.parametrize(("f", "args"), ARRAY_LIKES, ids=[f.__name__ for f, _ in ARRAY_LIKES])
def test_lists_as_arrays(f, args, rng):
    """Array-likes given as lists get list cotangents."""
    _check(f, args, {}, rng)
