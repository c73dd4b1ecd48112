"""What the solver rules (`integrate`, `optimize`) say about the user's callable itself.

A solver rule differentiates the integrand or objective through the engine, with respect to
the time, the state and the extra `args`; it does not follow values the callable reaches
otherwise. Such a value is a derivative the rule does not compute, so the callable's
cotangent is then `not_implemented` (an error if it reaches an input's gradient), never a
silent zero: a closure over a differentiated value, a `functools.partial` of one, a bound
method of an object holding one, a callable object with differentiable fields.

>>> import numpy as np
>>> callable_cotangent(np.sin)
NoTangent()
>>> def scaled(a):
...     return lambda t: a * t
>>> callable_cotangent(scaled(2.0)).info
'derivative with respect to values the callable captures (a closure, a bound object, ...
"""

from __future__ import annotations

import functools
import types
from typing import Any

import numpy as np

from rulescore import NoTangent, has_tangent_space, not_implemented

__all__ = ["callable_cotangent", "has_tangents"]


def has_tangents(x: Any) -> bool:
    """Whether some part of `x` has a tangent space (a list of functions has none)."""
    if isinstance(x, (tuple, list)):
        return any(has_tangents(v) for v in x)
    if isinstance(x, dict):
        return any(has_tangents(v) for v in x.values())
    return has_tangent_space(x)


def callable_cotangent(f: Any) -> Any:
    """The cotangent of the user's callable `f`: `NoTangent()` when it reaches no value with
    a tangent space besides its arguments, else `not_implemented` (see the module)."""
    if any(has_tangents(v) for v in _reached(f, depth=0)):
        return not_implemented(
            "derivative with respect to values the callable captures (a closure, a bound "
            "object, a partial): pass them to the solver through `args=` instead"
        )
    return NoTangent()


def _reached(f: Any, depth: int) -> list[Any]:
    """The values `f` holds besides its code: closure cells, a partial's arguments, a bound
    method's object, an object's fields (and, a few levels down, theirs)."""
    if depth > 4:
        return []
    if isinstance(f, functools.partial):
        held = [*f.args, *f.keywords.values()]
        return held + _reached(f.func, depth + 1) + _nested(held, depth)
    if isinstance(f, types.MethodType):
        return [f.__self__, *_reached(f.__self__, depth + 1), *_reached(f.__func__, depth + 1)]
    if isinstance(f, types.FunctionType):
        held = [_contents(cell) for cell in f.__closure__ or ()]
        return held + _nested(held, depth)
    if isinstance(f, (types.BuiltinFunctionType, type, types.ModuleType, np.ufunc)):
        return []
    if not callable(f):
        return []
    fields = list(getattr(f, "__dict__", {}).values())
    for cls in type(f).__mro__:
        fields += [getattr(f, n) for n in getattr(cls, "__slots__", ()) if hasattr(f, n)]
    return fields + _nested(fields, depth)


def _nested(values: list[Any], depth: int) -> list[Any]:
    return [v for value in values if callable(value) for v in _reached(value, depth + 1)]


def _contents(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # a variable not assigned yet
        return None
