"""Bases of tangent spaces, and the real inner product between tangents: what turns pushes
forward along basis directions into Jacobians and cotangents.

A value's directions are the unit tangents of its real coordinates: one for a float, two
(`1` and `1j`) for a complex number, one per element of a real array (two of a complex one),
the concatenation of its items' for a tuple, list or dict; none for ints inside containers,
bools, strings and integer arrays.

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

__all__ = ["combine", "directions", "inner"]

_ZERO = ZeroTangent()


def directions(x: Any, top: bool = True) -> list[Any]:
    """The unit tangents of `x`'s real coordinates, in order (Python ints count as reals
    at the top level, as the user API differentiates them)."""
    if isinstance(x, bool):
        return []
    if isinstance(x, float | np.floating) or (top and isinstance(x, int)):
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
    if isinstance(x, tuple | list | dict):
        items = list(x.values()) if isinstance(x, dict) else list(x)
        found = []
        for i, item in enumerate(items):
            for d in directions(item, top=False):
                parts = [d if j == i else _ZERO for j in range(len(items))]
                found.append(_rebuild(x, parts))
        return found
    return []


def _rebuild(x: Any, parts: list[Any]) -> Any:
    if isinstance(x, dict):
        return dict(zip(x, parts, strict=True))
    if hasattr(x, "_fields"):
        return Tangent[type(x)](**dict(zip(x._fields, parts, strict=True)))  # type: ignore[misc]
    return list(parts) if isinstance(x, list) else tuple(parts)


def combine(x: Any, coefficients: list[Any], top: bool = True) -> Any:
    """The tangent of `x` with the given coordinates along `directions(x)`."""
    if isinstance(x, bool):
        return NoTangent()
    if isinstance(x, float | np.floating) or (top and isinstance(x, int)):
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
    if isinstance(x, tuple | list | dict):
        items = list(x.values()) if isinstance(x, dict) else list(x)
        parts, start = [], 0
        for item in items:
            count = len(directions(item, top=False))
            parts.append(combine(item, coefficients[start : start + count], top=False))
            start += count
        return _rebuild(x, parts)
    return NoTangent()


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
