"""One dispatch for every call site of generated code: `call(f, *args, **kwargs)` returns
`(y, pullback)`, or `(y, None)` when `y` has no derivative.

In order: a registered rrule (through the engine's `RuleConfig`, so rules that call back into
AD work); the callee's own Python source, transformed (functions, lambdas, closures, bound
methods, callable objects, `functools.partial`, and the engine's own versions of `map`,
`zip`, `enumerate`, ...); construction of dataclasses and namedtuples; else a callable
without source is run as it is when neither its arguments nor its result carry derivatives
(`len`, `print`, `np.zeros(3)`); a Python function without source (made by `exec`) is
otherwise differentiated by the tape engine; anything else is refused with a
`MissingRuleError` naming it.

Resolution is cached per function and argument types; the cache is dropped whenever a rule
is registered (`rrule.generation`), so a rule added after the first call is used next time.
Real scalars (`float`, `int`, `np.float64`) take a fast path through the partials of
`scalar_rule` rules: the same derivative, without the pullback's projections.
"""

from __future__ import annotations

import functools
import inspect
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from engine._reverse import _objects, _substitutes
from engine._reverse._compile import forward_function
from engine._reverse._location import user_location
from engine._reverse._primitives import carries_derivative, known_constant
from engine._reverse._runtime import NO, PARAMETERS, KwCotangents, Z, to_params
from engine._reverse._scalar import REAL, ScalarHandler
from engine._reverse._source import has_source
from engine._tape import TapeEngine
from rulescore import (
    DifferentiationError,
    HasReverseMode,
    MissingCapabilityError,
    MissingRuleError,
    RuleConfig,
    RuleInfo,
    Tangent,
    UnsupportedConstructError,
    has_tangent_space,
    rrule,
    unthunk,
)
from rulescore._errors import qualified_name

__all__ = ["call", "call1", "call2", "call_method", "get_attr", "set_config"]

Pullback = Callable[[Any], tuple[Any, ...]]
Handler = Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[Any, Pullback | None]]

_cache: dict[Any, Handler] = {}
_fast: dict[Any, Callable[..., Any]] = {}
_state = {"generation": -1}
_config: list[RuleConfig] = [RuleConfig()]


def set_config(config: RuleConfig) -> None:
    """Install the engine's configuration, which rules receive (done once, at import)."""
    _config[0] = config


def call(f: Any, /, *args: Any, **kwargs: Any) -> tuple[Any, Pullback | None]:
    """`(f(*args, **kwargs), pullback)` by the first applicable way described above."""
    if rrule.generation != _state["generation"]:
        _fast.clear()
        _cache.clear()
        _state["generation"] = rrule.generation
    if type(f) is types.FunctionType:
        info = rrule.lookup(f, args, _config[0])
        if info is not None:
            return _for_rule(info, args)(f, args, kwargs)
        substitute = _substitutes.SUBSTITUTES.get(f)
        if substitute is not None:
            return call(substitute, *args, **kwargs)
        return _transformed(f, args, kwargs)  # type: ignore[no-any-return]
    if not _cacheable(f):  # bound methods, callable objects: a cache would keep them alive
        return _resolve(f, args)(f, args, kwargs)
    key = (f, *map(type, args))
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = _resolve(f, args)
        if isinstance(found, ScalarHandler):
            _fast[key] = found.fast(f, len(args))
    return found(f, args, kwargs)


# Callables that live as long as their library: ufuncs, NumPy's dispatchers, builtins,
# classes, methods of classes. Anything bound to an instance is resolved on each call.
_STATIC = (
    np.ufunc,
    type,
    types.MethodDescriptorType,
    types.WrapperDescriptorType,
    types.ClassMethodDescriptorType,
    type(np.sum),
)


def _cacheable(f: Any) -> bool:
    if isinstance(f, _STATIC):
        return True
    if isinstance(f, (types.BuiltinFunctionType, types.MethodWrapperType)):
        owner = getattr(f, "__self__", None)
        return (
            owner is None
            or isinstance(owner, (types.ModuleType, type, np.ufunc))
            or (type(owner).__name__.endswith("descriptor"))
        )
    return False


def call1(f: Any, a: Any, /) -> tuple[Any, Pullback | None]:
    """`call(f, a)`, faster for real scalars with a `scalar_rule`."""
    if rrule.generation == _state["generation"]:
        try:
            fast = _fast.get((f, type(a)))
        except TypeError:
            fast = None
        if fast is not None:
            return fast(a)  # type: ignore[no-any-return]
    return call(f, a)


def call2(f: Any, a: Any, b: Any, /) -> tuple[Any, Pullback | None]:
    """`call(f, a, b)`, faster for real scalars with a `scalar_rule`."""
    if rrule.generation == _state["generation"]:
        try:
            fast = _fast.get((f, type(a), type(b)))
        except TypeError:
            fast = None
        if fast is not None:
            return fast(a, b)  # type: ignore[no-any-return]
    return call(f, a, b)


def call_method(obj: Any, name: str, /, *args: Any, **kwargs: Any) -> tuple[Any, Pullback | None]:
    """`obj.name(*args, **kwargs)`; the pullback gives `(d_obj, d_arg1, ...)`."""
    kind = type(obj)
    if kind is types.ModuleType:  # the module gets `df`
        if len(args) == 1 and not kwargs:
            return call1(getattr(obj, name), args[0])
        return call(getattr(obj, name), *args, **kwargs)
    if isinstance(obj, type):
        return call(getattr(obj, name), *args, **kwargs)
    attribute = static_attribute(kind, name)
    if isinstance(attribute, staticmethod):
        return call(attribute.__func__, *args, **kwargs)
    if isinstance(attribute, classmethod):
        y, back = call(attribute.__func__, kind, *args, **kwargs)
        return y, shifted(back, 2, prefix=(NO,))
    if attribute is _MISSING or name in getattr(obj, "__dict__", ()) or not callable(attribute):
        return call(getattr(obj, name), *args, **kwargs)
    if attribute in _MUTATING:
        raise UnsupportedConstructError(
            *user_location(),
            f"`{kind.__name__}.{name}` (it mutates the {kind.__name__} in place)",
            _MUTATING_HINT,
        )
    if isinstance(obj, np.generic) and not rrule.has_rule(attribute):
        return _scalar_method(obj, name, args, kwargs)
    y, back = call(attribute, obj, *args, **kwargs)
    return y, shifted(back, 1)


def _scalar_method(
    obj: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[Any, Pullback | None]:
    """A method of a NumPy scalar (`x[0].item()`) as the ndarray method of a 0-d array."""
    array, to_array = call(np.asarray, obj)
    y, back = call(getattr(np.ndarray, name), array, *args, **kwargs)
    if back is None or to_array is None:
        return y, None
    array_back, method_back = to_array, back

    def scalar_method_pullback(dy: Any) -> tuple[Any, ...]:
        grads = method_back(dy)
        return (array_back(grads[1])[1], *grads[2:])

    return y, scalar_method_pullback


def get_attr(obj: Any, name: str, /) -> tuple[Any, Pullback | None]:
    """`obj.name`; the pullback gives `(d_obj,)`."""
    kind = type(obj)
    if kind is types.ModuleType or isinstance(obj, type):
        return getattr(obj, name), None
    attribute = static_attribute(kind, name)
    if isinstance(attribute, property) and attribute.fget is not None:
        y, back = call(attribute.fget, obj)
        return y, shifted(back, 1)
    if name in ("real", "imag") and isinstance(obj, (complex, float, int, np.generic)):
        y, back = call(np.real if name == "real" else np.imag, obj)
        return y, shifted(back, 1)
    y = getattr(obj, name)
    if isinstance(attribute, types.FunctionType):
        return y, _bound_method_pullback  # a bound method's tangent is its receiver's
    if _is_field(obj, kind, name, attribute):
        if not carries_derivative(y) and not has_tangent_space(y):
            return y, None
        return y, _field_pullback(kind, name)
    if attribute is not _MISSING and not hasattr(attribute, "__get__"):
        return y, None  # a class attribute: shared by the instances, not one of obj's fields
    if attribute is not _MISSING:
        getter = attribute.__get__
        info = rrule.lookup(getter, (obj,), _config[0])
        if info is not None and info.rule is not None:
            result, back = info.rule(obj) if info.config is None else info.rule(_config[0], obj)
            return result, shifted(back, 1)
    hook = static_attribute(kind, "__getattr__")
    if attribute is _MISSING and isinstance(hook, types.FunctionType):
        y, back = call(hook, obj, name)  # an attribute the class makes up: its rule or code
        return y, shifted(back, 1)
    if carries_derivative(obj) and not known_constant(y):
        raise MissingRuleError(
            f"no rule for the attribute `{kind.__qualname__}.{name}`: define one with "
            f"`@rrule.register(type(x).{name}.__get__)` or read it outside the function"
        )
    return y, None


# ---------------------------------------------------------------------------------------
# resolution


def _resolve(f: Any, args: tuple[Any, ...]) -> Handler:
    info = rrule.lookup(f, args, _config[0])
    if info is not None:
        return _for_rule(info, args)
    hashable = _hashable(f)
    substitute = _substitutes.SUBSTITUTES.get(f) if hashable else None
    if substitute is not None:
        return _substitute(substitute)
    if isinstance(f, types.MethodType):
        return _bound_method
    if isinstance(f, functools.partial):
        return _partial
    if isinstance(f, type):
        return _objects.handler_for_class(f) or opaque
    if hashable:
        operation = _objects.handler_for_operator(f, len(args))
        if operation is not None:
            return operation
    call_method_ = static_attribute(type(f), "__call__")
    if isinstance(call_method_, types.FunctionType):
        return _callable_object
    return opaque


def _for_rule(info: RuleInfo, args: tuple[Any, ...]) -> Handler:
    if info.kind == "non_differentiable":
        return _non_differentiable
    if info.partials is not None and all(type(a) in REAL for a in args):
        return ScalarHandler(info, _rule_handler(info))
    return _rule_handler(info)


def _non_differentiable(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return f(*args, **kwargs), None


def _rule_handler(info: RuleInfo) -> Handler:
    rule = info.rule
    assert rule is not None

    def apply_rule(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        npositional = len(args)
        moved: dict[str, int] = {}
        if kwargs:
            args, kwargs, moved = _bind_keywords(f, args, kwargs)
        if info.config is not None:
            y, back = rule(_config[0], *args, **kwargs)
        else:
            y, back = rule(*args, **kwargs)
        if moved:
            return y, _keywords_from_positions(back, npositional, moved)
        return y, back

    return apply_rule


def _transformed(f: types.FunctionType, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not has_source(f):  # made by `exec` or typed at a prompt
        return _without_source(f, args, kwargs)
    forward = forward_function(f)
    y, back = forward(*args, **kwargs)
    return y, _call_site_pullback(f, back, len(args), kwargs)


def _without_source(f: types.FunctionType, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Run `f` as it is if nothing is lost; else differentiate it on the tape engine, whose
    tracers need no source, when the derivatives come in through positional data arguments
    only (the tape would see a closure's or a keyword's values as constants)."""
    if f.__closure__:
        raise MissingRuleError.for_callable(f)
    if not any(carries_derivative(a) for a in args):
        return opaque(f, args, kwargs)
    if any(_may_carry(v, 0) for v in kwargs.values()) or any(
        _may_carry(a, 0) and not carries_derivative(a) for a in args
    ):
        raise MissingRuleError.for_callable(f)
    try:
        return TapeEngine().rrule_via_ad(f, *args, **kwargs)
    except DifferentiationError as exc:
        raise MissingRuleError(
            f"{MissingRuleError.for_callable(f)}; the tape engine could not differentiate it "
            f"either: {exc}"
        ) from exc


@rrule.register(_without_source, config=HasReverseMode)
def _without_source_rrule(config: RuleConfig, f: Any, args: Any, kwargs: Any) -> Any:
    # Reached when generated code is differentiated again: the tape runs one level only.
    raise MissingCapabilityError(
        f"`{qualified_name(f)}` has no source: the reverse engine differentiates it on the "
        "tape, which cannot be differentiated again (higher order); define an rrule for it"
    )


def _call_site_pullback(
    f: types.FunctionType, back: Pullback, npositional: int, kwargs: dict[str, Any]
) -> Pullback:
    """Map the backward code's `(df, d_param1, ...)`, in parameter order, to the call's
    layout: one cotangent per positional argument, keyword cotangents in `.kw`.

    Written without mutation, so that the engine can differentiate it again (higher order).
    """
    code = f.__code__
    order, varargs, varkw = _parameter_order(code)
    defaulted = _defaulted(f, npositional, kwargs)
    positional_names = order[: min(npositional, code.co_argcount)]
    extra = npositional - len(positional_names)
    keywords = tuple(kwargs)

    def call_site_pullback(dy: Any) -> tuple[Any, ...]:
        grads = back(dy)
        by_name = dict(zip(order, grads[1:], strict=True))
        if defaulted and PARAMETERS.get() is not None:
            for name, value in defaulted:  # a parameter's array reached through a default
                to_params(value, by_name[name])
        positional = [by_name[name] for name in positional_names]
        if extra:
            rest = unthunk(by_name[varargs])
            positional = positional + ([Z] * extra if rest is Z or rest is NO else list(rest))
        if not keywords:
            return (grads[0], *positional)
        others = unthunk(by_name[varkw]) if varkw else Z
        kw = {
            key: by_name[key]
            if key in by_name and key not in (varargs, varkw)
            else (Z if others is Z or others is NO else others.get(key, Z))
            for key in keywords
        }
        return KwCotangents((grads[0], *positional), kw)

    return call_site_pullback


def _defaulted(
    f: types.FunctionType, npositional: int, kwargs: dict[str, Any]
) -> tuple[tuple[str, Any], ...]:
    """The parameters a call leaves at their defaults, with the default values."""
    code = f.__code__
    count, names = code.co_argcount, code.co_varnames
    defaults = f.__defaults__ or ()
    first = count - len(defaults)
    positional = tuple(
        (names[i], defaults[i - first])
        for i in range(max(npositional, first), count)
        if names[i] not in kwargs
    )
    keyword_only = tuple(
        (name, value) for name, value in (f.__kwdefaults__ or {}).items() if name not in kwargs
    )
    return positional + keyword_only


def _parameter_order(code: types.CodeType) -> tuple[tuple[str, ...], str, str]:
    """The parameters in the order backward code returns them (positional, `*args`,
    keyword-only, `**kwargs`), and the names of `*args` and `**kwargs` ("" if absent)."""
    count, kwonly = code.co_argcount, code.co_kwonlyargcount
    names = code.co_varnames
    varargs = names[count + kwonly] if code.co_flags & inspect.CO_VARARGS else ""
    varkw = names[count + kwonly + bool(varargs)] if code.co_flags & inspect.CO_VARKEYWORDS else ""
    order = (*names[:count], *([varargs] if varargs else []), *names[count : count + kwonly])
    return (*order, *([varkw] if varkw else [])), varargs, varkw


def handler_for(f: Any, args: tuple[Any, ...]) -> Handler:
    """The handler `call` would use for `f(*args)` (without its caches)."""
    if type(f) is types.FunctionType and f not in _substitutes.SUBSTITUTES:
        info = rrule.lookup(f, args, _config[0])
        return _transformed if info is None else _for_rule(info, args)
    return _resolve(f, args)


def _bound_method(f: types.MethodType, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    y, back = call(f.__func__, f.__self__, *args, **kwargs)
    return y, shifted(back, 1)


def _bound_method_pullback(d_method: Any) -> tuple[Any, ...]:
    return (d_method,)


def _callable_object(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    y, back = call(type(f).__call__, f, *args, **kwargs)
    return y, shifted(back, 1)


def _partial(f: functools.partial[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    bound = len(f.args)
    y, back = call(f.func, *(f.args + args), **{**f.keywords, **kwargs})  # (one `*`: see `_checks`)
    if back is None:
        return y, None

    def partial_pullback(dy: Any) -> tuple[Any, ...]:
        grads = back(dy)
        captured = tuple(grads[1 : 1 + bound])
        kw = getattr(grads, "kw", None) or {}
        keywords = {k: kw[k] for k in f.keywords if k in kw}
        live = any(g is not Z and g is not NO for g in (*captured, *keywords.values()))
        df = Tangent[functools.partial](args=captured, keywords=keywords) if live else NO  # type: ignore[misc]
        rest = (df, *grads[1 + bound :])
        call_kw = {k: v for k, v in kw.items() if k in kwargs}
        return KwCotangents(rest, call_kw) if call_kw else rest

    return y, partial_pullback


def _substitute(substitute: Callable[..., Any]) -> Handler:
    def substituted(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return call(substitute, *args, **kwargs)

    return substituted


def opaque(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """A callable without rule or source: run as it is when no input may carry a derivative,
    or when its result certainly has none (a count, a flag, a string); refused otherwise,
    since an iterator, object or array made from differentiable inputs would drop it."""
    inputs = (*args, *kwargs.values())
    y = f(*args, **kwargs)
    if not known_constant(y) and any(_may_carry(value, 0) for value in inputs):
        raise MissingRuleError.for_callable(f)
    return y, None


def _may_carry(value: Any, depth: int) -> bool:
    """Whether `value` may carry a derivative, a function through what its closure holds
    (a callable handed to a function without rule would be differentiated through)."""
    if depth > 8:
        return True
    if isinstance(value, types.FunctionType):
        cells = value.__closure__ or ()
        return any(_may_carry(_contents(cell), depth + 1) for cell in cells)
    if isinstance(value, types.MethodType):
        return _may_carry(value.__self__, depth + 1) or _may_carry(value.__func__, depth + 1)
    if isinstance(value, functools.partial):
        parts = (value.func, *value.args, *value.keywords.values())
        return any(_may_carry(part, depth + 1) for part in parts)
    return carries_derivative(value)


def _contents(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell (a variable not assigned yet)
        return None


def _bind_keywords(
    f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> tuple[tuple[Any, ...], dict[str, Any], dict[str, int]]:
    """Move keyword arguments that carry derivatives to their positions (rules differentiate
    positional arguments only), or refuse: a silently zero gradient is never an option.
    Returns the new arguments and the position each moved keyword took."""
    carrying = [k for k, v in kwargs.items() if carries_derivative(v)]
    if not carrying:
        return args, kwargs, {}
    parameters = _parameters(f)
    positions = {
        p.name: i
        for i, p in enumerate(parameters)
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and i >= len(args)
    }
    if any(k not in positions for k in carrying):
        raise UnsupportedConstructError(
            *user_location(),
            f"the keyword argument `{carrying[0]}=` of `{qualified_name(f)}` (it carries a "
            "derivative, and rules differentiate positional arguments only)",
            "pass it positionally",
        )
    last = max(positions[k] for k in carrying)
    window = parameters[len(args) : last + 1]  # every parameter before `last` has a default
    new_args = (*args, *(kwargs.get(p.name, p.default) for p in window))
    moved = {p.name: i for i, p in enumerate(window, start=len(args)) if p.name in kwargs}
    remaining = {k: v for k, v in kwargs.items() if k not in moved}
    return new_args, remaining, moved


def _parameters(f: Any) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return []


def _keywords_from_positions(back: Pullback, npositional: int, moved: dict[str, int]) -> Pullback:
    def keyword_pullback(dy: Any) -> tuple[Any, ...]:
        grads = back(dy)
        kw = {name: grads[1 + position] for name, position in moved.items()}
        return KwCotangents(tuple(grads[: 1 + npositional]), kw)

    return keyword_pullback


def shifted(back: Pullback | None, start: int, prefix: tuple[Any, ...] = ()) -> Pullback | None:
    if back is None:
        return None

    def shifted_pullback(dy: Any) -> tuple[Any, ...]:
        grads = back(dy)
        values = (*prefix, *grads[start:])
        kw = getattr(grads, "kw", None)
        return KwCotangents(values, kw) if kw is not None else values

    return shifted_pullback


def _field_pullback(kind: type, name: str) -> Pullback:
    def field_pullback(dy: Any) -> tuple[Any, ...]:
        return (Tangent[kind](**{name: dy}),)  # type: ignore[misc]

    return field_pullback


def _is_field(obj: Any, kind: type, name: str, attribute: Any) -> bool:
    if name in getattr(obj, "__dict__", ()):
        return True
    if attribute is _MISSING:
        return False
    getter_type = type(attribute).__name__
    return getter_type in ("member_descriptor", "_tuplegetter")


_MISSING = object()


def static_attribute(kind: type, name: str) -> Any:
    try:
        return _static_attribute_cached(kind, name)
    except TypeError:  # an unhashable metaclass
        return inspect.getattr_static(kind, name, _MISSING)


@functools.lru_cache(maxsize=4096)
def _static_attribute_cached(kind: Any, name: str) -> Any:
    return inspect.getattr_static(kind, name, _MISSING)


def _hashable(f: Any) -> bool:
    try:
        hash(f)
    except TypeError:
        return False
    return True


_MUTATING_HINT = (
    "build a new value instead (`xs + [x]`, `{**d, k: v}`, `np.concatenate`, `np.where`)"
)
_MUTATING = frozenset(
    [
        *(
            getattr(list, m)
            for m in (
                "append",
                "extend",
                "insert",
                "pop",
                "remove",
                "clear",
                "sort",
                "reverse",
                "__setitem__",
                "__delitem__",
                "__iadd__",
            )
        ),
        *(
            getattr(dict, m)
            for m in (
                "update",
                "pop",
                "popitem",
                "setdefault",
                "clear",
                "__setitem__",
                "__delitem__",
            )
        ),
        *(
            getattr(set, m)
            for m in (
                "add",
                "discard",
                "remove",
                "pop",
                "clear",
                "update",
                "difference_update",
                "intersection_update",
                "symmetric_difference_update",
            )
        ),
        *(
            getattr(np.ndarray, m)
            for m in (
                "fill",
                "sort",
                "partition",
                "put",
                "resize",
                "setfield",
                "setflags",
                "itemset",
                "__setitem__",
            )
            if hasattr(np.ndarray, m)
        ),
    ]
)
