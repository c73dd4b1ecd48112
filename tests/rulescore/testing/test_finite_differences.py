"""Tests of rulescore.testing._finite_differences: stencils, accuracy, honest error bounds,
and jvp/vjp/grad/jacobian against analytic derivatives."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from typing import Any

import numpy as np
import pytest

from rulescore import NoTangent, Tangent, ZeroTangent
from rulescore.testing._finite_differences import (
    _plan,
    _weights,
    central_fdm,
    grad,
    jacobian,
    jvp,
    vjp,
)
from rulescore.testing._flatten import flatten, flatten_tangent

EPS32 = float(np.finfo(np.float32).eps)

# name: (f, f'), with points where f' is not small, so that relative errors mean something.
SMOOTH = {
    "sin": (np.sin, np.cos),
    "exp": (np.exp, np.exp),
    "log": (np.log, lambda x: 1 / x),
    "cube": (lambda x: x**3, lambda x: 3 * x**2),
    "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2),
    "lorentz": (lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2),
}
POINTS = np.array([0.3, 0.7, 1.1, 1.9, 2.6])


def test_weights_are_exact() -> None:
    assert _weights((-1, 0, 1), 1) == (Fraction(-1, 2), 0, Fraction(1, 2))
    assert _weights((-2, -1, 0, 1, 2), 1) == tuple(Fraction(n, 12) for n in (1, -8, 0, 8, -1))
    assert _weights((-1, 0, 1), 2) == (1, -2, 1)
    assert _weights((0, 1, 2), 1) == (Fraction(-3, 2), 2, Fraction(-1, 2))


@pytest.mark.parametrize("order", [1, 2, 4])
def test_central_fdm_needs_an_odd_order_of_at_least_3(order: int) -> None:
    with pytest.raises(ValueError, match="odd order"):
        central_fdm(order)


@pytest.mark.parametrize("order", [3, 5, 7])
@pytest.mark.parametrize("name", SMOOTH)
def test_method_is_accurate_and_bounds_its_error(name: str, order: int) -> None:
    f, df = SMOOTH[name]
    for t0 in POINTS:
        estimate = central_fdm(order)(f, float(t0))
        actual = abs(estimate.value - df(t0))
        assert estimate.value.shape == estimate.error.shape == ()
        assert actual <= estimate.error, (t0, actual, estimate.error)
        assert actual < 1e-9 * abs(df(t0))


def test_extrapolation_of_3_points_is_the_5_point_stencil() -> None:
    plan = _plan((-1, 0, 1))
    np.testing.assert_array_equal(plan.fine_points, [-2, -1, 1, 2])
    # In units of the half step u = h/2: (g(-2u) - 8 g(-u) + 8 g(u) - g(2u)) / (12 u).
    np.testing.assert_allclose(plan.extrapolated, np.array([1, -8, 8, -1]) / 6, rtol=1e-15)


def test_extrapolation_removes_the_leading_truncation_error() -> None:
    # A large `factor` claims a noisy function, which makes the step as large as max_step.
    estimate = central_fdm(3, factor=1e12, max_step=0.05)(np.exp, 1.0)
    assert abs(estimate.value - np.e) < 1e-6 <= estimate.error


@pytest.mark.parametrize("name", SMOOTH)
def test_method_in_float32(name: str) -> None:
    f, df = SMOOTH[name]
    for t0 in POINTS:
        estimate = central_fdm()(lambda t, f=f: f(np.float32(t)), float(t0), eps=EPS32)
        actual = abs(estimate.value - df(t0))
        assert actual <= estimate.error < 1e-3 * abs(df(t0)), (t0, actual, estimate.error)


def test_method_of_vector_and_constant_outputs() -> None:
    estimate = central_fdm()(lambda t: np.array([t**2, 5.0, np.exp(t)]), 1.0)
    np.testing.assert_allclose(estimate.value, [2.0, 0.0, np.e], rtol=1e-12)
    assert estimate.value[1] == 0.0
    assert np.all(np.abs(estimate.value - [2.0, 0.0, np.e]) <= estimate.error)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", SMOOTH)
def test_jvp_of_elementwise_functions(name: str, dtype: Any) -> None:
    f, df = SMOOTH[name]
    rtol = 1e-9 if dtype == np.float64 else 1e-3
    x = POINTS.astype(dtype)
    exact = df(x.astype(np.float64))
    array = jvp(f, (x,), (np.ones(5),))
    scalar = jvp(f, (x[2],), (2.0,))
    assert array.value.dtype == dtype and type(scalar.value) is dtype
    np.testing.assert_allclose(array.value, exact, rtol=rtol)
    np.testing.assert_allclose(scalar.value, 2 * exact[2], rtol=rtol)
    assert np.max(np.abs(array.value - exact)) <= array.error
    assert abs(scalar.value - 2 * exact[2]) <= scalar.error


def f_multi(x: np.ndarray, a: float, n: int, name: str) -> dict[str, Any]:
    """A function of several inputs with an analytic Jacobian, and a constant `name`."""
    return {"y": a * np.sin(x) * n, "name": name, "s": np.sum(x**2)}


def test_jvp_vjp_grad_jacobian_of_several_inputs() -> None:
    x, a, n = np.array([0.5, 1.0, 2.0]), 1.5, 2
    dx, da, dn = np.array([1.0, -2.0, 0.5]), 0.25, -1.0
    y_exact = {
        "y": a * np.cos(x) * n * dx + da * np.sin(x) * n + a * np.sin(x) * dn,
        "s": 2 * x @ dx,
    }

    forward = jvp(f_multi, (x, a, n, "f"), (dx, da, dn, NoTangent()))
    assert forward.value["name"] == NoTangent()
    np.testing.assert_allclose(forward.value["y"], y_exact["y"], rtol=1e-10)
    np.testing.assert_allclose(forward.value["s"], y_exact["s"], rtol=1e-10)
    assert 0 < forward.error < 1e-9

    dy = {"y": np.array([1.0, 0.0, -1.0]), "s": 2.0}
    reverse = vjp(f_multi, dy, (x, a, n, "f"))
    dx_exact = a * n * np.cos(x) * dy["y"] + 2 * x * dy["s"]
    np.testing.assert_allclose(reverse.value[0], dx_exact, rtol=1e-10)
    np.testing.assert_allclose(reverse.value[1], n * np.sin(x) @ dy["y"], rtol=1e-10)
    np.testing.assert_allclose(reverse.value[2], a * np.sin(x) @ dy["y"], rtol=1e-10)
    assert type(reverse.value[2]) is float and reverse.value[3] == NoTangent()

    gradient = grad(lambda x, a: a * np.sum(np.sin(x)), x, a)
    np.testing.assert_allclose(gradient.value[0], a * np.cos(x), rtol=1e-10)
    np.testing.assert_allclose(gradient.value[1], np.sum(np.sin(x)), rtol=1e-10)

    jac = jacobian(f_multi, x, a, n, "f")
    assert [block.shape for block in jac.value] == [(4, 3), (4, 1), (4, 1), (4, 0)]
    np.testing.assert_allclose(jac.value[0][:3], np.diag(a * n * np.cos(x)), atol=1e-10)
    np.testing.assert_allclose(jac.value[0][3], 2 * x, rtol=1e-10)
    np.testing.assert_allclose(jac.value[1][:, 0], [*(n * np.sin(x)), 0.0], atol=1e-10)


def test_grad_needs_one_real_output() -> None:
    with pytest.raises(ValueError, match="one real number"):
        grad(np.sin, np.ones(2))
    with pytest.raises(ValueError, match="one real number"):
        grad(lambda z: z**2, 1j)


def test_complex_holomorphic() -> None:
    z, dz, dy = np.array([1 + 2j, -0.5 + 0.3j]), np.array([0.5 - 1j, 2j]), np.array([1 - 1j, 2.0])
    np.testing.assert_allclose(jvp(np.square, (z,), (dz,)).value, 2 * z * dz, rtol=1e-10)
    np.testing.assert_allclose(vjp(np.square, dy, (z,)).value[0], np.conj(2 * z) * dy, rtol=1e-10)
    cotangent = vjp(lambda w: w**2, 1.0, (1 + 2j,)).value[0]
    assert type(cotangent) is complex and abs(cotangent - (2 - 4j)) < 1e-10


def test_complex_not_holomorphic() -> None:
    z, dz = 1.5 - 0.5j, 0.3 + 0.7j
    abs2 = jvp(lambda w: abs(w) ** 2, (z,), (dz,))
    assert type(abs2.value) is float
    assert abs(abs2.value - 2 * (np.conj(z) * dz).real) < 1e-10
    # dL/dRe + i dL/dIm of |z|^2 = x^2 + y^2.
    assert abs(vjp(lambda w: abs(w) ** 2, 1.0, (z,)).value[0] - 2 * z) < 1e-10
    assert abs(grad(lambda w: w.real * w.imag, z).value[0] - (z.imag + 1j * z.real)) < 1e-10


@dataclasses.dataclass(frozen=True)
class Layer:
    w: np.ndarray
    b: np.float32
    activation: str = "tanh"


def layer(params: Layer, x: np.ndarray, c: complex) -> tuple[np.ndarray, complex]:
    return np.tanh(params.w @ x + params.b), c * np.sum(x) ** 2


@pytest.mark.parametrize("seed", range(3))
def test_adjoint_consistency(seed: int) -> None:
    rng = np.random.default_rng(seed)
    primals = (Layer(rng.normal(size=(2, 3)), np.float32(0.5)), rng.normal(size=3), 1 - 2j)
    dx = (Tangent[Layer](w=rng.normal(size=(2, 3))), rng.normal(size=3), 0.5 + 0.5j)
    dy = (rng.normal(size=2), 1j)
    forward = jvp(layer, primals, dx)
    reverse = vjp(layer, dy, primals)
    assert reverse.value[0].activation == NoTangent() and reverse.value[0].b.dtype == np.float32
    y = layer(*primals)
    lhs = flatten_tangent(y, dy) @ flatten_tangent(y, forward.value)
    rhs = flatten_tangent(primals, reverse.value) @ flatten_tangent(primals, dx)
    # The float32 bias sets the precision: eps is inferred as float32's.
    assert abs(lhs - rhs) < 1e-5 * max(abs(lhs), 1.0)


def test_inputs_keep_their_dtypes_and_are_not_mutated() -> None:
    seen = []

    def f(x: np.ndarray, z: np.complex64) -> np.ndarray:
        seen.append((x.dtype, type(z)))
        x += 1  # a function that mutates its argument only mutates a copy
        return x * z.real

    x = np.array([1.0, 2.0], np.float32)
    jac = jacobian(f, x, np.complex64(2.0))
    assert set(seen) == {(np.dtype(np.float32), np.complex64)}
    np.testing.assert_array_equal(x, [1.0, 2.0])
    np.testing.assert_allclose(jac.value[0], 2 * np.eye(2), rtol=1e-3)
    np.testing.assert_allclose(jac.value[1], [[2.0, 0.0], [3.0, 0.0]], rtol=1e-3)


def test_zero_tangents_and_empty_inputs() -> None:
    result = jvp(np.sin, (np.ones(2),), (ZeroTangent(),))
    np.testing.assert_array_equal(result.value, [0.0, 0.0])
    assert result.error == 0.0
    assert vjp(len, NoTangent(), ("abc",)).value == (NoTangent(),)
    x = np.linspace(0.1, 1.0, 50)
    assert flatten(jacobian(np.cumsum, x).value)[0].size == 2500


def test_error_bound_of_vjp_covers_the_error() -> None:
    x = np.linspace(0.5, 3.0, 7)
    dy = np.linspace(-1.0, 2.0, 7)
    for f, df in SMOOTH.values():
        result = vjp(f, dy, (x,))
        assert np.max(np.abs(result.value[0] - df(x) * dy)) <= result.error < 1e-8


def test_nan_inputs_leave_the_error_bound_finite() -> None:
    x = np.array([1.0, np.nan, 2.0])
    result = vjp(np.nansum, 1.0, (x,))
    assert np.isfinite(result.error)
    np.testing.assert_allclose(result.value[0], [1.0, 0.0, 1.0], atol=1e-9)
    forward = jvp(np.nansum, (x,), (np.ones(3),))
    assert np.isfinite(forward.error)


def test_an_output_whose_structure_changes_gets_a_clear_error() -> None:
    def jumpy(x: float) -> np.ndarray:
        return np.ones(3 if x > 1.0 else 2) * x

    with pytest.raises(ValueError, match="changed structure"):
        jvp(jumpy, (1.0,), (1.0,))
