"""One dispatch for every call site of generated code: `call(f, *args, **kwargs)` returns
`(y, pullback)`, or `(y, None)` when `y` has no derivative.

In order: a registered rrule (through the engine's `RuleConfig`, so rules that call back into
AD work); the callee's own Python source, transformed (functions, lambdas, closures, bound
methods, callable objects, `functools.partial`, and the engine's own versions of `map`,
`zip`, `enumerate`, ...); construction of dataclasses and namedtuples; else a function
without source is run as it is when neither its arguments nor its result carry derivatives
(`len`, `print`, `np.zeros(3)`), and refused otherwise with a `MissingRuleError` naming it.

Resolution is cached per function and argument types; the cache is dropped whenever a rule
is registered (`rrule.generation`), so a rule added after the first call is used next time.
Real scalars (`float`, `int`, `np.float64`) take a fast path through the partials of
`scalar_rule` rules: the same derivative, without the pullback's projections.
"""

from __future__ import annotations

import dataclasses
import dis
import functools
import inspect
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

from engine._reverse import _substitutes
from engine._reverse._location import user_location
from engine._reverse._primitives import carries_derivative, known_constant
from engine._reverse._runtime import NO, PARAMETERS, KwCotangents, Z, to_params
from engine._reverse._source import has_source
from rulescore import (
    MissingRuleError,
    ProjectTo,
    RuleConfig,
    RuleInfo,
    Tangent,
    UnsupportedConstructError,
    backing,
    has_tangent_space,
    rrule,
    unthunk,
)
from rulescore._errors import qualified_name

__all__ = ["call", "call1", "call2", "call_method", "get_attr", "set_config"]

Pullback = Callable[[Any], tuple[Any, ...]]
Handler = Callable[[Any, tuple[Any, ...], dict[str, Any]], tuple[Any, Pullback | None]]

_REAL = frozenset({float, int, np.float64})
_cache: dict[Any, Handler] = {}
_fast: dict[Any, Callable[..., Any]] = {}
_state = {"generation": -1}
_config: list[RuleConfig] = [RuleConfig()]
_transform: list[Callable[[types.FunctionType], Callable[..., Any]]] = []


def set_config(
    config: RuleConfig, transform: Callable[[types.FunctionType], Callable[..., Any]]
) -> None:
    """Install the engine's configuration and its function transform (done once, at import)."""
    _config[0] = config
    _transform[:] = [transform]


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
    try:
        key = (f, *map(type, args))
        found = _cache.get(key)
        if found is None:
            found = _cache[key] = _resolve(f, args)
            if isinstance(found, _ScalarHandler):
                _fast[key] = found.fast(f, len(args))
    except TypeError:  # an unhashable callable
        found = _resolve(f, args)
    return found(f, args, kwargs)


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
    attribute = _static(kind, name)
    if isinstance(attribute, staticmethod):
        return call(attribute.__func__, *args, **kwargs)
    if isinstance(attribute, classmethod):
        y, back = call(attribute.__func__, kind, *args, **kwargs)
        return y, _shifted(back, 2, prefix=(NO,))
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
    return y, _shifted(back, 1)


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
    attribute = _static(kind, name)
    if isinstance(attribute, property) and attribute.fget is not None:
        y, back = call(attribute.fget, obj)
        return y, _shifted(back, 1)
    if name in ("real", "imag") and isinstance(obj, (complex, float, int, np.generic)):
        y, back = call(np.real if name == "real" else np.imag, obj)
        return y, _shifted(back, 1)
    y = getattr(obj, name)
    if isinstance(attribute, types.FunctionType):
        return y, _bound_method_pullback  # a bound method's tangent is its receiver's
    if _is_field(obj, kind, name, attribute):
        if not carries_derivative(y) and not has_tangent_space(y):
            return y, None
        return y, _field_pullback(kind, name)
    if attribute is not _MISSING and hasattr(attribute, "__get__"):
        getter = attribute.__get__
        info = rrule.lookup(getter, (obj,), _config[0])
        if info is not None and info.rule is not None:
            result, back = info.rule(obj) if info.config is None else info.rule(_config[0], obj)
            return result, _shifted(back, 1)
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
        if dataclasses.is_dataclass(f) or (issubclass(f, tuple) and hasattr(f, "_fields")):
            return _construct
        if issubclass(f, Tangent):
            return _construct_tangent
        if f is functools.partial:
            return _construct_partial
        if issubclass(f, np.generic):
            return _numpy_scalar
        init = _static(f, "__init__")
        if isinstance(init, types.FunctionType) and f.__new__ is object.__new__:
            return _construct_object
        return _opaque
    if hashable and f in _BINARY_DUNDERS and len(args) == 2:
        return _binary_dunder
    if hashable and f in _UNARY_DUNDERS and len(args) == 1:
        return _unary_dunder
    call_method_ = _static(type(f), "__call__")
    if isinstance(call_method_, types.FunctionType):
        return _callable_object
    return _opaque


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
    method = _static(type(a), name)
    if isinstance(method, types.FunctionType):
        y, back = call(method, a, b)
        if y is not NotImplemented:
            return y, back
    method = _static(type(b), reflected)
    if isinstance(method, types.FunctionType):
        y, back = call(method, b, a)
        if y is not NotImplemented:
            return y, _swapped(back)
    return _opaque(f, args, kwargs)


def _swapped(back: Pullback | None) -> Pullback | None:
    if back is None:
        return None
    reflected_back = back

    def swapped_pullback(dy: Any) -> tuple[Any, ...]:
        grads = reflected_back(dy)
        return NO, grads[2], grads[1]

    return swapped_pullback


def _unary_dunder(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    method = _static(type(args[0]), _UNARY_DUNDERS[f])
    if isinstance(method, types.FunctionType):
        return call(method, args[0])
    return _opaque(f, args, kwargs)


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


def _for_rule(info: RuleInfo, args: tuple[Any, ...]) -> Handler:
    if info.kind == "non_differentiable":
        return _non_differentiable
    if info.partials is not None and all(type(a) in _REAL for a in args):
        return _ScalarHandler(info)
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


class _ScalarHandler:
    """The handler of a `scalar_rule` rule for real scalar arguments: its partials applied
    directly, without the rule's projections."""

    def __init__(self, info: RuleInfo) -> None:
        assert info.partials is not None
        self.partials = info.partials
        self.generic = _rule_handler(info)

    def __call__(self, f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if kwargs:
            return self.generic(f, args, kwargs)
        return self.fast(f, len(args))(*args)

    def fast(self, f: Any, arity: int) -> Callable[..., Any]:
        """For `call1`/`call2`: `(y, pullback)` from the arguments given directly."""
        generic, partials = self.generic, self.partials
        if arity == 1 and partials[0] is not None:
            p = partials[0]
            assert p is not None

            def fast1(a: Any) -> Any:
                y = f(a)
                if type(y) not in _REAL:
                    return generic(f, (a,), {})

                def scalar_pullback(dy: Any) -> tuple[Any, ...]:
                    if type(dy) not in _REAL:
                        return _pullback_of(generic(f, (a,), {}))(dy)
                    return NO, p(a, y) * dy

                return y, scalar_pullback

            return fast1
        if arity == 2 and None not in partials:
            p2, q = partials[0], partials[1]
            assert p2 is not None and q is not None
            shape = (_trivial(p2), _trivial(q))
            if shape in _BILINEAR_FORMS:
                return _BILINEAR_FORMS[shape](f, generic)

            def fast2(a: Any, b: Any) -> Any:
                y = f(a, b)
                if type(y) not in _REAL:
                    return generic(f, (a, b), {})

                def scalar_pullback(dy: Any) -> tuple[Any, ...]:
                    if type(dy) not in _REAL:
                        return _pullback_of(generic(f, (a, b), {}))(dy)
                    return NO, p2(a, b, y) * dy, q(a, b, y) * dy

                return y, scalar_pullback

            return fast2
        return lambda *args: generic(f, args, {})


def _trivial(partial: Callable[..., Any]) -> tuple[str, Any] | None:
    """`("const", c)` or `("arg", name)` for a partial that returns a constant or one of its
    parameters (`lambda a, b, y: 1`, `lambda a, b, y: b`), read from its bytecode."""
    code = getattr(partial, "__code__", None)
    if code is None:
        return None
    steps = [
        (i.opname, i.argval)
        for i in dis.get_instructions(code)
        if i.opname not in ("RESUME", "NOP", "CACHE")
    ]
    if steps in ([("LOAD_CONST", c), ("RETURN_VALUE", None)] for c in (1, -1)):
        return ("const", steps[0][1])
    if len(steps) == 1 and steps[0][0] == "RETURN_CONST" and steps[0][1] in (1, -1):
        return ("const", steps[0][1])
    if len(steps) == 2 and steps[0][0] == "LOAD_FAST" and steps[1][0] == "RETURN_VALUE":
        position = code.co_varnames.index(steps[0][1])
        return ("arg", position) if position < code.co_argcount else None
    return None


def _sum_form(f: Any, generic: Handler) -> Callable[..., Any]:
    """`a + b`: the seed itself for both."""

    def add_fast(a: Any, b: Any) -> Any:
        y = f(a, b)
        if type(y) not in _REAL:
            return generic(f, (a, b), {})

        def add_pullback(dy: Any) -> tuple[Any, ...]:
            if type(dy) not in _REAL:
                return _pullback_of(generic(f, (a, b), {}))(dy)
            return NO, dy, dy

        return y, add_pullback

    return add_fast


def _difference_form(f: Any, generic: Handler) -> Callable[..., Any]:
    """`a - b`: the seed and its negative."""

    def sub_fast(a: Any, b: Any) -> Any:
        y = f(a, b)
        if type(y) not in _REAL:
            return generic(f, (a, b), {})

        def sub_pullback(dy: Any) -> tuple[Any, ...]:
            if type(dy) not in _REAL:
                return _pullback_of(generic(f, (a, b), {}))(dy)
            return NO, dy, -dy

        return y, sub_pullback

    return sub_fast


def _product_form(f: Any, generic: Handler) -> Callable[..., Any]:
    """`a * b`: each gets the seed times the other."""

    def mul_fast(a: Any, b: Any) -> Any:
        y = f(a, b)
        if type(y) not in _REAL:
            return generic(f, (a, b), {})

        def mul_pullback(dy: Any) -> tuple[Any, ...]:
            if type(dy) not in _REAL:
                return _pullback_of(generic(f, (a, b), {}))(dy)
            return NO, b * dy, a * dy

        return y, mul_pullback

    return mul_fast


# Partials of the forms above, recognized in any rule (`operator.add`, `np.add`, a user's).
_BILINEAR_FORMS: dict[Any, Callable[[Any, Handler], Callable[..., Any]]] = {
    (("const", 1), ("const", 1)): _sum_form,
    (("const", 1), ("const", -1)): _difference_form,
    (("arg", 1), ("arg", 0)): _product_form,
}


def _pullback_of(result: tuple[Any, Pullback | None]) -> Pullback:
    back = result[1]
    assert back is not None
    return back


def _transformed(f: types.FunctionType, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    if not has_source(f):  # made by `exec` or typed at a prompt: run it if nothing is lost
        if f.__closure__:
            raise MissingRuleError.for_callable(f)
        return _opaque(f, args, kwargs)
    forward = _transform[0](f)
    y, back = forward(*args, **kwargs)
    return y, _call_site_pullback(f, back, len(args), kwargs)


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
    return y, _shifted(back, 1)


def _bound_method_pullback(d_method: Any) -> tuple[Any, ...]:
    return (d_method,)


def _callable_object(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    y, back = call(type(f).__call__, f, *args, **kwargs)
    return y, _shifted(back, 1)


def _partial(f: functools.partial[Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    bound = len(f.args)
    y, back = call(f.func, *f.args, *args, **{**f.keywords, **kwargs})
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
    y, back = call(_static(cls, "__init__"), obj, *args, **kwargs)
    if back is None:
        return y, None
    init_back = back

    def construct_object_pullback(dy: Any) -> tuple[Any, ...]:
        grads = init_back(dy)
        values = (NO, *grads[2:])
        kw = getattr(grads, "kw", None)
        return KwCotangents(values, kw) if kw is not None else values

    return y, construct_object_pullback


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


def _opaque(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    inputs = (*args, *kwargs.values())
    if any(map(_may_carry, inputs)):
        y = f(*args, **kwargs)
        # Only a result that cannot hold a derivative (a count, a flag, a string) is safe:
        # an iterator, object or array made from differentiable inputs would silently drop it.
        if not known_constant(y) or any(map(callable, inputs)):
            raise MissingRuleError.for_callable(f)
        return y, None
    return f(*args, **kwargs), None


def _may_carry(value: Any) -> bool:
    if isinstance(value, (types.FunctionType, types.MethodType, functools.partial)):
        return True
    return carries_derivative(value)


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


def _shifted(back: Pullback | None, start: int, prefix: tuple[Any, ...] = ()) -> Pullback | None:
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


def _static(kind: type, name: str) -> Any:
    try:
        return _static_cached(kind, name)
    except TypeError:  # an unhashable metaclass
        return inspect.getattr_static(kind, name, _MISSING)


@functools.lru_cache(maxsize=4096)
def _static_cached(kind: Any, name: str) -> Any:
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
