"""Plumbing shared by the scipy.integrate rules: arguments, parameters, the user's dynamics.

- `Call(f, args, kwargs)`: a function's arguments by name; a pullback returns one cotangent
  per positional argument (keyword arguments are never differentiated, the rulescore
  contract);
- `Params(args)`: the extra arguments handed to the user's callable, with the layout that
  flattens their cotangents into one vector (which the adjoint ODE integrates) and back;
- `Dynamics(config, fun, params, order)`: the right-hand side `f(t, y, *args)` of an ODE with
  its vector-Jacobian products (`rrule_via_ad`) and Jacobian-vector products
  (`frule_via_ad`) as flat arrays, for `solve_ivp`'s `fun(t, y)` and `odeint`'s `func(y, t)`;
- `field(d, name)`: a field of a result's cotangent (a dict, a `Tangent` or a zero);
- `callable_cotangent(f)` (from `rules.scipy._callables`): `NoTangent()` for a callable that
  holds no differentiable value, else `not_implemented` (closures, bound objects, partials).

>>> import numpy as np
>>> params = Params((2.0, np.ones(2), "label"))
>>> params.size, params.unflatten(np.array([1.0, 2.0, 3.0]))
(3, (1.0, array([2., 3.]), NoTangent()))
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
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
    backing,
    frule_via_ad,
    has_tangent_space,
    not_implemented,
    rrule_via_ad,
    unthunk,
)

__all__ = ["Call", "Dynamics", "Params", "callable_cotangent", "dense", "field", "is_zero"]


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
        constant (options): zero, or `NoTangent()` where they have no tangent space."""
        return (
            NoTangent(),
            *(
                values[name] if name in values else _zero_of(self.arguments[name])
                for name in self.positional
            ),
        )

    def not_implemented(self, reason: str, **values: Any) -> tuple[Any, ...]:
        """`not_implemented(reason)` for every argument with tangents, but those in `values`."""
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


def dense(dx: Any, like: Any) -> np.ndarray:
    """The tangent `dx` of `like` as an array of `like`'s shape (zeros for a zero)."""
    dx = _numbers(dx)
    if isinstance(dx, AbstractZero):
        return np.zeros(np.shape(like), dtype=np.result_type(np.asarray(like), np.float64))
    return np.reshape(np.asarray(dx), np.shape(like))


def _numbers(dx: Any) -> Any:
    """`dx` unthunked, with the zeros inside a tuple or list of tangents as 0.0."""
    dx = unthunk(dx)
    if isinstance(dx, (tuple, list)):
        entries = [_numbers(d) for d in dx]
        return [0.0 if isinstance(d, AbstractZero) else d for d in entries]
    return dx


def is_zero(dx: Any) -> bool:
    """Whether a tangent is zero: a `ZeroTangent`/`NoTangent`, or numbers that are all 0."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return True
    if isinstance(dx, (NotImplementedTangent, Tangent, dict)):
        return False
    if isinstance(dx, (list, tuple)):
        return all(is_zero(d) for d in dx)
    try:
        return not np.any(np.asarray(dx))
    except (TypeError, ValueError):
        return False


def field(d: Any, name: str) -> Any:
    """The cotangent of field `name` inside the cotangent `d` of a result object."""
    d = unthunk(d)
    if isinstance(d, AbstractZero):
        return ZeroTangent()
    if isinstance(d, Tangent):
        d = backing(d)
    return unthunk(d.get(name, ZeroTangent()))


class Params:
    """The extra arguments `args` of a solver (a tuple, a list, or None for none), and the
    layout of their differentiable numbers in one flat vector.

    Numbers and floating arrays are differentiated, entry by entry (complex ones as complex
    entries); values without tangent space (flags, strings, functions) take no entries.
    Other values (objects, containers) are `unsupported`: their cotangent is
    `not_implemented`.
    """

    def __init__(self, args: Any) -> None:
        self.original = args
        self.values: tuple[Any, ...] = () if args is None else tuple(args)
        self.sizes = []
        self.unsupported = []
        for value in self.values:
            differentiable = _is_leaf(value)
            self.sizes.append(int(np.size(value)) if differentiable else 0)
            self.unsupported.append(not differentiable and has_tangents(value))
        self.size = sum(self.sizes)
        self.is_complex = any(np.iscomplexobj(v) for v in self.values if _is_leaf(v))

    def tangents(self, dargs: Any) -> tuple[Any, ...]:
        """One tangent per entry of `values`, from the tangent of `args` as a whole."""
        dargs = unthunk(dargs)
        if isinstance(dargs, AbstractZero) or self.original is None:
            return tuple(ZeroTangent() for _ in self.values)
        return tuple(unthunk(d) for d in dargs)

    def flatten(self, cotangents: tuple[Any, ...]) -> np.ndarray:
        """The differentiable entries of the per-argument `cotangents`, as one vector."""
        parts = [
            np.ravel(dense(c, value))
            for value, c, size in zip(self.values, cotangents, self.sizes, strict=True)
            if size
        ]
        return np.concatenate(parts) if parts else np.zeros(0)

    def unflatten(self, v: np.ndarray) -> tuple[Any, ...]:
        """Projected cotangents, one per argument, from a vector laid out as `flatten`'s."""
        out: list[Any] = []
        start = 0
        for value, size, unsupported in zip(self.values, self.sizes, self.unsupported, strict=True):
            if unsupported:
                out.append(not_implemented("derivative in a structured entry of `args`"))
            elif size == 0:
                out.append(ProjectTo(value)(ZeroTangent()))
            else:
                part = v[start : start + size]
                start += size
                scalar = np.ndim(value) == 0 and not isinstance(value, np.ndarray)
                out.append(
                    ProjectTo(value)(part[0] if scalar else np.reshape(part, np.shape(value)))
                )
        return tuple(out)

    def cotangent(self, parts: tuple[Any, ...]) -> Any:
        """The cotangent of `args` from one cotangent per entry."""
        if self.original is None or all(isinstance(unthunk(p), AbstractZero) for p in parts):
            return ZeroTangent() if has_tangents(self.original) else NoTangent()
        return ProjectTo(self.original)(type(self.original)(parts))


def _is_leaf(x: Any) -> bool:
    """A number or a floating array: the entries `Params` differentiates."""
    if isinstance(x, (tuple, list, dict)) or not has_tangent_space(x):
        return False
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return isinstance(x, (int, float, complex, np.floating, np.complexfloating))


class Dynamics:
    """The right-hand side `f(t, y, *args)` of an ODE and its derivatives, as flat arrays.

    `time_first`: `fun(t, y, *args)` (`solve_ivp`, `odeint(tfirst=True)`) or
    `func(y, t, *args)` (`odeint`). Products are taken by the engine through `config`.
    """

    def __init__(self, config: Any, fun: Any, params: Params, time_first: bool = True):
        self.config, self.fun, self.params, self.time_first = config, fun, params, time_first
        self.function_cotangent: Any = NoTangent()

    def _arguments(self, t: float, y: np.ndarray) -> tuple[Any, ...]:
        return (t, y) if self.time_first else (y, t)

    def __call__(self, t: float, y: np.ndarray) -> np.ndarray:
        return np.ravel(np.asarray(self.fun(*self._arguments(t, y), *self.params.values)))

    def vjp(
        self, t: float, y: np.ndarray, a: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """`(f, f_yᴴ a, f_θᴴ a)`: the right-hand side and its vector-Jacobian products in `y`
        and in the flattened parameters (the cotangent convention of the rules)."""
        out, back = rrule_via_ad(self.config, self.fun, *self._arguments(t, y), *self.params.values)
        cotangents = back(_seed_like(out, a))
        dy = cotangents[2] if self.time_first else cotangents[1]
        if not isinstance(unthunk(cotangents[0]), AbstractZero):
            self.function_cotangent = not_implemented(
                "derivative in the state of a callable object passed to an ODE solver"
            )
        flat = np.ravel(np.asarray(out))
        return flat, np.ravel(dense(dy, y)), self.params.flatten(cotangents[3:])

    def jvp(
        self, t: float, y: np.ndarray, dy: Any, dparams: tuple[Any, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """`(f, f_y dy + f_θ dθ)` at `(t, y)`, as flat arrays."""
        tangents = (ZeroTangent(), dy) if self.time_first else (dy, ZeroTangent())
        out, dout = frule_via_ad(
            self.config,
            (NoTangent(), *tangents, *dparams),
            self.fun,
            *self._arguments(t, y),
            *self.params.values,
        )
        flat = np.ravel(np.asarray(out))
        return flat, np.ravel(dense(dout, flat))


def _seed_like(out: Any, v: np.ndarray) -> Any:
    """A cotangent of the callable's output `out` (an array, a list, a number) holding `v`."""
    if isinstance(out, (list, tuple)):
        sizes = [int(np.size(o)) for o in out]
        parts = np.split(np.ravel(v), np.cumsum(sizes)[:-1])
        return type(out)(_seed_like(o, p) for o, p in zip(out, parts, strict=True))
    if np.ndim(out) == 0 and not isinstance(out, np.ndarray):
        return ProjectTo(out)(np.ravel(v)[0])
    return ProjectTo(out)(np.reshape(v, np.shape(out)))
