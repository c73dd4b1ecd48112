"""Nested differentiation through the forward engine: forward over forward (a function
that calls `jvp`, checked against analytic derivatives; levels keep the tangents apart) and
forward over reverse (Hessian-vector products through the reverse engine's code, checked
against finite differences of the reverse gradient)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import engine
from rulescore.testing import jacobian as fd_jacobian
from rulescore.testing import jvp as fd_jvp

# -- forward over forward --------------------------------------------------------------------


def derivative(f):
    def f_prime(x):
        return engine.jvp(f, (x,), (1.0,))[1]

    return f_prime


@pytest.mark.parametrize("x", [0.7, -1.3])
def test_second_and_third_derivatives_of_scalar_code(x) -> None:
    def f(v):
        return math.sin(v) * v**3

    second = derivative(derivative(f))(x)
    expected = -math.sin(x) * x**3 + 6 * math.cos(x) * x**2 + 6 * math.sin(x) * x
    assert second == pytest.approx(expected, rel=1e-12)
    assert derivative(derivative(derivative(lambda v: v**5)))(2.0) == pytest.approx(240.0)


def test_second_derivative_of_numpy_code() -> None:
    def f(v):
        return np.exp(np.sin(v))

    x = 0.3
    expected = np.exp(np.sin(x)) * (np.cos(x) ** 2 - np.sin(x))
    np.testing.assert_allclose(derivative(derivative(f))(x), expected, rtol=1e-12)


def test_inner_tangent_is_not_confused_with_the_outer_one() -> None:
    # d/dx [d/dy (x * y)] = 1, the classic perturbation-confusion test.
    def outer(x):
        return engine.jvp(lambda y: x * y, (2.0,), (1.0,))[1]

    assert engine.jvp(outer, (3.0,), (1.0,)) == (3.0, 1.0)

    def shared(x):
        return x * derivative(lambda y: x + y)(x)

    assert engine.jvp(shared, (3.0,), (1.0,)) == (3.0, 1.0)


def test_mixed_partial_through_a_closure() -> None:
    def dfdx(x, y):
        return engine.jvp(lambda a: a * a * np.sin(y), (x,), (1.0,))[1]

    _, d2 = engine.jvp(dfdx, (1.5, 0.4), (0.0, 1.0))
    assert d2 == pytest.approx(2 * 1.5 * np.cos(0.4), rel=1e-12)


def test_hessian_as_forward_over_forward_jacobian() -> None:
    def f(v):
        return np.sum(np.sin(v) * v) + v[0] * v[1] ** 2

    def gradient(x):
        units = np.eye(x.size)
        return np.array([engine.jvp(f, (x,), (units[i],))[1] for i in range(x.size)])

    x = np.array([0.3, 0.5])
    (h,) = engine.jacobian(gradient, x, mode="forward")
    expected = np.diag(2 * np.cos(x) - x * np.sin(x)) + np.array(
        [[0, 2 * x[1]], [2 * x[1], 2 * x[0]]]
    )
    np.testing.assert_allclose(h, expected, rtol=1e-12)


def test_forward_over_forward_through_objects_and_loops() -> None:
    @dataclasses.dataclass
    class Spring:
        k: float

        def energy(self, x):
            total = 0.0
            for i in range(1, 4):
                total = total + self.k * x**i / i
            return total

    def force(k, x):
        return derivative(Spring(k).energy)(x)

    _, dk = engine.jvp(force, (2.0, 0.5), (1.0, 0.0))
    assert dk == pytest.approx(1 + 0.5 + 0.25)
    _, dx = engine.jvp(force, (2.0, 0.5), (0.0, 1.0))
    assert dx == pytest.approx(2.0 * (1 + 2 * 0.5))


# -- forward over reverse --------------------------------------------------------------------

W = np.array([[0.5, -0.3], [0.2, 0.8], [0.1, 0.4]])


def looped(v):
    s = 0.0
    for i in range(3):
        s = s + np.sum(np.sin(v * (i + 1)))
    return s


def indexed(v):
    total = v[0] * v[1]
    for i in range(1, v.size):
        total = total + v[i] ** 2 * v[i - 1]
    return total + np.max(v[::-1] * 2.0)


def mlp(v):
    params = [(W, np.array([0.1, -0.2, 0.3])), (W.T, np.array([0.05, 0.0]))]
    h = v
    for w, b in params:
        h = np.tanh(w @ h + b)
    return np.sum(h**2) + math.exp(h[0])


def logsumexp(v):
    m = np.max(v)
    return m + np.log(np.sum(np.exp(v - m)))


LOSSES = {
    "mlp": mlp,
    "logsumexp": logsumexp,
    "mean var": lambda v: np.mean(v) * np.var(W @ v),
    "indexing": indexed,
    "norm": lambda v: np.linalg.norm(W @ v) ** 3,
    "where": lambda v: np.sum(np.where(v > 0, v**3, -v)),
    "loop": looped,
    "dict": lambda v: sum(
        d["w"] * d["x"] ** 2 for d in [{"w": 2.0, "x": v[0]}, {"w": v[1], "x": v[0]}]
    ),
}


def _reverse_gradient(loss):
    def gradient(v):
        return engine.gradient(loss, v)[0]

    return gradient


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_hvp_matches_finite_differences_of_the_reverse_gradient(name) -> None:
    loss = LOSSES[name]
    x, v = np.array([0.3, -0.7]), np.array([0.6, 1.1])
    got = engine.hvp(loss, x, v)
    reference = fd_jvp(_reverse_gradient(loss), (x,), (v,))
    np.testing.assert_allclose(got, reference.value, rtol=1e-7, atol=1e-9 + 10 * reference.error)
    assert got.shape == x.shape and got.dtype == x.dtype


@pytest.mark.parametrize("name", ["mlp", "logsumexp", "indexing", "loop"])
def test_hessian_forward_over_reverse_matches_finite_differences(name) -> None:
    loss = LOSSES[name]
    x = np.array([0.3, -0.7, 0.2]) if name != "mlp" else np.array([0.3, -0.7])
    h = engine.hessian(loss, x)
    (expected,) = fd_jacobian(_reverse_gradient(loss), x).value
    np.testing.assert_allclose(h, expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(h, h.T, rtol=1e-10, atol=1e-12)


def test_forward_over_reverse_through_withgradient_and_grad() -> None:
    def value_plus_gradient(x):
        y, (g,) = engine.withgradient(lambda v: np.sum(v**3), x)
        return y + g

    x = np.array([0.5, -1.5])
    _, dy = engine.jvp(value_plus_gradient, (x,), (np.ones(2),))
    np.testing.assert_allclose(dy, np.sum(3 * x**2) + 6 * x, rtol=1e-12)
    _, dy = engine.jvp(engine.grad(lambda v: v**4), (1.5,), (1.0,))
    assert dy == pytest.approx(12 * 1.5**2)


def test_forward_over_reverse_with_a_float32_input_keeps_the_dtype() -> None:
    x = np.array([0.5, -1.0], dtype=np.float32)
    h = engine.hvp(lambda v: np.sum(np.tanh(v) ** 2), x, np.ones(2, np.float32))
    assert h.dtype == np.float32
    t = np.tanh(x.astype(np.float64))
    np.testing.assert_allclose(h, 2 * (1 - t**2) * (1 - 3 * t**2), rtol=1e-5)


def test_third_derivatives_push_forward_through_a_hessian() -> None:
    def f(x):
        return math.sin(x) * x**2

    x = 0.7
    third = -math.cos(x) * x**2 - 6 * math.sin(x) * x + 6 * math.cos(x)
    for mode in ("forward", "reverse"):  # forward over (forward | reverse) over reverse
        _, dy = engine.jvp(lambda v, mode=mode: engine.hessian(f, v, mode=mode), (x,), (1.0,))
        assert dy == pytest.approx(third, rel=1e-10)
