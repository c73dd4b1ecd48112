"""Helpers the generated backward code calls: adding cotangents, reading the parts of a
pullback's result, the tangents of closures, and handing gradients of implicit parameters
to `Params`.
"""

from __future__ import annotations

import contextvars
import functools
import sys
import types
from typing import Any

import numpy as np

from engine._reverse._location import user_location
from engine._reverse._primitives import carries_derivative
from rulescore import (
    AbstractZero,
    InplaceableThunk,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    Thunk,
    UnsupportedConstructError,
    ZeroTangent,
    accumulate,
    backing,
    unthunk,
)

__all__ = [
    "NO",
    "PARAMETERS",
    "KwCotangents",
    "Z",
    "acc",
    "check_not_inplace",
    "closure_part",
    "closure_tangent",
    "kw_part",
    "kw_rest",
    "star_part",
    "to_params",
]

Z = ZeroTangent()
NO = NoTangent()
_SCALARS = (float, np.float64)

# The `Grads` being filled by the gradient call running in this context, if any.
PARAMETERS: contextvars.ContextVar[Any] = contextvars.ContextVar("parameters", default=None)


class KwCotangents(tuple):  # type: ignore[type-arg]
    """A pullback's `(df, dx1, ..., dxn)` with the cotangents of keyword arguments in `kw`."""

    kw: dict[str, Any]

    def __new__(cls, values: Any, kw: dict[str, Any]) -> KwCotangents:
        self = super().__new__(cls, values)
        self.kw = kw
        return self


def acc(total: Any, part: Any) -> Any:
    """`total + part` for adjoints; zeros of every kind come back as `Z`.

    An array that only the caller's adjoint variable holds (no other reference: not a view,
    not shared with a pullback or the user) is added into in place, as NumPy elides its own
    temporaries; an `InplaceableThunk` then never materializes.
    """
    if part is Z or part is NO:
        return total
    if total is Z:
        return Z if isinstance(part, AbstractZero) else part
    if type(total) in _SCALARS and type(part) in _SCALARS:
        return total + part
    if isinstance(part, AbstractZero):
        return total
    # A sparse `total` (an index's scatter) adds itself into a dense buffer instead of
    # materializing its zeros: `part`'s value if nothing else holds it (a thunk only the
    # pullback's result held, about to be dropped), else later (see `_sparse_plus_dense`).
    if isinstance(total, InplaceableThunk) and type(part) in (Thunk, np.ndarray):
        owned = type(part) is Thunk and _getrefcount(part) <= _EXCLUSIVE - 1
        value = unthunk(part)
        if owned and _exclusive(value):
            return total.add_fn(value)
        if _addable(value):
            return _sparse_plus_dense(total, part)
    if isinstance(total, Thunk) and _getrefcount(total) <= _EXCLUSIVE - 1:
        # Only the caller's adjoint holds the thunk: its value is the caller's to write into.
        total = unthunk(total)
    exclusive = _exclusive(total)  # before the call: its arguments hold references too
    if not exclusive and isinstance(part, InplaceableThunk) and _addable(total):
        return _sparse_plus_dense(part, total)
    return accumulate(total, part, inplace=exclusive)


def _sparse_plus_dense(sparse: InplaceableThunk, dense: Any) -> Thunk:
    """`sparse + dense`, computed when it is needed, into the dense array if by then nothing
    else holds it, else into a copy. Typically its other holder was a sibling cotangent:
    `x - m` gives `x` the seed itself and `m` a thunk of its sum, which holds the seed
    until it runs, and that happens before `x`'s cotangent is needed."""
    held = [dense]

    def sparse_plus_dense() -> Any:
        return sparse.add_fn(_take(held))

    return Thunk(sparse_plus_dense)


def _take(held: list[Any]) -> Any:
    """The array in `held` (or a thunk's), as a buffer the caller may write into: itself if
    `held` had the only reference, else a copy."""
    value = held.pop()
    if type(value) is Thunk and _getrefcount(value) <= 2:  # `value`, getrefcount's argument
        value = value.unthunk()  # the thunk is freed: `value` alone holds the array
    value = unthunk(value)
    # `value`, `_exclusive`'s parameter, getrefcount's argument
    return value if _exclusive(value, holders=3) else value.copy()


# References to an adjoint array held only by the caller's variable: that variable, `acc`'s
# parameter and `_exclusive`'s, and `getrefcount`'s argument.
_EXCLUSIVE = 4


def _exclusive(value: Any, holders: int = _EXCLUSIVE) -> bool:
    return (
        type(value) is np.ndarray
        and _getrefcount(value) <= holders
        and value.base is None
        and value.flags.writeable
    )


def _addable(value: Any) -> bool:
    """Whether `value` (or a copy) is a buffer that any cotangent of the same primal can be
    added into: a real or complex array (the primal's shape, as projections make it)."""
    return type(value) is np.ndarray and value.dtype.kind in "fc"


_getrefcount = getattr(sys, "getrefcount", lambda value: _EXCLUSIVE + 1)


def kw_part(grads: Any, name: str) -> Any:
    """The cotangent of keyword argument `name` in a pullback's result."""
    kw = getattr(grads, "kw", None)
    return Z if kw is None else kw.get(name, Z)


def kw_rest(grads: Any, explicit: tuple[str, ...]) -> Any:
    """The cotangent of a `**mapping` argument: every keyword not given explicitly."""
    kw = getattr(grads, "kw", None)
    if not kw:
        return Z
    return {k: v for k, v in kw.items() if k not in explicit}


def star_part(grads: tuple[Any, ...], start: int, trailing: int, like: Any) -> Any:
    """The cotangent of a `*args` argument `like`: entries `start` to `len - trailing`, as
    a list for a list and a tuple otherwise."""
    parts = grads[start : len(grads) - trailing]
    return list(parts) if isinstance(like, list) else tuple(parts)


def closure_tangent(**fields: Any) -> Any:
    """The tangent of a function through the variables it captured; `NO` if all are zero."""
    live = {k: v for k, v in fields.items() if not isinstance(v, AbstractZero)}
    return Tangent[types.FunctionType](**live) if live else NO  # type: ignore[misc]


def closure_part(tangent: Any, name: str, through: tuple[str, ...]) -> Any:
    """The part of a function's tangent that belongs to its captured variable `name`,
    summed over the tangents nested in it under the names `through` (functions of the same
    scope that it called: itself when recursive, its siblings when mutually recursive)."""
    tangent = unthunk(tangent)
    if isinstance(tangent, NotImplementedTangent):
        return tangent  # the rule could not say which part: every captured value is unknown
    if not isinstance(tangent, Tangent):
        return Z
    fields = backing(tangent)
    total = fields.get(name, Z)
    for nested in through:
        total = acc(total, closure_part(fields.get(nested, Z), name, through))
    return total


def check_not_inplace(value: Any, operator: str) -> None:
    """Refuse `x += y` (and the other in-place operators) when it would mutate `x`."""
    method = {"@=": "__imatmul__", "**=": "__ipow__", "//=": "__ifloordiv__"}.get(operator)
    names = {"+=": "add", "-=": "sub", "*=": "mul", "/=": "truediv", "%=": "mod"}
    method = method or f"__i{names.get(operator, 'or')}__"
    if hasattr(type(value), method):
        raise UnsupportedConstructError(
            *user_location(),
            f"`{operator}` on a {type(value).__name__} (it mutates the value in place)",
            f"write `x = x {operator[:-1]} y` instead",
        )


def check_context_value(value: Any) -> None:
    """Refuse `with manager as name` when `name` carries a derivative: what the manager's
    `__enter__` did with differentiable values is not visible to the engine."""
    if carries_derivative(value):
        raise UnsupportedConstructError(
            *user_location(),
            "`with ... as name` binding a value with a derivative",
            "compute the value before the `with` statement",
        )


def swallowed() -> None:
    """Refuse a `with` block whose context manager swallowed an exception part way through."""
    raise UnsupportedConstructError(
        *user_location(),
        "a context manager that suppressed an exception in differentiated code",
        "let the exception propagate, or catch it outside the differentiated function",
    )


def to_params(value: Any, tangent: Any) -> None:
    """Give the cotangent of a value read from a global to the `Params` being collected."""
    collector = PARAMETERS.get()
    if collector is None or tangent is Z:
        return
    _deliver(collector, value, unthunk(tangent), depth=0)


def _deliver(collector: Any, value: Any, tangent: Any, depth: int) -> None:
    if isinstance(tangent, AbstractZero) or depth > 64:
        return
    if collector.tracks(value):
        collector.add(value, tangent)
        return
    if isinstance(tangent, Tangent):
        fields = backing(tangent)
        if isinstance(value, types.FunctionType) and value.__closure__:
            cells = dict(zip(value.__code__.co_freevars, value.__closure__, strict=True))
            for name, part in fields.items():
                if name in cells:
                    _deliver(collector, cells[name].cell_contents, part, depth + 1)
        elif isinstance(value, functools.partial):
            for item, part in zip(value.args, fields.get("args", ()), strict=False):
                _deliver(collector, item, part, depth + 1)
        else:
            for name, part in fields.items():
                _deliver(collector, getattr(value, name, None), part, depth + 1)
    elif isinstance(value, (tuple, list)) and isinstance(tangent, (tuple, list)):
        for item, part in zip(value, tangent, strict=False):
            _deliver(collector, item, part, depth + 1)
    elif isinstance(value, dict) and isinstance(tangent, dict):
        for key, part in tangent.items():
            _deliver(collector, value.get(key), part, depth + 1)
