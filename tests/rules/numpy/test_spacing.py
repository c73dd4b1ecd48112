"""Tests of rules.numpy.spacing: geomspace, logspace, vander through the harness."""

import numpy as np
import pytest

import rules.numpy.spacing  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule

DTYPES = [np.float64, np.float32, np.complex128]
C = constant


def A(rng, shape, dtype, low=0.5):
    """Random entries of magnitude at least `low` (complex for a complex dtype)."""
    x = (low + rng.random(shape)) * rng.choice([-1.0, 1.0], size=shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x).astype(dtype)


def S(rng, dtype, low=0.5):
    """A random scalar of `dtype` (a NumPy scalar)."""
    return A(rng, (), dtype, low)[()]


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


def P(rng, shape, dtype):
    """Positive real parts (geometric sequences of reals need endpoints of one sign; a
    positive base keeps `logspace` real); complex for a complex dtype. A 0-d shape gives a
    NumPy scalar."""
    x = 0.5 + rng.random(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 0.5j * rng.standard_normal(shape)
    x = np.asarray(x).astype(dtype)
    return x[()] if x.ndim == 0 else x


# id -> builder(rng, dtype) -> (function, args, fkwargs)
CASES = {
    "geomspace-scalars": lambda r, t: (np.geomspace, (P(r, (), t), P(r, (), t)), {"num": 5}),
    "geomspace-num-positional": lambda r, t: (np.geomspace, (P(r, (), t), P(r, (), t), C(4)), {}),
    "geomspace-no-endpoint": lambda r, t: (
        np.geomspace,
        (P(r, (), t), P(r, (), t), C(4), C(False)),
        {},
    ),
    "geomspace-num-1": lambda r, t: (np.geomspace, (P(r, (), t), P(r, (), t), C(1)), {}),
    "geomspace-arrays-axis": lambda r, t: (
        np.geomspace,
        (P(r, 2, t), P(r, (3, 1), t), C(4)),
        {"axis": -1},
    ),
    "geomspace-axis-positional": lambda r, t: (
        np.geomspace,
        (P(r, 3, t), P(r, (), t), C(3), C(True), C(None), C(1)),
        {},
    ),
    "logspace-scalars": lambda r, t: (np.logspace, (S(r, t), S(r, t)), {"num": 4}),
    "logspace-base": lambda r, t: (
        np.logspace,
        (S(r, t), S(r, t), C(5), C(True), P(r, (), t)),
        {},
    ),
    "logspace-base-keyword": lambda r, t: (np.logspace, (S(r, t), S(r, t), C(3)), {"base": 2.0}),
    "logspace-arrays": lambda r, t: (
        np.logspace,
        (A(r, 3, t), A(r, (2, 1), t), C(4), C(False)),
        {"axis": 1},
    ),
    "logspace-array-base": lambda r, t: (
        np.logspace,
        (A(r, 2, t), S(r, t), C(3), C(True), P(r, (3, 1), t), C(None), C(-1)),
        {},
    ),
    "vander": lambda r, t: (np.vander, (A(r, 4, t),), {}),
    "vander-N": lambda r, t: (np.vander, (A(r, 3, t), C(5)), {}),
    "vander-increasing": lambda r, t: (np.vander, (A(r, 3, t), C(4), C(True)), {}),
    "vander-keywords": lambda r, t: (np.vander, (A(r, 3, t),), {"N": 2, "increasing": True}),
    "vander-N-1": lambda r, t: (np.vander, (A(r, 3, t), C(1)), {}),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build", CASES.values(), ids=CASES.keys())
def test_spacing(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


def test_geomspace_negative_endpoints(rng):
    _check(np.geomspace, (-1.5, -6.0, C(5)), {}, rng)


def test_geomspace_ints_and_lists(rng):
    _check(np.geomspace, (1, [10.0, 100.0], C(3)), {}, rng)
    _check(np.vander, ([1.0, 2.0, -1.0],), {}, rng)


def test_integer_dtype_has_no_tangent():
    y, back = rrule(np.geomspace, 1.0, 1000.0, 4, dtype=int)
    assert y.dtype.kind == "i"
    assert back(NoTangent())[1:3] == (ZeroTangent(), ZeroTangent())
    assert frule((NoTangent(), 1.0, 1.0), np.logspace, 0.0, 2.0, dtype=int)[1] == NoTangent()


def test_dtype_option_keeps_derivatives(rng):
    _check(np.geomspace, (1.5, 3.0, C(4)), {"dtype": np.float32}, rng)
    _check(np.logspace, (0.5, 1.0, C(4)), {"dtype": np.complex128}, rng)


def test_geomspace_values():
    """`y_1 = sqrt(start stop)`: d/dstart = stop / (2 y_1), d/dstop = start / (2 y_1)."""
    _, back = rrule(np.geomspace, 1.0, 4.0, 3)
    assert back(np.array([0.0, 1.0, 0.0]))[1:3] == (1.0, 0.25)
    _, back = rrule(np.logspace, 1.0, 2.0, 2, True, 3.0)
    _, dstart, dstop, *_, dbase = back(np.array([1.0, 1.0]))
    assert np.isclose(dstart, 3 * np.log(3)) and np.isclose(dstop, 9 * np.log(3))
    assert np.isclose(dbase, 1 + 2 * 3.0)
