"""Tangent arithmetic that `+` cannot express: containers, primals, in-place accumulation.

`+` on the tangent classes already follows ChainRulesCore's table. Tuples and lists need a
function of their own (`(1, 2) + (3, 4)` concatenates in Python), and so do adding a tangent
to a primal and accumulating cotangents into a buffer an engine owns.
"""

from __future__ import annotations

from typing import Any

from rulescore._arrays import is_array, numpy
from rulescore._tangent_types import (
    AbstractTangent,
    AbstractZero,
    InplaceableThunk,
    Tangent,
    Thunk,
    unthunk,
)
from rulescore._tangent_types.structural import add_to_object

__all__ = ["accumulate", "add_tangents", "add_to_primal"]


def add_tangents(a: Any, b: Any) -> Any:
    """`add_tangents(a, b)`: the sum of two tangents of the same primal, containers included.

    Zeros are identities, thunks are unthunked only when both sides are real values, tuples,
    lists and dicts add entry by entry (a dict key missing on one side counts as zero).

    >>> from rulescore import ZeroTangent
    >>> add_tangents((1.0, [2.0]), (ZeroTangent(), [3.0]))
    (1.0, [5.0])
    >>> add_tangents({"w": 1.0}, {"w": 2.0, "b": 3.0})
    {'w': 3.0, 'b': 3.0}
    """
    if isinstance(a, AbstractZero) and not isinstance(b, AbstractZero):
        return b
    if isinstance(b, AbstractZero) and not isinstance(a, AbstractZero):
        return a
    a, b = unthunk(a), unthunk(b)
    if isinstance(a, AbstractTangent) or isinstance(b, AbstractTangent):
        return a + b  # the tangent types' own table (NotImplementedTangent wins, zeros vanish)
    if isinstance(a, (tuple, list)) and not isinstance(a, AbstractTangent):
        if type(a) is not type(b) or len(a) != len(b):
            raise TypeError(f"cannot add tangents {_describe(a)} and {_describe(b)}")
        return type(a)(add_tangents(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        if not isinstance(b, dict):
            raise TypeError(f"cannot add tangents {_describe(a)} and {_describe(b)}")
        # Built without mutation, so that engines can differentiate it (higher order).
        return {**a, **{k: add_tangents(a[k], v) if k in a else v for k, v in b.items()}}
    return a + b


def add_to_primal(x: Any, dx: Any) -> Any:
    """`add_to_primal(x, dx)`: the primal `x` moved by the tangent `dx`; `x` is not mutated.

    Objects are rebuilt field by field from a `Tangent`; containers entry by entry.

    >>> from rulescore import NoTangent
    >>> add_to_primal((1.0, "label"), (0.5, NoTangent()))
    (1.5, 'label')
    """
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return x
    if isinstance(dx, Tangent):
        return add_to_object(x, dx)
    if isinstance(x, (tuple, list)) and isinstance(dx, (tuple, list)):
        return type(x)(add_to_primal(xi, di) for xi, di in zip(x, dx, strict=True))
    if isinstance(x, dict):
        unknown = dx.keys() - x.keys()
        if unknown:
            raise TypeError(f"the tangent has key {next(iter(unknown))!r} that the dict lacks")
        return {k: add_to_primal(v, dx[k]) if k in dx else v for k, v in x.items()}
    return x + dx


def accumulate(acc: Any, dx: Any, *, inplace: bool = False) -> Any:
    """`accumulate(acc, dx, inplace=False)`: `acc + dx`, written into `acc` when that is safe.

    An engine adds the cotangents of a variable used several times. With `inplace=True` the
    caller promises that it owns `acc` (no one else holds it); then a writable array of the
    result's shape and dtype is updated in place (through `add_fn` for an
    `InplaceableThunk`, which never materializes the thunk) and returned. Otherwise, or when
    the result would need another shape or dtype, a new value is returned and `acc` is left
    as it was.

    >>> import numpy as np
    >>> acc = np.zeros(3)
    >>> accumulate(acc, np.ones(3), inplace=True) is acc, acc
    (True, array([1., 1., 1.]))
    >>> accumulate(acc, np.ones(3)) is acc
    False
    """
    if isinstance(dx, AbstractZero):
        return acc
    if inplace and _writable_for(acc, dx):
        if isinstance(dx, InplaceableThunk):
            return dx.add_fn(acc)
        acc += unthunk(dx)
        return acc
    if isinstance(dx, Thunk) and not isinstance(acc, AbstractZero):
        dx = unthunk(dx)
    return add_tangents(acc, dx)


def _writable_for(acc: Any, dx: Any) -> bool:
    if not is_array(acc) or not getattr(getattr(acc, "flags", None), "writeable", False):
        return False
    if isinstance(dx, InplaceableThunk):
        return True
    np, value = numpy(), unthunk(dx)
    if isinstance(value, AbstractTangent):
        return False
    try:
        shape = np.broadcast_shapes(acc.shape, np.shape(value))
    except ValueError:
        return False
    return bool(shape == acc.shape and np.result_type(acc, value) == acc.dtype)


def _describe(x: Any) -> str:
    return f"{type(x).__name__} of length {len(x)}" if hasattr(x, "__len__") else repr(x)
