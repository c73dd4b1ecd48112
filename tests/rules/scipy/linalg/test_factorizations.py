"""Tests of rules/scipy/linalg/factorizations.py: every rule through the harness.

`cholesky` reads one triangle of a Hermitian matrix: it is tested on Hermitian tangents
(`on_subspace`). Outputs that hold more than the factors (the arbitrary triangle of
`cho_factor`'s `c`) or a gauge freedom (the completion of `qr`'s and `rq`'s full `Q`) are
tested through a composite `post o f` whose rules are built from `f`'s, `post` keeping only
what is determined.
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


def _well_conditioned(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    """`U diag(s) V^H` with singular values in [1, 2]."""
    *batch, m, n = shape
    k = min(m, n)
    u = np.linalg.qr(_random(rng, (*batch, m, m), dtype))[0][..., :, :k]
    v = np.linalg.qr(_random(rng, (*batch, n, n), dtype))[0][..., :, :k]
    s = rng.uniform(1, 2, (*batch, k))
    return np.asarray((u * s[..., None, :]) @ _mH(v), dtype=dtype)


def _positive_definite(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = _well_conditioned(rng, shape, dtype)
    return np.asarray(_herm(x @ _mH(x)), dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


def _composite(
    f: Callable[..., Any],
    post: Callable[[Any], Any],
    post_jvp: Callable[[Any, Any], Any],
    post_vjp: Callable[[Any, Any], Any],
    **kwargs: Any,
) -> Callable[[Any], Any]:
    """`g(a) = post(f(a, **kwargs))` with rules built from `f`'s."""

    def g(a: Any) -> Any:
        return post(f(a, **kwargs))

    g.__name__ = g.__qualname__ = f"{f.__name__}_then_{post.__name__}"

    @rrule.register(g)
    def _(a: Any) -> Any:
        y, back = rrule(f, a, **kwargs)

        def composite_pullback(dz: Any) -> Any:
            dz = unthunk(dz)
            if isinstance(dz, AbstractZero):
                return NoTangent(), ZeroTangent()
            return NoTangent(), back(post_vjp(y, dz))[1]

        return post(y), composite_pullback

    @frule.register(g)
    def _(tangents: Any, a: Any) -> Any:
        y, dy = frule((NoTangent(), unthunk(tangents[1])), f, a, **kwargs)
        if isinstance(unthunk(tangents[1]), AbstractZero):
            return post(y), ZeroTangent()
        return post(y), post_jvp(y, dy)

    return g


def _entries(y: Any, dy: Any) -> list[Any]:
    """The tangent `dy` of a tuple `y` as a list of arrays (zeros for zero entries)."""
    dy = unthunk(dy)
    out = []
    for i, yi in enumerate(y):
        di = dy if isinstance(dy, AbstractZero) else unthunk(dy[i])
        out.append(np.zeros_like(yi) if isinstance(di, AbstractZero) else di)
    return out


# ---------------------------------------------------------------------------------------------
# cholesky, cho_factor


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3, 3)])
@pytest.mark.parametrize("lower", [False, True])
@REAL_COMPLEX
def test_cholesky(rng: np.random.Generator, shape: Any, lower: bool, dtype: Any) -> None:
    a = _positive_definite(rng, shape, dtype)
    _check(sl.cholesky, on_subspace(a, _herm), rng=rng, lower=lower)


def test_cholesky_float32_and_positional(rng: np.random.Generator) -> None:
    a = _positive_definite(rng, (3, 3), np.float32)
    _check(sl.cholesky, on_subspace(a, _herm), constant(True), rng=rng)


def test_cholesky_cotangent_is_hermitian(rng: np.random.Generator) -> None:
    a = _positive_definite(rng, (3, 3), np.complex128)
    _, back = rrule(sl.cholesky, a)
    da = unthunk(back(_random(rng, (3, 3), np.complex128))[1])
    np.testing.assert_allclose(da, _herm(da))


def _factor_of(lower: bool) -> tuple[Callable[..., Any], ...]:
    def factor(y: Any) -> Any:
        return np.tril(y[0]) if lower else np.triu(y[0])

    def jvp(y: Any, dy: Any) -> Any:
        return factor(_entries(y, dy))

    def vjp(y: Any, dz: Any) -> Any:
        return (factor([dz]), NoTangent())

    return factor, jvp, vjp


@pytest.mark.parametrize("shape", [(3, 3), (2, 3, 3)])
@pytest.mark.parametrize("lower", [False, True])
@REAL_COMPLEX
def test_cho_factor(rng: np.random.Generator, shape: Any, lower: bool, dtype: Any) -> None:
    a = _positive_definite(rng, shape, dtype)
    g = _composite(sl.cho_factor, *_factor_of(lower), lower=lower)
    _check(g, on_subspace(a, _herm), rng=rng)


def test_cho_factor_then_cho_solve(rng: np.random.Generator) -> None:
    """The factor tuple's tangent flows into cho_solve: d/da of cho_solve(cho_factor(a), b)."""
    a, b = _positive_definite(rng, (3, 3)), _random(rng, 3)
    da = _herm(_random(rng, (3, 3)))
    c_and_lower, dc = frule((NoTangent(), da), sl.cho_factor, a)
    _, dx = frule((NoTangent(), dc, ZeroTangent()), sl.cho_solve, c_and_lower, b)
    _, dx_solve = frule((NoTangent(), da, ZeroTangent()), sl.solve, a, b, assume_a="pos")
    np.testing.assert_allclose(dx, dx_solve)


# ---------------------------------------------------------------------------------------------
# lu, lu_factor


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 3, 3), (2, 4, 3)])
@REAL_COMPLEX
def test_lu(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    a = _well_conditioned(rng, shape, dtype)
    _check(sl.lu, a, rng=rng)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
def test_lu_options(rng: np.random.Generator, shape: Any) -> None:
    a = _well_conditioned(rng, shape)
    _check(sl.lu, a, rng=rng, permute_l=True)
    _check(sl.lu, a, rng=rng, p_indices=True)
    _check(sl.lu, a, constant(True), rng=rng)


def test_lu_float32(rng: np.random.Generator) -> None:
    _check(sl.lu, _well_conditioned(rng, (3, 3), np.float32), rng=rng)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 4)])
@REAL_COMPLEX
def test_lu_factor(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    _check(sl.lu_factor, _well_conditioned(rng, shape, dtype), rng=rng)


def test_lu_factor_then_lu_solve(rng: np.random.Generator) -> None:
    a, b, da = _well_conditioned(rng, (4, 4)), _random(rng, 4), _random(rng, (4, 4))
    lu_and_piv, dlu = frule((NoTangent(), da), sl.lu_factor, a)
    _, dx = frule((NoTangent(), dlu, ZeroTangent()), sl.lu_solve, lu_and_piv, b)
    _, dx_solve = frule((NoTangent(), da, ZeroTangent()), sl.solve, a, b)
    np.testing.assert_allclose(dx, dx_solve)


# ---------------------------------------------------------------------------------------------
# qr, rq


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3), (2, 3, 4)])
@pytest.mark.parametrize("mode", ["economic", "r"])
@REAL_COMPLEX
def test_qr(rng: np.random.Generator, shape: Any, mode: str, dtype: Any) -> None:
    _check(sl.qr, _well_conditioned(rng, shape, dtype), rng=rng, mode=mode)


@pytest.mark.parametrize("shape", [(3, 3), (3, 4)])
@REAL_COMPLEX
def test_qr_full_square_and_wide(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    _check(sl.qr, _well_conditioned(rng, shape, dtype), rng=rng)


def _qr_span(y: Any) -> Any:
    """(Q1, R, Q2 Q2^H): the completion Q2 enters through its span only."""
    n = y[1].shape[-1]
    q1, q2 = y[0][..., :, :n], y[0][..., :, n:]
    return q1, y[1], q2 @ _mH(q2)


def _qr_span_jvp(y: Any, dy: Any) -> Any:
    dq, dr = _entries(y, dy)
    n = y[1].shape[-1]
    q2, dq2 = y[0][..., :, n:], dq[..., :, n:]
    return dq[..., :, :n], dr, dq2 @ _mH(q2) + q2 @ _mH(dq2)


def _qr_span_vjp(y: Any, dz: Any) -> Any:
    dq1, dr, dp = _entries(_qr_span(y), dz)
    q2 = y[0][..., :, y[1].shape[-1] :]
    return (np.concatenate([dq1, (dp + _mH(dp)) @ q2], axis=-1), dr)


@pytest.mark.parametrize("shape", [(4, 2), (2, 4, 3)])
@REAL_COMPLEX
def test_qr_full_tall(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    g = _composite(sl.qr, _qr_span, _qr_span_jvp, _qr_span_vjp)
    _check(g, _well_conditioned(rng, shape, dtype), rng=rng)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4)])
@pytest.mark.parametrize("mode", ["economic", "r"])
@REAL_COMPLEX
def test_qr_pivoting(rng: np.random.Generator, shape: Any, mode: str, dtype: Any) -> None:
    _check(sl.qr, _well_conditioned(rng, shape, dtype), rng=rng, mode=mode, pivoting=True)


def test_qr_one_output_and_float32(rng: np.random.Generator) -> None:
    a = _well_conditioned(rng, (4, 3))
    test_rrule(
        sl.qr,
        a,
        output_tangent=(ZeroTangent(), _random(rng, (3, 3))),
        rng=rng,
        fkwargs={"mode": "economic"},
    )
    test_rrule(
        sl.qr,
        a,
        output_tangent=(_random(rng, (4, 3)), ZeroTangent()),
        rng=rng,
        fkwargs={"mode": "economic"},
    )
    _check(sl.qr, _well_conditioned(rng, (3, 3), np.float32), rng=rng)


def test_qr_raw_not_implemented(rng: np.random.Generator) -> None:
    a = _well_conditioned(rng, (3, 3))
    y, back = rrule(sl.qr, a, mode="raw")
    assert isinstance(back((y[0], np.ones((3, 3))))[1], NotImplementedTangent)
    _, dy = frule((NoTangent(), a), sl.qr, a, mode="raw")
    assert isinstance(dy, NotImplementedTangent)


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3)])
@pytest.mark.parametrize("mode", ["economic", "r"])
@REAL_COMPLEX
def test_rq(rng: np.random.Generator, shape: Any, mode: str, dtype: Any) -> None:
    _check(sl.rq, _well_conditioned(rng, shape, dtype), rng=rng, mode=mode)


def _rq_span(y: Any) -> Any:
    """(R, Q1, Q2^H Q2) for the full Q = [Q2; Q1] of a wide matrix."""
    m = y[0].shape[-2]
    q2, q1 = y[1][..., :-m, :], y[1][..., -m:, :]
    return y[0], q1, _mH(q2) @ q2


def _rq_span_jvp(y: Any, dy: Any) -> Any:
    dr, dq = _entries(y, dy)
    m = y[0].shape[-2]
    q2, dq2 = y[1][..., :-m, :], dq[..., :-m, :]
    return dr, dq[..., -m:, :], _mH(dq2) @ q2 + _mH(q2) @ dq2


def _rq_span_vjp(y: Any, dz: Any) -> Any:
    dr, dq1, dp = _entries(_rq_span(y), dz)
    q2 = y[1][..., : -y[0].shape[-2], :]
    return (dr, np.concatenate([q2 @ (dp + _mH(dp)), dq1], axis=-2))


@pytest.mark.parametrize("shape", [(3, 3), (4, 3)])
@REAL_COMPLEX
def test_rq_full_square_and_tall(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    _check(sl.rq, _well_conditioned(rng, shape, dtype), rng=rng)


@pytest.mark.parametrize("shape", [(2, 4), (2, 3, 5)])
@REAL_COMPLEX
def test_rq_full_wide(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    g = _composite(sl.rq, _rq_span, _rq_span_jvp, _rq_span_vjp)
    _check(g, _well_conditioned(rng, shape, dtype), rng=rng)
