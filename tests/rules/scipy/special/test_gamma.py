"""Tests of rules/scipy/special/gamma.py: every rule through the harness, and the values at
the poles of Γ."""

import math

import numpy as np
import pytest
import scipy.special as sc

from rules.scipy.special.gamma import _trigamma
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar, with_tangent

F64, F32, C128 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.complex128)
REAL, ALL = (F64, F32), (F64, F32, C128)

# Each domain draws (real values, complex values) where the function is smooth within the
# reach of finite differences.
DOMAINS = {
    "positive": lambda rng, s: (
        rng.uniform(0.5, 4, s),
        rng.uniform(0.5, 4, s) + 1j * rng.uniform(-2, 2, s),
    ),
    # Between the poles of Γ, and off the real axis on the left.
    "between_poles": lambda rng, s: (
        rng.integers(-3, 3, s) + rng.uniform(0.3, 0.7, s),
        rng.uniform(-3, 3, s) + 1j * rng.choice([-1, 1], s) * rng.uniform(0.3, 2, s),
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
    (sc.gamma, "between_poles", ALL),
    (sc.rgamma, "between_poles", ALL),
    (sc.gammaln, "between_poles", REAL),
    (sc.loggamma, "positive", ALL),
    (sc.digamma, "between_poles", ALL),
    (sc.gammasgn, "between_poles", REAL),
]


def _cases(table):
    return [
        pytest.param(f, *rest, dtype, id=f"{f.__name__}-{dtype}")
        for f, *rest, dtypes in table
        for dtype in dtypes
    ]


@pytest.mark.parametrize("shape", [(), "py", (2, 3)], ids=str)
@pytest.mark.parametrize(("f", "domain", "dtype"), _cases(UNARY))
def test_unary(f, domain, dtype, shape, rng):
    x = sample(domain, rng, shape, dtype)
    test_rrule(f, x, rng=rng)
    test_frule(f, x, rng=rng)


@pytest.mark.parametrize("x", [1.7, -1.4, 2.5 - 1.5j, -3.2 + 0.4j])
@pytest.mark.parametrize("f", [sc.gamma, sc.rgamma, sc.digamma])
def test_scalar_real_and_complex(f, x, rng):
    test_scalar(f, x, rng=rng)


def test_loggamma_in_the_left_half_plane(rng):
    # Analytic off its branch cut, the negative real axis.
    for z in (-2.5 + 0.5j, -0.3 - 1.2j, 3.0 - 4.0j):
        test_scalar(sc.loggamma, z, rng=rng)


def test_psi_is_digamma():
    assert sc.psi is sc.digamma
    assert rrule.has_rule(sc.psi) and frule.has_rule(sc.psi)


def test_trigamma_of_complex_argument():
    x = np.array([-3.3, -0.5, 0.2, 0.7, 1.0, 4.5, 30.0])
    np.testing.assert_allclose(_trigamma(x + 0j), sc.polygamma(1, x), rtol=1e-13)
    # Conjugate symmetry and the recurrence ψ'(z) = ψ'(z + 1) + 1/z².
    z = np.array([0.3 + 2j, -2.5 + 0.5j, 6 - 9j, 1e-3j + 1, -1 + 300j, -1000 - 300j])
    np.testing.assert_allclose(_trigamma(np.conj(z)), np.conj(_trigamma(z)), rtol=1e-13)
    np.testing.assert_allclose(_trigamma(z), _trigamma(z + 1) + 1 / z**2, rtol=1e-12)


def test_rgamma_at_the_poles_of_gamma(rng):
    # 1/Γ is entire: d/dx 1/Γ(x) at x = -m is (-1)**m m!.
    x = np.array([0.0, -1.0, -2.0, -3.0])
    _, back = rrule(sc.rgamma, x)
    np.testing.assert_allclose(back(np.ones(4))[1], [1.0, -1.0, 2.0, -6.0], rtol=1e-14)
    _, dy = frule((NoTangent(), np.ones(4) + 0j), sc.rgamma, x + 0j)
    np.testing.assert_allclose(dy, [1.0, -1.0, 2.0, -6.0], rtol=1e-14)
    test_rrule(sc.rgamma, x, rng=rng)
    test_frule(sc.rgamma, x, rng=rng)


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_polygamma(n, rng):
    x = sample("between_poles", rng, (2, 3), F64)
    test_rrule(sc.polygamma, constant(n), x, rng=rng)
    test_frule(sc.polygamma, constant(n), x, rng=rng)
    test_rrule(sc.polygamma, constant(n), rng.uniform(0.5, 3), rng=rng)


def test_polygamma_orders_as_an_array(rng):
    # An integer array of orders has no tangent space: NoTangent, broadcast against x.
    n, x = np.array([0, 1, 2]), rng.uniform(0.5, 3, (2, 3))
    test_rrule(sc.polygamma, n, x, rng=rng)
    test_frule(sc.polygamma, n, x, rng=rng)
    _, back = rrule(sc.polygamma, n, x)
    assert back(np.ones((2, 3)))[1] is NoTangent()


@pytest.mark.parametrize("d", [1, 2, 5])
def test_multigammaln(d, rng):
    a = rng.uniform(3, 5, (3,))
    test_rrule(sc.multigammaln, a, constant(d), rng=rng)
    test_frule(sc.multigammaln, a, constant(d), rng=rng)
    test_rrule(sc.multigammaln, float(a[0]), constant(d), rng=rng)
    test_frule(sc.multigammaln, float(a[0]), constant(d), rng=rng)
    test_rrule(sc.multigammaln, a, fkwargs={"d": d}, rng=rng)
    test_frule(sc.multigammaln, a, fkwargs={"d": d}, rng=rng)


def test_gammasgn_is_piecewise_constant():
    _, back = rrule(sc.gammasgn, np.array([-1.5, 2.0]))
    assert unthunk(back(np.ones(2))[1]) is ZeroTangent()
    assert frule((NoTangent(), np.ones(2)), sc.gammasgn, np.array([-1.5, 2.0]))[1] is ZeroTangent()


BINARY = [
    (sc.beta, "positive", "positive", REAL),
    (sc.betaln, "positive", "positive", REAL),
    (sc.binom, "positive", "positive", REAL),
    (sc.poch, "positive", "positive", REAL),
    (sc.beta, "between_poles", "positive", (F64,)),
    (sc.poch, "between_poles", "positive", (F64,)),
]
BINARY_SHAPES = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ("py", (3,))]


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize(("f", "domain1", "domain2", "dtype"), _cases(BINARY))
def test_binary(f, domain1, domain2, dtype, shapes, rng):
    x1 = sample(domain1, rng, shapes[0], dtype)
    x2 = sample(domain2, rng, shapes[1], dtype)
    if f is sc.binom:  # n > k - 1: away from the zeros and poles of binom
        x1 = x1 + 3
    test_rrule(f, x1, x2, rng=rng)
    test_frule(f, x1, x2, rng=rng)
    test_frule(f, x1, with_tangent(x2, ZeroTangent()), rng=rng)


def test_binom_negative_n_and_k(rng):
    # binom(n, k) = Γ(n + 1) / (Γ(k + 1) Γ(n - k + 1)) off the integers.
    n = rng.integers(-4, 4, 5) + rng.uniform(0.3, 0.7, 5)
    k = rng.integers(-3, 3, 5) + rng.uniform(0.3, 0.7, 5)
    test_rrule(sc.binom, n, k, rng=rng)
    test_frule(sc.binom, n, k, rng=rng)


# (n, k, d/dn, d/dk) where binom vanishes because a 1/Γ factor does.
BINOM_ZEROS = [
    # binom(n, 3) = n (n - 1) (n - 2) / 6: d/dn at n = 2 is 1/3; d/dk through 1/Γ(n - k + 1).
    (2.0, 3.0, 1 / 3, -1 / 3),
    (1.0, 3.0, -1 / 6, 1 / 6),
    (0.0, 2.0, -1 / 2, 1 / 2),
    # k = -1: d/dk = Γ(n + 1) (1/Γ)'(0) / Γ(n + 2) = 1 / (n + 1)
    (2.5, -1.0, 0.0, 1 / 3.5),
]


@pytest.mark.parametrize(("n", "k", "dn", "dk"), BINOM_ZEROS)
def test_binom_where_it_vanishes(n, k, dn, dk, rng):
    assert sc.binom(n, k) == 0
    _, back = rrule(sc.binom, n, k)
    assert back(1.0)[1:] == pytest.approx((dn, dk), rel=1e-12, abs=1e-15)
    test_rrule(sc.binom, n, k, rng=rng)
    test_frule(sc.binom, n, k, rng=rng)


def test_poch_at_poles(rng):
    # poch(-2, 3.5) == 0 through 1/Γ(-2): d/dz = Γ(1.5) (1/Γ)'(-2) = 2 Γ(1.5), d/dm = 0.
    _, back = rrule(sc.poch, -2.0, 3.5)
    assert back(1.0)[1:] == pytest.approx((2 * math.gamma(1.5), 0.0), rel=1e-13)
    test_rrule(sc.poch, -2.0, 3.5, rng=rng)
    test_frule(sc.poch, -2.0, 3.5, rng=rng)
    # poch(z, 2) = z (z + 1): d/dz = 2z + 1 at the poles z = -2, -3; poch(-3, 3) == -6 and
    # d/dz = 3z² + 6z + 2. The derivative in m does not exist there: NaN.
    z, m = np.array([-2.0, -3.0, -3.0]), np.array([2.0, 2.0, 3.0])
    _, back = rrule(sc.poch, z, m)
    _, dz, dm = map(unthunk, back(np.ones(3)))
    np.testing.assert_allclose(dz, [-3.0, -5.0, 11.0], rtol=1e-13)
    assert np.isnan(dm).all()
    test_rrule(sc.poch, z, constant(m), rng=rng)
    test_frule(sc.poch, z, constant(m), rng=rng)


def test_beta_where_a_plus_b_is_a_pole(rng):
    # B(a, b) = Γ(a) Γ(b) / Γ(a + b) vanishes at a + b = -1: the derivative goes through 1/Γ.
    a, b = np.array([-0.5, -1.5, 0.5]), np.array([-0.5, 0.5, -2.5])
    np.testing.assert_array_equal(sc.beta(a, b), 0)
    _, back = rrule(sc.beta, a, b)
    expected = [
        math.gamma(x) * math.gamma(y) * (-1) for x, y in zip(a, b, strict=True)
    ]  # (1/Γ)'(-1) = -1
    expected[2] = math.gamma(0.5) * math.gamma(-2.5) * 2  # (1/Γ)'(-2) = 2
    np.testing.assert_allclose(back(np.ones(3))[1], expected, rtol=1e-13)
    test_rrule(sc.beta, a, b, rng=rng)
    test_frule(sc.beta, a, b, rng=rng)


def test_no_warnings_at_poles():
    # pytest turns warnings into errors: the rules stay quiet where SciPy does.
    for f in (sc.gamma, sc.rgamma, sc.gammaln, sc.digamma):
        _, back = rrule(f, np.array([0.0, -2.0, 1.0]))
        back(np.ones(3))
    for f in (sc.beta, sc.binom, sc.poch):
        _, back = rrule(f, np.array([-1.0, 0.0, -2.0]), np.array([-2.0, 0.0, 4.0]))
        back(np.ones(3))


def test_out_is_refused():
    with pytest.raises(TypeError, match="out="):
        rrule(sc.gamma, np.ones(2), out=np.empty(2))
    with pytest.raises(TypeError, match="out="):
        frule(
            (NoTangent(), np.ones(2), np.ones(2)), sc.beta, np.ones(2), np.ones(2), out=np.empty(2)
        )
