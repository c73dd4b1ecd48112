"""The forward engine's dispatch: what `call(f, *args, **kwargs)` does in rewritten code.

With duals among the arguments, the innermost level (the highest) is handled first:

1. a registered frule (through the engine's `RuleConfig`), applied to the primals and
   tangents of that level; a non-differentiable function runs on the primals;
2. else the callee's own Python source, rewritten (functions, lambdas, closures, bound
   methods, callable objects, `functools.partial`, classes through their `__init__`); the
   higher-order builtins (`map`, `filter`, `sorted`, `functools.reduce`, `list.sort`) run
   with the functions they call back going through this dispatch;
3. else the callable runs as it is: containers and C functions that only move values
   (`list.append`, `dict.get`) keep the duals, and operations reached inside it come back
   here by operator overloading; converting a dual to a number is refused, naming it.

The rule's own body runs through the dispatch again when its primals still hold duals of
outer levels, which is how forward over forward differentiates rules too. Without any dual,
a call runs as written (a Python function still through its rewritten version, since its
closure or globals may hold duals).
"""

from __future__ import annotations

import functools
import inspect
import operator
import types
from contextvars import ContextVar
from typing import Any

import numpy as np

from engine._forward._compile import forward_version, is_forward_code
from engine._forward._dual import (
    Dual,
    join,
    level_of,
    running_opaque,
    split,
    strip,
    strip_all,
)
from engine._forward._scalar import MISS, scalar_call
from engine._reverse._dispatch import _MISSING, static_attribute
from engine._reverse._location import user_location
from engine._reverse._source import has_source
from rulescore import (
    MissingRuleError,
    NoTangent,
    RuleConfig,
    RuleInfo,
    Tangent,
    Thunk,
    UnsupportedConstructError,
    ZeroTangent,
    add_tangents,
    backing,
    frule,
    unthunk,
)
from rulescore._errors import qualified_name

__all__ = ["call", "call_method", "get_attr", "get_item", "set_config", "set_item", "update"]

_NO = NoTangent()
_ZERO = ZeroTangent()
_config: list[RuleConfig] = [RuleConfig()]

# Callables replaced by Python versions the engine rewrites (filled by `_nested`).
SUBSTITUTES: dict[Any, Any] = {}

# Functions run as they are even with duals among their arguments: the forward engine's
# own entry, so that a nested `jvp` makes duals of a new level around the outer ones.
RUN_AS_IS: set[Any] = set()

# Python code of these packages runs as it is when no dual reaches it.
_LIBRARIES = ("engine.", "rulescore.", "rules.", "numpy.", "scipy.")


def set_config(config: RuleConfig) -> None:
    """Install the engine's configuration, which frules receive (done once, at import)."""
    _config[0] = config


def call(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    """`f(*args, **kwargs)` with tangents, by the first applicable way described above."""
    kind = type(f)
    if kind is types.FunctionType:
        if is_forward_code(f.__code__) or f in RUN_AS_IS:
            return f(*args, **kwargs)
        substitute = SUBSTITUTES.get(f)
        if substitute is not None:
            return call(substitute, *args, **kwargs)
    elif kind is types.BuiltinFunctionType or kind is type:
        if f in SUBSTITUTES:
            return call(SUBSTITUTES[f], *args, **kwargs)
        if f in _HIGHER_ORDER:
            return _HIGHER_ORDER[f](*args, **kwargs)
    if not kwargs and args and kind is not types.FunctionType:
        found = scalar_call(f, args, _config[0])
        if found is not MISS:
            return found
    level = max(map(level_of, args), default=0)
    if kwargs:
        level = max(level, *map(level_of, kwargs.values()))
    if level:
        info = _lookup(f, args)
        if info is not None and info.rule is not None:
            return _apply(info, f, args, kwargs, level)
    elif kind is types.FunctionType:
        info = _lookup(f, args)
        if (info is not None and info.rule is not None) or _library(f):
            return f(*args, **kwargs)  # nothing to differentiate: run it as it is
    elif kind in _C_KINDS:
        return f(*args, **kwargs)
    return _structural(f, args, kwargs)


def _dispatched(function: Any) -> Any:
    """`function` as C code calls it back: each call goes through the dispatch."""
    return None if function is None else functools.partial(call, function)


def _map(function: Any, /, *iterables: Any) -> Any:
    return map(_dispatched(function), *iterables)


def _filter(function: Any, iterable: Any, /) -> Any:
    return filter(_dispatched(function), iterable)


def _sorted(iterable: Any, /, *, key: Any = None, reverse: bool = False) -> list[Any]:
    return sorted(iterable, key=_dispatched(key), reverse=reverse)


def _reduce(function: Any, iterable: Any, /, *initial: Any) -> Any:
    return functools.reduce(_dispatched(function), iterable, *initial)


# The higher-order builtins, run with the functions they call back going through the
# dispatch (as they are, C code would call them without the engine).
_HIGHER_ORDER: dict[Any, Any] = {
    map: _map,
    filter: _filter,
    sorted: _sorted,
    functools.reduce: _reduce,
}


def _library(f: types.FunctionType) -> bool:
    module = getattr(f, "__module__", None) or ""
    return f"{module}.".startswith(_LIBRARIES) and not level_of(f)


_C_METHODS = (types.MethodDescriptorType, types.WrapperDescriptorType)

# Callables that are not Python code: without duals among the arguments, run as they are.
_C_KINDS = frozenset(
    [
        types.BuiltinFunctionType,
        types.MethodDescriptorType,
        types.WrapperDescriptorType,
        types.MethodWrapperType,
        np.ufunc,
        type(np.sum),
    ]
)


def _lookup(f: Any, args: tuple[Any, ...]) -> RuleInfo | None:
    try:
        return frule.lookup(f, tuple(map(strip, args)), _config[0])
    except TypeError:  # an unhashable callable has no rule
        return None


def _apply(
    info: RuleInfo, f: Any, args: tuple[Any, ...], kwargs: dict[str, Any], level: int
) -> Any:
    if kwargs and any(level_of(v) == level for v in kwargs.values()):
        args, kwargs = _keywords_to_positions(f, args, kwargs)
    if info.kind == "non_differentiable":  # no derivative at any level: the primals only
        return f(*map(strip_all, args), **{k: strip_all(v) for k, v in kwargs.items()})
    # A thunk computed from duals: its value, computed forward, is what the rule needs.
    args = tuple(call(unthunk, a) if isinstance(a, Thunk) and level_of(a) else a for a in args)
    parts = [split(a, level) for a in args]
    primals = tuple(p for p, _ in parts)
    tangents = (_NO, *(t for _, t in parts))
    rule = info.rule
    assert rule is not None
    leading = (_config[0], tangents) if info.config is not None else (tangents,)
    if level_of(primals) or level_of(tangents) or any(map(level_of, kwargs.values())):
        y, dy = _through_rule(f, rule, leading, primals, kwargs, level)
        if level_of(y) >= level:
            # A callable argument held duals of this level (a closure the rule called): the
            # part of the tangent they carry came out inside `y`; `dy`'s own part of this
            # level is of second order.
            y, held = split(y, level)
            dy = add_tangents(held, split(dy, level)[0])
    else:
        y, dy = rule(*leading, *primals, **kwargs)
    return join(y, dy, level)


# The rules whose bodies run through the dispatch now, with the level they serve.
_rules_running: ContextVar[tuple[tuple[Any, int], ...]] = ContextVar("rules_running", default=())


def _through_rule(
    f: Any, rule: Any, leading: tuple[Any, ...], primals: tuple[Any, ...], kwargs: Any, level: int
) -> Any:
    """Run `rule`'s body through the dispatch (its primals hold duals of outer levels, or a
    callable holding this level's). If the body calls `f` again with this level's duals
    still inside (a solver's callable capturing them), its rule cannot separate them."""
    running = _rules_running.get()
    if any(g is f and lv == level for g, lv in running):
        raise MissingRuleError(
            f"the rule of `{qualified_name(f)}` cannot follow the derivatives of values its "
            "callable captures in forward mode: pass them as arguments (a solver's `args=`)"
        )
    token = _rules_running.set((*running, (f, level)))
    try:
        return call(rule, *leading, *primals, **kwargs)  # outer levels: through the rule
    finally:
        _rules_running.reset(token)


def _structural(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    kind = type(f)
    if kind is types.FunctionType:
        if has_source(f):
            return forward_version(f)(*args, **kwargs)
        return _opaque(f, args, kwargs)
    if kind is types.MethodType:
        return call(f.__func__, f.__self__, *args, **kwargs)
    if kind is functools.partial:
        return call(f.func, *f.args, *args, **{**f.keywords, **kwargs})
    if isinstance(f, type):
        return _construct(f, args, kwargs)
    method = static_attribute(kind, "__call__")
    if type(method) is types.FunctionType:
        return call(method, f, *args, **kwargs)
    if kind in _C_METHODS and args and type(args[0]) is Dual:
        raise MissingRuleError.for_callable(f)  # a C method never takes a dual as `self`
    return _opaque(f, args, kwargs)


def _construct(cls: type, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if issubclass(cls, np.generic) and len(args) == 1 and not kwargs and type(args[0]) is Dual:
        dual = args[0]  # `np.float32(x)`: the tangent takes the scalar type too
        return join(cls(dual.primal), cls(dual.tangent), dual.level)
    init = static_attribute(cls, "__init__")
    plain_new = static_attribute(cls, "__new__") is object.__new__
    if plain_new and type(init) is types.FunctionType and has_source(init):
        obj: Any = object.__new__(cls)
        forward_version(init)(obj, *args, **kwargs)  # (`obj` is not set up to be looked into)
        return obj
    return _opaque(cls, args, kwargs)


def _opaque(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run `f` as it is; duals it converts to numbers raise an error naming it."""
    if running_opaque.get() is f:  # NumPy's dispatch sent the call back here: no rule
        raise MissingRuleError.for_callable(f)
    token = running_opaque.set(f)
    try:
        return f(*args, **kwargs)
    finally:
        running_opaque.reset(token)


def _keywords_to_positions(
    f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """Rules differentiate positional arguments: move keywords carrying tangents there."""
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        parameters = []
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    names = [p.name for p in positional]
    carrying = [k for k, v in kwargs.items() if level_of(v)]
    if any(k not in names[len(args) :] for k in carrying):
        raise UnsupportedConstructError(
            *user_location(),
            f"the keyword argument `{carrying[0]}=` of `{qualified_name(f)}` (it carries a "
            "derivative, and rules differentiate positional arguments only)",
            "pass it positionally",
        )
    last = max(names.index(k) for k in carrying)
    window = positional[len(args) : last + 1]
    if any(p.name not in kwargs and p.default is p.empty for p in window):
        raise UnsupportedConstructError(
            *user_location(),
            f"the keyword arguments of `{qualified_name(f)}`",
            "pass the arguments positionally",
        )
    new_args = (*args, *(kwargs.get(p.name, p.default) for p in window))
    return new_args, {k: v for k, v in kwargs.items() if k not in names[: last + 1]}


def call_method(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> Any:
    """`obj.name(*args, **kwargs)`: a dual's methods are its primal type's, with the dual
    as the receiver (so `x.sum()` meets the rule of `np.ndarray.sum`)."""
    if type(obj) is not Dual:
        if name == "sort" and type(obj) is list:  # its `key` is called back by C code
            return obj.sort(*args, **{**kwargs, "key": _dispatched(kwargs.get("key"))})
        method = static_attribute(type(obj), name)
        if isinstance(method, _C_METHODS) and _lookup(method, (obj, *args)) is not None:
            return call(method, obj, *args, **kwargs)  # `A.dot(x)`: the rule of `ndarray.dot`
        return call(getattr(obj, name), *args, **kwargs)
    attribute = static_attribute(type(strip(obj)), name)
    if isinstance(attribute, (staticmethod, classmethod)):
        return call(getattr(strip(obj), name), *args, **kwargs)
    if callable(attribute):
        return call(getattr(type(strip(obj)), name), obj, *args, **kwargs)
    return call(get_attr(obj, name), *args, **kwargs)


def get_attr(obj: Any, name: str, /) -> Any:
    """`obj.name`; fields of a dual holding an object come with their tangents."""
    if type(obj) is not Dual:
        return getattr(obj, name)
    kind = type(strip(obj))
    attribute = static_attribute(kind, name)
    if isinstance(attribute, property) and attribute.fget is not None:
        return call(attribute.fget, obj)
    if isinstance(obj.tangent, Tangent):
        if type(attribute) is types.FunctionType:
            return functools.partial(attribute, obj)  # a method read, called later
        value = getattr(obj.primal, name)
        return join(value, backing(obj.tangent).get(name, _ZERO), obj.level)
    if name in ("real", "imag") and issubclass(kind, (float, int, complex, np.generic)):
        return call(np.real if name == "real" else np.imag, obj)
    if callable(attribute) and not hasattr(attribute, "__set__"):
        return functools.partial(getattr(kind, name), obj)  # a method read, called later
    getter = getattr(attribute, "__get__", None)
    if getter is not None and _lookup(getter, (obj,)) is not None:
        return call(getter, obj)
    hook = static_attribute(kind, "__getattr__")
    if attribute is _MISSING and type(hook) is types.FunctionType:
        return call(hook, obj, name)  # an attribute the class makes up: its rule or code
    value = getattr(strip(obj), name)
    if not _constant(value):
        raise MissingRuleError(
            f"no frule for the attribute `{kind.__qualname__}.{name}`: define one with "
            f"`@frule.register(type(x).{name}.__get__)`"
        )
    return value


def _constant(value: Any) -> bool:
    if value is None or isinstance(value, (bool, int, str, np.dtype, type)):
        return True
    return isinstance(value, tuple) and all(_constant(v) for v in value)


def get_item(x: Any, index: Any, /) -> Any:
    """`x[index]`."""
    if type(x) is Dual:
        return call(operator.getitem, x, index)
    return x[index]


def set_item(x: Any, index: Any, value: Any, /) -> None:
    """`x[index] = value`; refused for arrays when a derivative is involved."""
    if type(x) is Dual or (isinstance(x, np.ndarray) and level_of(value)):
        raise UnsupportedConstructError(
            *user_location(),
            "assignment into an array carrying a derivative (`x[i] = v`)",
            "build a new array: `np.where(mask, v, x)`, `np.concatenate`, or a list of rows",
        )
    x[index] = value


_INPLACE_KEEPS = (list, dict, set, bytearray)


def update(operation: str, x: Any, value: Any, /) -> Any:
    """`x op= value`: in place where Python would mutate and no derivative is lost."""
    if type(x) is not Dual and (not level_of(value) or isinstance(x, _INPLACE_KEEPS)):
        return getattr(operator, f"i{operation.rstrip('_')}")(x, value)
    if isinstance(strip(x), np.ndarray):
        raise UnsupportedConstructError(
            *user_location(),
            "an in-place update of an array carrying a derivative (`x += v`)",
            "write `x = x + v`",
        )
    return call(getattr(operator, operation), x, value)
