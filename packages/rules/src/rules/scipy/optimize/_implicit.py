"""Plumbing shared by the scipy.optimize rules: arguments, result fields, implicit derivatives.

- `Call(f, args, kwargs)`: a solver's arguments by name; a pullback returns one cotangent per
  positional argument (keyword arguments are never differentiated, the rulescore contract);
- `Params(args, wrap)`: the `args=` tuple handed to the user's callable, with the tangents of
  its entries and the cotangent of the whole;
- `Solution`: the fields of a result object (`OptimizeResult`, `RootResults`) that a rule
  differentiates, read from a cotangent (a dict, a `Tangent`, a zero) and written into the
  tangent of an frule;
- `implicit_vjp` / `implicit_jvp`: the implicit function theorem for `R(x*, θ) = 0`, i.e.
  `dx* = -R_x⁻¹ R_θ dθ`, from the vector-Jacobian (Jacobian-vector) products of `R`; the
  Jacobian `R_x` is assembled densely from `n` products (`n` the number of unknowns);
- `callable_cotangent(f)` (from `rules.scipy._callables`): `NoTangent()` for a callable that
  holds no differentiable value, else `not_implemented` (closures, bound objects, partials).

>>> import numpy as np
>>> call = Call(np.clip, (np.ones(2), 0.0), {"a_max": 1.0})
>>> call.get("a_min"), call.positional
(0.0, ('a', 'a_min'))
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rules.scipy._callables import callable_cotangent, has_tangents
from rulescore import (
    AbstractZero,
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Tangent,
    ZeroTangent,
    add_tangents,
    backing,
    not_implemented,
    unthunk,
)

__all__ = [
    "Call",
    "Params",
    "Solution",
    "callable_cotangent",
    "dense",
    "first_part",
    "first_seed",
    "implicit_jvp",
    "implicit_vjp",
    "is_zero",
    "seed_like",
]


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


class Call:
    """The arguments of `f(*args, **kwargs)` by name, and the names of the positional ones."""

    def __init__(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        signature = _signature(f)
        self.arguments = signature.bind(*args, **kwargs).arguments
        self.positional = tuple(signature.parameters)[: len(args)]

    def get(self, name: str, default: Any = None) -> Any:
        return self.arguments.get(name, default)

    def tangent(self, tangents: tuple[Any, ...], name: str) -> Any:
        """The tangent given to argument `name`: zero for a keyword (or absent) argument."""
        if name in self.positional:
            return unthunk(tangents[1 + self.positional.index(name)])
        return ZeroTangent()

    def cotangents(self, **values: Any) -> tuple[Any, ...]:
        """`(NoTangent(), ...)`: one per positional argument; those not named are held
        constant (options, brackets, starting points): zero, or `NoTangent()` where the
        argument has no tangent space."""
        return (
            NoTangent(),
            *(
                values[name] if name in values else _zero_of(self.arguments[name])
                for name in self.positional
            ),
        )

    def not_implemented(self, reason: str, **values: Any) -> tuple[Any, ...]:
        """The cotangents with `not_implemented(reason)` for every differentiable argument
        that would have a derivative (all but the ones given in `values`)."""
        unknown = not_implemented(reason)
        return (
            NoTangent(),
            *(
                values[name]
                if name in values
                else (unknown if has_tangents(self.arguments[name]) else NoTangent())
                for name in self.positional
            ),
        )


def _zero_of(x: Any) -> Any:
    return ZeroTangent() if has_tangents(x) else NoTangent()


class Params:
    """The extra arguments `args` of a solver, as the tuple the callable receives.

    `wrap`: the solver turns a non-tuple into a 1-tuple (`root`, `minimize`, `brentq`, ...);
    otherwise a list is unpacked like a tuple (`least_squares`, `newton`, `fixed_point`).
    """

    def __init__(self, args: Any, wrap: bool = True) -> None:
        self.original = args
        self.single = not isinstance(args, tuple) and (wrap or not isinstance(args, list))
        self.values: tuple[Any, ...] = (args,) if self.single else tuple(args)
        self.project = ProjectTo(args)

    def tangents(self, dargs: Any) -> tuple[Any, ...]:
        """One tangent per entry of `values`, from the tangent of `args` as a whole."""
        dargs = unthunk(dargs)
        if isinstance(dargs, AbstractZero):
            return tuple(ZeroTangent() for _ in self.values)
        if self.single:
            return (dargs,)
        return tuple(unthunk(d) for d in dargs)

    def cotangent(self, parts: Iterable[Any]) -> Any:
        """The cotangent of `args` from one cotangent per entry of `values`."""
        parts = tuple(unthunk(p) for p in parts)
        if all(isinstance(p, AbstractZero) for p in parts):
            return self.project(ZeroTangent())
        if self.single:
            return self.project(parts[0])
        return self.project(type(self.original)(parts))

    def add(self, a: tuple[Any, ...], b: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(add_tangents(x, y) for x, y in zip(a, b, strict=True))


def dense(dx: Any, like: Any) -> np.ndarray:
    """The tangent `dx` of `like` as an array of `like`'s shape (zeros for a zero)."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return np.zeros(np.shape(like))
    return np.reshape(np.asarray(dx), np.shape(like))


def is_zero(dx: Any) -> bool:
    """Whether a tangent is zero: a `ZeroTangent`/`NoTangent`, or numbers that are all 0."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return True
    if isinstance(dx, (NotImplementedTangent, Tangent, dict, list, tuple)):
        return False
    try:
        return not np.any(np.asarray(dx))
    except (TypeError, ValueError):
        return False


def seed_like(out: Any, v: Any) -> Any:
    """A cotangent (or tangent) of a callable's output `out` holding the numbers of `v`."""
    v = np.ravel(np.asarray(v))
    if isinstance(out, (list, tuple)):
        sizes = [int(np.size(o)) for o in out]
        parts = np.split(v, np.cumsum(sizes)[:-1])
        return type(out)(seed_like(o, p) for o, p in zip(out, parts, strict=True))
    if np.ndim(out) == 0 and not isinstance(out, np.ndarray):
        return ProjectTo(out)(v[0])
    return ProjectTo(out)(np.reshape(v, np.shape(out)))


def first_seed(out: Any, v: Any, first: bool) -> Any:
    """`seed_like` for the first entry of `out` when the callable returns `(value, derivative,
    ...)` (`jac=True`, `fprime=True`); the other entries get zeros."""
    if not first:
        return seed_like(out, v)
    return type(out)((seed_like(out[0], v), *(ZeroTangent() for _ in out[1:])))


def first_part(out: Any, first: bool) -> Any:
    """A callable's output, or a tangent of it: its first entry when `first`."""
    out = unthunk(out)
    if first and not isinstance(out, AbstractZero):
        return unthunk(out[0])
    return out


class Solution:
    """The fields of a solver's result that a rule differentiates.

    `fields`: the names differentiated (their cotangents are read by `read`); every other
    field is either integer-valued (counters, status flags: zero derivative) or, if it holds
    floats (a Jacobian, an inverse Hessian estimate, residual norms), not differentiated:
    a non-zero cotangent for it makes the rule return `not_implemented`.
    """

    def __init__(self, result: Any, fields: tuple[str, ...], zero: tuple[str, ...] = ()):
        self.result = result
        self.fields = fields
        self.zero = zero

    def read(self, dresult: Any) -> tuple[dict[str, Any], str | None]:
        """The cotangents of `fields` (zeros where absent) and the name of a field whose
        non-zero cotangent the rule cannot handle (None if there is none)."""
        dresult = unthunk(dresult)
        if isinstance(dresult, AbstractZero):
            return {name: ZeroTangent() for name in self.fields}, None
        entries = backing(dresult) if isinstance(dresult, Tangent) else dict(dresult)
        found = {name: unthunk(entries.get(name, ZeroTangent())) for name in self.fields}
        for name, value in entries.items():
            if name in self.fields or name in self.zero or is_zero(value):
                continue
            if _is_float_field(self.result.get(name)):
                return found, name
        return found, None

    def tangent(self, **values: Any) -> dict[str, Any]:
        """The tangent of the result: `values` for the differentiated fields, and
        `not_implemented` for floating fields outside `fields` and `zero`."""
        tangent: dict[str, Any] = {}
        for name, value in self.result.items():
            if name in values:
                tangent[name] = values[name]
            elif name not in self.zero and _is_float_field(value):
                tangent[name] = not_implemented(f"derivative of the result's `{name}` field")
        return tangent


def _is_float_field(value: Any) -> bool:
    if isinstance(value, (tuple, list)):
        return any(_is_float_field(v) for v in value)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (float, complex)):
        return True
    dtype = getattr(value, "dtype", None)
    return dtype is not None and dtype.kind in "fc"


def implicit_vjp(
    residual_vjp: Callable[[np.ndarray], tuple[np.ndarray, Any]],
    n: int,
    xbar: np.ndarray,
    transposed: np.ndarray | None = None,
) -> Any:
    """`-R_θᵀ R_x⁻ᵀ x̄`: the cotangent of the parameters θ for the cotangent `x̄` of the
    solution of `R(x*, θ) = 0` (the implicit function theorem).

    `residual_vjp(w)` returns `(R_xᵀ w, R_θᵀ w)`, the first part a flat array; the second
    part, for `w = -R_x⁻ᵀ x̄`, is returned. `R_xᵀ` is assembled from `n` products unless
    given (`transposed`). A singular `R_x` (the solution is not locally unique) raises
    `numpy.linalg.LinAlgError`.
    """
    if transposed is None:
        transposed = np.empty((n, n))
        for i in range(n):
            transposed[:, i] = residual_vjp(np.eye(n)[i])[0]
    w = np.linalg.solve(np.reshape(transposed, (n, n)), np.ravel(xbar))
    return residual_vjp(-w)[1]


def implicit_jvp(
    residual_jvp: Callable[[np.ndarray | None, bool], np.ndarray],
    n: int,
    jacobian: np.ndarray | None = None,
) -> np.ndarray:
    """`-R_x⁻¹ R_θ dθ`: the tangent of the solution of `R(x*, θ) = 0`, as a flat array.

    `residual_jvp(v, with_params)` returns `R_x v` (for `v` an array, with zero parameter
    tangents) or `R_θ dθ` (for `v = None`, with the parameters' tangents), as flat arrays.
    `R_x` is assembled from `n` products unless given (`jacobian`).
    """
    rhs = residual_jvp(None, True)
    if not np.any(rhs):
        return np.zeros(n)
    if jacobian is None:
        jacobian = np.column_stack([residual_jvp(np.eye(n)[i], False) for i in range(n)])
    return -np.linalg.solve(np.reshape(jacobian, (n, n)), rhs)
