"""`Tape`: records, the backward pass, rules found under the tape engine, and refusals."""

from __future__ import annotations

import numpy as np
import pytest

from engine._tape import TapeEngine
from engine._tape._tape import Tape
from rulescore import (
    HasReverseMode,
    MissingCapabilityError,
    MissingRuleError,
    NoTangent,
    TangentTypeError,
    Thunk,
    ZeroTangent,
    rrule,
    unthunk,
)


def _tape() -> Tape:
    return Tape(TapeEngine())


def test_each_operation_is_one_record_and_backward_can_run_twice() -> None:
    tape = _tape()
    x = tape.new_tracer(3.0)
    y = np.sin(x) * x
    assert len(tape.records) == 2
    first = tape.backward({y.node: 1.0})[x.node]
    second = tape.backward({y.node: 2.0})[x.node]
    assert first == pytest.approx(np.cos(3.0) * 3.0 + np.sin(3.0))
    assert second == pytest.approx(2 * first)


def test_unused_records_are_skipped() -> None:
    tape = _tape()
    x = tape.new_tracer(2.0)
    unused = x * 5.0
    y = x + 1.0
    cotangents = tape.backward({y.node: 1.0})
    assert cotangents[x.node] == 1.0
    assert unused.node not in cotangents


def test_a_node_used_twice_accumulates() -> None:
    tape = _tape()
    x = tape.new_tracer(np.array([1.0, 2.0]))
    y = (x * x + x).sum()
    np.testing.assert_array_equal(tape.backward({y.node: 1.0})[x.node], [3.0, 5.0])


def scaled(x):
    return 2.0 * x


calls = {"thunk": 0}


@rrule.register(scaled)
def _scaled_rrule(x):
    def scaled_pullback(dy):
        def dx():
            calls["thunk"] += 1
            return 2.0 * dy

        return NoTangent(), Thunk(dx)

    return scaled(x), scaled_pullback


def test_thunks_are_unthunked_once_per_node_and_left_lazy_at_the_inputs() -> None:
    tape = _tape()
    x = tape.new_tracer(1.0)
    y = tape.apply(scaled, (x,), {})
    z = tape.apply(scaled, (y,), {})
    calls["thunk"] = 0
    dx = tape.backward({z.node: 1.0})[x.node]
    assert calls["thunk"] == 1  # y's cotangent, read by the record that made y
    assert unthunk(dx) == 4.0
    assert calls["thunk"] == 2


def applied(g, x):
    return g(x)


@rrule.register(applied, config=HasReverseMode)
def _applied_rrule(config, g, x):
    y, back = config.rrule_via_ad(g, x)

    def applied_pullback(dy):
        return NoTangent(), NoTangent(), back(dy)[1]

    return y, applied_pullback


def test_rules_calling_back_into_ad_run_on_a_tape() -> None:
    tape = _tape()
    x = tape.new_tracer(2.0)
    y = tape.apply(applied, (np.square, x), {})
    assert tape.backward({y.node: 1.0})[x.node] == 4.0


def no_rule(x):
    return x + 1.0


def test_function_without_rule_is_refused_when_its_result_has_a_derivative() -> None:
    tape = _tape()
    x = tape.new_tracer(1.0)
    with pytest.raises(MissingRuleError, match="no_rule"):
        tape.apply(no_rule, (x,), {})
    assert tape.apply(np.shape, (x,), {}) == ()
    assert tape.apply(len, ([x, x],), {}) == 2


def test_traced_keyword_argument_is_refused() -> None:
    tape = _tape()
    x = tape.new_tracer(np.ones(2))
    with pytest.raises(TangentTypeError, match=r"`b=`.*pass it positionally"):
        tape.apply(np.dot, (np.ones(2),), {"b": x})


def test_tracers_of_two_tapes_do_not_mix() -> None:
    a, b = _tape(), _tape()
    with pytest.raises(MissingCapabilityError, match="two tapes"):
        a.new_tracer(1.0) * b.new_tracer(2.0)


def test_a_tracer_used_after_its_tape_stopped_is_refused() -> None:
    tape = _tape()
    x = tape.new_tracer(1.0)
    tape.recording = False
    with pytest.raises(TangentTypeError, match="after its differentiation ended"):
        x + 1.0


def test_zero_seed_gives_no_cotangent() -> None:
    tape = _tape()
    x = tape.new_tracer(1.0)
    y = x * 2.0
    assert x.node not in tape.backward({y.node: ZeroTangent()})
