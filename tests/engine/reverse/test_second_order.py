"""Second derivatives of array code, reverse over reverse: `jacobian` of `gradient`
through NumPy rules, checked against finite differences of the gradient."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from rulescore.testing._finite_differences import jacobian as fd_jacobian

W = np.array([[0.5, -0.3], [0.2, 0.8], [0.1, 0.4]])


def looped(v):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.sin(v * (i + 1)))
    return s


LOSSES = {
    "mlp": lambda v: np.sum(np.tanh(W @ v) ** 2),
    "logsumexp": lambda v: np.log(np.sum(np.exp(v * 2.0))),
    "mean var": lambda v: np.mean(v) * np.var(W @ v),
    "index max": lambda v: v[0] * np.sum(v[1:] ** 3) + np.max(W @ v),
    "norm": lambda v: np.linalg.norm(W @ v) ** 3,
    "where": lambda v: np.sum(np.where(v > 0, v**3, -v)),
    "loop": looped,
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_hessian_matches_finite_differences_of_the_gradient(name: str) -> None:
    loss = LOSSES[name]
    x = np.array([0.3, -0.7])

    def gradient(v):
        return engine.gradient(loss, v)[0]

    (hessian,) = engine.jacobian(gradient, x)
    (expected,) = fd_jacobian(gradient, x).value
    np.testing.assert_allclose(hessian, expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(hessian, hessian.T, rtol=1e-10, atol=1e-12)


def test_hessian_api() -> None:
    x = np.array([0.3, -0.7])
    h = engine.hessian(LOSSES["mlp"], x)
    (expected,) = fd_jacobian(lambda v: engine.gradient(LOSSES["mlp"], v)[0], x).value
    np.testing.assert_allclose(h, expected, rtol=1e-7, atol=1e-9)
    assert engine.hessian(lambda t: t**3, 2.0) == 12.0
