"""Tests of rules/scipy/_callables.py: a solver's callable gets `not_implemented` exactly when
it reaches a value with a tangent space besides its arguments."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from rules.scipy._callables import callable_cotangent, has_tangents
from rulescore import NoTangent, NotImplementedTangent


def _closure(value):
    return lambda t: value * t


class _Model:
    def __init__(self, weight):
        self.weight = weight

    def __call__(self, t):
        return self.weight * t

    def rate(self, t):
        return self.weight * t


@pytest.mark.parametrize(
    "f",
    [np.sin, abs, lambda t: t * 2.0, _closure("label"), functools.partial(pow, "x")],
    ids=["ufunc", "builtin", "lambda", "closure-over-str", "partial-str"],
)
def test_callables_holding_no_differentiable_value_get_no_tangent(f):
    assert callable_cotangent(f) == NoTangent()


@pytest.mark.parametrize(
    "f",
    [
        _closure(2.0),
        _closure(np.ones(2)),
        functools.partial(np.multiply, 2.0),
        _Model(2.0),
        _Model(2.0).rate,
        _closure(_closure(2.0)),
    ],
    ids=["closure-float", "closure-array", "partial", "object", "bound-method", "nested"],
)
def test_callables_holding_a_differentiable_value_are_not_implemented(f):
    assert isinstance(callable_cotangent(f), NotImplementedTangent)


def test_has_tangents_looks_into_containers():
    assert has_tangents([1, "a", (2.0,)])
    assert not has_tangents([np.sin, "a", {"k": None}])
