"""Where the tracers sit in a structured value, and cotangents moved along that structure.

A *template* mirrors a value: a `Slot` for each tracer (its node on the tape), a `Branch`
for a tuple, list, namedtuple, dict, dataclass or plain object holding tracers, and `None`
for what holds none. `scatter` adds a structured cotangent into the nodes' cotangents;
`gather` builds the structured cotangent of a value from its nodes' (`ZeroTangent()` where
none arrived).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine._tape._tracer import Tracer
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Tangent,
    ZeroTangent,
    add_tangents,
    backing,
    has_tangent_space,
    unthunk,
)
from rulescore._projection import object_fields

__all__ = [
    "Branch",
    "Slot",
    "Template",
    "children_of",
    "gather",
    "primal_of",
    "rebuild",
    "scatter",
    "template_of",
]

Z = ZeroTangent()


@dataclass(frozen=True)
class Slot:
    """A tracer's place in a value: its node on the tape."""

    node: int


@dataclass(frozen=True)
class Branch:
    """A container of tracers: its primal (for its type and fields) and its children's
    templates by key (index, dict key or field name)."""

    primal: Any
    children: dict[Any, Slot | Branch]


Template = Slot | Branch | None


def is_namedtuple(value: Any) -> bool:
    return isinstance(value, tuple) and hasattr(type(value), "_fields")


def is_dataclass_instance(value: Any) -> bool:
    return dataclasses.is_dataclass(value) and not isinstance(value, type)


# Values that are never containers: answered without looking (the tape asks for each leaf).
_LEAVES = frozenset([float, int, complex, bool, str, type(None), np.ndarray, np.float64])


def children_of(value: Any) -> dict[Any, Any] | None:
    """The entries of a container the tape looks into, by key; `None` for other values."""
    if type(value) in _LEAVES or isinstance(value, Tracer):
        return None
    if is_namedtuple(value):
        return dict(zip(type(value)._fields, value, strict=True))
    if type(value) in (tuple, list):
        return dict(enumerate(value))
    if isinstance(value, dict):
        return dict(value)
    if is_dataclass_instance(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value) if f.init}
    if is_plain_object(value):
        return dict(vars(value))
    return None


def is_plain_object(value: Any) -> bool:
    """An instance of a user's class holding its data in `__dict__` (not a function, class,
    module or other callable): the tape looks into its fields, like a dataclass's."""
    return (
        object_fields(value) is not None
        and isinstance(getattr(value, "__dict__", None), dict)
        and not callable(value)
        and not isinstance(value, type)
    )


def rebuild(value: Any, entries: dict[Any, Any]) -> Any:
    """A container like `value` with these entries (a new one: inputs are never mutated)."""
    if is_namedtuple(value):
        return type(value)(**entries)
    if type(value) in (tuple, list):
        return type(value)(entries[i] for i in range(len(value)))
    if isinstance(value, dict):
        return entries
    if is_dataclass_instance(value):
        return dataclasses.replace(value, **entries)
    rebuilt = copy.copy(value)
    vars(rebuilt).update(entries)
    return rebuilt


def template_of(value: Any, leaf: Callable[[Any], Slot | None]) -> Template:
    """The template of `value`, where `leaf` tells the `Slot` of a value that is no
    container (`None` for a constant)."""
    entries = children_of(value)
    if entries is None:
        return leaf(value)
    children = {}
    for key, entry in entries.items():
        child = template_of(entry, leaf)
        if child is not None:
            children[key] = child
    return Branch(primal_of(value), children) if children else None


def primal_of(value: Any) -> Any:
    """`value` with each tracer in it replaced by its primal."""
    if isinstance(value, Tracer):
        return value.primal
    entries = children_of(value)
    if entries is None:
        return value
    return rebuild(value, {key: primal_of(entry) for key, entry in entries.items()})


def scatter(template: Template, dx: Any, cotangents: dict[int, Any]) -> None:
    """Add the cotangent `dx` of a value with this template into `cotangents` (by node)."""
    if template is None or isinstance(dx, AbstractZero):
        return
    if isinstance(template, Slot):
        node = template.node
        cotangents[node] = add_tangents(cotangents[node], dx) if node in cotangents else dx
        return
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return
    parts = backing(dx) if isinstance(dx, Tangent) else dx
    if is_namedtuple(template.primal) and not isinstance(parts, dict):
        parts = dict(zip(type(template.primal)._fields, parts, strict=True))
    for key, child in template.children.items():
        part = parts.get(key, Z) if isinstance(parts, dict) else parts[key]
        scatter(child, part, cotangents)


def gather(template: Template, cotangents: dict[int, Any], *, consume: bool) -> Any:
    """The cotangent of a value with this template, from `cotangents` (by node), unthunked
    once per node; `ZeroTangent()` if none arrived. With `consume`, the nodes' entries are
    removed (each output node is read by one record only)."""
    if template is None:
        return Z
    if isinstance(template, Slot):
        found = cotangents.pop(template.node, Z) if consume else cotangents.get(template.node, Z)
        return unthunk(found)
    parts = {
        key: gather(child, cotangents, consume=consume) for key, child in template.children.items()
    }
    if all(isinstance(part, AbstractZero) for part in parts.values()):
        return Z
    value = template.primal
    if consume:  # the seed of a partly used output: rules get zeros, not `ZeroTangent()`
        entries = children_of(value) or {}
        parts = {
            key: _zeros(entries[key]) if isinstance(part, AbstractZero) else part
            for key, part in parts.items()
        }
    return _assemble(value, parts)


def _assemble(value: Any, parts: dict[Any, Any]) -> Any:
    """The cotangent of the container `value` with these parts (`ZeroTangent()` elsewhere)."""
    if isinstance(value, dict):
        return {key: parts.get(key, Z) for key in value}
    if type(value) in (tuple, list):
        return type(value)(parts.get(i, Z) for i in range(len(value)))
    return ProjectTo(value)(parts)


def _zeros(x: Any) -> Any:
    """A zero cotangent of `x` as a value: `0.0`, `0j`, zeros of its shape and dtype, or a
    container of these."""
    entries = children_of(x)
    if entries is not None:
        return _assemble(x, {key: _zeros(entry) for key, entry in entries.items()})
    if not has_tangent_space(x):
        return NoTangent()
    if isinstance(x, (np.ndarray, np.generic)):
        return np.zeros_like(x)
    return 0j if isinstance(x, complex) else 0.0
