"""`Transformed`: a function's code as an engine rewrote it, and how to make it callable;
`TransformCache`: one per engine, so that each code object is rewritten once.

Both source-to-source engines compile the rewritten function inside a factory whose
parameters are the runtime helpers and the function's free variables; `instantiate` then
builds the engine's version of a particular function object: its globals, defaults and
closure cells (so `nonlocal`, recursion and globals behave as in the original), with the
helpers' cells for the helper names.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["TransformCache", "Transformed"]


@dataclass(frozen=True)
class Transformed:
    """A function's generated code: its source text and how to instantiate it."""

    source: str
    code: types.CodeType  # the engine's version of the function
    helper_cells: dict[str, types.CellType]  # identifier -> cell holding the helper

    def instantiate(self, f: types.FunctionType) -> Callable[..., Any]:
        """The engine's version of `f`: `f`'s defaults and closure, the helpers' cells."""
        cells = dict(zip(f.__code__.co_freevars, f.__closure__ or (), strict=True))
        closure = tuple(self.helper_cells.get(n) or cells[n] for n in self.code.co_freevars)
        version = types.FunctionType(self.code, f.__globals__, f.__name__, f.__defaults__, closure)
        if f.__kwdefaults__:
            version.__kwdefaults__ = f.__kwdefaults__
        return version


class TransformCache:
    """`TransformCache(make)`: `make(f)` once per code object, shared by threads.

    >>> cache = TransformCache(lambda f: f.__code__.co_name)
    >>> def g(): ...
    >>> cache.get(g), cache.get(g)
    ('g', 'g')
    """

    def __init__(self, make: Callable[[types.FunctionType], Any]) -> None:
        self._make = make
        self._found: dict[types.CodeType, Any] = {}
        self._lock = threading.Lock()

    def get(self, f: types.FunctionType) -> Any:
        """What `make` gives for `f`'s code, made on the first request."""
        code = f.__code__
        found = self._found.get(code)
        if found is None:
            with self._lock:
                found = self._found.get(code) or self._make(f)
                self._found[code] = found
        return found
