"""`Tape`: the operations of one differentiation, in order, and the backward pass over them.

A tape is made per call of the engine and lives in that call (no global tape: threads and
nested calls each have their own). Each operation on its tracers becomes a `Record`: the
rule's pullback, the templates of the operation's positional arguments (where its input
tracers sit) and the template of its output (the tracers it made). `backward` runs the
records in reverse, each pullback fed the cotangent gathered from its output nodes and its
results added (`add_tangents`) into its input nodes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine._plugins import load_plugins
from engine._tape._structure import Slot, Template, gather, scatter, template_of
from engine._tape._tracer import Tracer, plain
from rulescore import (
    AbstractZero,
    MissingRuleError,
    RuleConfig,
    TangentTypeError,
    has_tangent_space,
    rrule,
)
from rulescore._errors import qualified_name

__all__ = ["Record", "Tape", "is_constant"]

Pullback = Callable[[Any], tuple[Any, ...]]


@dataclass(frozen=True)
class Record:
    """One operation: its pullback, where its inputs' tracers are, where its output's are."""

    pullback: Pullback
    inputs: tuple[Template, ...]
    output: Template


class Tape:
    """`Tape(config)`: an empty tape whose operations look their rules up under `config`.

    >>> from engine._tape import TapeEngine
    >>> tape = Tape(TapeEngine())
    >>> x = tape.new_tracer(3.0)
    >>> y = x * x + 1.0
    >>> y, len(tape.records)
    (Tracer(10.0), 2)
    >>> tape.recording = False
    >>> tape.backward({y.node: 1.0})[x.node]
    6.0
    """

    def __init__(self, config: RuleConfig) -> None:
        load_plugins()  # the rule packages, on the first differentiation
        self.config = config
        self.records: list[Record] = []
        self.recording = True
        self._nodes = 0

    def new_tracer(self, primal: Any) -> Tracer:
        """A tracer of `primal` on a new node of this tape."""
        node = self._nodes
        self._nodes += 1
        return Tracer(primal, self, node)

    def apply(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """`f(*args, **kwargs)` on the primals by `f`'s rrule, recorded; tracers for the
        differentiable parts of the result. A function without rule is run as it is when its
        result has no derivative (a shape, a flag, an index), refused otherwise."""
        inputs = tuple(template_of(a, self.slot_of) for a in args)
        primals = tuple(plain(a) for a in args)
        if any(template_of(v, self.slot_of) is not None for v in kwargs.values()):
            name = next(k for k, v in kwargs.items() if template_of(v, self.slot_of) is not None)
            raise TangentTypeError(
                f"the keyword argument `{name}=` of `{qualified_name(f)}` is traced, and rules "
                "differentiate positional arguments only: pass it positionally"
            )
        info = rrule.lookup(f, primals, self.config)
        if info is not None and info.kind == "non_differentiable":
            return f(*primals, **kwargs)
        found = None
        if info is not None and info.rule is not None:
            if info.config is not None:
                found = info.rule(self.config, *primals, **kwargs)
            else:
                found = info.rule(*primals, **kwargs)
        if found is None:  # no rule, or one that declined these arguments
            y = f(*primals, **kwargs)
            if not is_constant(y):
                raise MissingRuleError.for_callable(f)
            return y
        y, pullback = found
        traced = self.trace_output(f, y)
        self.records.append(Record(pullback, inputs, template_of(traced, self.slot_of)))
        return traced

    def trace_output(self, f: Callable[..., Any], y: Any) -> Any:
        """`y` with a new tracer for each differentiable leaf (in tuples, lists, dicts and
        namedtuples too); `TangentTypeError` for an object the tape cannot look into."""
        if is_traceable_leaf(y) or (type(y) is int):
            return self.new_tracer(y)
        if isinstance(y, (tuple, list, dict)):
            items = y.items() if isinstance(y, dict) else enumerate(y)
            traced = {key: self.trace_output(f, item) for key, item in items}
            if isinstance(y, dict):
                return traced
            if hasattr(type(y), "_fields"):
                return type(y)(*traced.values())
            return type(y)(traced.values())
        if has_tangent_space(y) and not is_constant(y):
            raise TangentTypeError(
                f"`{qualified_name(f)}` returned a {type(y).__qualname__}, which the tape engine "
                "cannot trace into: use backend='reverse'"
            )
        return y

    def backward(self, cotangents: dict[int, Any]) -> dict[int, Any]:
        """Run the records in reverse from the cotangents of some nodes (a new dict is
        returned; the tape is unchanged, so it may be run again with other seeds)."""
        cotangents = dict(cotangents)
        for record in reversed(self.records):
            dy = gather(record.output, cotangents, consume=True)
            if isinstance(dy, AbstractZero):
                continue
            grads = record.pullback(dy)
            for template, dx in zip(record.inputs, grads[1:], strict=False):
                scatter(template, dx, cotangents)
        return cotangents

    def slot_of(self, value: Any) -> Slot | None:
        """The `Slot` of `value` if it is a tracer of this tape, else `None` (a constant)."""
        if isinstance(value, Tracer) and value.tape is self:
            return Slot(value.node)
        return None


def is_traceable_leaf(value: Any) -> bool:
    """Floats, complex numbers, inexact NumPy scalars and arrays: what a tracer holds."""
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, (float, complex)):
        return True
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind in "fc"
    return False


def is_constant(value: Any) -> bool:
    """Whether `value` certainly has no derivative: counts, indices, flags, strings, `None`,
    integer and boolean arrays, and containers of these (not object arrays: their entries
    may be numbers with derivatives)."""
    if isinstance(value, (bool, int, str, bytes, type(None), type, range, slice, np.dtype)):
        return True
    if isinstance(value, (np.ndarray, np.generic)):
        return value.dtype.kind not in "fcOV"
    if isinstance(value, (tuple, list, set, frozenset)):
        return all(map(is_constant, value))
    if isinstance(value, dict):
        return all(map(is_constant, value.values()))
    return value is Ellipsis
