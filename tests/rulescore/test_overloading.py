"""Tests of rulescore/_overloading.py: `overloadable` offers calls to the arguments' handlers."""

from __future__ import annotations

from rulescore import ignore_derivatives, overloadable, rrule


class _Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[object, tuple[object, ...], dict[str, object]]] = []

    def __rulescore_function__(self, func, args, kwargs):
        self.seen.append((func, args, kwargs))
        return "handled"


@overloadable
def _scale(x, factor=2.0):
    return x * factor


def test_plain_arguments_run_the_body():
    assert _scale(3.0) == 6.0
    assert _scale.__name__ == "_scale" and "_scale" in _scale.__qualname__


def test_the_first_argument_with_a_handler_gets_the_decorated_function():
    recorder = _Recorder()
    assert _scale(1.0, recorder) == "handled"
    assert recorder.seen == [(_scale, (1.0, recorder), {})]


def test_keywords_are_passed_to_the_handler_not_searched():
    recorder = _Recorder()
    assert _scale(recorder, factor=3.0) == "handled"
    assert recorder.seen == [(_scale, (recorder,), {"factor": 3.0})]


def test_ignore_derivatives_is_overloadable_and_keeps_its_rule():
    recorder = _Recorder()
    assert ignore_derivatives(recorder) == "handled"
    assert rrule.has_rule(ignore_derivatives)
