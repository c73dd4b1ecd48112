"""A third-party engine, installed as a plugin: a small but real operator-overloading reverse
mode for scalars, announced through a `rulescore.rules` entry point and the
`register_engines` hook, selected with `backend=` and `use_backend`.

It knows no derivative of its own: every operation asks the shared rule set (`rrule`) for its
pullback, so its gradients agree with the built-in engine's, one rule set for every engine.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from rulescore import MissingRuleError, NoTangent, rrule
from rulescore.testing import grad as fd_grad

pytestmark = pytest.mark.usefixtures("fresh_plugins")

Install = Callable[[str, str, str], None]

_VAR_ENGINE_PLUGIN = '''
"""The `var` engine: a Wengert list of `Var`s, each holding the pullback of a rule."""

import operator

from engine import hookimpl
from rulescore import (
    AbstractZero, HasReverseMode, MissingRuleError, NoTangent, RuleConfig, ZeroTangent, rrule,
    unthunk,
)


class Var:
    """A traced scalar: its value, and the rule's pullback and inputs that computed it."""

    def __init__(self, value, tape, back=None, inputs=()):
        self.value, self.tape, self.back, self.inputs = value, tape, back, inputs
        self.index = len(tape)
        tape.append(self)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):  # np.sin(var), 2.0 * var
        if method != "__call__" or kwargs:
            return NotImplemented
        return apply(ufunc, *inputs)

    def __neg__(self):
        return apply(operator.neg, self)


def apply(f, *args):
    """`f(*args)` on the values, recorded with the pullback of the rule for `f`."""
    tape = next(a.tape for a in args if isinstance(a, Var))
    found = rrule(f, *(a.value if isinstance(a, Var) else a for a in args))
    if found is None:
        raise MissingRuleError.for_callable(f)
    y, back = found
    return Var(y, tape, back, args)


def _operators(op):
    def forward(self, other):
        return apply(op, self, other)

    def reflected(self, other):
        return apply(op, other, self)

    return forward, reflected


for _name in ("add", "sub", "mul", "truediv", "pow"):
    _forward, _reflected = _operators(getattr(operator, _name))
    setattr(Var, f"__{_name}__", _forward)
    setattr(Var, f"__r{_name}__", _reflected)


class VarEngine(RuleConfig, HasReverseMode):
    name = "var"

    def rrule_via_ad(self, f, /, *args, **kwargs):
        tape = []
        inputs = [Var(a, tape) for a in args]
        y = f(*inputs, **kwargs)

        def var_pullback(dy):
            grads = [ZeroTangent()] * len(tape)
            if isinstance(y, Var):
                grads[y.index] = dy
            for node in reversed(tape):
                d = grads[node.index]
                if node.back is None or isinstance(d, AbstractZero):
                    continue
                for parent, dp in zip(node.inputs, node.back(d)[1:]):
                    if isinstance(parent, Var):
                        grads[parent.index] = grads[parent.index] + unthunk(dp)
            return (NoTangent(), *(grads[v.index] for v in inputs))

        return (y.value if isinstance(y, Var) else y), var_pullback


@hookimpl
def register_engines():
    return {"var": VarEngine}
'''


@pytest.fixture
def var_engine(install_plugin: Install) -> str:
    """The distribution `fake-var-engine`, whose plugin `var` adds the engine `var`."""
    install_plugin("var", "var_engine_plugin", _VAR_ENGINE_PLUGIN)
    return "var"


def polynomial(x: float) -> float:
    return 3.0 * x**3 - x / 2.0 + 1.0


def trigonometric(x: float) -> float:
    return np.sin(x) * x**2 + 3.0 / x - np.sin(np.sin(x))


def reflected(x: float) -> float:
    return 2.0 - x + 2.0**x - (-x) * 0.5


def rosenbrock(x: float, y: float) -> float:
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


FUNCTIONS = [(polynomial, (1.5,)), (trigonometric, (0.7,)), (reflected, (1.2,))]
FUNCTIONS += [(rosenbrock, (0.3, -0.8))]


def test_the_engine_is_announced_by_its_plugin(var_engine: str) -> None:
    assert var_engine in engine.available_backends()
    assert "var" in engine.loaded_plugins()
    assert type(engine.get_engine(var_engine)).__name__ == "VarEngine"


@pytest.mark.parametrize(("f", "args"), FUNCTIONS, ids=lambda v: getattr(v, "__name__", ""))
def test_gradient_agrees_with_the_default_engine_and_finite_differences(
    var_engine: str, f: Callable[..., float], args: tuple[float, ...]
) -> None:
    grads = engine.gradient(f, *args, backend=var_engine)
    assert all(type(g) is float for g in grads)
    assert grads == pytest.approx(engine.gradient(f, *args), rel=1e-12)
    reference = fd_grad(f, *args)
    assert grads == pytest.approx(reference.value, rel=1e-7, abs=10 * reference.error)


def test_withgradient_gives_the_value(var_engine: str) -> None:
    value, (dx,) = engine.withgradient(trigonometric, 0.7, backend=var_engine)
    assert value == trigonometric(0.7)
    assert dx == pytest.approx(engine.gradient(trigonometric, 0.7)[0], rel=1e-12)


def test_use_backend_selects_it(var_engine: str) -> None:
    with engine.use_backend(var_engine):
        assert engine.default_backend() == var_engine
        assert engine.gradient(rosenbrock, 1.0, 1.0) == (0.0, 0.0)
        grads = engine.gradient(rosenbrock, 0.3, -0.8)
    assert engine.default_backend() == "reverse"
    assert grads == pytest.approx(engine.gradient(rosenbrock, 0.3, -0.8), rel=1e-12)


def test_derivative(var_engine: str) -> None:
    f_prime = engine.derivative(lambda x: 5 * x + 3, backend=var_engine)
    assert f_prime(10) == 5.0
    assert engine.derivative(polynomial, backend=var_engine)(2.0) == pytest.approx(35.5)


def test_unused_and_constant_inputs_get_zeros(var_engine: str) -> None:
    assert engine.gradient(lambda x, y: 2.0 * x, 1.0, 3.0, backend=var_engine) == (2.0, 0.0)
    assert engine.gradient(lambda x: 4.0, 1.0, backend=var_engine) == (0.0,)


def test_a_rule_added_later_serves_both_engines(var_engine: str) -> None:
    cube = np.frompyfunc(lambda x: x**3, 1, 1)
    used: list[str] = []

    @rrule.register(cube)
    def _(x: float) -> tuple[float, Callable[[float], tuple[Any, ...]]]:
        def cube_pullback(dy: float) -> tuple[Any, ...]:
            used.append("cube")
            return NoTangent(), 3 * x**2 * dy

        return cube(x), cube_pullback

    def loss(x: float) -> float:
        return cube(x) * 2.0

    assert engine.gradient(loss, 2.0, backend=var_engine) == (24.0,)
    assert engine.gradient(loss, 2.0) == (24.0,)
    assert used == ["cube", "cube"]


def test_missing_rule_error_propagates(var_engine: str) -> None:
    erf = np.frompyfunc(math.erf, 1, 1)  # a ufunc that no rule covers
    with pytest.raises(MissingRuleError, match="no rule for"):
        engine.gradient(lambda x: erf(x) + x, 0.5, backend=var_engine)


def test_user_error_propagates_unchanged(var_engine: str) -> None:
    error = ValueError("x must be positive")

    def refuses(x: float) -> float:
        raise error

    with pytest.raises(ValueError, match="x must be positive") as caught:
        engine.gradient(refuses, 1.0, backend=var_engine)
    assert caught.value is error
