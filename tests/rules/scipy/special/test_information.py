"""Tests of rules/scipy/special/information.py: every rule through the harness, and the
conventions at the edges of the domains."""

import numpy as np
import pytest
import scipy.special as sc

from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import test_frule, test_rrule, with_tangent

F64, F32, C128 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.complex128)
REAL, ALL = (F64, F32), (F64, F32, C128)

DOMAINS = {
    "real": lambda rng, s: (rng.normal(size=s), rng.normal(size=s) + 1j * rng.normal(size=s)),
    "positive": lambda rng, s: (
        rng.uniform(0.5, 2, s),
        rng.uniform(0.5, 2, s) + 1j * rng.uniform(-1, 1, s),
    ),
    # |r| < 0.5 < 1 < delta, and |r| > 2 > 1.5 > delta: each piece of huber.
    "delta": lambda rng, s: (rng.uniform(1.0, 1.5, s),) * 2,
    "small": lambda rng, s: (rng.choice([-1, 1], s) * rng.uniform(0, 0.5, s),) * 2,
    "large": lambda rng, s: (rng.choice([-1, 1], s) * rng.uniform(2, 3, s),) * 2,
}


def sample(domain, rng, shape, dtype):
    """A NumPy scalar for shape `()`, a Python number for "py", else an array of `dtype`."""
    real, complex_ = DOMAINS[domain](rng, () if shape == "py" else shape)
    value = complex_ if dtype.kind == "c" else real
    if shape == "py":
        return complex(value) if dtype.kind == "c" else float(value)
    return dtype.type(value) if shape == () else np.asarray(value, dtype=dtype)


BINARY = [
    (sc.xlogy, "real", "positive", ALL),
    (sc.xlog1py, "real", "positive", ALL),
    (sc.rel_entr, "positive", "positive", REAL),
    (sc.kl_div, "positive", "positive", REAL),
    (sc.huber, "delta", "small", REAL),
    (sc.huber, "delta", "large", REAL),
    (sc.pseudo_huber, "positive", "real", REAL),
    (sc.pseudo_huber, "positive", "large", REAL),
]
SHAPES = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ("py", (3,))]


def _cases(table):
    return [
        pytest.param(f, *domains, dtype, id=f"{f.__name__}-{'-'.join(domains)}-{dtype}")
        for f, *domains, dtypes in table
        for dtype in dtypes
    ]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize(("f", "domain1", "domain2", "dtype"), _cases(BINARY))
def test_binary(f, domain1, domain2, dtype, shapes, rng):
    x1 = sample(domain1, rng, shapes[0], dtype)
    x2 = sample(domain2, rng, shapes[1], dtype)
    test_rrule(f, x1, x2, rng=rng)
    test_frule(f, x1, x2, rng=rng)
    test_frule(f, with_tangent(x1, ZeroTangent()), x2, rng=rng)


@pytest.mark.parametrize("dtype", REAL, ids=str)
@pytest.mark.parametrize("shape", [(), "py", (2, 3)], ids=str)
def test_entr(shape, dtype, rng):
    x = sample("positive", rng, shape, dtype)
    test_rrule(sc.entr, x, rng=rng)
    test_frule(sc.entr, x, rng=rng)


def _partials(f, *args):
    _, back = rrule(f, *map(np.asarray, args))
    return back(np.ones(np.broadcast_shapes(*map(np.shape, args))))[1:]


def test_xlogy_at_zero(rng):
    # d/dx is log(y) (-inf at y == 0), d/dy is 0 where x == 0, whatever y.
    dx, dy = _partials(sc.xlogy, [0.0, 0.0, 0.0], [0.0, 2.0, -1.0])
    np.testing.assert_array_equal(dx[:2], [-np.inf, np.log(2.0)])
    assert np.isnan(dx[2])
    np.testing.assert_array_equal(dy, [0.0, 0.0, 0.0])
    dx, dy = _partials(sc.xlog1py, [0.0, 0.0], [-1.0, 1.0])
    np.testing.assert_array_equal(dx, [-np.inf, np.log(2.0)])
    np.testing.assert_array_equal(dy, [0.0, 0.0])
    # Smooth in y at x == 0: the harness agrees.
    test_rrule(sc.xlogy, np.zeros(3), rng.uniform(0.5, 2, 3), rng=rng)
    test_frule(sc.xlogy, np.zeros(3), rng.uniform(0.5, 2, 3), rng=rng)


def test_entropies_at_the_edges():
    (dx,) = _partials(sc.entr, [0.0, -1.0])
    np.testing.assert_array_equal(dx, [np.inf, np.nan])
    dx, dy = _partials(sc.rel_entr, [0.0, 0.0, -1.0, 1.0], [2.0, 0.0, 1.0, -1.0])
    np.testing.assert_array_equal(dx, [-np.inf, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(dy, [0.0, 0.0, np.nan, np.nan])
    dx, dy = _partials(sc.kl_div, [0.0, 0.0, -1.0, 1.0], [2.0, 0.0, 1.0, -1.0])
    np.testing.assert_array_equal(dx, [-np.inf, np.nan, np.nan, np.nan])
    np.testing.assert_array_equal(dy, [1.0, 1.0, np.nan, np.nan])


def test_huber_and_pseudo_huber_at_special_points():
    # At |r| == delta the two pieces of huber have the same slopes.
    ddelta, dr = _partials(sc.huber, [1.0, 1.0, 0.0, -1.0], [1.0, -1.0, 2.0, 1.0])
    np.testing.assert_array_equal(ddelta, [0.0, 0.0, 2.0, np.nan])
    np.testing.assert_array_equal(dr, [1.0, -1.0, 0.0, np.nan])
    # pseudo_huber(delta, r) -> delta |r| as delta -> 0; 0 at the origin; inf for delta < 0.
    ddelta, dr = _partials(sc.pseudo_huber, [0.0, 0.0, 0.0, -1.0], [3.0, -2.0, 0.0, 1.0])
    np.testing.assert_array_equal(ddelta, [3.0, 2.0, 0.0, np.nan])
    np.testing.assert_array_equal(dr, [0.0, 0.0, 0.0, np.nan])
    # No overflow for large r: d/ddelta ~ |r|, d/dr ~ delta sign(r).
    ddelta, dr = _partials(sc.pseudo_huber, [2.0, 2.0], [1e200, -1e200])
    np.testing.assert_allclose(ddelta, [1e200, 1e200], rtol=1e-14)
    np.testing.assert_allclose(dr, [2.0, -2.0], rtol=1e-14)


def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        frule((NoTangent(), 1.0, 1.0), sc.xlogy, 1.0, 2.0, out=np.empty(()))
