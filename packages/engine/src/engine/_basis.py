"""Bases of tangent spaces, and the real inner product between tangents: what turns pushes
forward along basis directions into Jacobians and cotangents.

A value's directions are the unit tangents of its real coordinates: one for a float or an
int, two (`1` and `1j`) for a complex number, one per element of a real array (two of a
complex one), the concatenation of its parts' for a tuple, list, dict, named tuple,
dataclass or plain object (whose tangents are `Tangent`s); none for bools, strings and
integer arrays.

>>> import numpy as np
>>> directions(np.array([1.0, 2.0]))
[array([1., 0.]), array([0., 1.])]
>>> combine(np.array([1.0, 2.0]), [3.0, 4.0])
array([3., 4.])
>>> inner((1.0, np.array([1.0, 2.0])), (2.0, np.array([3.0, 4.0])))
13.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rulescore import NoTangent, Tangent, ZeroTangent, backing, unthunk
from rulescore._projection import object_fields

__all__ = ["combine", "directions", "inner"]

_ZERO = ZeroTangent()


def directions(x: Any) -> list[Any]:
    """The unit tangents of `x`'s real coordinates, in order (Python ints count as reals,
    as the engines differentiate them)."""
    if isinstance(x, bool | np.bool_):
        return []
    if isinstance(x, float | int | np.floating):
        return [type(x)(1) if isinstance(x, np.floating) else 1.0]
    if isinstance(x, complex | np.complexfloating):
        return [type(x)(1), type(x)(1j)]
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.inexact):
            return []
        units = [1, 1j] if np.iscomplexobj(x) else [1]
        found = []
        for i in range(x.size):
            for unit in units:
                e = np.zeros_like(x)
                e.flat[i] = unit
                found.append(e)
        return found
    items = _items(x)
    if items is None:
        return []
    found = []
    for i, item in enumerate(items.values()):
        for d in directions(item):
            parts = [d if j == i else _ZERO for j in range(len(items))]
            found.append(_rebuild(x, items, parts))
    return found


def _items(x: Any) -> dict[Any, Any] | None:
    """The parts of a container or object, by key, index or field name; `None` for others."""
    if isinstance(x, dict):
        return dict(x)
    if isinstance(x, tuple | list) and not hasattr(type(x), "_fields"):
        return dict(enumerate(x))
    return object_fields(x)


def _rebuild(x: Any, items: dict[Any, Any], parts: list[Any]) -> Any:
    if isinstance(x, dict):
        return dict(zip(items, parts, strict=True))
    if isinstance(x, list):
        return list(parts)
    if isinstance(x, tuple) and not hasattr(type(x), "_fields"):
        return tuple(parts)
    return Tangent[type(x)](**dict(zip(items, parts, strict=True)))  # type: ignore[misc]


def combine(x: Any, coefficients: list[Any]) -> Any:
    """The tangent of `x` with the given coordinates along `directions(x)`."""
    if isinstance(x, bool | np.bool_):
        return NoTangent()
    if isinstance(x, float | int | np.floating):
        return type(x)(coefficients[0]) if isinstance(x, np.floating) else float(coefficients[0])
    if isinstance(x, complex | np.complexfloating):
        return type(x)(complex(coefficients[0], coefficients[1]))
    if isinstance(x, np.ndarray):
        if not np.issubdtype(x.dtype, np.inexact):
            return NoTangent()
        values = np.asarray(coefficients, dtype=float)
        if np.iscomplexobj(x):
            values = values[0::2] + 1j * values[1::2]
        return values.reshape(x.shape).astype(x.dtype, copy=False)
    items = _items(x)
    if items is None:
        return NoTangent()
    parts, start = [], 0
    for item in items.values():
        count = len(directions(item))
        parts.append(combine(item, coefficients[start : start + count]))
        start += count
    return _rebuild(x, items, parts)


def inner(a: Any, b: Any) -> float:
    """The real inner product `Re <a, b>` of two tangents of the same value."""
    a, b = unthunk(a), unthunk(b)
    if isinstance(a, ZeroTangent | NoTangent) or isinstance(b, ZeroTangent | NoTangent):
        return 0.0
    if a is None or b is None:
        return 0.0
    if isinstance(a, Tangent) or isinstance(b, Tangent):
        fa = backing(a) if isinstance(a, Tangent) else {}
        fb = backing(b) if isinstance(b, Tangent) else {}
        return sum((inner(fa[k], fb[k]) for k in fa.keys() & fb.keys()), 0.0)
    if isinstance(a, dict):
        return sum((inner(v, b[k]) for k, v in a.items() if k in b), 0.0)
    if isinstance(a, tuple | list):
        return sum((inner(u, v) for u, v in zip(a, b, strict=True)), 0.0)
    return float(np.real(np.vdot(np.asarray(a), np.asarray(b))))
