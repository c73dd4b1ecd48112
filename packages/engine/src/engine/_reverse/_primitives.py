"""The operations generated code performs besides calling the user's functions: building
tuples, lists and dicts, growing the list of a comprehension, and turning what a `for` loop
iterates over into a sequence. Each has its rrule here, like any other function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from engine._reverse._location import user_location
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Tangent,
    UnsupportedConstructError,
    ZeroTangent,
    backing,
    non_differentiable,
    rrule,
    unthunk,
)

__all__ = [
    "append",
    "as_sequence",
    "carries_derivative",
    "gathered",
    "known_constant",
    "make_dict",
    "make_list",
    "make_tuple",
    "set_field",
    "set_item",
]

Z = ZeroTangent()
NO = NoTangent()
Pullback = Callable[[Any], tuple[Any, ...]]


def make_tuple(*items: Any) -> tuple[Any, ...]:
    """`(a, b, ...)` in generated code."""
    return items


def make_list(*items: Any) -> list[Any]:
    """`[a, b, ...]` in generated code."""
    return list(items)


def make_dict(keys: tuple[Any, ...], *values: Any) -> dict[Any, Any]:
    """`{k: v, **m, ...}` in generated code: a `None` key merges the mapping in its place."""
    result: dict[Any, Any] = {}
    for key, value in zip(keys, values, strict=True):
        if key is None:
            result.update(value)
        else:
            result[key] = value
    return result


def append(items: list[Any], value: Any) -> list[Any]:
    """Add `value` to the list a comprehension builds (a list only generated code holds)."""
    items.append(value)
    return items


def set_item(entries: dict[Any, Any], key: Any, value: Any) -> dict[Any, Any]:
    """Add `key: value` to the dict a comprehension builds (only generated code holds it)."""
    entries[key] = value
    return entries


def set_field(obj: Any, name: str, value: Any) -> Any:
    """`obj.name = value` in a constructor (on the object it is building); returns `obj`."""
    setattr(obj, name, value)
    return obj


def as_sequence(iterable: Any) -> Any:
    """What a `for` loop iterates over, as a sequence whose items can be read by index.

    Tuples, lists, arrays, ranges and strings are their own sequence; a dict gives its keys.
    Other iterables (generators, iterators made by code the engine did not see) are read
    into a tuple, which is refused if its items have derivatives: the engine cannot tell
    where they came from.
    """
    if isinstance(iterable, (tuple, list, range, str, bytes)) or hasattr(iterable, "__array__"):
        return iterable
    items = tuple(iterable)
    if not isinstance(iterable, (dict, set, frozenset)) and any(map(carries_derivative, items)):
        raise UnsupportedConstructError(
            *user_location(),
            f"iterating over a {type(iterable).__name__} of values with derivatives",
            "iterate over a list, tuple or array (the engine differentiates `zip`, `map`, "
            "`enumerate`, `reversed`, `sorted` and comprehensions itself)",
        )
    return items


def known_constant(value: Any) -> bool:
    """Whether `value` certainly has no derivative: numbers used as counts and indices
    (`int`), flags, strings, `None`, types, dtypes, ranges, slices, integer or boolean arrays,
    and tuples, lists, sets and dicts of these."""
    if isinstance(value, (bool, int, str, bytes, type(None), type, range, slice, np.dtype)):
        return True
    if value is Ellipsis:
        return True
    dtype = getattr(value, "dtype", None)
    if isinstance(value, (np.ndarray, np.generic)) and isinstance(dtype, np.dtype):
        return dtype.kind not in ("f", "c", "O", "V")
    if isinstance(value, (tuple, list, set, frozenset)):
        return all(map(known_constant, value))
    if isinstance(value, dict):
        return all(map(known_constant, value.values()))
    return False


def carries_derivative(value: Any) -> bool:
    """Whether `value` holds real or complex floating-point numbers (in containers too).

    Integers count as indices and counts here: an opaque function returning them (`len`,
    `x.shape`) has no derivative to pass on.
    """
    if isinstance(value, (bool, int, str, bytes, type(None), type)):
        return False
    if isinstance(value, (float, complex)):
        return True
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        return getattr(dtype, "kind", None) in ("f", "c")
    if isinstance(value, (tuple, list, set, frozenset)):
        return any(map(carries_derivative, value))
    if isinstance(value, dict):
        return any(map(carries_derivative, value.values()))
    return not isinstance(ProjectTo(value), type(ProjectTo(None)))


# ---------------------------------------------------------------------------------------
# rules


def _entries(dy: Any, count: int) -> list[Any]:
    dy = unthunk(dy)
    if isinstance(dy, AbstractZero):
        return [dy] * count
    return [dy[i] for i in range(count)]


@rrule.register(make_tuple)
def _make_tuple_rrule(*items: Any) -> tuple[Any, Pullback]:
    def make_tuple_pullback(dy: Any) -> tuple[Any, ...]:
        return (NO, *_entries(dy, len(items)))

    return make_tuple(*items), make_tuple_pullback


@rrule.register(make_list)
def _make_list_rrule(*items: Any) -> tuple[Any, Pullback]:
    def make_list_pullback(dy: Any) -> tuple[Any, ...]:
        return (NO, *_entries(dy, len(items)))

    return make_list(*items), make_list_pullback


@rrule.register(make_dict)
def _make_dict_rrule(keys: tuple[Any, ...], *values: Any) -> tuple[Any, Pullback]:
    source = _winners(keys, values)

    def make_dict_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return (NO, NO, *[Z for _ in values])
        return (
            NO,
            NO,
            *[
                {k: dy.get(k, Z) if source[k] == i else Z for k in value}
                if key is None
                else (dy.get(key, Z) if source[key] == i else Z)
                for i, (key, value) in enumerate(zip(keys, values, strict=True))
            ],
        )

    return make_dict(keys, *values), make_dict_pullback


def _winners(keys: tuple[Any, ...], values: tuple[Any, ...]) -> dict[Any, int]:
    """The position each key of the dict comes from (later entries win)."""
    source = {}
    for position, (key, value) in enumerate(zip(keys, values, strict=True)):
        for k in value if key is None else (key,):
            source[k] = position
    return source


non_differentiable(_winners)


@rrule.register(append)
def _append_rrule(items: list[Any], value: Any) -> tuple[Any, Pullback]:
    position = len(items)

    def append_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NO, dy, dy
        return NO, dy, dy[position]

    return append(items, value), append_pullback


@rrule.register(set_item)
def _set_item_rrule(entries: dict[Any, Any], key: Any, value: Any) -> tuple[Any, Pullback]:
    replaced = key in entries

    def set_item_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NO, dy, NO, dy
        # An earlier value under the same key was overwritten: it gets no cotangent.
        before = {**dy, key: Z} if replaced else dy
        return NO, before, NO, dy.get(key, Z)

    return set_item(entries, key, value), set_item_pullback


@rrule.register(set_field)
def _set_field_rrule(obj: Any, name: str, value: Any) -> tuple[Any, Pullback]:
    kind = type(obj)

    def set_field_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if not isinstance(dy, Tangent):
            return NO, Z, NO, Z
        fields = backing(dy)
        # The field had no value (or an overwritten one) before: the object before gets the rest.
        before = {k: v for k, v in fields.items() if k != name}
        return NO, Tangent[kind](**before), NO, fields.get(name, Z)  # type: ignore[misc]

    return set_field(obj, name, value), set_field_pullback


@rrule.register(as_sequence)
def _as_sequence_rrule(iterable: Any) -> tuple[Any, Pullback]:
    y = as_sequence(iterable)
    passes = y is iterable

    def as_sequence_pullback(dy: Any) -> tuple[Any, ...]:
        return NO, dy if passes else NO

    return y, as_sequence_pullback


def gathered(sequence: Any, items: Any) -> Any:
    """The cotangent of `sequence` from the cotangents of its items that a `for` loop's
    backward pass gathered, as a linked list `(k, d_item, rest)` (`None` when empty)."""
    parts = {}
    while items is not None:
        index, part, items = items
        parts[index] = part
    return item_tangent(sequence, parts)


@rrule.register(gathered)
def _gathered_rrule(sequence: Any, items: Any) -> tuple[Any, Pullback]:
    # Linear in the gathered parts: each gets the entry of the seed at its index.
    indices = []
    node = items
    while node is not None:
        indices.append(node[0])
        node = node[2]

    def gathered_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        tangent: Any = Z
        for index in reversed(indices):
            entry = Z if isinstance(dy, AbstractZero) else dy[index]
            tangent = (NO, entry, tangent)
        return NO, NO, tangent

    return gathered(sequence, items), gathered_pullback


def item_tangent(sequence: Any, parts: dict[int, Any]) -> Any:
    """The cotangent of `sequence` whose item `k` has cotangent `parts[k]` (others zero)."""
    if not parts:
        return Z
    if isinstance(sequence, (tuple, list)):
        entries = [parts.get(k, Z) for k in range(len(sequence))]
        if hasattr(type(sequence), "_fields"):
            return Tangent[type(sequence)](*entries)  # type: ignore[misc]
        return type(sequence)(entries)
    if hasattr(sequence, "dtype") and sequence.dtype.kind in "fc":
        # Rows stacked, not written into zeros: engines can differentiate this again.
        zero = np.zeros(np.shape(sequence)[1:], dtype=sequence.dtype)
        rows = [_row(parts.get(k, Z), zero) for k in range(len(sequence))]
        return np.stack(rows).astype(sequence.dtype, copy=False)
    return NO


def _row(part: Any, zero: Any) -> Any:
    part = unthunk(part)
    return zero if isinstance(part, AbstractZero) else part
