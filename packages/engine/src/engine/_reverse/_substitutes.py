"""The engine's own versions of the builtins that move values around: `zip`, `enumerate`,
`reversed`, `sorted`, `list`, `tuple`, `dict`, `dict.items`/`values`/`get`, `map`,
`filter`, `functools.reduce`.

Generated code calls these instead of the builtins (see `SUBSTITUTES`). Those that only
rearrange items are primitives with their own rrule (cotangents gathered per item, linear in
the length); those that call a function (`map`, `filter`, `reduce`, `dict`) are plain Python
below, which the engine differentiates like any user code. Iterators become lists: `zip`
and `map` return lists here, which is what loops and comprehensions need.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from engine._reverse._primitives import as_sequence, item_tangent
from rulescore import AbstractZero, NoTangent, ZeroTangent, non_differentiable, rrule, unthunk

__all__ = ["SUBSTITUTES"]

Z = ZeroTangent()
NO = NoTangent()
Pullback = Callable[[Any], tuple[Any, ...]]


def zip_(*iterables: Any, strict: bool = False) -> list[tuple[Any, ...]]:
    """`list(zip(*iterables, strict=strict))`."""
    return list(zip(*map(as_sequence, iterables), strict=strict))


def enumerate_(iterable: Any, start: int = 0) -> list[tuple[int, Any]]:
    """`list(enumerate(iterable, start))`."""
    return list(enumerate(as_sequence(iterable), start))


def reversed_(sequence: Any) -> list[Any]:
    """`list(reversed(sequence))`."""
    return list(reversed(as_sequence(sequence)))


def list_(iterable: Any = ()) -> list[Any]:
    """`list(iterable)`."""
    return list(as_sequence(iterable))


def tuple_(iterable: Any = ()) -> tuple[Any, ...]:
    """`tuple(iterable)`."""
    return tuple(as_sequence(iterable))


def sorted_(
    iterable: Any, key: Callable[[Any], Any] | None = None, reverse: bool = False
) -> list[Any]:
    """`sorted(iterable, key=key, reverse=reverse)`."""
    return [as_sequence(iterable)[i] for i in _order(iterable, key, reverse)]


def _order(
    iterable: Any, key: Callable[[Any], Any] | None = None, reverse: bool = False
) -> list[int]:
    items = as_sequence(iterable)
    keys = [item if key is None else key(item) for item in items]
    return sorted(range(len(items)), key=keys.__getitem__, reverse=reverse)


def items_(mapping: dict[Any, Any]) -> list[tuple[Any, Any]]:
    """`list(mapping.items())`."""
    return list(mapping.items())


def values_(mapping: dict[Any, Any]) -> list[Any]:
    """`list(mapping.values())`."""
    return list(mapping.values())


def get_(mapping: dict[Any, Any], key: Any, default: Any = None) -> Any:
    """`mapping.get(key, default)`."""
    return mapping.get(key, default)


# Differentiated from their code:


def map_(function: Callable[..., Any], *iterables: Any) -> list[Any]:
    """`list(map(function, *iterables))`."""
    return [function(*arguments) for arguments in zip(*iterables, strict=False)]


def filter_(function: Callable[[Any], Any] | None, iterable: Any) -> list[Any]:
    """`list(filter(function, iterable))`."""
    return [item for item in iterable if (item if function is None else function(item))]


def reduce_(function: Callable[[Any, Any], Any], iterable: Any, *initial: Any) -> Any:
    """`functools.reduce(function, iterable[, initial])`."""
    items = as_sequence(iterable)
    if initial:
        value, rest = initial[0], items
    else:
        value, rest = items[0], items[1:]
    for item in rest:
        value = function(value, item)
    return value


def replace_(obj: Any, /, **changes: Any) -> Any:
    """`dataclasses.replace(obj, **changes)`: a new object, built from the old one's fields."""
    fields = {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj) if f.init}
    return type(obj)(**{**fields, **changes})


def dict_(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    """`dict(*args, **kwargs)`."""
    if not args:
        return {**kwargs}
    source = args[0]
    if isinstance(source, dict):
        return {**source, **kwargs}
    # Not `dict(source)`: under differentiation that call is this function again.
    return {**{key: value for key, value in source}, **kwargs}  # noqa: C416


SUBSTITUTES: dict[Any, Callable[..., Any]] = {
    zip: zip_,
    enumerate: enumerate_,
    reversed: reversed_,
    list: list_,
    tuple: tuple_,
    sorted: sorted_,
    dict.items: items_,
    dict.values: values_,
    dict.get: get_,
    map: map_,
    filter: filter_,
    functools.reduce: reduce_,
    dict: dict_,
    dataclasses.replace: replace_,
}

non_differentiable(dataclasses.fields)  # the fields' descriptions, not their values


# ---------------------------------------------------------------------------------------
# rules of the primitives


def _rows(dy: Any, count: int) -> list[Any]:
    dy = unthunk(dy)
    if isinstance(dy, AbstractZero):
        return [Z] * count
    return [unthunk(dy[k]) for k in range(count)]


def _part(row: Any, index: int) -> Any:
    return row if isinstance(row, AbstractZero) else row[index]


@rrule.register(zip_)
def _zip_rrule(*iterables: Any, strict: bool = False) -> tuple[Any, Pullback]:
    sequences = [as_sequence(it) for it in iterables]
    y = zip_(*sequences, strict=strict)

    def zip_pullback(dy: Any) -> tuple[Any, ...]:
        rows = _rows(dy, len(y))
        return (
            NO,
            *(
                item_tangent(s, {k: _part(row, j) for k, row in enumerate(rows)})
                for j, s in enumerate(sequences)
            ),
        )

    return y, zip_pullback


@rrule.register(enumerate_)
def _enumerate_rrule(iterable: Any, start: int = 0) -> tuple[Any, Pullback]:
    sequence = as_sequence(iterable)
    y = enumerate_(sequence, start)

    def enumerate_pullback(dy: Any) -> tuple[Any, ...]:
        rows = _rows(dy, len(y))
        return NO, item_tangent(sequence, {k: _part(r, 1) for k, r in enumerate(rows)}), NO

    return y, enumerate_pullback


def _reordering_rule(
    primitive: Callable[..., Any], order: Callable[..., list[int]]
) -> Callable[..., tuple[Any, Pullback]]:
    def reordering_rrule(iterable: Any, *args: Any, **kwargs: Any) -> tuple[Any, Pullback]:
        sequence = as_sequence(iterable)
        positions = order(sequence, *args, **kwargs)
        y = primitive(sequence, *args, **kwargs)

        def reordering_pullback(dy: Any) -> tuple[Any, ...]:
            rows = _rows(dy, len(y))
            tangent = item_tangent(sequence, dict(zip(positions, rows, strict=True)))
            return (NO, tangent, *([NO] * len(args)))

        return y, reordering_pullback

    return reordering_rrule


rrule.register(reversed_)(_reordering_rule(reversed_, lambda s: list(reversed(range(len(s))))))
rrule.register(list_)(_reordering_rule(list_, lambda s: list(range(len(s)))))
rrule.register(tuple_)(_reordering_rule(tuple_, lambda s: list(range(len(s)))))
rrule.register(sorted_)(_reordering_rule(sorted_, _order))


@rrule.register(items_)
def _items_rrule(mapping: dict[Any, Any]) -> tuple[Any, Pullback]:
    y = items_(mapping)

    def items_pullback(dy: Any) -> tuple[Any, ...]:
        rows = _rows(dy, len(y))
        return NO, {key: _part(row, 1) for (key, _), row in zip(y, rows, strict=True)}

    return y, items_pullback


@rrule.register(values_)
def _values_rrule(mapping: dict[Any, Any]) -> tuple[Any, Pullback]:
    y = values_(mapping)

    def values_pullback(dy: Any) -> tuple[Any, ...]:
        return NO, dict(zip(mapping, _rows(dy, len(y)), strict=True))

    return y, values_pullback


@rrule.register(get_)
def _get_rrule(mapping: dict[Any, Any], key: Any, default: Any = None) -> tuple[Any, Pullback]:
    found = key in mapping

    def get_pullback(dy: Any) -> tuple[Any, ...]:
        if found:
            return NO, {key: dy}, NO, Z
        return NO, Z, NO, dy

    return get_(mapping, key, default), get_pullback
