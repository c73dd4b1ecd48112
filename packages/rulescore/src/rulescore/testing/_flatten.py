"""Flattening: the differentiable numbers inside any value as one float64 vector, and back.

Finite differences perturb a real vector; these functions map primals and tangents of any
structure (numbers, arrays, containers, dataclasses, namedtuples, plain objects) onto such a
vector and back. The layout is the same for a primal and for its tangents:

- a real number (float, int, a NumPy floating scalar) is one entry, a complex number two
  (real part, then imaginary part);
- a floating array is its entries in C order, a complex array its entries' (real, imaginary)
  pairs in C order;
- containers and objects are their parts in order: tuple and list items, dict values in
  insertion order, namedtuple and dataclass fields in declaration order, the attributes of a
  plain object in `vars(x)` order;
- anything else (bool, str, None, integer and bool arrays, NumPy integers, functions, types,
  modules, ...) is a constant with no entries.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from rulescore import (
    AbstractTangent,
    AbstractZero,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    TangentShapeError,
    TangentTypeError,
    ZeroTangent,
    backing,
    unthunk,
)
from rulescore._projection import has_tangent_space, object_fields
from rulescore._tangent_types.structural import tangent_type

__all__ = ["flatten", "flatten_tangent", "unflatten_tangent", "working_eps"]

Vector = npt.NDArray[np.float64]
Unflatten = Callable[[Vector], Any]

_EMPTY: Vector = np.zeros(0)


def flatten(x: Any) -> tuple[Vector, Unflatten]:
    """`flatten(x) -> (v, unflatten)`: the differentiable numbers of `x`, and the way back.

    `v` is a new float64 vector laid out as this module's docstring says. `unflatten(w)`, for
    a vector `w` of `v`'s size, rebuilds a value of `x`'s structure and types with `w`'s
    numbers in place of `v`'s: a Python float or int becomes a float, other numbers and
    arrays keep their type, dtype and shape, constants are returned as they are (the same
    objects), and a container or object without entries is returned as it is. `x` is never
    mutated; dataclasses are rebuilt with `dataclasses.replace` (so `__post_init__` runs)
    unless some field is not an init field, objects with a shallow copy.

    >>> import numpy as np
    >>> v, unflatten = flatten({"w": np.ones(2, np.float32), "n": 3, "name": "layer"})
    >>> v
    array([1., 1., 3.])
    >>> unflatten(np.array([0.5, 2.0, 4.0]))
    {'w': array([0.5, 2. ], dtype=float32), 'n': 4.0, 'name': 'layer'}

    See also: `flatten_tangent`, `unflatten_tangent`.
    """
    parts: list[Vector] = []
    rebuild, size = _flatten(x, parts, 0)
    vector = np.concatenate(parts) if parts else _EMPTY.copy()

    def unflatten(w: Vector) -> Any:
        w = np.asarray(w, dtype=np.float64)
        if w.shape != (size,):
            raise TangentShapeError(f"unflatten needs a vector of shape ({size},), got {w.shape}")
        return rebuild(w)

    return vector, unflatten


def flatten_tangent(primal: Any, tangent: Any) -> Vector:
    """`flatten_tangent(primal, tangent)`: a tangent of `primal` as a float64 vector.

    The vector is aligned entry for entry with `flatten(primal)[0]`. Accepted tangents:
    `ZeroTangent()` or `NoTangent()` anywhere (zeros); thunks (unthunked); for a number, a
    number or 0-d array; for an array, an array-like of exactly its shape (broadcasting is
    not allowed: `TangentShapeError`, a `ValueError`); for a tuple or list, a sequence of the
    same length; for a dict, a dict whose missing keys count as zero; for a namedtuple,
    dataclass or plain object, a `Tangent[type(primal)]` or a dict of fields (missing fields
    count as zero). The tangent of a constant is ignored. A complex tangent of a real primal,
    a tangent of the wrong kind and a `NotImplementedTangent` anywhere raise
    `TangentTypeError` (a `TypeError`).

    >>> from rulescore import ZeroTangent
    >>> flatten_tangent((1.0, 2j, "tag"), (3.0, ZeroTangent(), None))
    array([3., 0., 0.])

    See also: `flatten`, `unflatten_tangent`.
    """
    parts: list[Vector] = []
    _flatten_tangent(primal, tangent, parts)
    return np.concatenate(parts) if parts else _EMPTY.copy()


def unflatten_tangent(primal: Any, v: Vector) -> Any:
    """`unflatten_tangent(primal, v)`: the natural or structural tangent of `primal` in `v`.

    The inverse of `flatten_tangent`: a float for a Python float or int, a complex for a
    complex, the same NumPy type for a NumPy scalar, an array of the primal's shape and dtype
    for an array, the same kind of tuple or list and a dict for containers,
    `Tangent[type(primal)]` for namedtuples, dataclasses and plain objects. A constant, and
    any value without entries, gets `NoTangent()`. `v` must have exactly the primal's number
    of entries.

    >>> import numpy as np
    >>> unflatten_tangent((1.0, np.zeros(2, np.float32), "tag"), np.array([1.0, 2.0, 3.0]))
    (1.0, array([2., 3.], dtype=float32), NoTangent())

    See also: `flatten_tangent`, `Tangent`.
    """
    v = np.asarray(v, dtype=np.float64)
    tangent, stop = _unflatten_tangent(primal, v, 0)
    if v.shape != (stop,):
        raise TangentShapeError(f"the primal has {stop} entries, the vector has shape {v.shape}")
    return tangent


def working_eps(x: Any) -> float:
    """`working_eps(x)`: the machine epsilon of the least precise floating number inside `x`.

    Arrays and NumPy scalars count with their dtype (a complex dtype as its real part's),
    Python floats, ints and complex numbers as float64; with no floating numbers at all,
    float64's. Finite differences of a function of `x` are only as accurate as this.

    >>> import numpy as np
    >>> working_eps((1.0, np.ones(2, np.complex64))), working_eps([1.0, 2])
    (1.1920928955078125e-07, 2.220446049250313e-16)
    """
    children = _children(x)
    if children is not None:
        return max(map(working_eps, children.values()), default=float(np.finfo(np.float64).eps))
    if _leaf_kind(x) != "constant" and isinstance(x, (np.ndarray, np.generic)):
        return float(np.finfo(x.dtype).eps)
    return float(np.finfo(np.float64).eps)


def _flatten(x: Any, parts: list[Vector], start: int) -> tuple[Unflatten, int]:
    """Append `x`'s entries to `parts` from offset `start`; its rebuild function, end offset."""
    children = _children(x)
    if children is None:
        kind = _leaf_kind(x)
        if kind == "constant":
            return _constant(x), start
        entries = _to_floats(x, kind)
        parts.append(entries)
        stop = start + entries.size

        def unflatten_leaf(w: Vector) -> Any:
            return _from_floats(x, kind, w[start:stop])

        return unflatten_leaf, stop
    rebuilds: dict[Any, Unflatten] = {}
    stop = start
    for key, child in children.items():
        rebuilds[key], stop = _flatten(child, parts, stop)
    if stop == start:
        return _constant(x), start

    def unflatten_node(w: Vector) -> Any:
        return _rebuild(x, {key: rebuild(w) for key, rebuild in rebuilds.items()})

    return unflatten_node, stop


def _flatten_tangent(x: Any, dx: Any, parts: list[Vector]) -> None:
    dx = unthunk(dx)
    if isinstance(dx, NotImplementedTangent):
        raise TangentTypeError(
            f"cannot flatten a NotImplementedTangent ({dx.info}, at {dx.location}): "
            "a derivative that a rule does not implement has no value to compare"
        )
    children = _children(x)
    if children is None:
        kind = _leaf_kind(x)
        if kind == "constant":
            return
        if isinstance(dx, AbstractZero):
            parts.append(np.zeros(np.size(x) * (2 if kind == "complex" else 1)))
        else:
            parts.append(_to_floats(_check_leaf_tangent(x, kind, dx), kind))
        return
    child_tangents = _tangent_children(x, children, dx)
    for key, child in children.items():
        _flatten_tangent(child, child_tangents.get(key, ZeroTangent()), parts)


def _unflatten_tangent(x: Any, v: Vector, start: int) -> tuple[Any, int]:
    children = _children(x)
    if children is None:
        kind = _leaf_kind(x)
        if kind == "constant":
            return NoTangent(), start
        stop = start + np.size(x) * (2 if kind == "complex" else 1)
        if stop > v.size:
            raise TangentShapeError(f"the vector of {v.size} entries is too short for the primal")
        return _from_floats(x, kind, v[start:stop]), stop
    fields: dict[Any, Any] = {}
    stop = start
    for key, child in children.items():
        fields[key], stop = _unflatten_tangent(child, v, stop)
    if stop == start:
        return NoTangent(), start
    if _is_namedtuple(x) or not isinstance(x, (tuple, list, dict)):
        return tangent_type(type(x))(**fields), stop
    return fields if isinstance(x, dict) else type(x)(fields.values()), stop


def _children(x: Any) -> dict[Any, Any] | None:
    """The parts of a container or object by key (index, dict key, field name); None for a leaf."""
    fields = object_fields(x)  # the same notion of "object" as ProjectTo's
    if fields is not None:
        return fields
    if isinstance(x, (tuple, list)):
        return dict(enumerate(x))
    if isinstance(x, dict):
        return dict(x)
    return None


def _rebuild(x: Any, parts: dict[Any, Any]) -> Any:
    """`x` with its parts (as `_children` gives them) replaced, built without mutating `x`."""
    if _is_namedtuple(x):
        return type(x)(*parts.values())
    if isinstance(x, (tuple, list)):
        return type(x)(parts.values())
    if dataclasses.is_dataclass(x) and all(field.init for field in dataclasses.fields(x)):
        return dataclasses.replace(x, **parts)  # type: ignore[type-var]
    rebuilt = copy.copy(x)
    for key, value in parts.items():
        if isinstance(x, dict):
            rebuilt[key] = value
        else:
            # Also sets the fields of frozen dataclasses, which own their copy.
            object.__setattr__(rebuilt, key, value)
    return rebuilt


def _tangent_children(x: Any, children: dict[Any, Any], dx: Any) -> dict[Any, Any]:
    """The tangents of `x`'s parts, by the keys of `children`; absent keys mean zero."""
    if isinstance(dx, AbstractZero):
        return {}
    kind = type(x).__qualname__
    if isinstance(x, (tuple, list)) and not _is_namedtuple(x):
        if not isinstance(dx, (tuple, list)) or len(dx) != len(children):
            raise TangentTypeError(
                f"the tangent of a {kind} of length {len(children)} must be a tuple or list "
                f"of the same length, got {_describe(dx)}"
            )
        return dict(enumerate(dx))
    if isinstance(dx, Tangent) and not isinstance(x, dict):
        if dx.primal_type not in (type(x), None):
            raise TangentTypeError(f"the tangent of a {kind} cannot be a {type(dx).__qualname__}")
        dx = backing(dx)
    if not isinstance(dx, dict):
        wanted = "dict" if isinstance(x, dict) else f"Tangent[{kind}] or a dict of fields"
        raise TangentTypeError(f"the tangent of a {kind} must be a {wanted}, got {_describe(dx)}")
    unknown = dx.keys() - children.keys()
    if unknown:
        raise TangentTypeError(f"the tangent has {next(iter(unknown))!r}, which the {kind} lacks")
    return dx


def _leaf_kind(x: Any) -> str:
    """'real', 'complex' or 'constant': how a leaf (not a container or object) is flattened."""
    if not has_tangent_space(x):
        return "constant"
    if isinstance(x, (np.ndarray, np.generic)):
        return "complex" if x.dtype.kind == "c" else "real"
    return "complex" if isinstance(x, complex) else "real"


def _to_floats(x: Any, kind: str) -> Vector:
    a = np.asarray(x)
    if kind == "complex":
        return np.stack([a.real, a.imag], axis=-1).astype(np.float64).ravel()
    return a.astype(np.float64).ravel()


def _from_floats(x: Any, kind: str, w: Vector) -> Any:
    values: Any = w[0::2] + 1j * w[1::2] if kind == "complex" else w
    if isinstance(x, np.ndarray):
        return values.reshape(x.shape).astype(x.dtype)
    if isinstance(x, np.generic):
        return type(x)(values[0])
    return complex(values[0]) if kind == "complex" else float(values[0])


def _check_leaf_tangent(x: Any, kind: str, dx: Any) -> Any:
    """`dx` as an array, after checking that it can be a tangent of the number or array `x`."""
    if isinstance(dx, (AbstractTangent, str, bytes, bool, np.bool_)) or dx is None:
        raise TangentTypeError(f"a {_describe(dx)} cannot be the tangent of {_describe(x)}")
    a = np.asarray(dx)
    if a.dtype.kind not in "iufc":
        raise TangentTypeError(f"a {_describe(dx)} cannot be the tangent of {_describe(x)}")
    if a.dtype.kind == "c" and kind == "real":
        raise TangentTypeError(f"a complex tangent ({_describe(dx)}) of real {_describe(x)}")
    if a.shape != np.shape(x):
        raise TangentShapeError(
            f"a tangent of shape {a.shape} for a primal of shape {np.shape(x)} "
            "(broadcasting is not allowed)"
        )
    return a


def _constant(x: Any) -> Unflatten:
    def unflatten_constant(w: Vector) -> Any:
        return x

    return unflatten_constant


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(type(x), "_fields")


def _describe(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"{x.dtype} array of shape {x.shape}"
    return f"{type(x).__qualname__} {x!r}"[:80]
