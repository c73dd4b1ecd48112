"""Tests of rulescore/_errors.py: the exception hierarchy and its messages."""

import math
import operator

import numpy as np
import pytest

from rulescore import (
    AmbiguousRuleError,
    DifferentiationError,
    MissingCapabilityError,
    MissingRuleError,
    TangentShapeError,
    TangentTypeError,
    UnsupportedConstructError,
)


@pytest.mark.parametrize(
    ("error", "builtin"),
    [
        (MissingRuleError, NotImplementedError),
        (UnsupportedConstructError, NotImplementedError),
        (MissingCapabilityError, NotImplementedError),
        (TangentTypeError, TypeError),
        (AmbiguousRuleError, TypeError),
        (TangentShapeError, ValueError),
    ],
)
def test_each_error_is_a_differentiation_error_and_the_builtin_a_user_catches(error, builtin):
    assert issubclass(error, DifferentiationError)
    assert issubclass(error, builtin)


def test_differentiation_error_is_not_itself_a_builtin_category():
    assert not issubclass(DifferentiationError, (TypeError, ValueError, NotImplementedError))


def test_a_tangent_shape_error_is_caught_as_value_error():
    with pytest.raises(ValueError, match=r"shape \(3,\)"):
        raise TangentShapeError("shape (3,) vs (4,)")


class Model:
    def loss(self, x):
        return x


@pytest.mark.parametrize(
    ("f", "name"),
    [
        (np.sin, "numpy.sin"),
        (np.add, "numpy.add"),
        (math.lgamma, "math.lgamma"),
        (operator.add, "operator.add"),
        (len, "len"),
        (Model.loss, f"{__name__}.Model.loss"),
        (Model().loss, f"{__name__}.Model.loss"),
    ],
)
def test_missing_rule_message_names_the_callable(f, name):
    message = str(MissingRuleError.for_callable(f))
    assert f"no rule for `{name}`" in message
    assert f"@rrule.register({name})" in message
    assert f"non_differentiable({name})" in message


def test_missing_rule_message_names_a_lambda_by_where_it_is_defined():
    error = MissingRuleError.for_callable(lambda x: x)
    assert isinstance(error, MissingRuleError)
    name = f"{__name__}.test_missing_rule_message_names_a_lambda_by_where_it_is_defined"
    assert f"`{name}.<locals>.<lambda>`" in str(error)


def test_missing_rule_message_falls_back_to_repr_for_nameless_callables():
    class Nameless:
        def __call__(self, x):
            return x

        def __repr__(self):
            return "<nameless callable>"

    assert "`<nameless callable>`" in str(MissingRuleError.for_callable(Nameless()))


def test_unsupported_construct_carries_where_and_what():
    error = UnsupportedConstructError("model.py", 12, "`try` statement", "move it out of f")
    assert (error.filename, error.lineno, error.construct) == ("model.py", 12, "`try` statement")
    assert str(error) == "model.py:12: `try` statement is not supported: move it out of f"


def test_unsupported_construct_without_hint_ends_after_the_construct():
    error = UnsupportedConstructError("f.py", 3, "`yield`")
    assert str(error) == "f.py:3: `yield` is not supported"


def test_unsupported_construct_is_caught_as_not_implemented():
    with pytest.raises(NotImplementedError, match=r"^model\.py:7: "):
        raise UnsupportedConstructError("model.py", 7, "`global` statement")
