"""Tests of rules.numpy.polynomial_fits: polyfit, poly, roots, polydiv through the harness."""

import warnings

import numpy as np
import pytest

import rules.numpy.polynomial_fits  # noqa: F401  (registers the rules)
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, on_subspace, test_frule, test_rrule, with_tangent

DTYPES = [np.float64, np.float32, np.complex128]
C = constant


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def X(rng, dtype, m=7):
    """Abscissae spread over [-1, 1] (a well-conditioned Vandermonde matrix)."""
    return np.linspace(-1.0, 1.0, m).astype(dtype) + 0.05 * A(rng, m, dtype)


def W(rng, dtype, m=7):
    return (1 + 0.3 * rng.random(m)).astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


NONE, FALSE = C(None), C(False)

# id -> builder(rng, dtype) -> (function, args, fkwargs)
POLYFIT = {
    "vector": lambda r, t: ((X(r, t), A(r, 7, t), C(2)), {}),
    "columns": lambda r, t: ((X(r, t), A(r, (7, 3), t), C(3)), {}),
    "degree-0": lambda r, t: ((X(r, t), A(r, 7, t), C(0)), {}),
    "interpolating": lambda r, t: ((X(r, t, 4), A(r, 4, t), C(3)), {}),
    "weights-positional": lambda r, t: ((X(r, t), A(r, 7, t), C(2), NONE, FALSE, W(r, t)), {}),
    "weights-keyword": lambda r, t: ((X(r, t), A(r, (7, 2), t), C(2)), {"w": W(r, t)}),
    "full-rcond": lambda r, t: ((X(r, t), A(r, 7, t), C(2), 1e-6, C(True), W(r, t)), {}),
    "cov": lambda r, t: ((X(r, t), A(r, 7, t), C(2), NONE, FALSE, W(r, t), C(True)), {}),
    "cov-columns": lambda r, t: ((X(r, t), A(r, (7, 2), t), C(2), NONE, FALSE, NONE, C(True)), {}),
    "cov-unscaled": lambda r, t: (
        (X(r, t), A(r, (7, 2), t), C(1), NONE, FALSE, NONE, C("unscaled")),
        {},
    ),
    "cov-unscaled-vector": lambda r, t: (
        (X(r, t), A(r, 7, t), C(2), NONE, FALSE, NONE, C("unscaled")),
        {},
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build", POLYFIT.values(), ids=POLYFIT.keys())
def test_polyfit(build, dtype, rng):
    args, fkwargs = build(rng, dtype)
    _check(np.polyfit, args, fkwargs, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_polyfit_full_singular_values(dtype, rng):
    """`full=True` with the singular values (float32 is left out: LAPACK's float32 singular
    values of a perturbed matrix are too noisy for finite differences)."""
    _check(np.polyfit, (X(rng, dtype), A(rng, (7, 2), dtype), C(1), NONE, C(True)), {}, rng)


def test_polyfit_complex_weights(rng):
    w = W(rng, np.float64) + 0.3j * rng.standard_normal(7)
    _check(
        np.polyfit, (X(rng, np.complex128), A(rng, 7, np.complex128), C(2), NONE, FALSE, w), {}, rng
    )


def test_polyfit_lists(rng):
    _check(np.polyfit, ([0.0, 1.0, 2.0, 3.5], [1.0, -1.0, 0.5, 2.0], C(1)), {}, rng)


def test_polyfit_rcond_passes_through_full_output(rng):
    x, y = X(rng, np.float64), A(rng, 7, np.float64)
    _, dout = frule((NoTangent(),) + (ZeroTangent(),) * 3 + (0.5,), np.polyfit, x, y, 2, 1e-3, True)
    np.testing.assert_array_equal(dout[0], np.zeros(3))
    assert dout[2] == NoTangent() and dout[4] == 0.5
    _, back = rrule(np.polyfit, x, y, 2, 1e-3, True)
    seed = (ZeroTangent(), ZeroTangent(), NoTangent(), ZeroTangent(), 2.0)
    assert back(seed)[4] == 2.0 and back(seed)[1] == ZeroTangent()


def test_polyfit_rank_deficient_is_not_implemented():
    x, y = np.array([1.0, 1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0, 4.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.RankWarning)
        _, back = rrule(np.polyfit, x, y, 3)
        dy = frule((NoTangent(), np.ones(4), np.ones(4), NoTangent()), np.polyfit, x, y, 3)[1]
    _, dx, dy_, _ = back(np.ones(4))
    assert isinstance(dx, NotImplementedTangent) and isinstance(dy_, NotImplementedTangent)
    assert isinstance(dy, NotImplementedTangent)


def test_polyfit_linear_in_y():
    """The fit is linear in `y`: its cotangent is the pseudo-inverse's transpose applied."""
    x, y = np.array([0.0, 1.0, 2.0, 3.0]), np.array([1.0, 3.0, 2.0, 5.0])
    _, back = rrule(np.polyfit, x, y, 1)
    dc = np.array([1.0, -2.0])
    np.testing.assert_allclose(back(dc)[2], np.linalg.pinv(np.vander(x, 2)).T @ dc, rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# poly, roots, polydiv

POLY = {
    "poly-roots": lambda r, t: (np.poly, (A(r, 4, t),)),
    "poly-one-root": lambda r, t: (np.poly, (A(r, 1, t),)),
    "poly-matrix": lambda r, t: (np.poly, (A(r, (3, 3), t),)),
    "poly-matrix-1x1": lambda r, t: (np.poly, (A(r, (1, 1), t),)),
    "poly-matrix-4x4": lambda r, t: (np.poly, (A(r, (4, 4), t),)),
    "roots-real": lambda r, t: (np.roots, (np.poly([-1.5, 0.5, 2.0]).astype(t),)),
    "roots-leading-1": lambda r, t: (np.roots, (3 * np.poly([-1.0, 0.5, 1.5]).astype(t),)),
    "roots-quadratic": lambda r, t: (np.roots, (np.array([2.0, -1.0, -3.0], dtype=t),)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("build", POLY.values(), ids=POLY.keys())
def test_poly_and_roots(build, dtype, rng):
    f, args = build(rng, dtype)
    _check(f, args, {}, rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_roots_complex_roots_of_real_polynomial(dtype, rng):
    """Conjugate roots (a complex output) of real coefficients: the cotangent is real."""
    _check(np.roots, (np.array([1.0, 0.4, 2.0, -1.0], dtype=dtype),), {}, rng)


def test_roots_of_complex_polynomial(rng):
    _check(np.roots, (A(rng, 5, np.complex128),), {}, rng)


POLYDIV = {
    "longer": lambda r, t: (A(r, 5, t), A(r, 3, t)),
    "same-degree": lambda r, t: (A(r, 3, t), A(r, 3, t)),
    "shorter": lambda r, t: (A(r, 2, t), A(r, 4, t)),
    "constant-divisor": lambda r, t: (A(r, 4, t), A(r, 1, t)),
    "linear-divisor": lambda r, t: (A(r, 6, t), A(r, 2, t)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("build", POLYDIV.values(), ids=POLYDIV.keys())
def test_polydiv(build, dtype, rng):
    """(float32 is left out: NumPy strips the remainder's leading entries below 1e-8, and a
    float32 division leaves rounding residues above that: the output length then changes
    under finite differences. The float32 rules are checked against float64 below.)"""
    _check(np.polydiv, build(rng, dtype), {}, rng)


def test_polydiv_float32_matches_float64(rng):
    u, v = A(rng, 5, np.float64), A(rng, 3, np.float64)
    du, dv = A(rng, 5, np.float64), A(rng, 3, np.float64)
    (_, r), (dq, dr) = frule((NoTangent(), du, dv), np.polydiv, u, v)
    u32, v32 = u.astype(np.float32), v.astype(np.float32)
    (q32, r32), (dq32, dr32) = frule(
        (NoTangent(), du.astype(np.float32), dv.astype(np.float32)), np.polydiv, u32, v32
    )
    np.testing.assert_allclose(dq32, dq, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(dr32[-len(r) :], dr, rtol=1e-3, atol=1e-4)
    _, back = rrule(np.polydiv, u32, v32)
    _, gu, gv = back((np.ones_like(q32), np.ones_like(r32)))
    assert gu.dtype == np.float32 and gv.dtype == np.float32


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (np.poly, ([1.0, 2.0, -0.5],)),
        (np.roots, ([1.0, -3.0, 2.0],)),
        (np.polydiv, ([1.0, 2.0, 3.0], [1.0, 0.5])),
        (np.polydiv, (2.0, [1.0, 0.5])),
        (np.polyfit, ([0.0, 1.0, 2.0], [1.0, 0.0, 2.0], C(1))),
    ],
    ids=["poly", "roots", "polydiv", "polydiv-scalar", "polyfit"],
)
def test_lists_as_arrays(f, args, rng):
    _check(f, args, {}, rng)


def test_poly_conjugate_pairs_give_real_coefficients(rng):
    """Roots in conjugate pairs: NumPy returns real coefficients, and the rules are exact
    along tangents that keep the pairs conjugate."""
    roots = np.array([1.0 + 2.0j, 1.0 - 2.0j, -0.5 + 0.0j])

    def conjugate_pairs(d):
        d = np.asarray(d, dtype=complex)
        pair = (d[0] + np.conj(d[1])) / 2
        return np.array([pair, np.conj(pair), d[2].real + 0j])

    assert np.poly(roots).dtype == np.float64
    test_frule(np.poly, on_subspace(roots, conjugate_pairs), rng=rng)
    _, back = rrule(np.poly, roots)
    droots = back(np.array([0.0, 1.0, 0.0, 0.0]))[1]  # a_1 = -(r_0 + r_1 + r_2)
    np.testing.assert_allclose(droots, -np.ones(3), atol=1e-15)


def test_poly_of_no_roots():
    y, back = rrule(np.poly, np.array([]))
    assert y == 1.0 and back(1.0)[1] == ZeroTangent()


def test_roots_repeated_root_is_not_finite():
    with np.errstate(all="ignore"):
        _, back = rrule(np.roots, np.array([1.0, -2.0, 1.0]))
        assert not np.all(np.isfinite(back(np.array([1.0, 0.0]))[1]))


def test_roots_leading_and_trailing_zeros(rng):
    """Leading zeros get the derivative of the roots that exist; a trailing zero is the
    coefficient whose root is 0, `dr = -dp_n / p'(0)`."""
    p = np.array([0.0, 1.0, -3.0, 2.0, 0.0])  # x (x - 1)(x - 2): roots 2, 1, 0
    r, back = rrule(np.roots, p)
    np.testing.assert_allclose(r, [2.0, 1.0, 0.0], atol=1e-14)
    slope = np.polyval(np.polyder(p), r)
    for i in range(3):
        seed = np.eye(3)[i]
        np.testing.assert_allclose(back(seed)[1], -(r[i] ** np.arange(4, -1, -1)) / slope[i])
    dp = rng.standard_normal(5)
    dp[0] = dp[-1] = 0.0  # finite differences need the structure kept
    test_frule(np.roots, with_tangent(p, dp), rng=rng)


def test_poly1d_has_no_polydiv_rule():
    assert rrule(np.polydiv, np.poly1d([1.0, 2.0]), np.poly1d([1.0])) is None
