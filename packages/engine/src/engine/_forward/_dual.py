"""`Dual`: a value and its tangent, travelling together through the forward engine's code.

A differentiated value is a `Dual(primal, tangent, level)`; everything else stays as it is,
so containers, objects and closures simply hold duals (`[Dual, 2.0]`, `obj.w = Dual`), and
Python's own semantics (mutation of lists, attribute stores, iteration) need nothing new.
Each differentiation gets its own `level` (a fresh number, larger for inner ones), so that
nested forward passes never confuse their tangents: for one level, a dual of another level
is a constant.

The dunder methods, `__array_ufunc__` and `__array_function__` route operations met in code
the engine did not transform (a function made by `exec`, a rule's body under an outer
differentiation) to the engine's dispatch, by operator overloading; converting a dual to a
plain number (`float(x)`, `math.sin(x)` outside transformed code) is refused with an error
naming the function that did it.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import operator
import types
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from rulescore import (
    MissingRuleError,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    Thunk,
    UnsupportedConstructError,
    ZeroTangent,
    backing,
    unthunk,
)
from rulescore._errors import qualified_name

__all__ = [
    "Dual",
    "dispatch",
    "extract",
    "join",
    "level_of",
    "new_level",
    "split",
    "strip",
    "strip_all",
]

_levels = itertools.count(1)

# Set by the engine's dispatch: `dispatch[0](f, *args, **kwargs)` runs `f` forward.
dispatch: list[Callable[..., Any]] = []

# The callable the dispatch is running as it is (no rule, no source), for error messages.
running_opaque: ContextVar[Any] = ContextVar("running_opaque", default=None)


def new_level() -> int:
    """A fresh level, larger than every level handed out before."""
    return next(_levels)


class Dual:
    """`Dual(primal, tangent, level)`: `primal` moving along `tangent`.

    >>> from engine._forward._dual import Dual
    >>> x = Dual(3.0, 1.0, level=1)
    >>> x.primal, x.tangent, f"{x:.1f}", x > 2, str(x)
    (3.0, 1.0, '3.0', True, '3.0')
    """

    __slots__ = ("level", "primal", "tangent")

    def __init__(self, primal: Any, tangent: Any, level: int) -> None:
        self.primal = primal
        self.tangent = tangent
        self.level = level

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r}, level={self.level})"

    def __str__(self) -> str:
        return str(self.primal)

    def __format__(self, spec: str) -> str:
        return format(self.primal, spec)

    def __bool__(self) -> bool:
        return bool(self.primal)

    def __len__(self) -> int:
        return len(self.primal)

    def __index__(self) -> int:
        return operator.index(self.primal)

    def __iter__(self) -> Iterator[Any]:
        for i in range(len(self.primal)):
            yield dispatch[0](operator.getitem, self, i)

    def __getitem__(self, index: Any) -> Any:
        return dispatch[0](operator.getitem, self, index)

    def __getattr__(self, name: str) -> Any:
        # Array attributes and methods read outside transformed code (`x.T`, `x.sum()`).
        if name.startswith("__") or name in Dual.__slots__:  # (a slot not set yet)
            raise AttributeError(name)
        from engine._forward._dispatch import get_attr

        value = get_attr(self, name)
        if type(value) is functools.partial and value.args and value.args[0] is self:
            return functools.partial(dispatch[0], value.func, self)  # a method, called later
        return value

    # Comparisons have no derivative: they compare the primals.
    def __eq__(self, other: object) -> Any:
        return strip(self) == strip(other)

    def __ne__(self, other: object) -> Any:
        return strip(self) != strip(other)

    def __lt__(self, other: Any) -> Any:
        return strip(self) < strip(other)

    def __le__(self, other: Any) -> Any:
        return strip(self) <= strip(other)

    def __gt__(self, other: Any) -> Any:
        return strip(self) > strip(other)

    def __ge__(self, other: Any) -> Any:
        return strip(self) >= strip(other)

    def __hash__(self) -> int:
        # Hashing the primal would let caches (`functools.lru_cache`, dicts of results)
        # hand back values computed for another tangent.
        raise TypeError(
            "a value carrying a derivative cannot be hashed (a dict key, a set member, a "
            "cache key): key on an index or a label instead"
        )

    def __float__(self) -> float:
        raise _conversion_error("float")

    def __int__(self) -> int:
        raise _conversion_error("int")

    def __complex__(self) -> complex:
        raise _conversion_error("complex")

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        raise _conversion_error("a NumPy array")

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method != "__call__" or "out" in kwargs:
            raise MissingRuleError(
                f"`{ufunc.__name__}.{method}` (or `out=`) on a value carrying a derivative "
                "in forward mode: call the ufunc itself and use its result"
            )
        return dispatch[0](ufunc, *inputs, **kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        return dispatch[0](func, *args, **kwargs)

    def __rulescore_function__(self, func: Any, args: Any, kwargs: Any) -> Any:
        # A `rulescore.overloadable` function met outside rewritten code: its rule applies.
        return dispatch[0](func, *args, **kwargs)


def _binary(op: Callable[[Any, Any], Any]) -> tuple[Any, Any]:
    def forward(self: Dual, other: Any) -> Any:
        return dispatch[0](op, self, other)

    def reflected(self: Dual, other: Any) -> Any:
        return dispatch[0](op, other, self)

    return forward, reflected


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    _forward, _reflected = _binary(getattr(operator, _name))
    setattr(Dual, f"__{_name}__", _forward)
    setattr(Dual, f"__r{_name}__", _reflected)


def _unary(op: Callable[[Any], Any]) -> Any:
    def forward(self: Dual) -> Any:
        return dispatch[0](op, self)

    return forward


for _name in ("neg", "pos", "abs"):
    setattr(Dual, f"__{_name}__", _unary(getattr(operator, _name)))


def _conversion_error(kind: str) -> MissingRuleError:
    culprit = running_opaque.get()
    where = f"`{qualified_name(culprit)}`" if culprit is not None else "code without a rule"
    return MissingRuleError(
        f"{where} converts a value carrying a derivative to {kind}, which would drop the "
        f"derivative: define an frule for it (`@frule.register(...)`), or use a function "
        "that has one (`np.sin` instead of `math.sin` in code the engine cannot read)"
    )


def level_of(value: Any, depth: int = 0) -> int:
    """The highest level of the duals in `value` (looking into tuples, lists and dicts,
    and into a dual's primal and tangent); 0 when there is none."""
    kind = type(value)
    if kind is Dual:
        level: int = value.level
        return max(level, level_of(value.primal, depth + 1), level_of(value.tangent, depth + 1))
    if depth < 4 and (kind is tuple or kind is list or isinstance(value, tuple)):
        return max((level_of(v, depth + 1) for v in value), default=0)
    if depth < 4 and kind is dict:
        return max((level_of(v, depth + 1) for v in value.values()), default=0)
    if depth < 4 and kind is types.FunctionType and value.__closure__:
        return max(level_of(_contents(cell), depth + 1) for cell in value.__closure__)
    if depth < 4 and isinstance(value, Thunk):  # a lazy tangent computed from duals
        parts = (getattr(value, name, None) for name in ("_value", "_fn", "add_fn"))
        return max(level_of(part, depth + 1) for part in parts)
    if depth < 4 and isinstance(value, Tangent):  # a structural cotangent, reverse over it
        return max((level_of(v, depth + 1) for v in backing(value).values()), default=0)
    if depth < 3 and kind is types.MethodType:
        return level_of(value.__self__, depth + 1)
    if depth < 3 and callable(value) and not isinstance(value, type):
        fields = getattr(value, "__dict__", None)  # a callable object (`np.vectorize`)
        if fields:
            return max((level_of(v, depth + 1) for v in fields.values()), default=0)
    return 0


def _contents(cell: types.CellType) -> Any:
    try:
        return cell.cell_contents
    except ValueError:  # a variable not assigned yet
        return None


def strip(value: Any) -> Any:
    """`value` without any dual (every level), for questions about the primal."""
    while type(value) is Dual:
        value = value.primal
    return value


def strip_all(value: Any) -> Any:
    """`strip`, also inside tuples, lists and dicts (the arguments of functions without
    derivative: `len(xs)`, a dispatch's question about argument types)."""
    kind = type(value)
    if kind is Dual:
        return strip(value)
    if kind is tuple or kind is list:
        return kind(map(strip_all, value)) if level_of(value) else value
    if kind is dict:
        return {k: strip_all(v) for k, v in value.items()} if level_of(value) else value
    return value


_ZERO = ZeroTangent()


def _is_zero(tangent: Any) -> bool:
    return tangent is None or isinstance(tangent, (ZeroTangent, NoTangent))


def split(value: Any, level: int, objects: bool = False) -> tuple[Any, Any]:
    """`(primal, tangent)` of `value` at `level`: duals of `level` are opened (in containers
    too, and with `objects` in the fields of objects); duals of other levels stay inside the
    primal, as constants of `level`."""
    kind = type(value)
    if kind is Dual:
        if value.level == level:
            return value.primal, value.tangent
        return value, _ZERO
    if kind is tuple or kind is list or (isinstance(value, tuple) and hasattr(value, "_fields")):
        parts = [split(v, level, objects) for v in value]
        if all(_is_zero(t) for _, t in parts):
            return value, _ZERO
        primals = [p for p, _ in parts]
        tangents = tuple(t for _, t in parts)
        if kind is list:
            return primals, list(tangents)
        if kind is tuple:
            return tuple(primals), tangents
        fields = dict(zip(value._fields, tangents, strict=True))
        return kind._make(primals), Tangent[kind](**fields)  # type: ignore[misc]
    if kind is dict:
        entries = {k: split(v, level, objects) for k, v in value.items()}
        if all(_is_zero(t) for _, t in entries.values()):
            return value, _ZERO
        return {k: p for k, (p, _) in entries.items()}, {k: t for k, (_, t) in entries.items()}
    if isinstance(value, Tangent):
        fields = {k: split(v, level, objects) for k, v in backing(value).items()}
        if all(_is_zero(t) for _, t in fields.values()):
            return value, _ZERO
        kind = type(value)
        return kind(**{k: p for k, (p, _) in fields.items()}), kind(
            **{k: t for k, (_, t) in fields.items()}
        )
    return _split_object(value, level) if objects else (value, _ZERO)


def join(primal: Any, tangent: Any, level: int) -> Any:
    """The value the engine's code sees for `primal` moving along `tangent` at `level`:
    containers and named tuples hold duals, other values become one `Dual`."""
    tangent = unthunk(tangent)
    if _is_zero(tangent):
        return primal
    if isinstance(tangent, NotImplementedTangent):  # forward mode needs every tangent it makes
        raise MissingRuleError(
            f"a rule does not implement a derivative this forward pass needs: {tangent.info} "
            f"(at {tangent.location})"
        )
    kind = type(primal)
    if kind is tuple or kind is list or isinstance(primal, tuple):
        if isinstance(tangent, Tangent):
            fields = backing(tangent)
            names = getattr(primal, "_fields", ())
            tangents = [fields.get(name, _ZERO) for name in names]
        else:
            tangents = list(tangent)
        items = [join(p, t, level) for p, t in zip(primal, tangents, strict=True)]
        if kind is list:
            return items
        if kind is tuple:
            return tuple(items)
        return kind._make(items)
    if kind is dict and isinstance(tangent, dict):
        return {k: join(v, tangent.get(k, _ZERO), level) for k, v in primal.items()}
    if isinstance(primal, Tangent) and isinstance(tangent, Tangent):
        given = backing(tangent)
        return kind(**{k: join(v, given.get(k, _ZERO), level) for k, v in backing(primal).items()})
    if dataclasses.is_dataclass(primal) and isinstance(tangent, Tangent):
        fields = backing(tangent)
        copy = dataclasses.replace(primal)  # type: ignore[type-var]
        for name, field_tangent in fields.items():
            object.__setattr__(copy, name, join(getattr(primal, name), field_tangent, level))
        return copy
    return Dual(primal, tangent, level)


# Values with a `__dict__` whose fields are not data of theirs.
_NOT_OBJECTS = (type, types.FunctionType, types.MethodType, types.ModuleType, functools.partial)


def extract(value: Any, level: int) -> tuple[Any, Any]:
    """`(primal, tangent)` of a result at `level`: `split`, also through the fields of
    dataclasses and plain objects that hold duals (a copy of the object is the primal)."""
    return split(value, level, objects=True)


def _split_object(value: Any, level: int) -> tuple[Any, Any]:
    if isinstance(value, types.FunctionType) and level_of(value) >= level:
        code = value.__code__
        raise UnsupportedConstructError(
            code.co_filename,
            code.co_firstlineno,
            "returning a function that closes over a value carrying a derivative",
            "return the values it needs instead, or differentiate inside the function",
        )
    fields = getattr(value, "__dict__", None)
    if not fields or isinstance(value, _NOT_OBJECTS):
        return value, _ZERO
    parts = {name: split(v, level, objects=True) for name, v in fields.items()}
    if all(_is_zero(t) for _, t in parts.values()):
        return value, _ZERO
    copy = object.__new__(type(value))
    for name, (p, _) in parts.items():
        object.__setattr__(copy, name, p)
    tangents = {name: t for name, (_, t) in parts.items() if not _is_zero(t)}
    return copy, Tangent[type(value)](**tangents)  # type: ignore[misc]
