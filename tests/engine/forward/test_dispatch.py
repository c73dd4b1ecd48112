"""The forward dispatch on its own: what `call`, `call_method`, `get_attr`, `get_item`,
`set_item` and `update` do with duals (rules, source, callables run as they are) and
without them."""

from __future__ import annotations

import dataclasses
import functools
import math
import operator

import numpy as np
import pytest

from engine._forward._dispatch import call, call_method, get_attr, get_item, set_item, update
from engine._forward._dual import Dual, new_level
from engine._plugins import load_plugins
from rulescore import MissingRuleError, Tangent, UnsupportedConstructError, frule


@pytest.fixture(autouse=True)
def _rules() -> None:
    load_plugins()  # the engine's entry points load the rules; these tests skip them


def dual(primal, tangent=1.0):
    return Dual(primal, tangent, new_level())


def test_call_uses_the_frule_of_the_innermost_level() -> None:
    outer = dual(0.5)
    x = dual(0.5)
    y = call(math.sin, x)
    assert type(y) is Dual and y.level == x.level
    assert (y.primal, y.tangent) == (math.sin(0.5), math.cos(0.5))
    y = call(operator.mul, outer, x)
    assert y.level == x.level and y.tangent.level == outer.level  # the outer dual inside


def test_call_without_duals_runs_as_written() -> None:
    assert call(math.sin, 0.5) == math.sin(0.5)
    assert call(lambda v: v * 2, 3) == 6
    assert call(np.add, np.ones(2), 1.0).tolist() == [2.0, 2.0]


def test_call_rewrites_python_functions_and_follows_callables() -> None:
    x = dual(2.0)

    def square(v):
        return math.sqrt(v) ** 4  # math.sqrt of a dual: only the rewritten code can do it

    class Scale:
        def __init__(self, k):
            self.k = k

        def __call__(self, v):
            return self.k * square(v)

    for f in (square, Scale(1.0), functools.partial(operator.mul, 1.0), Scale(1.0).__call__):
        y = call(f, x) if not isinstance(f, functools.partial) else call(f, call(square, x))
        assert y.primal == pytest.approx(4.0) and y.tangent == pytest.approx(4.0)
    obj = call(Scale, x)
    assert type(obj) is Scale and obj.k is x


def test_numpy_scalar_constructors_keep_the_tangent_type() -> None:
    y = call(np.float32, dual(1.5, 2.0))
    assert type(y.primal) is np.float32 and type(y.tangent) is np.float32


def test_keyword_arguments_with_derivatives_move_to_positions() -> None:
    x = dual(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    y = call(np.sum, a=x)
    assert y.tangent == 1.0

    def only_keywords(*, value):
        return value

    y = call(np.clip, np.array([0.0, 3.0]), a_min=x, a_max=2.5)
    np.testing.assert_array_equal(y.tangent, [1.0, 0.0])


def scaled(x, *, scale):
    return x * scale


@frule.register(scaled)
def _scaled_frule(tangents, x, *, scale):
    return scaled(x, scale=scale), tangents[1] * scale


def test_keyword_only_argument_with_derivative_into_a_rule_is_refused() -> None:
    with pytest.raises(UnsupportedConstructError, match="the keyword argument `scale=`"):
        call(scaled, 2.0, scale=dual(3.0))
    assert call(scaled, dual(2.0), scale=3.0).tangent == 3.0


def test_call_method_on_a_dual_meets_the_rule_of_the_primal_type() -> None:
    x = dual(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    y = call_method(x, "sum")
    assert (y.primal, y.tangent) == (3.0, 2.0)
    y = call_method(dual(2.0 + 1.0j, 1.0), "conjugate")
    assert y.primal == 2.0 - 1.0j
    xs = [dual(1.0), 0.5]
    call_method(xs, "sort", key=lambda v: -math.sin(v))
    assert xs[1] == 0.5


def test_get_attr_reads_fields_properties_and_array_attributes() -> None:
    @dataclasses.dataclass
    class Box:
        w: float

        @property
        def double(self):
            return self.w * 2

        def triple(self):
            return self.w * 3

    box = Dual(Box(1.0), Tangent[Box](w=3.0), new_level())
    assert get_attr(box, "w").tangent == 3.0
    assert get_attr(box, "double").tangent == 6.0
    assert call(get_attr(box, "triple")).tangent == 9.0
    assert call_method(box, "triple").tangent == 9.0
    x = dual(np.ones((2, 3)), np.ones((2, 3)))
    assert get_attr(x, "shape") == (2, 3) and get_attr(x, "ndim") == 2
    assert get_attr(x, "T").primal.shape == (3, 2)
    assert get_attr(dual(1.5), "real").tangent == 1.0
    with pytest.raises(MissingRuleError, match=r"no frule for the attribute `ndarray.flat`"):
        get_attr(x, "flat")
    bound = get_attr(x, "sum")
    assert call(bound).tangent == 6.0


def test_items_and_in_place_updates() -> None:
    x = dual(np.array([1.0, 2.0]), np.array([0.0, 1.0]))
    assert get_item(x, 1).tangent == 1.0 and get_item([1, 2], 0) == 1
    with pytest.raises(UnsupportedConstructError, match="assignment into an array"):
        set_item(x, 0, 1.0)
    with pytest.raises(UnsupportedConstructError, match="in-place update of an array"):
        update("add", x, 1.0)
    xs = [1.0]
    set_item(xs, 0, x)
    assert xs[0] is x
    assert update("add", xs, [2.0]) is xs and len(xs) == 2
    plain = np.zeros(2)
    assert update("add", plain, 1.0) is plain
    assert update("mul", 2.0, dual(3.0)).tangent == 2.0
