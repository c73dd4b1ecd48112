"""Call plumbing shared by the NumPy rule modules whose functions take array-likes by name or
by position (`calculus`, `convolution`, `statistics`, `polynomials`).

- `Call(f, args, kwargs)`: the arguments of one call by name and the names of the positional
  ones, in order. Only positional arguments are
  differentiated (the rulescore contract): `call.tangent(tangents, name)` is zero for a
  keyword argument, and `call.cotangents(**values)` returns one cotangent per positional
  argument, `NoTangent()` for those not named;
- `project_to(x)`: `ProjectTo(x)`, also for array-likes written as (nested) lists or tuples
  (`np.polyval([1.0, 2.0], x)`), whose cotangents are then nested lists;
- `dense(dx, x)`: the tangent of `x` as an array (zeros for a zero tangent);
- `is_zero(dx)`: whether a tangent is a zero (`ZeroTangent()`, `NoTangent()`);
- `zero_output(y)`: `(y, its zero tangent)`, what an frule returns when every tangent is zero.

The rule modules import these names from here.

>>> import numpy as np
>>> call = Call(np.diff, (np.ones(3), 2), {"axis": 0})
>>> call.get("n"), call.get("axis"), call.positional
(2, 0, ('a', 'n'))
>>> call.cotangents(a="da")
(NoTangent(), 'da', NoTangent())
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import AbstractZero, NoTangent, ProjectTo, ZeroTangent, unthunk

__all__ = ["Call", "dense", "is_zero", "project_to", "zero_output"]


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


class Call:
    """The arguments of `f(*args, **kwargs)` by name (`call.get("axis", default)`) and the
    names of the positional ones, in order: a pullback returns one cotangent for each."""

    def __init__(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        signature = _signature(f)
        self.arguments = signature.bind(*args, **kwargs).arguments
        self.positional = tuple(signature.parameters)[: len(args)]

    def get(self, name: str, default: Any = None) -> Any:
        return self.arguments.get(name, default)

    def tangent(self, tangents: tuple[Any, ...], name: str) -> Any:
        """The tangent given to argument `name` (zero for a keyword argument)."""
        if name in self.positional:
            return unthunk(tangents[1 + self.positional.index(name)])
        return ZeroTangent()

    def cotangents(self, **values: Any) -> tuple[Any, ...]:
        """`(NoTangent(), ...)`, one per positional argument; unnamed ones get NoTangent."""
        return (NoTangent(), *(values.get(name, NoTangent()) for name in self.positional))


class _ProjectArrayLike:
    """`ProjectTo(x)` for an array-like `x` written as a (nested) list or tuple: an array
    tangent is handed over as the nested lists that `ProjectTo` expects of a container."""

    def __init__(self, x: Any) -> None:
        self.project = ProjectTo(x)

    def __call__(self, dx: Any) -> Any:
        return self.project(dx.tolist() if isinstance(dx, np.ndarray) else dx)


def project_to(x: Any) -> Any:
    """`ProjectTo(x)`, also for array-likes given as lists (`np.polyval([1.0, 2.0], x)`)."""
    return _ProjectArrayLike(x) if isinstance(x, (list, tuple)) else ProjectTo(x)


def is_zero(dx: Any) -> bool:
    return isinstance(dx, AbstractZero)


def dense(dx: Any, x: Any) -> Any:
    """The tangent `dx` of `x` as an array: zeros of `x`'s shape for a zero tangent, an
    array for the (nested) list tangent of an array-like list."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x), 0.0))
    return np.asarray(dx) if isinstance(dx, (list, tuple)) else dx


def zero_output(y: Any) -> tuple[Any, Any]:
    return y, ProjectTo(y)(ZeroTangent())
