"""The user API in forward mode: `jvp` (container tangents, materialized zeros),
`jacobian(..., mode="forward")`, `hvp`, `hessian` (forward over reverse by default),
`diaghessian`, and `gradient(..., backend="forward")`; checked against finite differences
and against the reverse engine."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from rulescore import NoTangent, TangentShapeError, TangentTypeError, ZeroTangent
from rulescore.testing import jacobian as fd_jacobian

RNG = np.random.default_rng(3)
X = RNG.standard_normal(3)
M = RNG.standard_normal((2, 3))

# -- jvp -------------------------------------------------------------------------------------


def test_jvp_docstring_example() -> None:
    y, dy = engine.jvp(lambda x, y: x * np.sin(y), (2.0, 0.0), (1.0, 1.0))
    assert (y, dy) == (0.0, 2.0)


def test_jvp_with_dict_and_tuple_primals(check) -> None:
    def f(params, pair):
        return {"out": params["w"] * pair[0] + params["b"], "aux": pair[1] ** 2}

    _, dy = check(f, {"w": 2.0, "b": np.array([0.5, 1.0])}, (1.5, -0.5))
    assert set(dy) == {"out", "aux"}


def test_jvp_zero_and_partial_tangents() -> None:
    y, dy = engine.jvp(lambda x, y: x * y, (2.0, 3.0), (ZeroTangent(), 1.0))
    assert (y, dy) == (6.0, 2.0)
    _, dy = engine.jvp(lambda x: np.ones(2, np.float32), (2.0,), (1.0,))
    assert dy.dtype == np.float32 and not dy.any()
    _, dy = engine.jvp(lambda x, s: s * 2 if x > 0 else s, (1.0, "ab"), (1.0, NoTangent()))
    assert dy == NoTangent()


def test_jvp_with_the_reverse_engine_uses_pullbacks() -> None:
    f = lambda x: np.sin(x) * x[0]  # noqa: E731
    _, dy = engine.jvp(f, (X,), (np.ones(3),), backend="reverse")
    _, expected = engine.jvp(f, (X,), (np.ones(3),))
    np.testing.assert_allclose(dy, expected, rtol=1e-12)


# -- jacobian(mode="forward") ----------------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        lambda x, m: np.tanh(m @ x),
        lambda x, m: np.outer(x, m[0]) + math.sin(x[0]),
        lambda x, m: np.sum(m * x) * x,
    ],
    ids=["matvec", "outer", "scalar times vector"],
)
def test_forward_jacobian_matches_reverse_and_finite_differences(f) -> None:
    forward = engine.jacobian(f, X, M, mode="forward")
    reverse = engine.jacobian(f, X, M)
    expected = fd_jacobian(f, X, M).value
    for got, rev, want, x in zip(forward, reverse, expected, (X, M), strict=True):
        np.testing.assert_allclose(got, rev, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(got.reshape(want.shape), want, rtol=1e-7, atol=1e-9)
        assert got.shape == np.shape(f(X, M)) + x.shape


def test_forward_jacobian_of_scalar_functions_and_unused_arguments() -> None:
    (j,) = engine.jacobian(lambda x: x**3, 2.0, mode="forward")
    assert j == 12.0
    jx, jn = engine.jacobian(lambda x, n: x * 2.0, X, np.arange(3), mode="forward")
    np.testing.assert_array_equal(jx, 2.0 * np.eye(3))
    assert jn.shape == (3, 3) and not jn.any()


def test_forward_jacobian_refuses_complex_input_and_unknown_mode() -> None:
    with pytest.raises(TangentTypeError, match="real inputs"):
        engine.jacobian(lambda z: z * 2, np.array([1j]), mode="forward")
    with pytest.raises(ValueError, match="mode"):
        engine.jacobian(lambda x: x, X, mode="sideways")


# -- hvp, hessian, diaghessian ---------------------------------------------------------------


def loss(v):
    return np.log(np.sum(np.exp(M @ v))) + np.sum(v**4) * 0.25 + v[0] * v[1]


def _gradient(v):
    return engine.gradient(loss, v)[0]


def test_hessian_forward_over_reverse_matches_finite_differences() -> None:
    h = engine.hessian(loss, X)
    (expected,) = fd_jacobian(_gradient, X).value
    np.testing.assert_allclose(h, expected, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(h, engine.hessian(loss, X, mode="reverse"), rtol=1e-10)
    assert engine.hessian(lambda t: t**3, 2.0) == 12.0


def test_hvp_is_the_hessian_times_the_vector() -> None:
    v = RNG.standard_normal(3)
    np.testing.assert_allclose(engine.hvp(loss, X, v), engine.hessian(loss, X) @ v, rtol=1e-10)


def test_diaghessian() -> None:
    def f(x, y, n):
        return np.sum(x**3) * y + y**3 + math.sin(y) * n

    dx, dy, dn = engine.diaghessian(f, np.array([1.0, 2.0]), 3.0, 2)
    np.testing.assert_allclose(dx, [18.0, 36.0])
    assert dy == pytest.approx(18.0 - 2 * math.sin(3.0))
    assert dn == 0.0
    np.testing.assert_allclose(engine.diaghessian(loss, X)[0], np.diag(engine.hessian(loss, X)))


def test_diaghessian_keeps_the_dtype() -> None:
    x = np.array([0.5, 1.5], dtype=np.float32)
    (d,) = engine.diaghessian(lambda v: np.sum(v**3), x)
    assert d.dtype == np.float32
    np.testing.assert_allclose(d, 6 * x)


# -- gradient with the forward engine --------------------------------------------------------


@pytest.mark.parametrize(
    "f",
    [
        loss,
        lambda v: math.sin(v[0]) * v[1] + sum(x**2 for x in v),
        lambda v: np.max(np.abs(v)) + np.linalg.norm(v),
    ],
    ids=["loss", "math and generator", "max norm"],
)
def test_gradient_with_backend_forward_equals_reverse(f) -> None:
    (forward,) = engine.gradient(f, X, backend="forward")
    (reverse,) = engine.gradient(f, X)
    np.testing.assert_allclose(forward, reverse, rtol=1e-12, atol=1e-14)
    assert forward.dtype == X.dtype


def test_gradient_with_backend_forward_of_containers() -> None:
    def f(params, x):
        return params["w"] * x**2 + params["b"][0]

    forward = engine.gradient(f, {"w": 2.0, "b": [1.0, 5.0]}, 3.0, backend="forward")
    assert forward == engine.gradient(f, {"w": 2.0, "b": [1.0, 5.0]}, 3.0)
    assert forward == ({"w": 9.0, "b": [1.0, 0.0]}, 12.0)


def test_jvp_tangent_never_aliases_the_inputs() -> None:
    x, v = np.ones(3), np.array([1.0, 2.0, 3.0])
    for f in (lambda a: a + 1.0, lambda a: a, lambda a: (a, a - 0.0)):
        _, dy = engine.jvp(f, (x,), (v,))
        for part in dy if isinstance(dy, tuple) else (dy,):
            np.testing.assert_array_equal(part, v)
            assert not np.may_share_memory(part, v)


def test_jvp_projects_tangents_onto_their_primals() -> None:
    with pytest.raises(TangentShapeError, match="does not fit"):
        engine.jvp(lambda x: 2.0 * x, (np.ones(3),), (np.ones(2),))
    y, dy = engine.jvp(lambda x: 2.0 * x, (np.ones(2, np.float32),), (np.ones(2),))
    assert y.dtype == dy.dtype == np.float32
