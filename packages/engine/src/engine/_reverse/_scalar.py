"""The fast path for real scalars: a `scalar_rule`'s partials applied directly.

For `float`, `int` and `np.float64` arguments, `call1`/`call2` skip the rule's pullback
(its projections, its thunks) and use the rule's partials (`RuleInfo.partials`), the same
derivative. The commonest partials (`add`, `sub`, `mul`: a constant or one of the
arguments) are recognized from their bytecode and need no call at all.
"""

from __future__ import annotations

import dis
from collections.abc import Callable
from typing import Any

import numpy as np

from engine._reverse._runtime import NO
from rulescore import RuleInfo

__all__ = ["REAL", "ScalarHandler"]

Pullback = Callable[[Any], tuple[Any, ...]]
Handler = Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[Any, Pullback | None]]

REAL = frozenset({float, int, np.float64})


class ScalarHandler:
    """The handler of a `scalar_rule` rule for real scalar arguments: its partials applied
    directly, without the rule's projections."""

    def __init__(self, info: RuleInfo, generic: Handler) -> None:
        assert info.partials is not None
        self.partials = info.partials
        self.generic = generic  # the rule itself, for other arguments

    def __call__(self, f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if kwargs:
            return self.generic(f, args, kwargs)
        return self.fast(f, len(args))(*args)

    def fast(self, f: Any, arity: int) -> Callable[..., Any]:
        """For `call1`/`call2`: `(y, pullback)` from the arguments given directly."""
        generic, partials = self.generic, self.partials
        if arity == 1 and partials[0] is not None:
            p = partials[0]
            assert p is not None

            def fast1(a: Any) -> Any:
                y = f(a)
                if type(y) not in REAL:
                    return generic(f, (a,), {})

                def scalar_pullback(dy: Any) -> tuple[Any, ...]:
                    if type(dy) not in REAL:
                        return pullback_of(generic(f, (a,), {}))(dy)
                    return NO, p(a, y) * dy

                return y, scalar_pullback

            return fast1
        if arity == 2 and None not in partials:
            p2, q = partials[0], partials[1]
            assert p2 is not None and q is not None
            shape = (trivial(p2), trivial(q))
            if shape in _BILINEAR_FORMS:
                return _BILINEAR_FORMS[shape](f, generic)

            def fast2(a: Any, b: Any) -> Any:
                y = f(a, b)
                if type(y) not in REAL:
                    return generic(f, (a, b), {})

                def scalar_pullback(dy: Any) -> tuple[Any, ...]:
                    if type(dy) not in REAL:
                        return pullback_of(generic(f, (a, b), {}))(dy)
                    return NO, p2(a, b, y) * dy, q(a, b, y) * dy

                return y, scalar_pullback

            return fast2
        return lambda *args: generic(f, args, {})


def trivial(partial: Callable[..., Any]) -> tuple[str, Any] | None:
    """`("const", c)` or `("arg", name)` for a partial that returns a constant or one of its
    parameters (`lambda a, b, y: 1`, `lambda a, b, y: b`), read from its bytecode."""
    code = getattr(partial, "__code__", None)
    if code is None:
        return None
    steps = [
        (i.opname, i.argval)
        for i in dis.get_instructions(code)
        if i.opname not in ("RESUME", "NOP", "CACHE")
    ]
    if steps in ([("LOAD_CONST", c), ("RETURN_VALUE", None)] for c in (1, -1)):
        return ("const", steps[0][1])
    if len(steps) == 1 and steps[0][0] == "RETURN_CONST" and steps[0][1] in (1, -1):
        return ("const", steps[0][1])
    if len(steps) == 2 and steps[0][0] == "LOAD_FAST" and steps[1][0] == "RETURN_VALUE":
        position = code.co_varnames.index(steps[0][1])
        return ("arg", position) if position < code.co_argcount else None
    return None


def _sum_form(f: Any, generic: Handler) -> Callable[..., Any]:
    """`a + b`: the seed itself for both."""

    def add_fast(a: Any, b: Any) -> Any:
        y = f(a, b)
        if type(y) not in REAL:
            return generic(f, (a, b), {})

        def add_pullback(dy: Any) -> tuple[Any, ...]:
            if type(dy) not in REAL:
                return pullback_of(generic(f, (a, b), {}))(dy)
            return NO, dy, dy

        return y, add_pullback

    return add_fast


def _difference_form(f: Any, generic: Handler) -> Callable[..., Any]:
    """`a - b`: the seed and its negative."""

    def sub_fast(a: Any, b: Any) -> Any:
        y = f(a, b)
        if type(y) not in REAL:
            return generic(f, (a, b), {})

        def sub_pullback(dy: Any) -> tuple[Any, ...]:
            if type(dy) not in REAL:
                return pullback_of(generic(f, (a, b), {}))(dy)
            return NO, dy, -dy

        return y, sub_pullback

    return sub_fast


def _product_form(f: Any, generic: Handler) -> Callable[..., Any]:
    """`a * b`: each gets the seed times the other."""

    def mul_fast(a: Any, b: Any) -> Any:
        y = f(a, b)
        if type(y) not in REAL:
            return generic(f, (a, b), {})

        def mul_pullback(dy: Any) -> tuple[Any, ...]:
            if type(dy) not in REAL:
                return pullback_of(generic(f, (a, b), {}))(dy)
            return NO, b * dy, a * dy

        return y, mul_pullback

    return mul_fast


# Partials of the forms above, recognized in any rule (`operator.add`, `np.add`, a user's).
_BILINEAR_FORMS: dict[Any, Callable[[Any, Handler], Callable[..., Any]]] = {
    (("const", 1), ("const", 1)): _sum_form,
    (("const", 1), ("const", -1)): _difference_form,
    (("arg", 1), ("arg", 0)): _product_form,
}


def pullback_of(result: tuple[Any, Pullback | None]) -> Pullback:
    back = result[1]
    assert back is not None
    return back
