"""Values the user's code builds or combines that have no rule of their own: dataclasses,
namedtuples, instances of classes with a Python `__init__`, structural tangents,
`functools.partial`, NumPy scalars, and the operators of the user's classes (`__add__`,
`__radd__`, ...). Each is a handler of the dispatch (`handler(f, args, kwargs)`).
"""

from __future__ import annotations

import dataclasses
import functools
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from engine._reverse import _dispatch
from engine._reverse._location import user_location
from engine._reverse._primitives import carries_derivative
from engine._reverse._runtime import NO, KwCotangents, Z
from rulescore import (
    InplaceableThunk,
    MissingRuleError,
    ProjectTo,
    Tangent,
    Thunk,
    UnsupportedConstructError,
    backing,
    non_differentiable,
    unthunk,
)

__all__ = ["call_init", "call_super", "handler_for_class", "handler_for_operator"]

Pullback = Callable[[Any], tuple[Any, ...]]
Handler = Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[Any, Pullback | None]]


def handler_for_class(cls: type) -> Handler | None:
    """The handler building an instance of `cls`, if it is one of the kinds above."""
    if dataclasses.is_dataclass(cls) or (issubclass(cls, tuple) and hasattr(cls, "_fields")):
        return _construct
    if issubclass(cls, Tangent):
        return _construct_tangent
    if issubclass(cls, Thunk):
        return _eager_thunk
    if cls is functools.partial:
        return _construct_partial
    if issubclass(cls, np.generic):
        return _numpy_scalar
    init = _dispatch.static_attribute(cls, "__init__")
    if isinstance(init, types.FunctionType) and cls.__new__ is object.__new__:
        return _construct_object
    return None


def handler_for_operator(f: Any, nargs: int) -> Handler | None:
    """The handler applying an operator through the special methods of the user's class."""
    if nargs == 2 and f in _BINARY_DUNDERS:
        return _binary_dunder
    if nargs == 1 and f in _UNARY_DUNDERS:
        return _unary_dunder
    return None


# The special methods behind the operators, for objects of the user's classes.
_BINARY_DUNDERS: dict[Any, tuple[str, str]] = {
    operator.add: ("__add__", "__radd__"),
    operator.sub: ("__sub__", "__rsub__"),
    operator.mul: ("__mul__", "__rmul__"),
    operator.truediv: ("__truediv__", "__rtruediv__"),
    operator.floordiv: ("__floordiv__", "__rfloordiv__"),
    operator.mod: ("__mod__", "__rmod__"),
    operator.pow: ("__pow__", "__rpow__"),
    operator.matmul: ("__matmul__", "__rmatmul__"),
}


_UNARY_DUNDERS: dict[Any, str] = {
    operator.neg: "__neg__",
    operator.pos: "__pos__",
    operator.abs: "__abs__",
}


def _binary_dunder(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`a + b` on objects: `type(a).__add__`, else `type(b).__radd__`, differentiated."""
    a, b = args
    name, reflected = _BINARY_DUNDERS[f]
    method = _dispatch.static_attribute(type(a), name)
    if isinstance(method, types.FunctionType):
        y, back = _dispatch.call(method, a, b)
        if y is not NotImplemented:
            return y, back
    method = _dispatch.static_attribute(type(b), reflected)
    if isinstance(method, types.FunctionType):
        y, back = _dispatch.call(method, b, a)
        if y is not NotImplemented:
            return y, _swapped(back)
    return _dispatch.opaque(f, args, kwargs)


def _swapped(back: Pullback | None) -> Pullback | None:
    if back is None:
        return None
    reflected_back = back

    def swapped_pullback(dy: Any) -> tuple[Any, ...]:
        grads = reflected_back(dy)
        return NO, grads[2], grads[1]

    return swapped_pullback


def _unary_dunder(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    method = _dispatch.static_attribute(type(args[0]), _UNARY_DUNDERS[f])
    if isinstance(method, types.FunctionType):
        return _dispatch.call(method, args[0])
    return _dispatch.opaque(f, args, kwargs)


def _numpy_scalar(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`np.float64(x)`, `np.float32(x)`: a conversion, whose cotangent is projected back."""
    y = cls(*args, **kwargs)
    if len(args) != 1 or kwargs:
        if any(map(carries_derivative, args)):
            raise MissingRuleError.for_callable(cls)
        return y, None
    project = ProjectTo(args[0])

    def numpy_scalar_pullback(dy: Any) -> tuple[Any, ...]:
        return NO, project(dy)

    return y, numpy_scalar_pullback


def _construct_partial(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`functools.partial(f, *args, **kwargs)` made in differentiated code: its tangent
    (`Tangent[partial](args=..., keywords=...)`, see `_partial`) is the bound arguments'."""
    y = cls(*args, **kwargs)
    bound = len(args) - 1

    def construct_partial_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        fields = backing(dy) if isinstance(dy, Tangent) else {}
        given = tuple(fields.get("args", ())) + (Z,) * bound
        keywords = fields.get("keywords", {})
        values = (NO, NO, *given[:bound])
        if not kwargs:
            return values
        return KwCotangents(values, {k: keywords.get(k, Z) for k in kwargs})

    return y, construct_partial_pullback


def _construct(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if hasattr(cls, "__post_init__"):
        raise UnsupportedConstructError(
            *user_location(),
            f"constructing the dataclass `{cls.__qualname__}` (its `__post_init__` may set fields)",
            "construct it outside the differentiated function, or compute those fields in it",
        )
    y = cls(*args, **kwargs)
    if dataclasses.is_dataclass(cls):
        names = [f.name for f in dataclasses.fields(cls) if f.init]
    else:
        names = list(cls._fields)  # type: ignore[attr-defined]

    def construct_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, type(Z)) or dy is NO:
            parts = [Z] * len(names)
        elif isinstance(dy, Tangent):
            parts = [getattr(dy, n) for n in names]
        else:  # a tuple tangent of a namedtuple
            parts = list(dy)
        by_name = dict(zip(names, parts, strict=True))
        positional = [by_name[n] for n in names[: len(args)]]
        kw = {k: by_name.get(k, Z) for k in kwargs}
        return KwCotangents((NO, *positional), kw) if kwargs else (NO, *positional)

    return y, construct_pullback


def _construct_object(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """An instance of a class with a Python `__init__`: differentiated as a function that
    sets the fields of a new object and returns it."""
    obj: Any = object.__new__(cls)
    y, back = _dispatch.call(_dispatch.static_attribute(cls, "__init__"), obj, *args, **kwargs)
    if back is None:
        return y, None
    init_back = back

    def construct_object_pullback(dy: Any) -> tuple[Any, ...]:
        grads = init_back(dy)
        values = (NO, *grads[2:])
        kw = getattr(grads, "kw", None)
        return KwCotangents(values, kw) if kw is not None else values

    return y, construct_object_pullback


def _eager_thunk(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`Thunk(fn)` or `InplaceableThunk(add_fn, thunk)` made by a rule that is being
    differentiated (higher order): the value itself, computed now through the engine, so
    that its derivative flows (a thunk is only a promise of its value)."""
    if cls is Thunk and len(args) == 1 and not kwargs:
        y, back = _dispatch.call(args[0])
        if back is None:
            return y, None
        value_back = back

        def thunk_pullback(dy: Any) -> tuple[Any, ...]:
            return NO, value_back(dy)[0]  # the tangent of `fn`: its closure's

        return y, thunk_pullback
    if issubclass(cls, InplaceableThunk) and len(args) == 2 and not kwargs:
        value = unthunk(args[1])  # already a value when made here (see above)

        def inplaceable_pullback(dy: Any) -> tuple[Any, ...]:
            return NO, NO, dy

        return value, inplaceable_pullback
    return _dispatch.opaque(cls, args, kwargs)


def _construct_tangent(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`Tangent[T](*values, **fields)`: tangents are linear in their fields (higher order)."""
    y = cls(*args, **kwargs)
    names = list(backing(y))[: len(args)]

    def construct_tangent_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        fields = backing(dy) if isinstance(dy, Tangent) else {}
        positional = [fields.get(n, Z) for n in names]
        if not kwargs:
            return (NO, *positional)
        return KwCotangents((NO, *positional), {k: fields.get(k, Z) for k in kwargs})

    return y, construct_tangent_pullback


def call_super(cls: type, obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
    """`super(cls, obj).name(*args, **kwargs)`, written so that the engine differentiates it:
    the method found after `cls` in the MRO is called with `obj` as an argument."""
    function = super_function(cls, obj, name)
    result = function(obj, *args, **kwargs)
    # A base `__init__` fills in `obj`: the caller (a constructor) takes `obj` back.
    return obj if name == "__init__" and result is None else result


def call_init(function: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
    """`Base.__init__(obj, ...)` in a constructor: the object, filled in, for the caller."""
    result = function(obj, *args, **kwargs)
    return obj if result is None else result


def super_function(cls: type, obj: Any, name: str) -> Any:
    """The plain function (or C method) `super(cls, obj).name` would bind to `obj`."""
    mro = type(obj).__mro__
    for klass in mro[mro.index(cls) + 1 :]:
        if name in vars(klass):
            attribute = vars(klass)[name]
            if isinstance(attribute, (staticmethod, classmethod, property)):
                raise UnsupportedConstructError(
                    *user_location(),
                    f"`super().{name}` of a {type(attribute).__name__}",
                    f"call `{klass.__name__}.{name}` directly",
                )
            return attribute
    raise AttributeError(f"'super' object has no attribute {name!r}")


non_differentiable(super_function)  # it finds a method: nothing flows through it
