"""Tests of rules/scipy/linalg/basic.py: every rule through the harness.

`inv(assume_a="sym"/"her"/"pos")` and `pinvh` read one triangle of a Hermitian matrix: they are
tested on Hermitian tangents (`on_subspace`); the other structures on full random matrices,
so that finite differences check that unread entries get zero.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scipy.linalg as sl

import rules.scipy.linalg  # noqa: F401  (registers the rules)
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, on_subspace, test_frule, test_rrule

REAL_COMPLEX = pytest.mark.parametrize("dtype", [np.float64, np.complex128])


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def _herm(x: Any) -> Any:
    return (x + _mH(x)) / 2


def _sym(x: Any) -> Any:
    return (x + np.swapaxes(x, -1, -2)) / 2


def _diagonal(x: Any) -> Any:
    return x * np.eye(x.shape[-1])


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _with_values(rng: np.random.Generator, shape: Any, values: Any, dtype: Any = float) -> Any:
    """`U diag(values) V^H` for random unitary `U`, `V`."""
    *batch, m, n = shape
    k = min(m, n)
    u = np.linalg.qr(_random(rng, (*batch, m, m), dtype))[0][..., :, :k]
    v = np.linalg.qr(_random(rng, (*batch, n, n), dtype))[0][..., :, :k]
    return np.asarray((u * np.asarray(values, dtype=float)) @ _mH(v), dtype=dtype)


def _dominant(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    n = shape[-1]
    return np.asarray(_random(rng, shape, dtype) / n + 3 * np.eye(n), dtype=dtype)


def _check(f: Any, *args: Any, rng: np.random.Generator, **fkwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# ---------------------------------------------------------------------------------------------
# inv


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_inv(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    _check(sl.inv, _dominant(rng, shape, dtype), rng=rng)


@pytest.mark.parametrize("assume_a", ["general", "upper triangular", "lower triangular"])
@REAL_COMPLEX
def test_inv_structures(rng: np.random.Generator, assume_a: str, dtype: Any) -> None:
    _check(sl.inv, _dominant(rng, (3, 3), dtype), rng=rng, assume_a=assume_a)


def test_inv_diagonal(rng: np.random.Generator) -> None:
    """SciPy's result keeps `a`'s off-diagonal entries: tested on diagonal matrices."""
    a = _diagonal(_dominant(rng, (3, 3)))
    _check(sl.inv, on_subspace(a, _diagonal), rng=rng, assume_a="diagonal")
    _, back = rrule(sl.inv, _dominant(rng, (3, 3)), assume_a="diagonal")
    da = unthunk(back(np.ones((3, 3)))[1])
    np.testing.assert_array_equal(da, _diagonal(da))


@pytest.mark.parametrize("assume_a", ["sym", "her", "pos"])
@pytest.mark.parametrize("lower", [False, True])
@REAL_COMPLEX
def test_inv_symmetric(rng: np.random.Generator, assume_a: str, lower: bool, dtype: Any) -> None:
    project = _sym if assume_a == "sym" else _herm
    a = project(_dominant(rng, (3, 3), dtype))
    _check(sl.inv, on_subspace(a, project), rng=rng, assume_a=assume_a, lower=lower)


def test_inv_never_overwrites(rng: np.random.Generator) -> None:
    a = np.asfortranarray(_dominant(rng, (3, 3)))
    a0 = a.copy()
    _, back = rrule(sl.inv, a, True)
    unthunk(back(np.ones((3, 3)))[1])
    frule((NoTangent(), a0, NoTangent()), sl.inv, a, True)
    np.testing.assert_array_equal(a, a0)
    _check(sl.inv, a0, constant(False), rng=rng)


# ---------------------------------------------------------------------------------------------
# pinv, pinvh


@pytest.mark.parametrize("shape", [(3, 3), (4, 3), (3, 4), (2, 4, 3)])
@REAL_COMPLEX
def test_pinv(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    a = _with_values(rng, shape, rng.uniform(1, 2, min(shape[-2:])), dtype)
    _check(sl.pinv, a, rng=rng)
    _check(sl.pinv, a, rng=rng, return_rank=True, atol=1e-8)


def test_pinv_rank_deficient(rng: np.random.Generator) -> None:
    """A cutoff far from the kept singular values: finite differences keep the rank."""
    a = _with_values(rng, (4, 3), [2.0, 1.0, 0.0])
    _check(sl.pinv, a, rng=rng, rtol=0.1)


@pytest.mark.parametrize("lower", [True, False])
@REAL_COMPLEX
def test_pinvh(rng: np.random.Generator, lower: bool, dtype: Any) -> None:
    q = np.linalg.qr(_random(rng, (3, 3), dtype))[0]
    a = _herm((q * np.array([-2.0, 1.0, 2.5])) @ _mH(q))
    _check(sl.pinvh, on_subspace(a, _herm), rng=rng, lower=lower)
    _check(sl.pinvh, on_subspace(a, _herm), rng=rng, lower=lower, return_rank=True)


# ---------------------------------------------------------------------------------------------
# lstsq


LSTSQ_SHAPES = [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 3), (3,)), ((3, 5), (3,)), ((3, 5), (3, 2))]


@pytest.mark.parametrize(("shape_a", "shape_b"), LSTSQ_SHAPES)
@REAL_COMPLEX
def test_lstsq(rng: np.random.Generator, shape_a: Any, shape_b: Any, dtype: Any) -> None:
    a = _with_values(rng, shape_a, rng.uniform(1, 2, min(shape_a)), dtype)
    b = _random(rng, shape_b, dtype)
    _check(sl.lstsq, a, b, rng=rng)


def test_lstsq_one_output_at_a_time(rng: np.random.Generator) -> None:
    a, b = _with_values(rng, (5, 3), [2.0, 1.5, 1.0]), _random(rng, 5)
    y = sl.lstsq(a, b)
    for i in (0, 1, 3):
        seed: list[Any] = [ZeroTangent(), ZeroTangent(), NoTangent(), ZeroTangent()]
        seed[i] = _random(rng, np.shape(y[i])) if np.ndim(y[i]) else 0.7
        test_rrule(sl.lstsq, a, b, output_tangent=tuple(seed), rng=rng)


@pytest.mark.parametrize("driver", ["gelsd", "gelsy", "gelss"])
def test_lstsq_drivers_and_rank(rng: np.random.Generator, driver: str) -> None:
    a, b = _with_values(rng, (4, 3), [2.0, 1.5, 1.0]), _random(rng, 4)
    _check(sl.lstsq, a, b, rng=rng, lapack_driver=driver)
    # rank 2 under a cutoff far from the kept singular values (s[2] = 0 is not differentiable)
    a, b = _with_values(rng, (5, 3), [2.0, 1.0, 0.0]), _random(rng, (5, 2))
    seed = (_random(rng, (3, 2)), ZeroTangent(), NoTangent(), ZeroTangent())
    if driver == "gelsy":
        a = constant(a)
        _, back = rrule(sl.lstsq, a.primal, b, 0.1, lapack_driver=driver)
        assert isinstance(back(seed)[1], NotImplementedTangent)
    test_rrule(
        sl.lstsq,
        a,
        b,
        constant(0.1),
        output_tangent=seed,
        rng=rng,
        fkwargs={"lapack_driver": driver},
    )


# ---------------------------------------------------------------------------------------------
# det, norm


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (2, 3, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128, np.float32])
def test_det(rng: np.random.Generator, shape: Any, dtype: Any) -> None:
    _check(sl.det, _dominant(rng, shape, dtype), rng=rng)


def test_det_singular_is_finite(rng: np.random.Generator) -> None:
    a = _with_values(rng, (3, 3), [2.0, 1.0, 0.0])
    _check(sl.det, a, rng=rng)


@pytest.mark.parametrize(
    ("shape", "options"),
    [
        ((3, 4), {}),
        ((3, 4), {"ord": "fro"}),
        ((3, 4), {"ord": "nuc"}),
        ((3, 4), {"ord": 2}),
        ((3, 4), {"ord": 1, "axis": 1}),
        ((5,), {"ord": 3}),
        ((2, 3, 4), {"axis": (1, 2), "keepdims": True}),
    ],
)
@REAL_COMPLEX
def test_norm(rng: np.random.Generator, shape: Any, options: Any, dtype: Any) -> None:
    _check(sl.norm, _random(rng, shape, dtype), rng=rng, **options)


def test_norm_positional_and_float32(rng: np.random.Generator) -> None:
    _check(sl.norm, _random(rng, (3, 3), np.float32), constant(np.inf), rng=rng)


@pytest.mark.parametrize("f", [sl.bandwidth, sl.issymmetric, sl.ishermitian])
def test_structure_queries_are_non_differentiable(rng: np.random.Generator, f: Any) -> None:
    _check(f, np.triu(_random(rng, (3, 3))), rng=rng)
