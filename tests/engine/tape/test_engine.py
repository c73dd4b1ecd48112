"""`TapeEngine` through the user API (`backend="tape"`): gradients against finite
differences, containers, code without source, errors, threads, nesting, and the reverse
engine's fallback to the tape for functions without source."""

from __future__ import annotations

import dataclasses
import math
import threading
from typing import NamedTuple

import numpy as np
import pytest

import engine
from engine import TapeEngine
from rulescore import MissingCapabilityError, MissingRuleError, NoTangent, Tangent, ZeroTangent

RNG = np.random.default_rng(0)
A = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
V = RNG.normal(size=3)


def tape_gradient(f, *args):
    return engine.gradient(f, *args, backend="tape")


# -- scalar and NumPy code ---------------------------------------------------------------------


def test_scalar_code(check) -> None:
    check(lambda x, y: x**3 * y - y / x + np.exp(x * y) + np.log(y), 0.7, 1.3)


def test_integer_argument_is_differentiated_as_a_real() -> None:
    assert engine.derivative(lambda x: 5 * x + 3, backend="tape")(10) == 5.0


def test_ufuncs_and_broadcasting(check) -> None:
    check(lambda x, b: np.sum(np.tanh(x[:, None] * b) + np.maximum(x, 0.1)), V, A)


def test_matmul_reductions_and_indexing(check) -> None:
    check(lambda a, v: (a @ v).max() + a[0].mean() + a[:, 1:].std() + a[[0, 2], 1].sum(), A, V)
    check(lambda a: np.sum(a[a > 0.5] ** 2), A)


def test_where_and_linalg(check) -> None:
    check(lambda a, v: np.sum(np.linalg.solve(a, v) + np.where(v > 0, v, -2 * v)), A, V)
    check(lambda a: np.linalg.det(a) + np.trace(np.linalg.inv(a)) + np.linalg.norm(a), A)
    check(lambda a: np.linalg.slogdet(a).logabsdet + np.sum(np.linalg.eigh(a @ a.T)[0]), A)


def test_joining_functions(check) -> None:
    check(lambda v: np.sum(np.stack([v, v**2]) @ np.concatenate([v, v])[:3]), V)


def test_complex_input(check) -> None:
    check(lambda z: np.real(z * np.conj(z) + np.exp(1j * z)), 0.5 + 0.2j)


def test_float32_gradient_keeps_its_dtype() -> None:
    (g,) = tape_gradient(lambda x: np.sum(x * x), np.ones(2, np.float32))
    assert g.dtype == np.float32


# -- control flow and closures ----------------------------------------------------------------


def branchy(x):
    total = 0.0
    for i in range(3):
        if x > i:
            total = total + x**i
            continue
        total = total - np.sin(x)
    while x < 10.0:
        x = x * 2.0
    return total + x


@pytest.mark.parametrize("x", [0.7, 1.6, 3.0])
def test_control_flow_on_traced_comparisons(check, x) -> None:
    check(branchy, x)


def test_closures(check) -> None:
    def outer(w):
        def inner(v):
            return np.sum(w * v**2)

        return inner(V) + inner(w)

    check(outer, V + 1.0)


# -- containers -----------------------------------------------------------------------------


class Point(NamedTuple):
    x: float
    y: float


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float
    name: str = "dense"


def test_containers_in() -> None:
    (g,) = tape_gradient(
        lambda p: p["a"] * p["b"][0] + p["c"][1], {"a": 2.0, "b": [3.0, 1.0], "c": (1.0, 4.0)}
    )
    assert g == {"a": 3.0, "b": [2.0, 0.0], "c": (0.0, 1.0)}


def test_namedtuple_and_dataclass_in() -> None:
    (gp,) = tape_gradient(lambda p: p.x * p.y**2, Point(2.0, 3.0))
    assert isinstance(gp, Tangent) and (gp.x, gp.y) == (9.0, 12.0)
    layer = Layer(np.ones(2), 0.5)
    (gl,) = tape_gradient(lambda dense: np.sum(dense.w * 3.0) + dense.b**2, layer)
    np.testing.assert_array_equal(gl.w, [3.0, 3.0])
    assert gl.b == 1.0
    assert layer.w is not None and isinstance(layer.w, np.ndarray)  # not mutated


def test_containers_out_with_unused_parts() -> None:
    y, back = engine.pullback(lambda a, b: {"s": (a * b, a), "n": 3}, 2.0, 5.0, backend="tape")
    assert y == {"s": (10.0, 2.0), "n": 3}
    assert back({"s": (1.0, ZeroTangent()), "n": NoTangent()}) == (5.0, 2.0)
    assert back({"s": (ZeroTangent(), 1.0)}) == (1.0, ZeroTangent())


def test_tuple_output_of_a_rule(check) -> None:
    check(lambda a: sum(np.sum(part) for part in np.linalg.qr(a)), A)


def test_constant_output() -> None:
    assert tape_gradient(lambda x: 1.0, 2.0) == (0.0,)


def test_jacobian_and_pullback_reuse_the_tape() -> None:
    (jac,) = engine.jacobian(lambda v: np.sin(v) * v[0], V, backend="tape")
    expected = np.diag(np.cos(V) * V[0])
    expected[:, 0] += np.sin(V)
    np.testing.assert_allclose(jac, expected)


# -- code without source ---------------------------------------------------------------------

_NAMESPACE: dict = {}
exec(
    "import numpy as np\n"
    "def made_by_exec(x, w):\n"
    "    h = np.tanh(w @ x)\n"
    "    return np.sum(h * h) if h[0] > -2 else 0.0\n",
    _NAMESPACE,
)
made_by_exec = _NAMESPACE["made_by_exec"]


def test_function_made_by_exec(check) -> None:
    check(made_by_exec, V, A)


def test_reverse_engine_falls_back_to_the_tape_for_functions_without_source() -> None:
    def loss(x, w):
        return made_by_exec(x, w) * 2.0 + np.sum(x)

    reverse = engine.gradient(loss, V, A, backend="reverse")
    taped = engine.gradient(loss, V, A, backend="tape")
    for r, t in zip(reverse, taped, strict=True):
        np.testing.assert_allclose(r, t)


# -- errors ---------------------------------------------------------------------------------


class UserError(Exception):
    pass


def test_exception_from_user_code_passes_unchanged() -> None:
    def f(x):
        if x > 0:
            raise UserError("boom")
        return x

    with pytest.raises(UserError, match="boom"):
        tape_gradient(f, 1.0)


@pytest.mark.parametrize("conversion", [math.sin, float])
def test_math_and_float_on_a_traced_value_raise_a_clear_type_error(conversion) -> None:
    with pytest.raises(TypeError, match=r"on a traced value.*np.sin.*backend='reverse'"):
        tape_gradient(lambda x: conversion(x) * 2.0, 1.0)


def test_missing_rule_names_the_function() -> None:
    doubled = np.frompyfunc(lambda v: v * 2.0, 1, 1)
    with pytest.raises(MissingRuleError, match=r"rrule.register"):
        tape_gradient(lambda x: np.sum(doubled(x)), V)


class Box:
    def __init__(self, v, label="box"):
        self.v = v
        self.label = label


def test_plain_object_argument_is_traced_through_its_fields() -> None:
    box = Box(np.array([1.0, 2.0]))
    (g,) = engine.gradient(lambda b: np.sum(b.v**2) * 2.0, box, backend="tape")
    assert isinstance(g, Tangent)
    np.testing.assert_allclose(g.v, [4.0, 8.0])
    assert box.v.tolist() == [1.0, 2.0]  # the input is not mutated


# -- threads and nesting ---------------------------------------------------------------------


def test_threads_each_have_their_own_tape() -> None:
    results: dict[int, float] = {}

    def work(i: int) -> None:
        for _ in range(20):
            results[i] = tape_gradient(lambda x: x**3 + np.sin(x) * i, float(i))[0]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {i: pytest.approx(3.0 * i**2 + np.cos(float(i)) * i) for i in range(4)}


def test_tape_over_tape_is_refused_clearly() -> None:
    def first_derivative(x):
        return tape_gradient(lambda y: y**3, x)[0]

    with pytest.raises(MissingCapabilityError, match=r"tape over tape.*backend='reverse'"):
        tape_gradient(first_derivative, 2.0)


def test_tape_inside_reverse_second_order_is_refused_clearly() -> None:
    # Reverse over reverse, or forward over reverse: either way the tape runs one level only.
    with pytest.raises((MissingCapabilityError, MissingRuleError), match="made_by_exec"):
        engine.hessian(lambda x: made_by_exec(x, A), V, backend="reverse")


def test_escaped_tracer_is_refused() -> None:
    kept = []

    def f(x):
        kept.append(x)
        return x * 2.0

    tape_gradient(f, 1.0)
    with pytest.raises(TypeError, match="after its differentiation ended"):
        kept[0] + 1.0


def test_engine_is_registered() -> None:
    assert "tape" in engine.available_backends()
    assert isinstance(engine.get_engine("tape"), TapeEngine)


# ---------------------------------------------------------------------------------------
# rules of Python functions: the tape applies those of `overloadable` functions


def test_stop_gradient_hook_and_checkpointed_follow_their_rules_on_the_tape():
    x = np.array([1.0, 2.0])
    (g,) = engine.gradient(lambda v: np.sum(v * engine.stop_gradient(v)), x, backend="tape")
    np.testing.assert_allclose(g, x)
    (g,) = engine.gradient(
        lambda v: np.sum(engine.hook(lambda d: 2.0 * d, v) ** 2), x, backend="tape"
    )
    np.testing.assert_allclose(g, 4.0 * x)
    calls = []

    def square(v):
        calls.append(1)
        return v * v

    (g,) = engine.gradient(lambda v: np.sum(engine.checkpointed(square, v)), x, backend="tape")
    np.testing.assert_allclose(g, 2.0 * x)
    assert len(calls) == 2  # run again in the backward pass


def test_a_custom_rule_of_an_overloadable_function_is_used_not_its_body():
    from rulescore import overloadable, rrule

    @overloadable
    def clipped_identity(v):
        return v

    @rrule.register(clipped_identity)
    def _(v):
        def clipped_identity_pullback(dy):
            return NoTangent(), np.clip(dy, -1.0, 1.0)

        return v, clipped_identity_pullback

    x = np.array([1.0, -3.0])
    for backend in ("tape", "reverse"):
        (g,) = engine.gradient(lambda v: np.sum(clipped_identity(v) * 3.0), x, backend=backend)
        np.testing.assert_allclose(g, [1.0, 1.0])
