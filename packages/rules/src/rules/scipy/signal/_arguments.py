"""Call plumbing shared by the rule modules of `rules.scipy.signal`.

- `Call(f, args, kwargs)`: the arguments of one call by name, defaults filled in, and how
  many were given by position (a pullback returns one cotangent per positional argument);
- `value(t)`: a tangent unthunked, `None` for a zero;
- `project_to(x)`: `ProjectTo(x)`, also for array-likes written as lists (`b=[1.0, 0.5]`);
- `moved(x, axis)` / `unmoved(x, axis)`: an array with `axis` moved last, and back.

Nothing here is public: the rule modules of this package import these names.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import AbstractZero, NoTangent, ProjectTo, unthunk

__all__: list[str] = []


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


class Call:
    """`f(*args, **kwargs)` bound to `f`'s signature: `call["mode"]`, `call.npos`."""

    def __init__(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        bound = _signature(f).bind(*args, **kwargs)
        bound.apply_defaults()
        self.arguments = dict(bound.arguments)
        self.npos = len(args)
        self.names = tuple(_signature(f).parameters)

    def __getitem__(self, name: str) -> Any:
        return self.arguments[name]

    def positional(self, name: str) -> bool:
        """Whether argument `name` was given by position (so that it has a tangent slot)."""
        return name in self.names[: self.npos]

    def tangent(self, tangents: tuple[Any, ...], name: str) -> Any:
        """The tangent of argument `name` (`None` for a zero or a keyword argument)."""
        if not self.positional(name):
            return None
        return value(tangents[1 + self.names.index(name)])

    def cotangents(self, **values: Any) -> tuple[Any, ...]:
        """`(NoTangent(), ...)`, one per positional argument; those not named get NoTangent."""
        return (NoTangent(), *(values.get(name, NoTangent()) for name in self.names[: self.npos]))


def value(t: Any) -> Any:
    """A tangent unthunked, or `None` for a zero."""
    t = unthunk(t)
    return None if isinstance(t, AbstractZero) else t


def moved(x: Any, axis: int) -> Any:
    return np.moveaxis(np.asarray(x), axis, -1)


def unmoved(x: Any, axis: int) -> Any:
    return np.moveaxis(x, -1, axis)


class _ProjectArrayLike:
    """`ProjectTo(x)` for an array-like given as a (nested) list or tuple: an array cotangent
    is handed over as the nested lists that `ProjectTo` expects of a container."""

    def __init__(self, x: Any) -> None:
        self.project = ProjectTo(x)

    def __call__(self, dx: Any) -> Any:
        return self.project(dx.tolist() if isinstance(dx, np.ndarray) else dx)


def project_to(x: Any) -> Any:
    """`ProjectTo(x)`, also for array-likes given as lists or tuples."""
    return _ProjectArrayLike(x) if isinstance(x, (list, tuple)) else ProjectTo(x)
