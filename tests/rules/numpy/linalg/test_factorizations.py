"""Tests of rules/numpy/linalg/factorizations.py: every rule through the harness, over shapes
and dtypes (the fixtures are in conftest.py).

The inputs read as Hermitian and the outputs with a gauge freedom are checked through the
composites of conftest.py (`composite`), with the gauge-invariant `post` maps defined here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import rules.numpy.linalg.factorizations  # noqa: F401  (registers the rules)
from rulescore import (
    AbstractZero,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    ZeroTangent,
    frule,
    rrule,
    unthunk,
)
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

Fixture = Callable[..., Any]  # the fixtures of conftest.py: random inputs, check, composite

la = np.linalg
REAL_COMPLEX = pytest.mark.parametrize("dtype", [np.float64, np.complex128])
ALL_DTYPES = pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
SQUARE = pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3, 3)])
ANY_SHAPE = pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 3, 4), (2, 4, 3)])


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def _herm(x: Any) -> Any:
    return (x + _mH(x)) / 2


def _fields(y: Any, dy: Any) -> list[Any]:
    """The tangent `dy` of a tuple or namedtuple `y` as a list, zeros as zero arrays."""
    dy = unthunk(dy)
    out = []
    for i, yi in enumerate(y):
        di = unthunk(dy[i]) if not isinstance(dy, AbstractZero) else dy
        out.append(np.zeros_like(yi) if isinstance(di, AbstractZero) else di)
    return out


# ---------------------------------------------------------------------------------------------
# gauge-invariant post maps for `composite`


def _squared_modulus(y: Any) -> Any:
    """(values, |vectors|^2): invariant under a phase of each eigenvector."""
    return y[0], np.abs(y[1]) ** 2


def _squared_modulus_jvp(y: Any, dy: Any) -> Any:
    dl, dv = _fields(y, dy)
    return dl, 2 * np.real(np.conj(y[1]) * dv)


def _squared_modulus_vjp(y: Any, dz: Any) -> Any:
    dl, dw = _fields(_squared_modulus(y), dz)
    return Tangent[type(y)](dl, 2 * dw * y[1])


def _svd_invariants(weights: Any) -> tuple[Callable[..., Any], ...]:
    """post, jvp, vjp for `(S, U1 diag(w) Vh1, |U1|^2, |Vh1|^2, U2 U2^H, Vh2^H Vh2)`: invariant
    under a joint phase of u_i and v_i, and under a unitary mix of the completions U2, Vh2."""

    def svd_invariants(y: Any) -> Any:
        u, s, vh = y
        k = s.shape[-1]
        u1, vh1, u2, vh2 = u[..., :, :k], vh[..., :k, :], u[..., :, k:], vh[..., k:, :]
        return (
            s,
            (u1 * weights) @ vh1,
            np.abs(u1) ** 2,
            np.abs(vh1) ** 2,
            u2 @ _mH(u2),
            _mH(vh2) @ vh2,
        )

    def jvp(y: Any, dy: Any) -> Any:
        (u, s, vh), (du, ds, dvh) = y, _fields(y, dy)
        k = s.shape[-1]
        u1, vh1, u2, vh2 = u[..., :, :k], vh[..., :k, :], u[..., :, k:], vh[..., k:, :]
        du1, dvh1, du2, dvh2 = du[..., :, :k], dvh[..., :k, :], du[..., :, k:], dvh[..., k:, :]
        return (
            ds,
            (du1 * weights) @ vh1 + (u1 * weights) @ dvh1,
            2 * np.real(np.conj(u1) * du1),
            2 * np.real(np.conj(vh1) * dvh1),
            du2 @ _mH(u2) + u2 @ _mH(du2),
            _mH(dvh2) @ vh2 + _mH(vh2) @ dvh2,
        )

    def vjp(y: Any, dz: Any) -> Any:
        u, s, vh = y
        k = s.shape[-1]
        u1, vh1, u2, vh2 = u[..., :, :k], vh[..., :k, :], u[..., :, k:], vh[..., k:, :]
        ds, dm, da, db, dp, dq = _fields(svd_invariants(y), dz)
        du1 = (dm @ _mH(vh1)) * weights + 2 * da * u1
        dvh1 = weights[..., :, None] * (_mH(u1) @ dm) + 2 * db * vh1
        du2 = (dp + _mH(dp)) @ u2
        dvh2 = vh2 @ (dq + _mH(dq))
        return Tangent[type(y)](
            np.concatenate([du1, du2], -1), ds, np.concatenate([dvh1, dvh2], -2)
        )

    return svd_invariants, jvp, vjp


def _projector(x: Any) -> Any:
    return x @ _mH(x)


def _projector_jvp(x: Any, dx: Any) -> Any:
    return dx @ _mH(x) + x @ _mH(dx)


def _projector_vjp(x: Any, dp: Any) -> Any:
    return (dp + _mH(dp)) @ x


def _eigh_block(k: int) -> tuple[Callable[..., Any], ...]:
    """post, jvp, vjp for `(sum(l[:k]), sum(l[k:]), V[:, :k] V[:, :k]^H)`: smooth where the
    eigenvalues `l[:k]` and `l[k:]` form two clusters, however each one splits."""

    def eigh_block(y: Any) -> Any:
        lam, v = y
        return np.sum(lam[..., :k], -1), np.sum(lam[..., k:], -1), _projector(v[..., :, :k])

    def jvp(y: Any, dy: Any) -> Any:
        dl, dv = _fields(y, dy)
        dp = _projector_jvp(y[1][..., :, :k], dv[..., :, :k])
        return np.sum(dl[..., :k], -1), np.sum(dl[..., k:], -1), dp

    def vjp(y: Any, dz: Any) -> Any:
        ds, drest, dp = _fields(eigh_block(y), dz)
        first = np.arange(y[0].shape[-1]) < k
        dl = np.where(first, np.asarray(ds)[..., None], np.asarray(drest)[..., None])
        dv = np.zeros_like(y[1])
        dv[..., :, :k] = _projector_vjp(y[1][..., :, :k], dp)
        return Tangent[type(y)](dl, dv)

    return eigh_block, jvp, vjp


def _weighted(y: Any) -> Any:
    """(values, V diag(1, 2, ..) V^H): invariant under a sign (phase) of each eigenvector, and
    with distinct weights it determines dV."""
    lam, v = y
    return lam, (v * np.arange(1.0, lam.shape[-1] + 1)) @ _mH(v)


def _weighted_jvp(y: Any, dy: Any) -> Any:
    (lam, v), (dl, dv) = y, _fields(y, dy)
    w = np.arange(1.0, lam.shape[-1] + 1)
    return dl, (dv * w) @ _mH(v) + (v * w) @ _mH(dv)


def _weighted_vjp(y: Any, dz: Any) -> Any:
    lam, v = y
    dl, dm = _fields(_weighted(y), dz)
    return Tangent[type(y)](dl, ((dm + _mH(dm)) @ v) * np.arange(1.0, lam.shape[-1] + 1))


_weighted_projector = (_weighted, _weighted_jvp, _weighted_vjp)


# ---------------------------------------------------------------------------------------------
# cholesky


@SQUARE
@ALL_DTYPES
@pytest.mark.parametrize("upper", [False, True])
def test_cholesky(
    rng: np.random.Generator,
    check: Fixture,
    composite: Fixture,
    hermitian: Fixture,
    random: Fixture,
    shape: Any,
    dtype: Any,
    upper: bool,
) -> None:
    a = hermitian(shape, dtype)
    test_frule(
        la.cholesky,
        with_tangent(a, _herm(random(shape, dtype))),
        fkwargs={"upper": upper},
        rng=rng,
    )
    check(composite(la.cholesky, symmetric=True, upper=upper), a)


def test_cholesky_reads_the_hermitian_part(hermitian: Fixture, random: Fixture) -> None:
    a, da = hermitian((3, 3)), random((3, 3))
    _, dy = frule((NoTangent(), da), la.cholesky, a)
    _, dy_sym = frule((NoTangent(), _herm(da)), la.cholesky, a)
    np.testing.assert_allclose(dy, dy_sym)
    _, back = rrule(la.cholesky, a)
    da = unthunk(back(random((3, 3)))[1])
    np.testing.assert_allclose(da, da.T)


# ---------------------------------------------------------------------------------------------
# qr


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 5), (2, 4, 3), (2, 3, 4), (2, 2)])
@REAL_COMPLEX
@pytest.mark.parametrize("mode", ["reduced", "r"])
def test_qr(check: Fixture, with_values: Fixture, shape: Any, dtype: Any, mode: str) -> None:
    check(la.qr, with_values(shape, dtype), constant(mode))


def test_qr_one_output_and_float32(
    rng: np.random.Generator, check: Fixture, random: Fixture, with_values: Fixture
) -> None:
    a = with_values((4, 3))
    y = la.qr(a)
    test_rrule(la.qr, a, output_tangent=Tangent[type(y)](R=random((3, 3))), rng=rng)
    test_rrule(la.qr, a, output_tangent=Tangent[type(y)](Q=random((4, 3))), rng=rng)
    check(la.qr, with_values((2, 3, 3), np.float32))


@pytest.mark.parametrize("shape", [(3, 3), (3, 5), (2, 2, 4)])
@REAL_COMPLEX
def test_qr_complete_square_and_wide(
    check: Fixture, with_values: Fixture, shape: Any, dtype: Any
) -> None:
    check(la.qr, with_values(shape, dtype), mode="complete")


def _qr_complete_invariants(y: Any) -> Any:
    """(Q1, R, Q2 Q2^H): the completion Q2 enters through its span only."""
    n = y.R.shape[-1]
    return y.Q[..., :, :n], y.R, _projector(y.Q[..., :, n:])


def _qr_complete_jvp(y: Any, dy: Any) -> Any:
    dq, dr = _fields(y, dy)
    n = y.R.shape[-1]
    return dq[..., :, :n], dr, _projector_jvp(y.Q[..., :, n:], dq[..., :, n:])


def _qr_complete_vjp(y: Any, dz: Any) -> Any:
    dq1, dr, dp = _fields(_qr_complete_invariants(y), dz)
    n = y.R.shape[-1]
    return Tangent[type(y)](np.concatenate([dq1, _projector_vjp(y.Q[..., :, n:], dp)], -1), dr)


@pytest.mark.parametrize("shape", [(4, 2), (2, 5, 3)])
@REAL_COMPLEX
def test_qr_complete_tall(
    check: Fixture, composite: Fixture, with_values: Fixture, shape: Any, dtype: Any
) -> None:
    g = composite(
        la.qr, _qr_complete_invariants, _qr_complete_jvp, _qr_complete_vjp, mode="complete"
    )
    check(g, with_values(shape, dtype))


def test_qr_raw_not_implemented(with_values: Fixture) -> None:
    a = with_values((3, 3))
    _, back = rrule(la.qr, a, "raw")
    assert isinstance(back((np.ones((3, 3)), np.ones(3)))[1], NotImplementedTangent)
    _, dy = frule((NoTangent(), a, NoTangent()), la.qr, a, "raw")
    assert isinstance(dy, NotImplementedTangent)


# ---------------------------------------------------------------------------------------------
# eigh, eigvalsh


@SQUARE
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_real(
    rng: np.random.Generator,
    check: Fixture,
    composite: Fixture,
    hermitian: Fixture,
    random: Fixture,
    shape: Any,
    dtype: Any,
    uplo: str,
) -> None:
    a = hermitian(shape, dtype, values=np.arange(shape[-1]) * 1.5 - 1.0)
    # The eigenvectors' signs are LAPACK's choice, which in float32 flips under steps of
    # any size at some inputs: checked through the sign-invariant V diag(w) V^T.
    g = composite(la.eigh, *_weighted_projector, UPLO=uplo)
    test_frule(g, with_tangent(a, _herm(random(shape, dtype))), rng=rng)
    check(composite(la.eigh, *_weighted_projector, symmetric=True, UPLO=uplo), a)


@SQUARE
@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_complex(
    check: Fixture, composite: Fixture, hermitian: Fixture, shape: Any, uplo: str
) -> None:
    a = hermitian(shape, np.complex128, values=np.arange(shape[-1]) * 1.5 - 1.0)
    g = composite(
        la.eigh,
        _squared_modulus,
        _squared_modulus_jvp,
        _squared_modulus_vjp,
        symmetric=True,
        UPLO=uplo,
    )
    check(g, a)


@REAL_COMPLEX
def test_eigh_one_output(
    rng: np.random.Generator, composite: Fixture, hermitian: Fixture, random: Fixture, dtype: Any
) -> None:
    a = hermitian((3, 3), dtype)
    y = la.eigh(a)
    only_values = Tangent[type(y)](eigenvalues=random(3))
    test_rrule(composite(la.eigh, symmetric=True), a, output_tangent=only_values, rng=rng)
    g = composite(
        la.eigh, _squared_modulus, _squared_modulus_jvp, _squared_modulus_vjp, symmetric=True
    )
    test_rrule(g, a, output_tangent=(ZeroTangent(), random((3, 3))), rng=rng)


@pytest.mark.parametrize(
    ("values", "k"), [([1.0, 1.0, 3.0], 2), ([2.0, 2.0, 2.0], 3), ([-1.0, 2.0, 2.0], 1)]
)
@REAL_COMPLEX
def test_eigh_repeated_eigenvalues(
    check: Fixture,
    composite: Fixture,
    hermitian: Fixture,
    random: Fixture,
    values: Any,
    k: int,
    dtype: Any,
) -> None:
    a = hermitian((2, 3, 3), dtype, values=values)
    check(composite(la.eigh, *_eigh_block(k), symmetric=True), a)
    _, back = rrule(la.eigh, a)
    y = la.eigh(a)
    da = unthunk(back(Tangent[type(y)](random((2, 3)), random((2, 3, 3), dtype)))[1])
    assert np.all(np.isfinite(da))


@SQUARE
@ALL_DTYPES
def test_eigvalsh(
    rng: np.random.Generator,
    check: Fixture,
    composite: Fixture,
    hermitian: Fixture,
    random: Fixture,
    shape: Any,
    dtype: Any,
) -> None:
    a = hermitian(shape, dtype, values=np.arange(shape[-1]) * 1.5 - 1.0)  # gaps of 1.5
    test_frule(la.eigvalsh, with_tangent(a, _herm(random(shape, dtype))), rng=rng)
    check(composite(la.eigvalsh, symmetric=True), a)
    check(composite(la.eigvalsh, symmetric=True, UPLO="U"), a)


def _cluster_sum(lam: Any) -> Any:
    """(l1 + l2, l3): smooth where the two smallest eigenvalues meet."""
    return np.sum(lam[..., :2], -1), lam[..., 2:]


def _cluster_sum_jvp(lam: Any, dl: Any) -> Any:
    return _cluster_sum(dl)


def _cluster_sum_vjp(lam: Any, dz: Any) -> Any:
    ds, drest = _fields(_cluster_sum(lam), dz)
    return np.concatenate(
        [np.broadcast_to(np.asarray(ds)[..., None], lam[..., :2].shape), drest], -1
    )


@REAL_COMPLEX
def test_eigvalsh_repeated_eigenvalues(
    check: Fixture, composite: Fixture, hermitian: Fixture, dtype: Any
) -> None:
    a = hermitian((2, 3, 3), dtype, values=[1.0, 1.0, 3.0])
    g = composite(la.eigvalsh, _cluster_sum, _cluster_sum_jvp, _cluster_sum_vjp, symmetric=True)
    check(g, a)


# ---------------------------------------------------------------------------------------------
# eig, eigvals


def _diagonalizable(with_values: Fixture, shape: Any, values: Any, dtype: Any = np.float64) -> Any:
    """`P diag(values) P^-1` with a well-conditioned `P`."""
    p = with_values(shape, dtype)
    return (p * np.asarray(values)[..., None, :]) @ la.inv(p)


def _real_with_complex_pair(with_values: Fixture, shape: Any) -> Any:
    """`P B P^-1` for `B` the rotation-scaling block of `1 +- 2i`, then 3: a real matrix with
    a complex pair of eigenvalues far from the real axis."""
    block = np.zeros(shape[-2:])
    block[:2, :2] = [[1.0, 2.0], [-2.0, 1.0]]
    block[2:, 2:] = 3.0
    p = with_values(shape)
    return p @ block @ la.inv(p)


@SQUARE
def test_eig_real_eigenvalues(check: Fixture, with_values: Fixture, shape: Any) -> None:
    a = _diagonalizable(with_values, shape, np.arange(shape[-1]) * 1.5 - 1.0)
    assert la.eig(a).eigenvalues.dtype == np.float64
    check(la.eig, a)


@SQUARE
@pytest.mark.parametrize("kind", ["real-complex-eigenvalues", "complex"])
def test_eig_phase_invariant(
    rng: np.random.Generator,
    check: Fixture,
    composite: Fixture,
    random: Fixture,
    with_values: Fixture,
    shape: Any,
    kind: str,
) -> None:
    if kind == "complex":
        a = random(shape, np.complex128)
    else:
        a = _real_with_complex_pair(with_values, shape)
        assert np.iscomplexobj(la.eig(a).eigenvalues)
    g = composite(la.eig, _squared_modulus, _squared_modulus_jvp, _squared_modulus_vjp)
    check(g, a)
    y = la.eig(a)
    only_values = Tangent[type(y)](eigenvalues=random(y.eigenvalues.shape, y.eigenvalues.dtype))
    test_rrule(la.eig, a, output_tangent=only_values, rng=rng)


def _spectral_projector(y: Any) -> Any:
    """(sum of the eigenvalues near 1, sum of the others, the spectral projector onto the
    eigenvalues near 1): invariant under any basis change within that eigenspace."""
    lam, v = y
    near = np.abs(lam - 1) < 0.5
    vinv = la.inv(v)
    return np.sum(lam * near, -1), np.sum(lam * ~near, -1), (v * near[..., None, :]) @ vinv


def _spectral_projector_jvp(y: Any, dy: Any) -> Any:
    (lam, v), (dl, dv) = y, _fields(y, dy)
    near = np.abs(lam - 1) < 0.5
    vinv = la.inv(v)
    p = (v * near[..., None, :]) @ vinv
    return np.sum(dl * near, -1), np.sum(dl * ~near, -1), (dv * near[..., None, :] - p @ dv) @ vinv


def _spectral_projector_vjp(y: Any, dz: Any) -> Any:
    lam, v = y
    ds, dr, dp = _fields(_spectral_projector(y), dz)
    near = np.abs(lam - 1) < 0.5
    vinv = la.inv(v)
    p = (v * near[..., None, :]) @ vinv
    g = dp @ _mH(vinv)
    dl = np.where(near, np.asarray(ds)[..., None], np.asarray(dr)[..., None]).astype(lam.dtype)
    return Tangent[type(y)](dl, g * near[..., None, :] - _mH(p) @ g)


def _real_spectral_projector(y: Any) -> Any:
    """`_spectral_projector`'s real parts. A step off a real matrix may split its repeated
    real eigenvalue into a complex pair, which changes `eig`'s output dtype; the cluster is
    closed under conjugation, so its sums and its projector stay real."""
    return tuple(np.real(z) for z in _spectral_projector(y))


def _real_spectral_projector_jvp(y: Any, dy: Any) -> Any:
    return tuple(np.real(dz) for dz in _spectral_projector_jvp(y, dy))


@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
def test_eig_repeated_eigenvalues(
    check: Fixture, composite: Fixture, with_values: Fixture, dtype: Any
) -> None:
    a = _diagonalizable(with_values, (2, 3, 3), [1.0, 1.0, 3.0], dtype)
    if dtype == np.float64:  # Re is real-linear: its vjp takes the real cotangent as it is
        post = (_real_spectral_projector, _real_spectral_projector_jvp, _spectral_projector_vjp)
    else:
        post = (_spectral_projector, _spectral_projector_jvp, _spectral_projector_vjp)
    check(composite(la.eig, *post), a)


@SQUARE
@REAL_COMPLEX
def test_eigvals(check: Fixture, with_values: Fixture, shape: Any, dtype: Any) -> None:
    """Eigenvalues 1.5 apart, and a real matrix's complex pair 4 apart: finite differences
    neither merge two of them nor move a real pair into the complex plane."""
    n = shape[-1]
    check(la.eigvals, _diagonalizable(with_values, shape, np.arange(n) * 1.5 - 1.0, dtype))
    if dtype == np.float64:
        check(la.eigvals, _real_with_complex_pair(with_values, shape))
    else:
        check(la.eigvals, _diagonalizable(with_values, shape, [1 - 1j, 2j, -1.0][:n], dtype))


# ---------------------------------------------------------------------------------------------
# svd, svdvals


@ANY_SHAPE
def test_svd_real(check: Fixture, with_values: Fixture, shape: Any) -> None:
    a = with_values(shape, values=np.arange(min(shape[-2:]), 0, -1) + 0.5)
    check(la.svd, a, full_matrices=False)
    if shape[-1] == shape[-2]:
        check(la.svd, a)


@ANY_SHAPE
@REAL_COMPLEX
@pytest.mark.parametrize("full_matrices", [False, True])
def test_svd_invariants(
    rng: np.random.Generator,
    check: Fixture,
    composite: Fixture,
    with_values: Fixture,
    shape: Any,
    dtype: Any,
    full_matrices: bool,
) -> None:
    k = min(shape[-2:])
    a = with_values(shape, dtype, values=np.arange(k, 0, -1) + 0.5)
    g = composite(la.svd, *_svd_invariants(rng.uniform(1, 2, k)), full_matrices=full_matrices)
    check(g, a)


@REAL_COMPLEX
def test_svd_one_output(
    rng: np.random.Generator, composite: Fixture, random: Fixture, with_values: Fixture, dtype: Any
) -> None:
    a = with_values((4, 3), dtype, values=[3.0, 2.0, 1.0])
    g = composite(la.svd, *_svd_invariants(np.array([1.0, 1.5, 2.0])), full_matrices=False)
    y = g(a)
    for i in range(len(y)):
        seed = [ZeroTangent()] * len(y)
        seed[i] = random(y[i].shape)
        test_rrule(g, a, output_tangent=tuple(seed), rng=rng)


@REAL_COMPLEX
def test_svd_hermitian(check: Fixture, composite: Fixture, hermitian: Fixture, dtype: Any) -> None:
    a = hermitian((2, 3, 3), dtype, values=[-2.5, 1.0, 1.75])
    g = composite(
        la.svd, *_svd_invariants(np.array([1.0, 1.5, 2.0])), symmetric=True, hermitian=True
    )
    check(g, a)
    check(composite(la.svd, symmetric=True, hermitian=True, compute_uv=False), a)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (2, 3, 4)])
@ALL_DTYPES
def test_svd_values_only(check: Fixture, with_values: Fixture, shape: Any, dtype: Any) -> None:
    a = with_values(shape, dtype)
    check(la.svd, a, compute_uv=False)
    check(la.svdvals, a)


def _svd_block(y: Any) -> Any:
    """(s1 + s2, s3, U[:, :2] Vh[:2], U[:, 2:] Vh[2:]): smooth where s1 == s2."""
    u, s, vh = y
    return (
        np.sum(s[..., :2], -1),
        s[..., 2:],
        u[..., :, :2] @ vh[..., :2, :],
        u[..., :, 2:] @ vh[..., 2:, :],
    )


def _svd_block_jvp(y: Any, dy: Any) -> Any:
    (u, _, vh), (du, ds, dvh) = y, _fields(y, dy)
    return (
        np.sum(ds[..., :2], -1),
        ds[..., 2:],
        du[..., :, :2] @ vh[..., :2, :] + u[..., :, :2] @ dvh[..., :2, :],
        du[..., :, 2:] @ vh[..., 2:, :] + u[..., :, 2:] @ dvh[..., 2:, :],
    )


def _svd_block_vjp(y: Any, dz: Any) -> Any:
    u, s, vh = y
    dsum, drest, dm1, dm2 = _fields(_svd_block(y), dz)
    ds = np.concatenate([np.broadcast_to(np.asarray(dsum)[..., None], s[..., :2].shape), drest], -1)
    du = np.concatenate([dm1 @ _mH(vh[..., :2, :]), dm2 @ _mH(vh[..., 2:, :])], -1)
    dvh = np.concatenate([_mH(u[..., :, :2]) @ dm1, _mH(u[..., :, 2:]) @ dm2], -2)
    return Tangent[type(y)](du, ds, dvh)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
@REAL_COMPLEX
def test_svd_repeated_singular_values(
    check: Fixture, composite: Fixture, with_values: Fixture, shape: Any, dtype: Any
) -> None:
    a = with_values((2, *shape), dtype, values=[2.0, 2.0, 1.0])
    g = composite(la.svd, _svd_block, _svd_block_jvp, _svd_block_vjp, full_matrices=False)
    check(g, a)


@REAL_COMPLEX
def test_svd_zero_singular_value_is_finite(
    check: Fixture, random: Fixture, with_values: Fixture, dtype: Any
) -> None:
    a = with_values((4, 3), dtype, values=[2.0, 1.0, 0.0])
    y, back = rrule(la.svd, a, full_matrices=False)
    seed = Tangent[type(y)](random((4, 3), dtype), random(3), random((3, 3), dtype))
    assert np.all(np.isfinite(unthunk(back(seed)[1])))
    check(la.svdvals, with_values((3, 3), dtype, values=[2.0, 1.0, 0.5]))
