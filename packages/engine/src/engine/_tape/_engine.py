"""`TapeEngine`: reverse mode by operator overloading, as a `RuleConfig` that rules (and the
user API) call back into."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine._crossmode import ForwardFromPullbacks
from engine._tape._structure import Template, children_of, gather, rebuild, scatter, template_of
from engine._tape._tape import Tape, is_constant, is_traceable_leaf
from engine._tape._tracer import Tracer, plain
from rulescore import (
    HasReverseMode,
    MissingCapabilityError,
    NoTangent,
    ProjectTo,
    RuleConfig,
    TangentTypeError,
    has_tangent_space,
)

__all__ = ["TapeEngine"]


class TapeEngine(ForwardFromPullbacks, RuleConfig, HasReverseMode):
    """The `tape` engine: runs the function on tracers and records each NumPy call.

    It needs no source code (functions made by `exec`, callbacks), only that the
    differentiated values flow through Python operators and NumPy functions with rules:
    `math.sin(x)`, `float(x)` and `np.asarray(x)` on a traced value raise `TypeError`. Each
    call differentiates one level (a tape gradient of a tape gradient raises
    `MissingCapabilityError`; use `backend="reverse"` for higher order).

    >>> import numpy as np
    >>> engine = TapeEngine()
    >>> y, back = engine.rrule_via_ad(lambda x: np.sin(x) * 2.0, 0.0)
    >>> y, back(1.0)
    (np.float64(0.0), (NoTangent(), 2.0))
    """

    name = "tape"

    def rrule_via_ad(self, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """`(y, pullback)` of `f(*args, **kwargs)`; `pullback(dy)` gives `(df, dx1, ...)`.

        The differentiable leaves of the positional arguments are traced (floats, complex
        numbers, ints at the top level, inexact NumPy scalars and arrays, and these inside
        tuples, lists, dicts, namedtuples, dataclasses, plain objects); keyword arguments are
        constants. Cotangents have the structure of the arguments, `ZeroTangent()` where
        unused, and are projected onto them.
        """
        if any(isinstance(leaf, Tracer) for leaf in _leaves((args, kwargs))):
            raise MissingCapabilityError(
                f"the tape engine cannot differentiate `{getattr(f, '__qualname__', f)}` at "
                "traced values (nested differentiation, tape over tape): use backend='reverse' "
                "for higher order"
            )
        tape = Tape(self)
        traced = tuple(_trace_input(tape, a, top=True) for a in args)
        inputs = tuple(template_of(t, tape.slot_of) for t in traced)
        try:
            y_traced = f(*traced, **kwargs)
        finally:
            tape.recording = False
        output = template_of(y_traced, tape.slot_of)
        if any(isinstance(leaf, Tracer) and leaf.tape is not tape for leaf in _leaves(y_traced)):
            raise MissingCapabilityError(
                f"`{getattr(f, '__qualname__', f)}` returned a value traced by another tape "
                "(a closure over an outer traced value): the tape engine differentiates one "
                "level only; use backend='reverse'"
            )
        y = plain(y_traced)

        def tape_pullback(dy: Any) -> tuple[Any, ...]:
            seeds: dict[int, Any] = {}
            scatter(output, dy, seeds)
            cotangents = tape.backward(seeds)
            return (
                NoTangent(),
                *(_cotangent(a, t, cotangents) for a, t in zip(args, inputs, strict=True)),
            )

        return y, tape_pullback


def _trace_input(tape: Tape, value: Any, *, top: bool) -> Any:
    """`value` with a tracer for each differentiable leaf (a new container: the input is
    never mutated); `TangentTypeError` for an object with derivatives the tape cannot see."""
    if is_traceable_leaf(value) or (top and type(value) is int):
        return tape.new_tracer(value)
    entries = children_of(value)
    if entries is not None:
        return rebuild(value, {k: _trace_input(tape, v, top=False) for k, v in entries.items()})
    if has_tangent_space(value) and not is_constant(value):
        raise TangentTypeError(
            f"the tape engine cannot trace into a {type(value).__qualname__} argument (it "
            "follows floats, complex numbers, arrays, and tuples, lists, dicts, namedtuples, "
            "dataclasses and plain objects of them): pass its arrays as arguments, or use "
            "backend='reverse'"
        )
    return value


def _cotangent(x: Any, template: Template, cotangents: dict[int, Any]) -> Any:
    return ProjectTo(x)(gather(template, cotangents, consume=False))


def _leaves(value: Any) -> list[Any]:
    entries = children_of(value)
    if entries is None:
        return [value]
    return [leaf for entry in entries.values() for leaf in _leaves(entry)]
