"""The user API through the reverse engine: gradient, withgradient, pullback, jacobian, grad,
value_and_grad, stop_gradient, show_code, backend selection and thread safety."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import engine
from rulescore import AbstractZero, NoTangent, ZeroTangent, unthunk
from rulescore.testing import grad as fd_grad
from rulescore.testing import jacobian as fd_jacobian

RNG = np.random.default_rng(11)
X = RNG.standard_normal(3)
A = RNG.standard_normal((2, 3))

# -- gradient, withgradient, pullback --------------------------------------------------------


def uses_first(x, y, unused):
    return np.sum(x * y) + np.sum(y**2)


def test_gradient_materializes_zeros_for_unused_input(check) -> None:
    _gx, _gy, gu = check(uses_first, X, X[::-1].copy(), np.ones((2, 2), dtype=np.float32))
    assert type(gu) is np.ndarray and gu.dtype == np.float32 and gu.shape == (2, 2)
    np.testing.assert_array_equal(gu, 0.0)


def test_gradient_zero_for_unused_float_is_float() -> None:
    g = engine.gradient(lambda x, y: x * 2.0, 1.0, 5.0)
    assert g == (2.0, 0.0)
    assert type(g[1]) is float


def test_pullback_keeps_lazy_zero_for_unused_input() -> None:
    y, back = engine.pullback(uses_first, X, X, np.ones(2))
    np.testing.assert_allclose(y, uses_first(X, X, np.ones(2)))
    cotangents = back(1.0)
    assert isinstance(cotangents, tuple) and len(cotangents) == 3
    assert isinstance(cotangents[2], AbstractZero)
    assert cotangents[2] == ZeroTangent()
    np.testing.assert_allclose(unthunk(cotangents[0]), X, rtol=1e-14)
    np.testing.assert_allclose(unthunk(cotangents[1]), 3 * X, rtol=1e-14)


def test_pullback_scales_with_cotangent() -> None:
    y, back = engine.pullback(lambda x: x**3, 2.0)
    assert y == 8.0
    assert back(1.0) == (12.0,)
    assert back(0.5) == (6.0,)
    assert back(1.0) == (12.0,)  # the pullback can be called again


def test_pullback_of_array_output_with_vector_cotangent() -> None:
    _y, back = engine.pullback(lambda a, x: np.tanh(a @ x), A, X)
    dy = np.array([0.3, -1.2])
    da, dx = (unthunk(c) for c in back(dy))
    s = dy * (1 - np.tanh(A @ X) ** 2)
    np.testing.assert_allclose(da, np.outer(s, X), rtol=1e-12)
    np.testing.assert_allclose(dx, A.T @ s, rtol=1e-12)


def test_pullback_of_tuple_output() -> None:
    y, back = engine.pullback(lambda x, z: (x * z, x + z), 2.0, 3.0)
    assert y == (6.0, 5.0)
    assert back((1.0, 0.0)) == (3.0, 2.0)
    assert back((0.0, 1.0)) == (1.0, 1.0)


def test_pullback_of_non_float_input() -> None:
    _y, back = engine.pullback(lambda x, s, flag: x * len(s) if flag else x, 1.5, "abc", True)
    dx, ds, dflag = back(1.0)
    assert dx == 3.0
    assert isinstance(unthunk(ds), (NoTangent, AbstractZero))
    assert isinstance(unthunk(dflag), (NoTangent, AbstractZero))


def test_withgradient_returns_value_and_gradients() -> None:
    value, grads = engine.withgradient(lambda a, x: np.sum(np.sin(a @ x)), A, X)
    np.testing.assert_allclose(value, np.sum(np.sin(A @ X)), rtol=1e-15)
    assert isinstance(grads, tuple) and len(grads) == 2
    assert grads[0].shape == A.shape and grads[1].shape == X.shape


def test_gradient_with_no_arguments_is_empty_tuple() -> None:
    assert engine.gradient(lambda: 3.0) == ()


def test_gradient_of_constant_function_is_zero() -> None:
    g = engine.gradient(lambda x: 3.0, np.ones(2))
    np.testing.assert_array_equal(g[0], [0.0, 0.0])


def test_derivative_function() -> None:
    d = engine.derivative(np.sin)
    np.testing.assert_allclose(d(0.3), np.cos(0.3), rtol=1e-15)
    d2 = engine.derivative(lambda x: x**4 - 2 * x)
    assert d2(2.0) == 4 * 8.0 - 2


# -- jacobian --------------------------------------------------------------------------------


def vector_function(a, x):
    return np.tanh(a @ x) * x[:2]


def test_jacobian_shapes_and_values() -> None:
    ja, jx = engine.jacobian(vector_function, A, X)
    assert ja.shape == (2, *A.shape)
    assert jx.shape == (2, *X.shape)
    reference = fd_jacobian(vector_function, A, X)
    np.testing.assert_allclose(ja.reshape(2, -1), reference.value[0], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(jx, reference.value[1], rtol=1e-7, atol=1e-9)


def test_jacobian_of_matrix_output() -> None:
    (j,) = engine.jacobian(lambda m: m @ m.T, A)
    assert j.shape == (2, 2, 2, 3)
    reference = fd_jacobian(lambda m: m @ m.T, A)
    np.testing.assert_allclose(j.reshape(4, 6), reference.value[0], rtol=1e-7, atol=1e-9)


def test_jacobian_of_scalar_function_is_gradient_shaped() -> None:
    (j,) = engine.jacobian(lambda x: np.sum(x**2), X)
    assert j.shape == X.shape
    np.testing.assert_allclose(j, 2 * X, rtol=1e-14)


def test_jacobian_of_scalar_to_scalar() -> None:
    (j,) = engine.jacobian(lambda x: x**3, 2.0)
    assert np.shape(j) == ()
    assert j == 12.0


def test_jacobian_with_control_flow() -> None:
    def f(x):
        out = []
        for i in range(x.shape[0]):
            out = out + [x[i] ** (i + 1)]  # noqa: RUF005 - `[*out, v]` is refused
        return np.array(out)

    (j,) = engine.jacobian(f, X)
    np.testing.assert_allclose(j, np.diag([1.0, 2 * X[1], 3 * X[2] ** 2]), rtol=1e-12)


# -- grad, value_and_grad --------------------------------------------------------------------


def three_args(x, y, z):
    return x * y**2 + np.sin(z) * x


def test_grad_argnums_int() -> None:
    g = engine.grad(three_args)(1.0, 2.0, 3.0)
    assert type(g) is float
    np.testing.assert_allclose(g, 4.0 + np.sin(3.0), rtol=1e-15)
    g1 = engine.grad(three_args, argnums=1)(1.0, 2.0, 3.0)
    assert g1 == 4.0


def test_grad_argnums_tuple() -> None:
    g = engine.grad(three_args, argnums=(0, 2))(1.0, 2.0, 3.0)
    assert isinstance(g, tuple) and len(g) == 2
    np.testing.assert_allclose(g, (4.0 + np.sin(3.0), np.cos(3.0)), rtol=1e-15)
    (g_single,) = engine.grad(three_args, argnums=(1,))(1.0, 2.0, 3.0)
    assert g_single == 4.0


def test_grad_argnums_order_is_respected() -> None:
    g = engine.grad(three_args, argnums=(2, 0))(1.0, 2.0, 3.0)
    np.testing.assert_allclose(g, (np.cos(3.0), 4.0 + np.sin(3.0)), rtol=1e-15)


def test_grad_passes_keyword_arguments_through() -> None:
    def f(x, *, power):
        return x**power

    assert engine.grad(f)(2.0, power=3) == 12.0


def with_aux(w, x):
    pred = w @ x
    return np.sum(pred**2), {"pred": pred, "note": "aux"}


def test_grad_has_aux() -> None:
    g, aux = engine.grad(with_aux, has_aux=True)(A, X)
    assert g.shape == A.shape
    np.testing.assert_allclose(g, 2 * np.outer(A @ X, X), rtol=1e-12)
    np.testing.assert_allclose(aux["pred"], A @ X)
    assert aux["note"] == "aux"


def test_value_and_grad() -> None:
    value, g = engine.value_and_grad(lambda x: np.sum(np.exp(x)))(X)
    np.testing.assert_allclose(value, np.sum(np.exp(X)), rtol=1e-15)
    np.testing.assert_allclose(g, np.exp(X), rtol=1e-15)


def test_value_and_grad_with_aux_and_argnums() -> None:
    (value, aux), (gw, gx) = engine.value_and_grad(with_aux, argnums=(0, 1), has_aux=True)(A, X)
    np.testing.assert_allclose(value, np.sum((A @ X) ** 2))
    assert aux["note"] == "aux"
    np.testing.assert_allclose(gx, 2 * A.T @ (A @ X), rtol=1e-12)
    assert gw.shape == A.shape


def test_grad_refuses_non_scalar() -> None:
    with pytest.raises(TypeError, match=r"jacobian|pullback"):
        engine.grad(lambda x: x * 2.0)(X)


# -- stop_gradient ---------------------------------------------------------------------------


def test_stop_gradient_zeroes_the_gradient() -> None:
    assert engine.stop_gradient is engine.ignore_derivatives
    g = engine.gradient(lambda x: x * engine.stop_gradient(x), 3.0)
    assert g == (3.0,)
    (g2,) = engine.gradient(lambda x: np.sum(engine.stop_gradient(x) ** 2), X)
    np.testing.assert_array_equal(g2, np.zeros_like(X))
    assert g2.shape == X.shape


def test_stop_gradient_in_normalization() -> None:
    def f(x):
        return np.sum(x / engine.stop_gradient(np.linalg.norm(x)))

    (g,) = engine.gradient(f, X)
    np.testing.assert_allclose(g, np.ones(3) / np.linalg.norm(X), rtol=1e-14)


# -- show_code -------------------------------------------------------------------------------


def affine(x):
    return 5 * x + 3


def test_show_code() -> None:
    code = engine.show_code(affine)
    assert isinstance(code, str)
    assert "def " in code and "back" in code
    assert "affine" in code
    compile(code, "<show_code>", "exec")  # plain Python


def test_show_code_of_lambda_and_control_flow() -> None:
    code = engine.show_code(lambda x: x if x > 0 else -x)
    assert "def " in code and "back" in code
    compile(code, "<show_code>", "exec")


def test_show_code_refuses_non_function() -> None:
    with pytest.raises(TypeError):
        engine.show_code(np.sin)


# -- backends --------------------------------------------------------------------------------


def test_backend_keyword() -> None:
    assert engine.gradient(affine, 10.0, backend="reverse") == (5.0,)
    assert engine.derivative(affine, backend="reverse")(10.0) == 5.0
    assert engine.grad(affine, backend="reverse")(1.0) == 5.0
    _y, back = engine.pullback(affine, 1.0, backend="reverse")
    assert back(1.0) == (5.0,)
    (j,) = engine.jacobian(affine, 1.0, backend="reverse")
    assert j == 5.0


def test_use_backend_context_manager() -> None:
    before = engine.default_backend()
    with engine.use_backend("reverse"):
        assert engine.default_backend() == "reverse"
        assert engine.gradient(affine, 10.0) == (5.0,)
    assert engine.default_backend() == before
    assert "reverse" in engine.available_backends()
    assert isinstance(engine.get_engine("reverse"), engine.ReverseEngine)


def test_unknown_backend_raises_value_error() -> None:
    with pytest.raises(ValueError, match="no-such-engine"):
        engine.gradient(affine, 1.0, backend="no-such-engine")
    with pytest.raises(ValueError, match="no-such-engine"):
        engine.grad(affine, backend="no-such-engine")(1.0)
    with pytest.raises(ValueError, match="no-such-engine"), engine.use_backend("no-such-engine"):
        pass
    assert engine.gradient(affine, 1.0) == (5.0,)


# -- thread safety ---------------------------------------------------------------------------


def thread_loss_0(x):
    return np.sum(np.sin(x) * x)


def thread_loss_1(x):
    s = 0.0
    for i, v in enumerate(x):
        s = s + v ** (i + 1)
    return s


def thread_loss_2(x):
    return sum(v * w for v, w in zip(x, reversed(x), strict=True))


def thread_loss_3(x):
    return np.sum(np.tanh(x[1:] - x[:-1]) ** 2)


def thread_loss_4(x):
    return np.linalg.norm(x) if x[0] > 0 else np.sum(x**2)


def make_thread_loss(k):
    def loss(x):
        return np.sum(np.exp(-k * x**2))

    return loss


THREAD_LOSSES = [
    thread_loss_0,
    thread_loss_1,
    thread_loss_2,
    thread_loss_3,
    thread_loss_4,
    make_thread_loss(0.5),
    make_thread_loss(2.0),
    lambda x: thread_loss_1(x) * thread_loss_0(x),
]


def test_thread_safety() -> None:
    inputs = [np.linspace(-1.0, 1.0, 4) + 0.1 * k for k in range(len(THREAD_LOSSES))]
    serial = [engine.withgradient(f, x) for f, x in zip(THREAD_LOSSES, inputs, strict=True)]
    results: dict[int, list] = {k: [] for k in range(len(THREAD_LOSSES))}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(THREAD_LOSSES))

    def work(k: int) -> None:
        try:
            barrier.wait()
            for _ in range(50):
                results[k].append(engine.withgradient(THREAD_LOSSES[k], inputs[k]))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(THREAD_LOSSES))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k, (value, (grad,)) in enumerate(serial):
        assert len(results[k]) == 50
        for v, (g,) in results[k]:
            assert v == value
            np.testing.assert_array_equal(g, grad)


def test_thread_safety_with_params() -> None:
    weights = [np.full(3, float(k + 1)) for k in range(8)]
    errors: list[BaseException] = []
    results: dict[int, list] = {k: [] for k in range(8)}

    def work(k: int) -> None:
        w = weights[k]
        try:
            for _ in range(20):
                g = engine.gradient(lambda: np.sum(WEIGHTS[k] ** 2), engine.Params([w]))
                results[k].append(g[w])
        except BaseException as exc:  # reported below
            errors.append(exc)

    WEIGHTS[:] = weights
    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for k in range(8):
        for g in results[k]:
            np.testing.assert_array_equal(g, 2 * weights[k])


WEIGHTS: list = []


# -- higher order ----------------------------------------------------------------------------


def cube(x):
    return x**3


def loop_polynomial(x):
    s = 0.0
    for i in range(3):
        if x > 0:
            s = s + x ** (i + 1)
    return s


def numpy_scalar_function(x):
    return np.sum(np.tanh(np.array([x, 2 * x])) ** 2)


def closure_product(x):
    g = lambda v: v * x  # noqa: E731
    return g(x) * x


def recursive_power(x, n=3):
    return x if n == 0 else x * recursive_power(x, n - 1)


_SECOND_ORDER = "second order (reverse over reverse) "


@pytest.mark.parametrize(
    "f",
    [
        np.sin,
        cube,
        recursive_power,
        loop_polynomial,
        numpy_scalar_function,
        closure_product,
    ],
    ids=["sin", "cube", "recursion", "loop", "numpy", "closure"],
)
def test_derivative_of_derivative(f) -> None:
    second = engine.derivative(engine.derivative(f))(0.7)
    reference = fd_grad(engine.derivative(f), 0.7)
    np.testing.assert_allclose(second, reference.value[0], rtol=1e-7, atol=1e-9)


def test_gradient_of_gradient() -> None:
    (g,) = engine.gradient(lambda x: engine.gradient(cube, x)[0], 2.0)
    assert g == 12.0


def test_grad_of_grad() -> None:
    assert engine.grad(engine.grad(lambda x: x**4))(2.0) == 48.0


def test_hessian_as_jacobian_of_gradient() -> None:
    x = np.array([0.3, -0.2])

    def loss(v):
        return np.sum(np.sin(v) * v[0])

    (h,) = engine.jacobian(lambda v: engine.gradient(loss, v)[0], x)
    reference = fd_jacobian(lambda v: engine.gradient(loss, v)[0], x)
    np.testing.assert_allclose(h, reference.value[0], rtol=1e-7, atol=1e-9)


def test_thread_safety_while_rules_are_registered() -> None:
    from rulescore import rrule

    inputs = np.linspace(0.0, 1.0, 5)
    expected = [engine.gradient(f, inputs)[0] for f in THREAD_LOSSES[:4]]
    errors: list[BaseException] = []
    mismatches: list[int] = []

    def work(k: int) -> None:
        try:
            for _ in range(30):
                (g,) = engine.gradient(THREAD_LOSSES[k % 4], inputs)
                if not np.array_equal(g, expected[k % 4]):
                    mismatches.append(k)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for _ in range(100):  # each registration invalidates the dispatch cache

        def fresh(v):
            return v

        rrule.register(fresh)(lambda v: (v, lambda dy: (NoTangent(), dy)))
    for t in threads:
        t.join()
    assert not errors, errors
    assert not mismatches
