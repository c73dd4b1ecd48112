"""Tests of rules/scipy/special/errors.py: every rule through the harness, and `log_ndtr`
far in its tails."""

import math

import numpy as np
import pytest
import scipy.special as sc

from rulescore import NoTangent, frule, rrule, unthunk
from rulescore.testing import test_frule, test_rrule, test_scalar

F64, F32, C128 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.complex128)
REAL, ALL = (F64, F32), (F64, F32, C128)

DOMAINS = {
    "real": lambda rng, s: (
        rng.uniform(-2, 2, s),
        rng.uniform(-1.5, 1.5, s) + 1j * rng.uniform(-1.5, 1.5, s),
    ),
    "unit": lambda rng, s: (rng.uniform(-0.7, 0.7, s),) * 2,
    "zero_to_two": lambda rng, s: (rng.uniform(0.3, 1.7, s),) * 2,
    "probability": lambda rng, s: (rng.uniform(0.25, 0.75, s),) * 2,
    # wofz is analytic everywhere; erfcx grows like exp(-z²) in the left half-plane.
    "upper": lambda rng, s: (
        rng.uniform(-2, 2, s),
        rng.uniform(-2, 2, s) + 1j * rng.uniform(0, 2, s),
    ),
}


def sample(domain, rng, shape, dtype):
    """A NumPy scalar for shape `()`, a Python number for "py", else an array of `dtype`."""
    real, complex_ = DOMAINS[domain](rng, () if shape == "py" else shape)
    value = complex_ if dtype.kind == "c" else real
    if shape == "py":
        return complex(value) if dtype.kind == "c" else float(value)
    return dtype.type(value) if shape == () else np.asarray(value, dtype=dtype)


UNARY = [
    (sc.erf, "real", ALL),
    (sc.erfc, "real", ALL),
    (sc.erfcx, "upper", ALL),
    (sc.erfi, "real", ALL),
    (sc.dawsn, "real", ALL),
    (sc.wofz, "upper", ALL),
    (sc.ndtr, "real", ALL),
    (sc.log_ndtr, "real", ALL),
    (sc.erfinv, "unit", REAL),
    (sc.erfcinv, "zero_to_two", REAL),
    (sc.ndtri, "probability", REAL),
]


def _cases(table):
    return [
        pytest.param(f, domain, dtype, id=f"{f.__name__}-{dtype}")
        for f, domain, dtypes in table
        for dtype in dtypes
    ]


@pytest.mark.parametrize("shape", [(), "py", (2, 3)], ids=str)
@pytest.mark.parametrize(("f", "domain", "dtype"), _cases(UNARY))
def test_unary(f, domain, dtype, shape, rng):
    x = sample(domain, rng, shape, dtype)
    test_rrule(f, x, rng=rng)
    test_frule(f, x, rng=rng)


@pytest.mark.parametrize("f", [sc.erf, sc.erfc, sc.erfcx, sc.erfi, sc.dawsn, sc.wofz, sc.ndtr])
def test_scalar_complex(f, rng):
    test_scalar(f, 0.6 + 0.4j, rng=rng)
    test_scalar(f, -0.3 + 1.1j, rng=rng)


def test_wofz_of_a_real_argument():
    # w(x) for real x: the cotangent of x is the real part of conj(w'(x)) dy.
    x = np.array([-1.0, 0.5])
    _, back = rrule(sc.wofz, x)
    expected = -2 * x * sc.wofz(x) + 2j / np.sqrt(np.pi)
    np.testing.assert_allclose(back(np.ones(2) + 0j)[1], expected.real, rtol=1e-14)
    assert frule((NoTangent(), np.ones(2)), sc.wofz, x)[1].dtype == np.complex128


@pytest.mark.parametrize("dtype", REAL)
def test_log_ndtr_in_the_tails(dtype, rng):
    # φ(x)/Φ(x) = t / (t R(t)) with t = -x -> inf and Mills' ratio
    # t R(t) ~ 1 - 1/t² + 3/t⁴ - 15/t⁶ + 105/t⁸ - 945/t¹⁰; it tends to 0 (without overflow)
    # for x -> inf.
    x = np.array([-1e5, -1e3, -40.0, 10.0, 40.0, 1e3], dtype=dtype)
    _, back = rrule(sc.log_ndtr, x)
    dx = unthunk(back(np.ones(6, dtype=dtype))[1])
    t = -x[:3].astype(np.float64)
    mills = t / np.polyval([-945, 105, -15, 3, -1, 1], 1 / t**2)
    np.testing.assert_allclose(dx[:3], mills, rtol=1e-14 if dtype == F64 else 1e-6)
    assert np.isfinite(dx).all() and (dx[3:] < 1e-20).all()
    test_rrule(sc.log_ndtr, np.array([-30.0, -5.0], dtype=dtype), rng=rng)
    test_frule(sc.log_ndtr, np.array([-30.0, -5.0], dtype=dtype), rng=rng)


def test_log_ndtr_matches_ndtr():
    x = np.linspace(-5, 5, 11)
    _, back = rrule(sc.log_ndtr, x)
    expected = np.exp(-(x**2) / 2) / math.sqrt(2 * math.pi) / sc.ndtr(x)
    np.testing.assert_allclose(back(np.ones(11))[1], expected, rtol=1e-13)


def test_inverses_at_the_ends_of_their_domains():
    _, back = rrule(sc.erfinv, np.array([-1.0, 1.0]))
    np.testing.assert_array_equal(back(np.ones(2))[1], [np.inf, np.inf])
    _, back = rrule(sc.ndtri, np.array([0.0, 1.0]))
    np.testing.assert_array_equal(back(np.ones(2))[1], [np.inf, np.inf])


def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        rrule(sc.erf, np.ones(2), out=np.empty(2))
