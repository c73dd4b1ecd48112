"""Lazy tangents: `Thunk`, `InplaceableThunk` and `unthunk`.

A pullback returns an expensive cotangent wrapped in a thunk so that an engine that does not
need it (the input is a constant) never computes it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from rulescore._tangent_types.base import AbstractTangent

__all__ = ["InplaceableThunk", "Thunk", "unthunk"]

_PENDING = object()


class Thunk(AbstractTangent):
    """`Thunk(fn)`: a tangent computed by `fn()` the first time it is needed, then kept.

    `unthunk(t)` gives the value; arithmetic and NumPy conversion unthunk implicitly. `fn`
    runs at most once, even from several threads.

    >>> calls = []
    >>> def expensive():
    ...     calls.append(1)
    ...     return 2.0
    >>> t = Thunk(expensive)
    >>> calls
    []
    >>> t + 1.0, unthunk(t), calls
    (3.0, 2.0, [1])

    See also: `InplaceableThunk`, `unthunk`.
    """

    __slots__ = ("_fn", "_lock", "_value")

    def __init__(self, fn: Callable[[], Any]) -> None:
        self._fn = fn
        self._value: Any = _PENDING
        self._lock = threading.RLock()  # a body that unthunks itself recurses, never hangs

    def unthunk(self) -> Any:
        """The value, computed on the first call (nested thunks are unthunked too)."""
        if self._value is _PENDING:
            with self._lock:
                if self._value is _PENDING:
                    self._value = unthunk(self._fn())
                    # What `fn` held (the pullback's seed, its operands) is not needed again.
                    self._fn = _named(self._fn)
        return self._value

    def __repr__(self) -> str:
        name = getattr(self._fn, "__qualname__", type(self._fn).__name__)
        state = "pending" if self._value is _PENDING else repr(self._value)
        return f"{type(self).__name__}({name}: {state})"

    def __add__(self, other: Any) -> Any:
        return self.unthunk() + other

    def __radd__(self, other: Any) -> Any:
        return other + self.unthunk()

    def __sub__(self, other: Any) -> Any:
        return self.unthunk() - other

    def __rsub__(self, other: Any) -> Any:
        return other - self.unthunk()

    def __mul__(self, other: Any) -> Any:
        return self.unthunk() * other

    def __rmul__(self, other: Any) -> Any:
        return other * self.unthunk()

    def __matmul__(self, other: Any) -> Any:
        return self.unthunk() @ other

    def __rmatmul__(self, other: Any) -> Any:
        return other @ self.unthunk()

    def __truediv__(self, other: Any) -> Any:
        return self.unthunk() / other

    def __neg__(self) -> Any:
        return -self.unthunk()

    def __getitem__(self, key: Any) -> Any:
        return self.unthunk()[key]

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> Any:
        # NumPy calls this, so it is loaded; rulescore itself never imports it.
        return sys.modules["numpy"].array(self.unthunk(), dtype=dtype, copy=copy)

    def conjugate(self) -> Any:
        return self.unthunk().conjugate()


class InplaceableThunk(Thunk):
    """`InplaceableThunk(add_fn, thunk)`: a thunk that can also add itself into an accumulator.

    `add_fn(acc)` adds the value into `acc` in place and returns `acc`; `thunk` (a `Thunk`
    or a zero-argument callable) gives the value on its own. An engine that accumulates
    several cotangents into a buffer it owns calls `add_fn` and never allocates the value;
    see `accumulate`.

    >>> import numpy as np
    >>> dy = np.array([1.0, 2.0])
    >>> def sum_add(acc):
    ...     acc += dy
    ...     return acc
    >>> t = InplaceableThunk(sum_add, Thunk(lambda: dy.copy()))
    >>> acc = np.zeros(2)
    >>> t.add_fn(acc) is acc, acc, unthunk(t)
    (True, array([1., 2.]), array([1., 2.]))
    """

    __slots__ = ("add_fn",)

    def __init__(self, add_fn: Callable[[Any], Any], thunk: Thunk | Callable[[], Any]) -> None:
        if isinstance(thunk, Thunk) and thunk._value is _PENDING:
            fn = thunk._fn  # one cache for the value, not two: the owner may write into it
        elif isinstance(thunk, Thunk):
            fn = thunk.unthunk
        else:
            fn = thunk
        super().__init__(fn)
        self.add_fn = add_fn


def _named(fn: Callable[[], Any]) -> Callable[[], Any]:
    """A stand-in for an evaluated thunk's function that keeps only its name (for repr)."""

    def evaluated() -> Any:
        raise AssertionError("an evaluated thunk does not run again")

    evaluated.__qualname__ = getattr(fn, "__qualname__", type(fn).__name__)
    return evaluated


def unthunk(x: Any) -> Any:
    """`unthunk(x)`: the value of a thunk; any other value unchanged (containers are not searched).

    >>> unthunk(Thunk(lambda: 3.0)), unthunk(4.0)
    (3.0, 4.0)
    """
    return x.unthunk() if isinstance(x, Thunk) else x
