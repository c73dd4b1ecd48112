"""A corpus of NumPy and SciPy calls as users write them (keyword options, methods,
several arrays), each differentiated by the engine inside a small loss and checked against
finite differences: the dispatch (keywords moved to positions, methods, lazy SciPy rules)
meets the rule library here."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import scipy.special

import engine
from rulescore.testing._finite_differences import grad as fd_grad

A = np.array([[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.4, 1.8]])
V = np.array([0.3, -1.2, 0.8])

CASES = {
    "sum axis": lambda x: np.sum(np.sum(x**2, axis=0) * V),
    "mean keepdims": lambda x: np.sum(np.mean(x, axis=1, keepdims=True) * x),
    "std ddof": lambda x: np.std(x, ddof=1) + np.var(x, axis=0).sum(),
    "max axis": lambda x: np.max(x, axis=1).sum(),
    "norm ord": lambda x: np.linalg.norm(x, ord=2) + np.linalg.norm(x, "fro"),
    "clip": lambda x: np.sum(np.clip(x, -0.25, 1.0) ** 2),
    "where": lambda x: np.sum(np.where(x > 0, x, 0.5 * x) ** 2),
    "concatenate stack": lambda x: np.sum(np.concatenate([x, x**2], axis=0) @ np.stack([V, V]).T),
    "einsum": lambda x: np.einsum("ij,jk,k->", x, x, V),
    "dot tensordot": lambda x: np.dot(x[0], x[1]) + np.tensordot(x, x, axes=2),
    "cumsum cumprod": lambda x: np.sum(np.cumsum(x, axis=1) * np.cumprod(x, axis=0)),
    "sort": lambda x: np.sum(np.sort(x, axis=None) * np.arange(9.0)),
    "methods": lambda x: x.sum(axis=0).dot(V) + x.T.mean() + x.reshape(-1)[::2].prod(),
    "inv det": lambda x: np.sum(np.linalg.inv(x)) + np.linalg.det(x),
    "slogdet solve": lambda x: np.linalg.slogdet(x).logabsdet + np.sum(np.linalg.solve(x, V)),
    "eigh": lambda x: np.sum(np.linalg.eigh(x + x.T).eigenvalues ** 3),
    "fft": lambda x: np.sum(np.abs(np.fft.fft(x, axis=1)) ** 2),
    "logsumexp": lambda x: scipy.special.logsumexp(x, axis=0).sum(),
    "expit gammaln": lambda x: np.sum(scipy.special.expit(x) * scipy.special.gammaln(x**2 + 1)),
    "cho_solve": lambda x: np.sum(
        scipy.linalg.cho_solve(scipy.linalg.cho_factor(x @ x.T + np.eye(3)), V)
    ),
    "interp": lambda x: np.sum(np.interp(V, [-2.0, 0.0, 2.0], x[0])),
    "outer kron": lambda x: np.sum(np.outer(x[0], V) ** 2) + np.sum(np.kron(x[:2, :2], x[1:, 1:])),
    "pad tile": lambda x: np.sum(np.pad(x, 1, mode="reflect") ** 2) + np.tile(x, (2, 1)).sum(),
    "diag trace": lambda x: np.trace(x @ x) + np.sum(np.diag(x) ** 2),
    "average weights": lambda x: np.average(x, axis=0, weights=np.exp(x[0])).sum(),
    "matmul chain": lambda x: np.sum((x @ x.T) @ np.tanh(x)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_numpy_call_matches_finite_differences(name: str) -> None:
    f = CASES[name]
    (g,) = engine.gradient(f, A.copy())
    (expected,) = fd_grad(f, A.copy()).value
    assert g.shape == A.shape and g.dtype == A.dtype
    np.testing.assert_allclose(g, expected, rtol=1e-6, atol=1e-8)
