"""Tests of rules/scipy/special/hypergeometric.py: every function through the harness, and the
parameter and zeta derivatives against 40-digit references (mpmath)."""

import numpy as np
import pytest
import scipy.special as sc

from rulescore import NoTangent, NotImplementedTangent, Thunk, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule, test_scalar

F64, F32 = np.float64, np.float32


def _derivatives(f, *args):
    """The frule's partial derivative in each argument, one at a time."""
    result = []
    for i in range(len(args)):
        tangents = [NoTangent()] + [1.0 if j == i else 0.0 for j in range(len(args))]
        result.append(frule(tuple(tangents), f, *args)[1])
    return result


# ---------------------------------------------------------------------------------------------
# hyp1f1, hyp0f1, hyp2f1


@pytest.mark.parametrize("z_range", [(-3.0, 3.0), (-25.0, -8.0), (5.0, 12.0)])
def test_hyp1f1(z_range, rng):
    a, b = rng.uniform(-1.5, 2.0, (3, 1)), rng.uniform(0.6, 3.0, (3, 1))
    z = rng.uniform(*z_range, 4)
    test_rrule(sc.hyp1f1, a, b, z, rng=rng)
    test_frule(sc.hyp1f1, a, b, z, rng=rng)
    test_rrule(sc.hyp1f1, -2.0, 1.5, float(z[0]), rng=rng)  # a polynomial in z
    test_frule(sc.hyp1f1, a.astype(F32), b.astype(F32), z.astype(F32), rng=rng)


def test_hyp1f1_complex(rng):
    z = rng.uniform(-2.0, 2.0, 3) + 1j * rng.uniform(-2.0, 2.0, 3)
    test_rrule(sc.hyp1f1, constant(0.7), constant(1.6), z, rng=rng)
    test_frule(sc.hyp1f1, constant(0.7), constant(1.6), z, rng=rng)
    test_rrule(sc.hyp1f1, 0.7, 1.6, z, rng=rng)
    _, back = rrule(sc.hyp1f1, 0.7, 1.6, z)
    da, db, _ = back(np.ones(3, dtype=complex))[1:]
    assert isinstance(da, NotImplementedTangent) and isinstance(db, NotImplementedTangent)
    assert isinstance(
        frule((NoTangent(), 1.0, 0.0, 0.0), sc.hyp1f1, 0.7, 1.6, z)[1], NotImplementedTangent
    )


@pytest.mark.parametrize(
    ("a", "b", "z", "da", "db"),
    [
        (0.7, 1.9, -12.5, -0.4898688283910299, 0.10350017125532646),
        (0.7, 1.9, 6.0, 99.53352231961841, -51.37399015742111),
        (-2.0, 1.5, 3.0, -0.7676291872426714, 0.10666666666666667),
        (2.5, 0.8, -30.0, -0.0005667844689760975, 5.0961440536385077e-05),
    ],
)
def test_hyp1f1_parameter_values(a, b, z, da, db):
    got = _derivatives(sc.hyp1f1, a, b, z)
    np.testing.assert_allclose(got[:2], [da, db], rtol=1e-11)


@pytest.mark.parametrize("z_range", [(-2.0, 4.0), (-14.0, -4.0)])
def test_hyp0f1(z_range, rng):
    v, z = rng.uniform(0.6, 3.0, (3, 1)), rng.uniform(*z_range, 4)
    test_rrule(sc.hyp0f1, v, z, rng=rng)
    test_frule(sc.hyp0f1, v, z, rng=rng)
    test_rrule(sc.hyp0f1, v.astype(F32), z.astype(F32), rng=rng)
    zc = rng.uniform(-2.0, 2.0, 3) + 1j * rng.uniform(-2.0, 2.0, 3)
    test_rrule(sc.hyp0f1, constant(1.4), zc, rng=rng)
    test_frule(sc.hyp0f1, constant(1.4), zc, rng=rng)


@pytest.mark.parametrize(
    ("v", "z", "dv"),
    [
        (1.3, -30.0, 0.1814773506196339),
        (1.3, 5.0, -12.500710606061421),
        (0.6, -2.0, 2.01094849116501),
        (2.5, -400.0, -0.005040575593188621),
    ],
)
def test_hyp0f1_parameter_values(v, z, dv):
    np.testing.assert_allclose(_derivatives(sc.hyp0f1, v, z)[0], dv, rtol=1e-10)


def test_hyp2f1(rng):
    a, b, c = rng.uniform(-1.0, 2.0, 3)
    c = c + 2.0
    z = rng.uniform(-0.8, 0.6, (2, 3))
    for args in ((a, b, c, z), (a, b, c, z.astype(F32))):
        test_rrule(sc.hyp2f1, *map(constant, args[:3]), args[3], rng=rng)
        test_frule(sc.hyp2f1, *map(constant, args[:3]), args[3], rng=rng)
    zc = rng.uniform(-0.5, 0.5, 3) + 1j * rng.uniform(-0.5, 0.5, 3)
    test_rrule(sc.hyp2f1, constant(a), constant(b), constant(c), zc, rng=rng)
    test_frule(sc.hyp2f1, constant(a), constant(b), constant(c), zc, rng=rng)
    test_rrule(sc.hyp2f1, a, b, c, z, rng=rng)  # parameters: not implemented, not compared
    _, back = rrule(sc.hyp2f1, a, b, c, z)
    assert all(isinstance(t, NotImplementedTangent) for t in back(np.ones((2, 3)))[1:4])


def test_parameter_cotangents_are_lazy():
    _, back = rrule(sc.hyp1f1, 0.5, 1.5, np.array([1.0, 2.0]))
    da, db, dz = back(np.ones(2))[1:]
    assert isinstance(da, Thunk) and isinstance(db, Thunk) and not isinstance(dz, Thunk)
    _, back = rrule(sc.hyp1f1, np.array([1, 2]), 1.5, 2.0)  # integer parameters: no tangents
    assert isinstance(back(np.ones(2))[1], NoTangent)


# ---------------------------------------------------------------------------------------------
# zeta, zetac


@pytest.mark.parametrize("x_range", [(-5.0, 0.3), (1.5, 6.0)])
def test_riemann_zeta(x_range, rng):
    x = rng.uniform(*x_range, (2, 3))
    test_rrule(sc.zeta, x, rng=rng)
    test_frule(sc.zeta, x, rng=rng)
    test_rrule(sc.zeta, x.astype(F32), rng=rng)
    test_scalar(sc.zeta, float(x[0, 0]), rng=rng)
    test_scalar(sc.zetac, float(x[0, 1]), rng=rng)
    test_rrule(sc.zetac, x, rng=rng)
    test_frule(sc.zetac, x.astype(F32), rng=rng)


def test_riemann_zeta_complex(rng):
    z = np.array([2.0 + 3.0j, -1.5 + 2.0j, 0.5 + 14.0j, 0.2 - 0.7j])
    test_rrule(sc.zeta, z, rng=rng)
    test_frule(sc.zeta, z, rng=rng)
    test_scalar(sc.zeta, 1.7 - 0.4j, rng=rng)


def test_hurwitz_zeta(rng):
    x, q = rng.uniform(1.5, 5.0, (3, 1)), rng.uniform(0.4, 3.0, 4)
    test_rrule(sc.zeta, x, q, rng=rng)
    test_frule(sc.zeta, x, q, rng=rng)
    test_rrule(sc.zeta, x.astype(F32), q.astype(F32), rng=rng)
    test_rrule(sc.zeta, x, fkwargs={"q": q}, rng=rng)  # a keyword q is not differentiated
    test_frule(sc.zeta, x, fkwargs={"q": q}, rng=rng)
    test_rrule(sc.zeta, 2.2, 0.8, rng=rng)
    test_frule(sc.zeta, 2.2, 0.8, rng=rng)


@pytest.mark.parametrize(
    ("x", "want"),
    [
        (2.0, -0.9375482543158438),
        (3.0, -0.19812624288563685),
        (-1.0, -0.16542114370045094),
        (0.0, -0.9189385332046728),
        (-3.5, 0.009154213629941512),
        (0.3, -1.9618608600898817),
        (20.0, -6.613530207367108e-07),
        (2 + 3j, 0.1401295901174865 + 0.021514678279196658j),
        (-1.5 + 2j, 0.08086809750560514 - 0.09034837581146521j),
        (0.5 + 14j, 0.7482336961200863 + 0.20443653378499743j),
    ],
)
def test_zeta_derivative_values(x, want):
    np.testing.assert_allclose(_derivatives(sc.zeta, x)[0], want, rtol=1e-12)
    if not isinstance(x, complex):
        np.testing.assert_allclose(_derivatives(sc.zetac, x)[0], want, rtol=1e-12)


def test_hurwitz_derivative_values():
    np.testing.assert_allclose(_derivatives(sc.zeta, 2.5, 0.3)[0], 23.944238179029412, 1e-12)
    assert np.isnan(_derivatives(sc.zeta, 3.0, -1.5)[0])  # q <= 0


def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        rrule(sc.hyp1f1, 1.0, 2.0, np.ones(2), out=np.empty(2))
    with pytest.raises(TypeError, match="out="):
        rrule(sc.zeta, np.ones(2), 1.5, np.empty(2))
    with pytest.raises(TypeError, match="out="):
        frule((NoTangent(), 1.0), sc.zetac, 2.0, out=np.empty(()))
