"""Tests of rulescore/_config.py: `RuleConfig`, capabilities, `rrule_via_ad`, `frule_via_ad`."""

import math

import numpy as np
import pytest

from rulescore import (
    DifferentiationError,
    HasForwardMode,
    HasReverseMode,
    MissingCapabilityError,
    NoTangent,
    RuleConfig,
    frule_via_ad,
    rrule,
    rrule_via_ad,
)


class RecordingEngine(RuleConfig, HasReverseMode, HasForwardMode):
    """A toy engine that records what rules ask of it."""

    def __init__(self):
        self.calls = []

    def rrule_via_ad(self, f, *args, **kwargs):
        self.calls.append(("rrule", f, args, kwargs))

        def via_ad_pullback(dy):
            return NoTangent(), *(2.0 * dy for _ in args)

        return f(*args, **kwargs), via_ad_pullback

    def frule_via_ad(self, tangents, f, *args, **kwargs):
        self.calls.append(("frule", tangents, f, args, kwargs))
        return f(*args, **kwargs), 2.0 * tangents[1]


def double(x, scale=1.0):
    return 2.0 * scale * x


def test_the_base_config_has_no_capability():
    config = RuleConfig()
    assert not isinstance(config, HasReverseMode)
    assert not isinstance(config, HasForwardMode)


@pytest.mark.parametrize(
    ("capabilities", "reverse", "forward"),
    [
        ((HasReverseMode,), True, False),
        ((HasForwardMode,), False, True),
        ((HasReverseMode, HasForwardMode), True, True),
    ],
    ids=["reverse", "forward", "both"],
)
def test_capabilities_are_mixins(capabilities, reverse, forward):
    config = type("Engine", (RuleConfig, *capabilities), {})()
    assert isinstance(config, HasReverseMode) is reverse
    assert isinstance(config, HasForwardMode) is forward


def test_rrule_via_ad_delegates_to_the_config():
    engine = RecordingEngine()
    y, pullback = rrule_via_ad(engine, double, 3.0, scale=2.0)
    assert y == 12.0
    assert pullback(1.0) == (NoTangent(), 2.0)
    assert engine.calls == [("rrule", double, (3.0,), {"scale": 2.0})]


def test_frule_via_ad_delegates_to_the_config():
    engine = RecordingEngine()
    assert frule_via_ad(engine, (NoTangent(), 1.0), double, 3.0, scale=2.0) == (12.0, 2.0)
    assert engine.calls == [("frule", (NoTangent(), 1.0), double, (3.0,), {"scale": 2.0})]


@pytest.mark.parametrize(
    ("f", "name"),
    [(double, f"{__name__}.double"), (math.sin, "math.sin"), (np.exp, "numpy.exp"), (abs, "abs")],
    ids=["function", "math", "ufunc", "builtin"],
)
def test_missing_reverse_mode_names_the_function_and_the_config(f, name):
    with pytest.raises(MissingCapabilityError) as error:
        rrule_via_ad(RuleConfig(), f, 1.0)
    assert str(error.value) == (
        f"RuleConfig cannot differentiate `{name}` in reverse mode: "
        "the rule needs an engine with HasReverseMode"
    )


@pytest.mark.parametrize(
    ("f", "name"),
    [(double, f"{__name__}.double"), (np.exp, "numpy.exp")],
    ids=["function", "ufunc"],
)
def test_missing_forward_mode_names_the_function_and_the_config(f, name):
    class ReverseOnly(RuleConfig, HasReverseMode):
        pass

    with pytest.raises(MissingCapabilityError) as error:
        frule_via_ad(ReverseOnly(), (NoTangent(), 1.0), f, 1.0)
    assert str(error.value) == (
        f"ReverseOnly cannot differentiate `{name}` in forward mode: "
        "the rule needs an engine with HasForwardMode"
    )


def test_a_missing_capability_is_caught_as_not_implemented():
    with pytest.raises(NotImplementedError, match="reverse mode"):
        rrule_via_ad(RuleConfig(), double, 1.0)
    with pytest.raises(DifferentiationError, match="forward mode"):
        frule_via_ad(RuleConfig(), (NoTangent(), 1.0), double, 1.0)


def test_repr_names_the_config_class():
    assert repr(RuleConfig()) == "RuleConfig()"
    assert repr(RecordingEngine()) == "RecordingEngine()"


def test_a_higher_order_rule_differentiates_its_argument_through_the_config():
    def apply_twice(g, x):
        return g(g(x))

    @rrule.register(apply_twice, config=HasReverseMode)
    def _(config, g, x):
        inner, inner_pullback = rrule_via_ad(config, g, x)
        y, outer_pullback = rrule_via_ad(config, g, inner)

        def apply_twice_pullback(dy):
            _, d_inner = outer_pullback(dy)
            _, dx = inner_pullback(d_inner)
            return NoTangent(), NoTangent(), dx

        return y, apply_twice_pullback

    engine = RecordingEngine()
    y, pullback = rrule(engine, apply_twice, double, 1.0)
    assert y == 4.0
    assert pullback(1.0) == (NoTangent(), NoTangent(), 4.0)
    assert [call[2] for call in engine.calls] == [(1.0,), (2.0,)]
    assert rrule(apply_twice, double, 1.0) is None
