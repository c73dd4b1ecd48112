"""The four examples of the seed (Zygote's README), in Python, through the reverse engine."""

from __future__ import annotations

import builtins
import dataclasses
import math

import numpy as np
import pytest

import engine
from rulescore import NoTangent, rrule

# -- f(10), f'(10) ----------------------------------------------------------------------------


def test_derivative_of_affine_function() -> None:
    f = lambda x: 5 * x + 3  # noqa: E731 - the seed's one-liner
    assert f(10) == 53
    d = engine.derivative(f)(10)
    assert d == 5.0
    assert type(d) is float


def test_derivative_matches_finite_differences(check) -> None:
    f = lambda x: 5 * x + 3  # noqa: E731 - the seed's one-liner
    (g,) = check(f, 10)
    assert g == 5.0


# -- functions picked at run time ------------------------------------------------------------

FS = {"sin": math.sin, "cos": math.cos, "tan": math.tan}


def test_function_chosen_by_input(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builtins, "input", lambda *prompt: "sin")
    (g,) = engine.gradient(lambda x: FS[input()](x), 1.0)
    np.testing.assert_allclose(g, math.cos(1.0), rtol=1e-14)
    assert type(g) is float


@pytest.mark.parametrize("name", ["sin", "cos", "tan"])
def test_function_chosen_by_input_vs_fd(monkeypatch: pytest.MonkeyPatch, check, name) -> None:
    monkeypatch.setattr(builtins, "input", lambda *prompt: name)
    fs = {"sin": np.sin, "cos": np.cos, "tan": np.tan}
    check(lambda x: fs[input()](x), 0.7)


def test_function_chosen_by_input_with_int_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    # The seed passes the integer 1: the gradient is still a float.
    monkeypatch.setattr(builtins, "input", lambda *prompt: "sin")
    (g,) = engine.gradient(lambda x: FS[input()](x), 1)
    assert type(g) is float
    np.testing.assert_allclose(g, math.cos(1.0), rtol=1e-14)


# -- custom rules ----------------------------------------------------------------------------


def add(a, b):
    return a + b


def add_twice(a, b):
    return add(a, b) + add(a, b)


@rrule.register(add)
def _add_rule(a, b):
    def add_pullback(dy):
        # Deliberately not the true derivative: proves that the rule was used.
        return NoTangent(), 2 * dy, 3 * dy

    return add(a, b), add_pullback


def test_custom_rule_is_used() -> None:
    assert engine.gradient(add, 1.0, 2.0) == (2.0, 3.0)


def test_custom_rule_is_used_inside_user_code() -> None:
    assert engine.gradient(lambda x, y: add(x, y) * 2.0, 1.0, 2.0) == (4.0, 6.0)
    assert engine.gradient(add_twice, 1.0, 2.0) == (4.0, 6.0)


def test_custom_rule_on_arrays() -> None:
    x, y = np.ones(3), np.arange(3.0)
    gx, gy = engine.gradient(lambda a, b: np.sum(add(a, b)), x, y)
    np.testing.assert_array_equal(gx, 2 * np.ones(3))
    np.testing.assert_array_equal(gy, 3 * np.ones(3))


def mul_late(a, b):
    return a * b


def calls_mul_late(a, b):
    return mul_late(a, b) + 0.0


def test_rule_registered_after_first_call_is_used() -> None:
    # First call: no rule, so the source is differentiated (true derivative).
    assert engine.gradient(mul_late, 2.0, 5.0) == (5.0, 2.0)
    assert engine.gradient(calls_mul_late, 2.0, 5.0) == (5.0, 2.0)

    @rrule.register(mul_late)
    def _mul_late_rule(a, b):
        def pullback(dy):
            return NoTangent(), 7 * dy, 11 * dy

        return mul_late(a, b), pullback

    # Second call: the rule (distinguishable cotangents), directly and through a caller whose
    # transformed code was cached before the rule existed.
    assert engine.gradient(mul_late, 2.0, 5.0) == (7.0, 11.0)
    assert engine.gradient(calls_mul_late, 2.0, 5.0) == (7.0, 11.0)


# -- implicit parameters ---------------------------------------------------------------------

W = np.random.default_rng(0).random((2, 3))
b = np.random.default_rng(1).random(2)


def predict(x):
    return W @ x + b


def test_params_of_module_globals() -> None:
    g = engine.gradient(lambda: np.sum(predict(np.array([1, 2, 3]))), engine.Params([W, b]))
    assert isinstance(g, engine.Grads)
    np.testing.assert_array_equal(g[W], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(g[b], [1.0, 1.0])
    assert g[W].shape == W.shape and g[W].dtype == W.dtype
    assert g[b].shape == b.shape


def test_params_with_builtin_sum() -> None:
    g = engine.gradient(lambda: sum(predict(np.array([1, 2, 3]))), engine.Params([W, b]))
    np.testing.assert_array_equal(g[W], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(g[b], [1.0, 1.0])


def test_params_of_closure() -> None:
    w_local = np.random.default_rng(2).random((2, 3))
    b_local = np.random.default_rng(3).random(2)

    def predict_local(x):
        return w_local @ x + b_local

    def loss():
        return np.sum(predict_local(np.array([1.0, 2.0, 3.0])))

    g = engine.gradient(loss, engine.Params([w_local, b_local]))
    np.testing.assert_array_equal(g[w_local], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(g[b_local], [1.0, 1.0])


def test_params_nonlinear_vs_fd() -> None:
    from rulescore.testing import grad as fd_grad

    x = np.array([0.3, -0.2, 0.5])

    def loss():
        return np.sum(np.tanh(W @ x + b) ** 2)

    g = engine.gradient(loss, engine.Params([W, b]))
    reference = fd_grad(lambda w, c: np.sum(np.tanh(w @ x + c) ** 2), W, b)
    np.testing.assert_allclose(g[W], reference.value[0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(g[b], reference.value[1], rtol=1e-7, atol=1e-10)


def test_params_unused_parameter_gets_zeros() -> None:
    unused = np.ones(4)
    g = engine.gradient(lambda: np.sum(predict(np.ones(3))), engine.Params([W, unused]))
    np.testing.assert_array_equal(g[unused], np.zeros(4))
    assert g[unused].shape == (4,)


def test_withgradient_params_value() -> None:
    y, g = engine.withgradient(lambda: np.sum(predict(np.ones(3))), engine.Params([b]))
    np.testing.assert_allclose(y, np.sum(W @ np.ones(3) + b))
    np.testing.assert_array_equal(g[b], [1.0, 1.0])


PARAMS_IN_DICT = {"W": W}
PARAMS_IN_LIST = [b]


@dataclasses.dataclass
class Model:
    w: np.ndarray
    bias: np.ndarray

    def __call__(self, x):
        return self.w @ x + self.bias


MODEL = Model(W, b)


@pytest.mark.parametrize(
    "loss",
    [
        lambda: np.sum(PARAMS_IN_DICT["W"] @ np.array([1.0, 2.0, 3.0]) + PARAMS_IN_LIST[0]),
        lambda: np.sum(MODEL(np.array([1.0, 2.0, 3.0]))),
    ],
    ids=["containers", "model object"],
)
def test_params_reached_through_containers_and_objects(loss) -> None:
    g = engine.gradient(loss, engine.Params([W, b]))
    np.testing.assert_array_equal(g[W], [[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(g[b], [1.0, 1.0])


def test_params_mixed_reads_accumulate() -> None:
    x = np.array([1.0, 2.0, 3.0])
    g = engine.gradient(
        lambda: np.sum(MODEL.w @ x) + np.sum(predict(np.zeros(3))) - 2.0 * W[0, 0],
        engine.Params([W, b]),
    )
    expected = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])
    expected[0, 0] -= 2.0
    np.testing.assert_array_equal(g[W], expected)
    np.testing.assert_array_equal(g[b], [1.0, 1.0])


def loss_with_default(w=W):
    return np.sum(w**2)


def test_params_through_default_argument() -> None:
    g = engine.gradient(loss_with_default, engine.Params([W]))
    np.testing.assert_array_equal(g[W], 2 * W)
