"""`ProjectTo(x)`: map a tangent onto the tangent space of the primal `x`.

Rules call it on every cotangent they return, so that an engine gets tangents of the
primal's own kind: the dtype kept (float32 stays float32), real for a real primal, the
primal's shape (broadcast dimensions summed away), a field-by-field `Tangent` for objects.
"""

from __future__ import annotations

import dataclasses
import enum
import types
from typing import TYPE_CHECKING, Any

from rulescore._arrays import is_array, is_numpy_scalar, is_ufunc, numpy
from rulescore._errors import TangentShapeError, TangentTypeError
from rulescore._tangent_types import (
    AbstractTangent,
    AbstractZero,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    Thunk,
    backing,
)
from rulescore._tangent_types.structural import tangent_type

__all__ = ["ProjectTo", "has_tangent_space", "unbroadcast"]

_NO_TANGENT_TYPES: tuple[type, ...] = (
    bool,
    str,
    bytes,
    type(None),
    range,
    slice,
    type(Ellipsis),
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.MethodType,
    types.ModuleType,
    enum.Enum,
)


class _ProjectToMeta(type):
    """`ProjectTo(x)` picks the projector class for `x`; subclasses are built directly."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls is ProjectTo:
            return _projector_for(*args, **kwargs)
        return super().__call__(*args, **kwargs)


class ProjectTo(metaclass=_ProjectToMeta):
    """`ProjectTo(x)(dx)`: the tangent `dx` expressed in the tangent space of the primal `x`.

    `ProjectTo(x)` inspects `x` once and returns a projector; calling it on a tangent:

    - float, int -> float (ints are differentiated as reals: `f'(10) == 5.0`); complex ->
      complex; a NumPy scalar -> the same NumPy type; the real part for a real primal;
    - ndarray -> ndarray of `x`'s dtype and shape: a tangent broadcast against `x` is summed
      back (`unbroadcast`), size-1 axes are reshaped; anything else raises
      `TangentShapeError`;
    - tuple, list, dict -> the same container, entry by entry (an array tangent of a list
      that NumPy read as an array-like is split into its rows);
    - dataclass, namedtuple, plain object -> `Tangent[type(x)]`, field by field;
    - bool, str, None, functions, types, NumPy integer and bool values -> `NoTangent()`.

    Zero and `NotImplemented` tangents pass through; a thunk stays lazy.

    >>> import numpy as np
    >>> ProjectTo(np.float32(1))(2.0 + 1.0j)
    np.float32(2.0)
    >>> ProjectTo(np.ones(3))(np.ones((2, 3)))
    array([2., 2., 2.])
    >>> ProjectTo(10)(np.float64(5.0)), ProjectTo(True)(1.0)
    (5.0, NoTangent())

    See also: `unbroadcast`, `Tangent`.
    """

    __slots__ = ()

    if TYPE_CHECKING:

        def __init__(self, x: Any) -> None: ...

    def __call__(self, dx: Any) -> Any:
        if isinstance(dx, (AbstractZero, NotImplementedTangent)):
            return dx
        if isinstance(dx, Thunk):
            return Thunk(_ProjectedThunk(self, dx))
        return self._project(dx)

    def _project(self, dx: Any) -> Any:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


@dataclasses.dataclass(frozen=True, slots=True)
class _ProjectedThunk:
    project: ProjectTo
    dx: Thunk

    def __call__(self) -> Any:
        return self.project(self.dx.unthunk())


class _NoTangentProjector(ProjectTo):
    __slots__ = ()

    def __init__(self) -> None:
        pass

    def __call__(self, dx: Any) -> Any:
        return NoTangent()


class _FunctionProjector(_NoTangentProjector):
    """A function: no tangent space of its own, but a closure's tangent (a `Tangent` through
    the variables it captured, made by engines) passes through containers unchanged."""

    __slots__ = ()

    def __call__(self, dx: Any) -> Any:
        return dx if isinstance(dx, Tangent) else NoTangent()


class _TangentProjector(ProjectTo):
    """A structural tangent taken as a primal (differentiating a pullback): its tangents are
    tangents of the same type."""

    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def _project(self, dx: Any) -> Any:
        if isinstance(dx, dict):
            return self.kind(**dx)
        if isinstance(dx, Tangent):
            return dx
        raise TangentTypeError(
            f"the tangent of a {self.kind.__name__} must be one, got {_describe(dx)}"
        )


class _NumberProjector(ProjectTo):
    """Python float/int/complex primal: a Python number of the same field."""

    __slots__ = ("complex",)

    def __init__(self, is_complex: bool) -> None:
        self.complex = is_complex

    def _project(self, dx: Any) -> Any:
        dx = _as_scalar(dx)
        return complex(dx) if self.complex else float(_real(dx))

    def __repr__(self) -> str:
        return f"ProjectTo({'complex' if self.complex else 'float'})"


class _NumpyScalarProjector(ProjectTo):
    __slots__ = ("scalar_type",)

    def __init__(self, scalar_type: type) -> None:
        self.scalar_type = scalar_type

    def _project(self, dx: Any) -> Any:
        dx = _as_scalar(dx)
        if not issubclass(self.scalar_type, numpy().complexfloating):
            dx = _real(dx)
        return self.scalar_type(dx)

    def __repr__(self) -> str:
        return f"ProjectTo({self.scalar_type.__name__})"


class _ArrayProjector(ProjectTo):
    __slots__ = ("dtype", "shape")

    def __init__(self, shape: tuple[int, ...], dtype: Any) -> None:
        self.shape = shape
        self.dtype = dtype

    def _project(self, dx: Any) -> Any:
        np = numpy()
        if not is_array(dx):
            dx = np.asarray(dx)
        if dx.dtype.kind not in "biufc":
            raise TangentTypeError(f"cannot project a tangent of dtype {dx.dtype} onto an array")
        if self.dtype.kind != "c" and dx.dtype.kind == "c":
            dx = dx.real
        if dx.shape != self.shape:
            dx = _fit_shape(dx, self.shape)
        return dx if dx.dtype == self.dtype else dx.astype(self.dtype)

    def __repr__(self) -> str:
        return f"ProjectTo(ndarray, shape={self.shape}, dtype={self.dtype})"


class _SequenceProjector(ProjectTo):
    __slots__ = ("elements", "kind")

    def __init__(self, x: tuple[Any, ...] | list[Any]) -> None:
        self.kind = type(x)
        self.elements = [ProjectTo(xi) for xi in x]

    def _project(self, dx: Any) -> Any:
        if is_array(dx) and dx.ndim > 0 and len(dx) == len(self.elements):
            dx = list(dx)  # NumPy took the sequence as an array-like: one row per entry
        if not isinstance(dx, (tuple, list)) or len(dx) != len(self.elements):
            raise TangentTypeError(
                f"the tangent of a {self.kind.__name__} of length {len(self.elements)} must be a "
                f"sequence of the same length, got {_describe(dx)}"
            )
        return self.kind(p(d) for p, d in zip(self.elements, dx, strict=True))


class _DictProjector(ProjectTo):
    __slots__ = ("entries",)

    def __init__(self, x: dict[Any, Any]) -> None:
        self.entries = {k: ProjectTo(v) for k, v in x.items()}

    def _project(self, dx: Any) -> Any:
        if not isinstance(dx, dict):
            raise TangentTypeError(f"the tangent of a dict must be a dict, got {_describe(dx)}")
        unknown = dx.keys() - self.entries.keys()
        if unknown:
            raise TangentTypeError(f"tangent has key {next(iter(unknown))!r} that the dict lacks")
        return {k: self.entries[k](v) for k, v in dx.items()}


class _StructuralProjector(ProjectTo):
    """Objects: fields are projected on use, so that cyclic object graphs are fine."""

    __slots__ = ("primal",)

    def __init__(self, primal: Any) -> None:
        self.primal = primal

    def _project(self, dx: Any) -> Any:
        kind = type(self.primal)
        if isinstance(dx, dict):
            fields = dx
        elif isinstance(dx, Tangent) and dx.primal_type in (kind, None):
            fields = backing(dx)
        else:
            raise TangentTypeError(
                f"the tangent of a {kind.__qualname__} must be a Tangent[{kind.__qualname__}], "
                f"got {_describe(dx)}"
            )
        projected = {}
        for name, value in fields.items():
            if not hasattr(self.primal, name):
                raise TangentTypeError(f"{kind.__qualname__} has no field {name!r}")
            projected[name] = ProjectTo(getattr(self.primal, name))(value)
        return tangent_type(kind)(**projected)

    def __repr__(self) -> str:
        return f"ProjectTo({type(self.primal).__qualname__})"


def _projector_for(x: Any) -> ProjectTo:
    if isinstance(x, types.FunctionType) and x.__closure__:
        return _FunctionProjector()
    if isinstance(x, Tangent):
        return _TangentProjector(type(x))
    if isinstance(x, (*_NO_TANGENT_TYPES, AbstractTangent)) or is_ufunc(x):
        return _NoTangentProjector()
    if is_numpy_scalar(x):  # before float/complex: np.float64 and np.complex128 subclass them
        return _NumpyScalarProjector(type(x)) if x.dtype.kind in "fc" else _NoTangentProjector()
    if isinstance(x, (int, float)):
        return _NumberProjector(is_complex=False)
    if isinstance(x, complex):
        return _NumberProjector(is_complex=True)
    if is_array(x):
        if x.dtype.kind in "fc":
            return _ArrayProjector(tuple(x.shape), x.dtype)
        return _NoTangentProjector()
    if object_fields(x) is not None:
        return _StructuralProjector(x)
    if isinstance(x, (tuple, list)):
        return _SequenceProjector(x)
    if isinstance(x, dict):
        return _DictProjector(x)
    return _NoTangentProjector()


def object_fields(x: Any) -> dict[str, Any] | None:
    """The fields of an object whose tangent is a `Tangent[type(x)]`; `None` for other values.

    Namedtuples by `_fields`, dataclasses by `dataclasses.fields`, other objects by their
    `__dict__` and `__slots__`. Numbers, arrays, containers and values with no tangent space
    (functions, types, str, ...) are not objects in this sense.
    """
    if isinstance(x, (*_NO_TANGENT_TYPES, AbstractTangent, int, float, complex)) or is_ufunc(x):
        return None
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return {name: getattr(x, name) for name in getattr(type(x), "_fields")}  # noqa: B009
    if isinstance(x, (tuple, list, dict)) or is_array(x) or is_numpy_scalar(x):
        return None
    if dataclasses.is_dataclass(x):
        return {field.name: getattr(x, field.name) for field in dataclasses.fields(x)}
    fields = dict(getattr(x, "__dict__", {}))
    for cls in type(x).__mro__:
        for name in getattr(cls, "__slots__", ()):
            if name not in ("__dict__", "__weakref__") and hasattr(x, name):
                fields[name] = getattr(x, name)
    return fields if fields or hasattr(x, "__dict__") else None


def has_tangent_space(x: Any) -> bool:
    """`has_tangent_space(x)`: whether `x` has tangents at all.

    False where `ProjectTo(x)` gives `NoTangent()` whatever the tangent: bool, str, None,
    functions, NumPy integer and bool arrays. A rule returns `NoTangent()` for such an
    argument and `ZeroTangent()` (or zeros) for others whose derivative is zero.

    >>> import numpy as np
    >>> has_tangent_space(1.5), has_tangent_space(np.arange(3)), has_tangent_space("s")
    (True, False, False)
    """
    return not isinstance(_projector_for(x), _NoTangentProjector)


def unbroadcast(x: Any, dx: Any) -> Any:
    """`unbroadcast(x, dx)`: sum the tangent `dx` of `x`'s broadcast back to `x`'s shape.

    `x` is the primal (an array or a number) or a shape tuple. Leading axes that broadcasting
    added are summed away, and so are axes where `x` has size 1. Zeros pass through.

    >>> import numpy as np
    >>> unbroadcast(np.ones((3, 1)), np.ones((2, 3, 4)))
    array([[8.],
           [8.],
           [8.]])
    >>> unbroadcast((), np.ones(5))
    np.float64(5.0)
    """
    if isinstance(dx, AbstractTangent):
        return dx
    np = numpy()
    shape = x if isinstance(x, tuple) else np.shape(x)
    dx_shape = np.shape(dx)
    if dx_shape == shape:
        return dx
    extra = len(dx_shape) - len(shape)
    if extra < 0 or any(s not in (1, d) for s, d in zip(shape, dx_shape[extra:], strict=True)):
        raise TangentShapeError(f"cannot sum a tangent of shape {dx_shape} back to shape {shape}")
    kept = tuple(i + extra for i, s in enumerate(shape) if s == 1 and dx_shape[i + extra] != 1)
    summed = np.sum(dx, axis=tuple(range(extra)) + kept, keepdims=True)
    return np.reshape(summed, shape) if shape else summed.reshape(()).sum()


def _fit_shape(dx: Any, shape: tuple[int, ...]) -> Any:
    np = numpy()
    size = 1
    for n in shape:
        size *= n
    if dx.size == size and [n for n in dx.shape if n != 1] == [n for n in shape if n != 1]:
        return np.reshape(dx, shape)
    try:
        return np.asarray(unbroadcast(shape, dx))
    except TangentShapeError:
        raise TangentShapeError(
            f"a tangent of shape {dx.shape} does not fit a primal of shape {shape}"
        ) from None


def _as_scalar(dx: Any) -> Any:
    if is_array(dx):
        return numpy().sum(dx) if dx.shape else dx[()]
    if isinstance(dx, (int, float, complex)) or is_numpy_scalar(dx):
        return dx
    raise TangentTypeError(f"the tangent of a number must be a number, got {_describe(dx)}")


def _real(dx: Any) -> Any:
    return dx.real if isinstance(dx, complex) or getattr(dx, "dtype", None) is not None else dx


def _describe(dx: Any) -> str:
    shape = getattr(dx, "shape", None)
    return f"{type(dx).__name__} of shape {shape}" if shape is not None else repr(dx)[:80]
