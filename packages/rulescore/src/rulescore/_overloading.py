"""`overloadable`: a Python function whose rules operator-overloading engines honor.

An engine that traces values (a tape of tracer objects) sees NumPy's calls through
`__array_ufunc__`/`__array_function__` and Python's operators through their special
methods, but a call of a plain Python function is invisible to it: it runs the body. That
is right for most functions, and wrong for those whose rule says something the body does
not (`ignore_derivatives`, gradient hooks, checkpointing, a custom rule for stability).
Decorated with `overloadable`, such a function first offers the call to the first argument
whose type defines `__rulescore_function__(self, func, args, kwargs)`, as NumPy offers its
calls to `__array_function__`; the traced value then applies the function's rule.

"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["overloadable"]

F = TypeVar("F", bound=Callable[..., Any])


def overloadable(f: F) -> F:
    """`@overloadable`: `f`, offering its calls to arguments with `__rulescore_function__`.

    Register the function's rules on the decorated name (`rrule.register(f)` after the
    decorator), so that every engine finds them. See the module docstring for the protocol.

    >>> @overloadable
    ... def double(x):
    ...     return 2 * x
    >>> double(3.0)
    6.0
    >>> class Traced:
    ...     def __rulescore_function__(self, func, args, kwargs):
    ...         return f"{func.__name__} of a traced value"
    >>> double(Traced())
    'double of a traced value'

    See also: `ignore_derivatives`, `rrule.register`.
    """

    @functools.wraps(f)
    def overloaded(*args: Any, **kwargs: Any) -> Any:
        for arg in args:
            handler = getattr(type(arg), "__rulescore_function__", None)
            if handler is not None:
                return handler(arg, overloaded, args, kwargs)
        return f(*args, **kwargs)

    return overloaded  # type: ignore[return-value]
