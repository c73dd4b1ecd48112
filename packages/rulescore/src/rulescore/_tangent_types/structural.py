"""`Tangent[T](**fields)`: the tangent of an object, one entry per field of the primal.

Used for dataclasses, namedtuples and plain objects. Plain tuples, lists and dicts have
natural tangents of their own shape instead (a tuple of tangents, ...).
"""

from __future__ import annotations

import copy
import dataclasses
import operator
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from rulescore._tangent_types.base import AbstractTangent
from rulescore._tangent_types.not_implemented import NotImplementedTangent
from rulescore._tangent_types.thunks import unthunk
from rulescore._tangent_types.zero import AbstractZero, ZeroTangent

__all__ = ["Tangent", "backing"]

_SPECIALIZE_LOCK = threading.Lock()


class Tangent(AbstractTangent):
    """`Tangent[T](**fields)`: structural tangent of an object of type `T`.

    Fields not given are `ZeroTangent()`. Read a field as `t.name` or `t["name"]`; for
    namedtuples and dataclasses, fields may also be given (and read, `t[0]`) positionally,
    and unknown names are refused. A `ZeroTangent()` answers `dy["name"]` and `dy[0]` with
    itself, so a pullback that indexes its seed accepts both. Tangents of the same type add
    field by field, scale by numbers, and adding one to a primal rebuilds the primal with each
    field moved (`dataclasses.replace` for frozen dataclasses, `_replace` for namedtuples, a
    shallow copy for plain objects).

    >>> from dataclasses import dataclass
    >>> @dataclass(frozen=True)
    ... class Point:
    ...     x: float
    ...     y: float
    >>> t = Tangent[Point](x=1.0)
    >>> t
    Tangent[Point](x=1.0)
    >>> t.y, t + Tangent[Point](y=2.0), 2 * t
    (ZeroTangent(), Tangent[Point](x=1.0, y=2.0), Tangent[Point](x=2.0))
    >>> Point(1.0, 1.0) + t
    Point(x=2.0, y=1.0)

    See also: `backing`, `ProjectTo`, `add_to_primal`.
    """

    __slots__ = ("_fields",)
    __hash__ = None  # type: ignore[assignment]
    primal_type: ClassVar[type | None] = None
    _specialized: ClassVar[dict[type, type[Tangent]]] = {}

    def __class_getitem__(cls, primal_type: type) -> type[Tangent]:
        return tangent_type(primal_type)

    def __init__(self, *values: Any, **fields: Any) -> None:
        names = _field_names(self.primal_type)
        if values:
            if names is None or len(values) > len(names):
                raise TypeError(
                    f"{type(self).__name__} takes {len(names or ())} positional fields, "
                    f"got {len(values)}"
                )
            clash = set(names[: len(values)]) & set(fields)
            if clash:
                raise TypeError(f"{type(self).__name__} got field {sorted(clash)[0]!r} twice")
            fields = {**dict(zip(names, values, strict=False)), **fields}
        if names is not None:
            unknown = set(fields) - set(names)
            if unknown:
                raise TypeError(
                    f"{type(self).__name__} got unknown field {sorted(unknown)[0]!r}; "
                    f"the fields of {self.primal_type.__qualname__} are {', '.join(names)}"  # type: ignore[union-attr]
                )
        self._fields: dict[str, Any] = fields

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return self._fields.get(name, ZeroTangent())

    def __getitem__(self, key: str | int) -> Any:
        if isinstance(key, int):
            names = _field_names(self.primal_type)
            if names is None:
                raise TypeError(f"{type(self).__name__} has no positional fields")
            key = names[key]
        return self._fields.get(key, ZeroTangent())

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={v!r}" for k, v in self._fields.items())
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Tangent) or other.primal_type is not self.primal_type:
            return NotImplemented
        return all(
            _values_equal(self[name], other[name]) for name in self._fields.keys() | other._fields
        )

    def _combine(self, other: Tangent, sign: int) -> Tangent:
        from rulescore._arithmetic import add_tangents  # `+` would concatenate tuple fields

        if other.primal_type is not self.primal_type:
            raise TypeError(f"cannot add {type(self).__name__} and {type(other).__name__}")
        fields = dict(self._fields)
        for name, value in other._fields.items():
            value = value if sign > 0 else map_leaves(operator.neg, value)
            fields[name] = add_tangents(fields[name], value) if name in fields else value
        return type(self)(**fields)

    def _map(self, fn: Callable[[Any], Any]) -> Tangent:
        return type(self)(**{k: map_leaves(fn, v) for k, v in self._fields.items()})

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.primal_type, self._fields))

    def __add__(self, other: Any) -> Any:
        if isinstance(other, AbstractZero):
            return self
        if isinstance(other, Tangent):
            return self._combine(other, +1)
        if isinstance(other, AbstractTangent):
            return other + self
        if self.primal_type is not None and isinstance(other, self.primal_type):
            return add_to_object(other, self)
        return NotImplemented

    def __radd__(self, other: Any) -> Any:
        return self.__add__(other)

    def __sub__(self, other: Any) -> Any:
        if isinstance(other, AbstractZero):
            return self
        if isinstance(other, Tangent):
            return self._combine(other, -1)
        return NotImplemented

    def __neg__(self) -> Tangent:
        return self._map(operator.neg)

    def __mul__(self, scale: Any) -> Any:
        if isinstance(scale, AbstractTangent):
            return scale * self if isinstance(scale, AbstractZero) else NotImplemented
        return self._map(lambda v: v * scale)

    def __rmul__(self, scale: Any) -> Any:
        if isinstance(scale, AbstractTangent):
            return NotImplemented
        return self._map(lambda v: scale * v)

    def __truediv__(self, scale: Any) -> Tangent:
        return self._map(lambda v: v / scale)

    def conjugate(self) -> Tangent:
        return self._map(lambda v: v.conjugate())


def backing(tangent: Tangent) -> dict[str, Any]:
    """`backing(t)`: the fields a `Tangent` stores, as a new dict (missing fields are zero).

    Unlike `t.name`, this never collides with a field name.

    >>> backing(Tangent[complex](real=1.0))
    {'real': 1.0}
    """
    return dict(tangent._fields)


def map_leaves(fn: Callable[[Any], Any], tangent: Any) -> Any:
    """`fn` applied to every number or array inside a tangent; containers keep their shape.

    Scaling or negating a tangent must not touch the containers themselves: `2 * (1.0, 2.0)`
    would repeat the tuple.
    """
    tangent = unthunk(tangent)
    if isinstance(tangent, Tangent):
        return tangent._map(fn)
    if isinstance(tangent, (tuple, list)):
        return type(tangent)(map_leaves(fn, v) for v in tangent)
    if isinstance(tangent, dict):
        return {k: map_leaves(fn, v) for k, v in tangent.items()}
    return fn(tangent)


def tangent_type(primal_type: type) -> type[Tangent]:
    """`Tangent[primal_type]`, the subclass made once per primal type."""
    if not isinstance(primal_type, type):
        raise TypeError(f"Tangent[...] takes a class, not {primal_type!r}")
    with _SPECIALIZE_LOCK:
        return _specialize(primal_type)


def _specialize(primal_type: type) -> type[Tangent]:
    specialized = Tangent._specialized.get(primal_type)
    if specialized is None:
        name = f"Tangent[{primal_type.__qualname__}]"
        specialized = type(name, (Tangent,), {"__slots__": (), "primal_type": primal_type})
        specialized.__qualname__ = name
        Tangent._specialized[primal_type] = specialized
    return specialized


def _rebuild(primal_type: type | None, fields: dict[str, Any]) -> Tangent:
    return (Tangent if primal_type is None else tangent_type(primal_type))(**fields)


def add_to_object(primal: Any, tangent: Tangent) -> Any:
    """Rebuild `primal` with each field of `tangent` added; the primal is not mutated."""
    from rulescore._arithmetic import add_to_primal

    moved = {
        name: add_to_primal(getattr(primal, name), value)
        for name, value in tangent._fields.items()
        if not isinstance(value, AbstractZero)
    }
    if isinstance(primal, tuple) and hasattr(primal, "_replace"):
        return primal._replace(**moved)
    if (
        dataclasses.is_dataclass(primal)
        and not isinstance(primal, type)
        and all(field.init for field in dataclasses.fields(primal) if field.name in moved)
    ):
        return dataclasses.replace(primal, **moved)
    rebuilt = copy.copy(primal)
    for name, value in moved.items():
        object.__setattr__(rebuilt, name, value)
    return rebuilt


def _field_names(primal_type: type | None) -> tuple[str, ...] | None:
    if primal_type is None:
        return None
    if issubclass(primal_type, tuple) and hasattr(primal_type, "_fields"):
        return tuple(primal_type._fields)
    if dataclasses.is_dataclass(primal_type):
        return tuple(field.name for field in dataclasses.fields(primal_type))
    return None


def _values_equal(a: Any, b: Any) -> bool:
    a, b = unthunk(a), unthunk(b)
    if a is b:
        return True
    if isinstance(a, AbstractZero) or isinstance(b, AbstractZero):
        other = b if isinstance(a, AbstractZero) else a
        if isinstance(other, NotImplementedTangent):  # `ni * 0` is `ni`: unknown is not zero
            return False
        return isinstance(other, AbstractZero) or _values_equal(other, other * 0)
    equal = a == b
    if isinstance(equal, bool):
        return equal
    all_equal = getattr(equal, "all", None)
    return bool(all_equal()) if all_equal is not None else bool(equal)
