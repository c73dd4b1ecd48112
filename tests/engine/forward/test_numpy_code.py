"""Array code in forward mode: operators, indexing, methods, NumPy, `math` and SciPy
functions, dtypes and output kinds; each push forward checked against finite differences
and against the output's shape and dtype."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.special

import engine

RNG = np.random.default_rng(20240601)
X = RNG.standard_normal(4)
M = RNG.standard_normal((3, 4))
S = RNG.standard_normal((3, 3))
SPD = S @ S.T + 3 * np.eye(3)
V = np.array([0.3, -1.2, 0.8])

# -- scalars and the math module -------------------------------------------------------------


def scalar_code(x, y):
    a = math.sin(x) * math.cos(y) + math.exp(x / 4) - math.log(1 + y * y)
    b = math.sqrt(x * x + 1) + math.tanh(y) + math.atan2(y, x) + math.hypot(x, y)
    c = abs(x) ** 1.5 + pow(y, 2) + x // 0.45 + x % 0.45 + 2**x + math.pi * y
    return a * b - c / (1 + x**2)


@pytest.mark.parametrize(("x", "y"), [(0.7, -1.3), (2.0, 0.5), (-1.5, 3.0)])
def test_scalar_code_and_math_module(check, x, y) -> None:
    check(scalar_code, x, y)


def test_ints_are_reals(check) -> None:
    y, dy = engine.jvp(lambda n, m: n**2 * m, (3, 2), (1.0, 0.0))
    assert (y, dy) == (18, 12.0) and type(dy) is float
    check(lambda n: math.sqrt(n) * n, 4)


def test_numpy_scalars_keep_their_type(check) -> None:
    _, dy = check(lambda x: x * x + np.float32(2.0), np.float32(1.5), rtol=1e-4, atol=1e-4)
    assert type(dy) is np.float32
    check(lambda x: np.float64(x) * 2.0, 1.5)
    _, dy = engine.jvp(lambda x: np.float32(x) * 2, (1.5,), (1.0,))
    assert type(dy) is np.float32 and dy == 2.0


# -- operators and indexing ------------------------------------------------------------------


def test_array_operators(check) -> None:
    check(lambda a, x: (a @ x) ** 2, M, X)
    check(lambda x, c: c * x - x / c + x**3 + 2.0**x - (-x) + abs(x) ** 0.5 + x // 2, X, 1.7)
    check(lambda a, b: a.T @ b + a[0] * b[0, :1], M, M[::-1].copy())
    check(lambda x: x % 0.5 + np.abs(x) ** -2, X + 3.0)


@pytest.mark.parametrize("shape", [(), (5,), (2, 3), (2, 1, 3)])
def test_elementwise_functions_of_several_shapes(check, shape) -> None:
    x = RNG.standard_normal(shape)
    check(lambda x: np.exp(x) + np.log(x**2 + 1) + np.tanh(x) + np.sin(x) * np.cos(x), x)
    check(lambda x: np.sqrt(np.abs(x) + 1.0) + np.log1p(x**2) + np.expm1(x) + np.arctan(x), x)


def test_indexing(check) -> None:
    check(lambda x: x[1:] * x[:-1] + x[0] * x[-1], X)
    check(lambda m: m[1:, ::2] ** 2 + m[0, 1], M)
    check(lambda x, y: np.exp(-((x[:, None] - y[None, :]) ** 2)), X, X[:3] * 2)
    check(lambda x: x[np.array([0, 2, 2, 3])] ** 2, X)
    check(lambda m: m[[0, 2], [1, 3]] + m[..., 1][:2], M)
    check(lambda x: x[x > 0] ** 3, X)
    check(lambda m: m[np.newaxis, 1, :2] * m[-1, -2:], M)


def test_methods_and_properties(check) -> None:
    check(lambda m: m.sum(axis=0) ** 2 + m.mean() + m.T[1, 2], M)
    check(lambda m: m.reshape(2, 6)[1] ** 2 + m.max() * m.min(), M)
    check(lambda m: m.ravel() @ m.flatten() + m.std() + m.var(axis=1).sum(), M)
    check(lambda x: x.dot(x) + x.prod() + x.cumsum()[-1] + x.real.sum() + x.copy()[0], X)
    check(lambda m: m.transpose() @ m + m.clip(-0.5, 0.5).sum() + m.astype(np.float64).sum(), M)
    check(lambda m: m.sum(axis=1, keepdims=True) / m.sum(axis=(0, 1)) + m.shape[0] * m.ndim, M)


def test_numpy_functions(check) -> None:
    check(lambda x, y: np.maximum(x, y) ** 2 + np.minimum(x, 0.2), X, X[::-1] + 0.05)
    check(lambda x: np.where(x > 0, np.log(np.abs(x) + 1), x**2), X)
    check(lambda a, x: np.einsum("ij,j->i", a, x) + np.einsum("ij,kj->", a, a), M, X)
    check(lambda x, y: np.concatenate([x, y]) ** 2 * np.arange(7.0), X, X[:3])
    check(lambda x: np.stack([x, 2 * x, x**2]) @ np.ones(4), X)
    check(lambda a, v: np.linalg.solve(a, v), S + 3 * np.eye(3), V)
    check(lambda a: np.linalg.det(a) + np.sum(np.linalg.inv(a)) + np.linalg.norm(a), SPD)
    check(lambda s: np.linalg.cholesky(s @ s.T + 3 * np.eye(3)), S)
    check(lambda m: np.sort(m, axis=1) + np.cumsum(m, axis=0) * np.cumprod(m, axis=1), M)
    check(lambda x: np.fft.fft(x).real + np.outer(x, x).ravel()[:4] + np.tensordot(x, x, 1), X)
    check(lambda m: np.trace(m[:, :3] @ m[:, :3]) + np.diag(m).sum() + np.mean(m, axis=0), M)


def test_keyword_arguments_to_numpy_functions(check) -> None:
    check(lambda m: np.linalg.norm(m, axis=1) + np.mean(m, axis=None), M)
    check(lambda x: np.sum(x, where=x > 0) + np.var(x, ddof=1), X)
    check(lambda x, y: np.concatenate((x, y), axis=0) ** 2, X, X[:2] * 2)
    check(lambda x, t: np.clip(x, a_min=None, a_max=t), X, 0.3)
    check(lambda x, w: np.average(x, weights=w), X, np.exp(X))


# -- dtypes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tangent_dtype_is_kept(check, dtype) -> None:
    x = np.array([0.5, -1.0, 2.0], dtype=dtype)
    tol = 1e-4 if dtype == np.float32 else 1e-7
    y, dy = check(lambda v: np.tanh(v) * v + v @ v, x, rtol=tol, atol=tol)
    assert y.dtype == dtype and dy.dtype == dtype
    y, dy = check(lambda v: np.sum(v**2 * 3.0), x, rtol=tol, atol=tol)
    assert type(dy) is type(y)


def test_float32_input_through_float64_computation() -> None:
    x = np.array([0.5, -1.0], dtype=np.float32)
    y, dy = engine.jvp(lambda v: np.exp(v.astype(np.float64)), (x,), (np.ones(2, np.float32),))
    assert y.dtype == dy.dtype == np.float64
    np.testing.assert_allclose(dy, np.exp(x.astype(np.float64)), rtol=1e-6)


def test_integer_array_arguments_have_no_tangent(check) -> None:
    y, dy = check(lambda x, n: x * n, X[:3], np.arange(3))
    np.testing.assert_array_equal(y, X[:3] * np.arange(3))
    _, dy = engine.jvp(lambda n: n * 2, (np.arange(3),), (np.zeros(3),))
    assert type(dy).__name__ == "NoTangent"


def test_complex_intermediate_and_complex_input(check) -> None:
    def loss(x, y):
        z = x + 1j * y
        w = z * z + np.exp(1j * x)
        return np.abs(w) ** 2

    check(loss, X, X[::-1])
    _, dy = check(lambda z: z * z + z.conjugate(), 1.0 + 2.0j)
    assert type(dy) is complex
    _, dy = check(lambda z: z * z + np.conj(z), 1.0 + 2.0j)
    assert type(dy) is np.complex128


@pytest.mark.parametrize(
    "loss",
    [
        lambda x: float(np.sum(x**2)),
        lambda x: np.asarray(np.sum(x**2)),
        lambda x: np.sum(x**2, keepdims=True).reshape(()),
        lambda x: x @ x,
    ],
    ids=["float", "0-d", "0-d reshaped", "matmul"],
)
def test_scalar_output_kinds(check, loss) -> None:
    check(loss, X)


# -- SciPy -----------------------------------------------------------------------------------


def test_scipy_special(check) -> None:
    check(lambda a, b: scipy.special.gammaln(a) + scipy.special.gammaln(b) * a, 2.5, 0.7)
    check(lambda x: scipy.special.expit(x) * scipy.special.erf(x) + scipy.special.digamma(x + 3), X)
    check(lambda m: scipy.special.logsumexp(m, axis=0) + scipy.special.softmax(m, axis=1)[0], M)
    check(lambda x: scipy.special.xlogy(x**2, np.abs(x) + 1) + scipy.special.log_softmax(x), X)


def test_scipy_linalg(check) -> None:
    check(lambda a, b: scipy.linalg.solve(a, b), S + 3 * np.eye(3), V)
    check(lambda s: scipy.linalg.cholesky(s @ s.T + 3 * np.eye(3), lower=True), S)
    check(
        lambda s, b: scipy.linalg.solve_triangular(np.tril(s) + 3 * np.eye(3), b, lower=True), S, V
    )
    check(lambda s: scipy.linalg.cho_solve(scipy.linalg.cho_factor(s @ s.T + np.eye(3)), V), S)


# -- a small MLP -----------------------------------------------------------------------------


def mlp(params, x):
    h = x
    for w, b in params[:-1]:
        h = np.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    logits = logits - np.max(logits, axis=1, keepdims=True)
    return logits - np.log(np.sum(np.exp(logits), axis=1, keepdims=True))


def test_small_mlp_with_parameter_tangents(check) -> None:
    rng = np.random.default_rng(7)
    params = [
        (0.5 * rng.standard_normal((3, 4)), 0.1 * rng.standard_normal(4)),
        (0.5 * rng.standard_normal((4, 2)), 0.1 * rng.standard_normal(2)),
    ]
    check(mlp, params, rng.standard_normal((5, 3)))
