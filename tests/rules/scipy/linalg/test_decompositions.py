"""Tests of rules/scipy/linalg/decompositions.py: every rule through the harness.

`eigh` and `eigvalsh` read one triangle of Hermitian matrices: they are tested on Hermitian
tangents (`on_subspace`). Eigenvectors, singular vectors and Schur vectors have a gauge
freedom (a phase or sign each, a unitary mix within repeated values, the completion of full
bases): they are tested through a composite `post o f` whose rules are built from `f`'s, with
`post` keeping what is gauge invariant (`|v|^2`, `V diag(c) V^H`, ...).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import rules.scipy.linalg  # noqa: F401  (registers the rules)
from rulescore import (
    AbstractZero,
    NoTangent,
    NotImplementedTangent,
    ZeroTangent,
    frule,
    rrule,
    unthunk,
)
from rulescore.testing import constant, on_subspace, test_frule, test_rrule

REAL_COMPLEX = pytest.mark.parametrize("dtype", [np.float64, np.complex128])


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def _herm(x: Any) -> Any:
    return (x + _mH(x)) / 2


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _unitary(rng: np.random.Generator, shape: Any, dtype: Any) -> Any:
    return np.linalg.qr(_random(rng, shape, dtype))[0]


def _with_values(rng: np.random.Generator, shape: Any, values: Any, dtype: Any) -> Any:
    """`U diag(values) V^H` for random unitary `U`, `V`."""
    *batch, m, n = shape
    k = min(m, n)
    u = _unitary(rng, (*batch, m, m), dtype)[..., :, :k]
    v = _unitary(rng, (*batch, n, n), dtype)[..., :, :k]
    return np.asarray((u * np.asarray(values, dtype=float)) @ _mH(v), dtype=dtype)


def _hermitian(rng: np.random.Generator, shape: Any, values: Any, dtype: Any) -> Any:
    """`Q diag(values) Q^H`."""
    q = _unitary(rng, shape, dtype)
    return np.asarray(_herm((q * np.asarray(values, dtype=float)) @ _mH(q)), dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


def _entries(y: Any, dy: Any) -> list[Any]:
    """The tangent `dy` of a tuple `y` as a list of arrays (zeros for zero entries)."""
    dy = unthunk(dy)
    out = []
    for i, yi in enumerate(y):
        di = dy if isinstance(dy, AbstractZero) else unthunk(dy[i])
        out.append(np.zeros_like(yi) if isinstance(di, AbstractZero) else di)
    return out


def _composite(
    f: Callable[..., Any], post: Callable[[Any], Any], post_jvp: Any, post_vjp: Any, **kwargs: Any
) -> Callable[..., Any]:
    """`g(*args) = post(f(*args, **kwargs))` with rules built from `f`'s."""

    def g(*args: Any) -> Any:
        return post(f(*args, **kwargs))

    g.__name__ = g.__qualname__ = f"{f.__name__}_then_{post.__name__}"

    @rrule.register(g)
    def _(*args: Any) -> Any:
        y, back = rrule(f, *args, **kwargs)

        def composite_pullback(dz: Any) -> Any:
            dz = unthunk(dz)
            if isinstance(dz, AbstractZero):
                return (NoTangent(), *(ZeroTangent() for _ in args))
            return back(post_vjp(y, dz))

        return post(y), composite_pullback

    @frule.register(g)
    def _(tangents: Any, *args: Any) -> Any:
        y, dy = frule(tuple(unthunk(t) for t in tangents), f, *args, **kwargs)
        if all(isinstance(unthunk(t), AbstractZero) for t in tangents[1:]):
            return post(y), ZeroTangent()
        return post(y), post_jvp(y, dy)

    return g


def _invariants(weights: Any) -> tuple[Callable[..., Any], ...]:
    """post, jvp, vjp for `(values, |V|^2, V diag(w) V^H)` of a pair `(values, V)`: invariant
    under a phase of each column of `V`."""

    def eigen_invariants(y: Any) -> Any:
        lam, v = y
        return lam, np.abs(v) ** 2, (v * weights) @ _mH(v)

    def jvp(y: Any, dy: Any) -> Any:
        (_, v), (dl, dv) = y, _entries(y, dy)
        dp = (dv * weights) @ _mH(v)
        return dl, 2 * np.real(np.conj(v) * dv), dp + _mH(dp)

    def vjp(y: Any, dz: Any) -> Any:
        v = y[1]
        dl, dm, dp = _entries(eigen_invariants(y), dz)
        return (dl, 2 * dm * v + ((dp + _mH(dp)) @ v) * weights)

    return eigen_invariants, jvp, vjp


# ---------------------------------------------------------------------------------------------
# eigh, eigvalsh

VALUES = [-1.0, 0.5, 2.0, 3.5]


@pytest.mark.parametrize("shape", [(4, 4), (2, 4, 4)])
@pytest.mark.parametrize("lower", [True, False])
@REAL_COMPLEX
def test_eigh(rng: np.random.Generator, shape: Any, lower: bool, dtype: Any) -> None:
    a = _hermitian(rng, shape, VALUES, dtype)
    g = _composite(sl.eigh, *_invariants(rng.uniform(1, 2, 4)), lower=lower)
    _check(g, on_subspace(a, _herm), rng=rng)


@pytest.mark.parametrize("subset", [{"subset_by_index": [1, 2]}, {"subset_by_value": [0, 3]}])
@REAL_COMPLEX
def test_eigh_subset(rng: np.random.Generator, subset: Any, dtype: Any) -> None:
    a = _hermitian(rng, (4, 4), VALUES, dtype)
    g = _composite(sl.eigh, *_invariants(rng.uniform(1, 2, 2)), **subset)
    _check(g, on_subspace(a, _herm), rng=rng)
    _check(sl.eigh, on_subspace(a, _herm), rng=rng, eigvals_only=True, **subset)


@pytest.mark.parametrize("subset", [{}, {"subset_by_index": [0, 1]}])
@REAL_COMPLEX
def test_eigh_generalized(rng: np.random.Generator, subset: Any, dtype: Any) -> None:
    a = _hermitian(rng, (4, 4), VALUES, dtype)
    b = _hermitian(rng, (4, 4), [1.0, 1.5, 2.0, 3.0], dtype)
    k = 2 if subset else 4
    g = _composite(sl.eigh, *_invariants(rng.uniform(1, 2, k)), **subset)
    _check(g, on_subspace(a, _herm), on_subspace(b, _herm), rng=rng)
    _check(sl.eigvalsh, on_subspace(a, _herm), on_subspace(b, _herm), rng=rng, **subset)


def test_eigh_b_as_keyword_is_constant(rng: np.random.Generator) -> None:
    a = _hermitian(rng, (3, 3), VALUES[:3], np.float64)
    b = _hermitian(rng, (3, 3), [1.0, 2.0, 3.0], np.float64)
    _check(sl.eigvalsh, on_subspace(a, _herm), rng=rng, b=b)


def test_eigh_other_types_not_implemented(rng: np.random.Generator) -> None:
    a = _hermitian(rng, (3, 3), VALUES[:3], np.float64)
    b = _hermitian(rng, (3, 3), [1.0, 2.0, 3.0], np.float64)
    _, back = rrule(sl.eigh, a, b, type=2)
    cotangents = back((np.ones(3), np.ones((3, 3))))
    assert all(isinstance(c, NotImplementedTangent) for c in cotangents[1:])
    _, dy = frule((NoTangent(), a, b), sl.eigh, a, b, type=3)
    assert isinstance(dy, NotImplementedTangent)


@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_eigvalsh(rng: np.random.Generator, dtype: Any) -> None:
    a = _hermitian(rng, (2, 3, 3), VALUES[:3], dtype)
    _check(sl.eigvalsh, on_subspace(a, _herm), rng=rng)
    _check(sl.eigvalsh, on_subspace(a, _herm), rng=rng, lower=False)


def test_eigh_repeated_eigenvalues_stay_finite(rng: np.random.Generator) -> None:
    """At a repeated eigenvalue, only symmetric functions of the pair are differentiable."""
    a = _hermitian(rng, (3, 3), [1.0, 1.0, 2.0], np.complex128)
    test_rrule(
        sl.eigvalsh, on_subspace(a, _herm), output_tangent=np.array([0.5, 0.5, 2.0]), rng=rng
    )
    _, back = rrule(sl.eigh, a)
    da = unthunk(back((np.ones(3), _random(rng, (3, 3), np.complex128)))[1])
    assert np.all(np.isfinite(da))


def _cluster(y: Any) -> Any:
    """(l1 + l2, l3, V diag(1, 1, 2) V^H): smooth where l1 and l2 meet."""
    lam, v = y
    return lam[..., 0] + lam[..., 1], lam[..., 2], (v * [1.0, 1.0, 2.0]) @ _mH(v)


def _cluster_jvp(y: Any, dy: Any) -> Any:
    (_, v), (dl, dv) = y, _entries(y, dy)
    dp = (dv * [1.0, 1.0, 2.0]) @ _mH(v)
    return dl[..., 0] + dl[..., 1], dl[..., 2], dp + _mH(dp)


def _cluster_vjp(y: Any, dz: Any) -> Any:
    v = y[1]
    ds, d3, dp = _entries(_cluster(y), dz)
    dl = np.stack([ds, ds, d3], axis=-1)
    return (dl, ((dp + _mH(dp)) @ v) * [1.0, 1.0, 2.0])


@REAL_COMPLEX
def test_eigh_repeated_eigenvalues_invariants(rng: np.random.Generator, dtype: Any) -> None:
    a = _hermitian(rng, (2, 3, 3), [1.0, 1.0, 3.0], dtype)
    _check(
        _composite(sl.eigh, _cluster, _cluster_jvp, _cluster_vjp), on_subspace(a, _herm), rng=rng
    )


# ---------------------------------------------------------------------------------------------
# svd, svdvals


def _svd_invariants(weights: Any) -> tuple[Callable[..., Any], ...]:
    """post, jvp, vjp for `(s, U1 diag(w) Vh1, |U1|^2, |Vh1|^2, U2 U2^H, Vh2^H Vh2)`."""

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
        (u, s, vh), (du, ds, dvh) = y, _entries(y, dy)
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
        ds, dm, da, db, dp, dq = _entries(svd_invariants(y), dz)
        du1 = (dm @ _mH(vh1)) * weights + 2 * da * u1
        dvh1 = weights[:, None] * (_mH(u1) @ dm) + 2 * db * vh1
        du = np.concatenate([du1, (dp + _mH(dp)) @ u2], axis=-1)
        return (du, ds, np.concatenate([dvh1, vh2 @ (dq + _mH(dq))], axis=-2))

    return svd_invariants, jvp, vjp


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3)])
@pytest.mark.parametrize("full_matrices", [False, True])
@REAL_COMPLEX
def test_svd(rng: np.random.Generator, shape: Any, full_matrices: bool, dtype: Any) -> None:
    k = min(shape[-2:])
    a = _with_values(rng, shape, np.arange(k, 0, -1) + 0.5, dtype)
    post = _svd_invariants(rng.uniform(1, 2, k))
    _check(_composite(sl.svd, *post, full_matrices=full_matrices), a, rng=rng)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
@REAL_COMPLEX
def test_svd_values(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    a = _with_values(rng, shape, np.arange(min(shape), 0, -1) + 0.5, dtype)
    _check(sl.svd, a, rng=rng, compute_uv=False)
    _check(sl.svd, a, constant(False), constant(False), rng=rng, lapack_driver="gesvd")
    _check(sl.svdvals, a, rng=rng)


def test_svd_float32_and_repeated(rng: np.random.Generator) -> None:
    a = _with_values(rng, (3, 3), [3.0, 2.0, 1.0], np.float32)
    _check(sl.svdvals, a, rng=rng)
    a = _with_values(rng, (3, 3), [2.0, 2.0, 1.0], np.float64)
    test_rrule(
        sl.svd, a, output_tangent=np.array([1.5, 1.5, 0.5]), rng=rng, fkwargs={"compute_uv": False}
    )
    _, back = rrule(sl.svd, a)
    da = unthunk(back(tuple(_random(rng, x.shape) for x in sl.svd(a)))[1])
    assert np.all(np.isfinite(da))


# ---------------------------------------------------------------------------------------------
# schur


def _schur_invariants(t: Any, weights: Any) -> tuple[Callable[..., Any], ...]:
    """post, jvp, vjp for `(diag T, B^T |T|^2 B, Z W Z^H)`, `B` the indicator of the diagonal
    blocks of `t` and `W` diagonal, constant on each block: invariant under a phase of each
    Schur vector and under the rotations within a real 2x2 block that keep its standard form
    (both change `T` accordingly)."""
    n = t.shape[-1]
    starts = [i for i in range(n) if i == 0 or t[..., i, i - 1].ravel()[0] == 0]
    blocks = np.cumsum([i in starts for i in range(n)]) - 1
    b = (blocks[:, None] == np.arange(len(starts))).astype(float)
    w = np.asarray(weights)[blocks]

    def schur_invariants(y: Any) -> Any:
        t, z = y[0], y[1]
        return np.diagonal(t, axis1=-2, axis2=-1), b.T @ np.abs(t) ** 2 @ b, (z * w) @ _mH(z)

    def jvp(y: Any, dy: Any) -> Any:
        (t, z), (dt, dz) = y[:2], _entries(y[:2], dy)
        dp = (dz * w) @ _mH(z)
        return (
            np.diagonal(dt, axis1=-2, axis2=-1),
            b.T @ (2 * np.real(np.conj(t) * dt)) @ b,
            dp + _mH(dp),
        )

    def vjp(y: Any, dc: Any) -> Any:
        t, z = y[0], y[1]
        dd, ds, dp = _entries(schur_invariants(y), dc)
        dt = 2 * (b @ ds @ b.T) * t + dd[..., :, None] * np.eye(n)
        return (dt, ((dp + _mH(dp)) @ z) * w, *([NoTangent()] * (len(y) - 2)))

    return schur_invariants, jvp, vjp


def _real_eigenvalues(rng: np.random.Generator, shape: Any) -> Any:
    p = _with_values(rng, shape, [1.0, 1.5, 2.0, 3.0][: shape[-1]], np.float64)
    return (p * np.array([-1.0, 0.5, 2.0, 3.5][: shape[-1]])) @ np.linalg.inv(p)


def _complex_pairs(rng: np.random.Generator, n: int) -> Any:
    """`Q T Q^T` for a block triangular `T` with 2x2 blocks `[[x, p], [-q, x]]` (eigenvalues
    `x +- i sqrt(p q)`) and, for odd `n`, a last 1x1 block."""
    t = np.triu(_random(rng, (n, n)) / 2, 1)
    for i, x in zip(range(0, n - 1, 2), [0.5, -1.0], strict=False):
        t[i : i + 2, i : i + 2] = [[x, 2.0], [-0.5, x]]
    if n % 2:
        t[-1, -1] = 2.5
    q = _unitary(rng, (n, n), np.float64)
    return q @ t @ q.T


def _schur_check(a: Any, rng: np.random.Generator, **kwargs: Any) -> None:
    t = sl.schur(a, **kwargs)[0]
    g = _composite(sl.schur, *_schur_invariants(t, rng.uniform(1, 2, a.shape[-1])), **kwargs)
    _check(g, a, rng=rng)


@pytest.mark.parametrize("output", ["real", "complex"])
@pytest.mark.parametrize("shape", [(3, 3), (4, 4), (2, 3, 3)])
def test_schur_real_eigenvalues(rng: np.random.Generator, output: str, shape: Any) -> None:
    _schur_check(_real_eigenvalues(rng, shape), rng, output=output)


@pytest.mark.parametrize("n", [2, 4, 5])
@pytest.mark.parametrize("output", ["real", "complex"])
def test_schur_complex_pairs(rng: np.random.Generator, n: int, output: str) -> None:
    """Complex eigenvalue pairs: 2x2 blocks in the real Schur form."""
    _schur_check(_complex_pairs(rng, n), rng, output=output)


@pytest.mark.parametrize("output", ["real", "complex"])
def test_schur_sorted(rng: np.random.Generator, output: str) -> None:
    _schur_check(_complex_pairs(rng, 5), rng, output=output, sort="lhp")


def test_schur_complex(rng: np.random.Generator) -> None:
    _schur_check(_random(rng, (4, 4), np.complex128), rng)
    a = _random(rng, (2, 3, 3), np.complex128)
    _check(_composite(sl.schur, *_schur_invariants(np.eye(3), rng.uniform(1, 2, 3))), a, rng=rng)


# ---------------------------------------------------------------------------------------------
# polar


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 3, 3)])
@pytest.mark.parametrize("side", ["right", "left"])
@REAL_COMPLEX
def test_polar(rng: np.random.Generator, shape: Any, side: str, dtype: Any) -> None:
    a = _with_values(rng, shape, rng.uniform(1, 2, min(shape[-2:])), dtype)
    _check(sl.polar, a, rng=rng, side=side)


def test_polar_positional_and_float32(rng: np.random.Generator) -> None:
    a = _with_values(rng, (3, 3), [1.0, 1.5, 2.0], np.float32)
    _check(sl.polar, a, constant("left"), rng=rng)
