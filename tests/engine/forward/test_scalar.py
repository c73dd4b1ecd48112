"""Tests of engine/_forward/_scalar.py: real scalars take the partials of `scalar_rule`
directly, and a rule registered later, or one that is not a `scalar_rule`, is respected."""

from __future__ import annotations

import math

import numpy as np
import pytest

import engine
from engine._forward._dual import Dual
from engine._forward._scalar import MISS, scalar_call
from rulescore import RuleConfig, frule, scalar_rule


def test_partials_give_the_tangent() -> None:
    engine.load_plugins()
    y = scalar_call(math.sin, (Dual(0.5, 2.0, level=1),), RuleConfig())
    assert y.primal == math.sin(0.5) and y.tangent == pytest.approx(2.0 * math.cos(0.5))
    y = scalar_call(math.atan2, (Dual(0.5, 1.0, level=1), 2.0), RuleConfig())
    assert y.tangent == pytest.approx(2.0 / (0.25 + 4.0))


@pytest.mark.parametrize(
    "args",
    [
        (np.array([0.5]),),  # an array
        (Dual(np.array([0.5]), np.ones(1), level=1),),  # a dual of an array
        (Dual(Dual(0.5, 1.0, level=1), 1.0, level=2),),  # nested levels
        (0.5,),  # no dual: nothing to push forward
    ],
    ids=["array", "array-dual", "nested", "plain"],
)
def test_everything_else_takes_the_general_path(args) -> None:
    assert scalar_call(math.sin, args, RuleConfig()) is MISS


def test_a_rule_registered_later_is_used() -> None:
    def shifted_cube(x):
        return x**3 + 1.0

    scalar_rule(shifted_cube, lambda x, y: 3.0 * x**2)
    assert engine.jvp(shifted_cube, (2.0,), (1.0,)) == (9.0, 12.0)

    @frule.register(shifted_cube)
    def _(tangents, x):  # deliberately different, to tell which rule ran
        return shifted_cube(x), 100.0 * tangents[1]

    assert engine.jvp(shifted_cube, (2.0,), (1.0,)) == (9.0, 100.0)
