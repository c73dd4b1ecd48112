"""test_scalar: both modes, real and imaginary directions, and their agreement."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rulescore import NoTangent, frule, rrule, scalar_rule
from rulescore.testing import RuleTestFailure, test_scalar


def fresh(f):
    def wrapped(x):
        return f(x)

    wrapped.__name__ = wrapped.__qualname__ = f.__name__
    return wrapped


@pytest.mark.parametrize("x", [0.3, -1.2, np.float32(0.5), 0.4 + 0.2j, np.complex64(0.1 - 0.3j)])
def test_holomorphic_rule_passes(x):
    cube = fresh(lambda x: x**3)
    scalar_rule(cube, lambda x, y: 3 * x**2)
    test_scalar(cube, x)


def test_non_holomorphic_function_with_correct_rules_passes():
    def abs2(z):
        return (z * z.conjugate()).real

    @rrule.register(abs2)
    def _(z):
        def abs2_pullback(dy):
            return NoTangent(), 2 * dy * z

        return abs2(z), abs2_pullback

    @frule.register(abs2)
    def _(tangents, z):
        return abs2(z), 2 * (z.conjugate() * tangents[1]).real

    test_scalar(abs2, 0.3 + 0.7j)


def test_wrong_imaginary_part_is_caught():
    conj_wrong = fresh(lambda x: x**2)
    scalar_rule(conj_wrong, lambda x, y: 2 * x.conjugate())  # treats f as if f' = 2 conj(z)
    test_scalar(conj_wrong, 0.7)  # fine on the real line
    with pytest.raises(RuleTestFailure):
        test_scalar(conj_wrong, 0.7 + 0.5j)


def test_disagreeing_modes_are_caught_even_if_fd_tolerances_are_loose():
    def f(x):
        return math.sin(x)

    @rrule.register(f)
    def _(x):
        return f(x), lambda dy: (NoTangent(), math.cos(x) * dy)

    @frule.register(f)
    def _(tangents, x):
        return f(x), 1.05 * math.cos(x) * tangents[1]

    with pytest.raises(RuleTestFailure):
        test_scalar(f, 0.2, rtol=0.1, atol=0.1)


def test_zero_derivatives_in_both_modes_pass():
    def step(x):
        return float(math.floor(x))

    scalar_rule(step, lambda x, y: 0.0)
    test_scalar(step, 2.5)
