"""What the rules of `scipy.stats` share: which positional argument of a distribution method
is which parameter (`bind`), and the frule/rrule pair of a method whose partial derivatives
are computed on demand (`register_method`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    has_tangent_space,
    rrule,
    unthunk,
)

__all__ = ["Lazy", "Parameters", "bind", "register_method", "shape_names"]

# A partial derivative: a nullary function giving it, broadcast against the output, or a
# zero tangent where it is identically zero (`ZeroTangent()`) or does not exist (`NoTangent()`).
Lazy = Callable[[], Any] | AbstractZero
Partials = Callable[[tuple[Any, ...], dict[str, Any], Any], Sequence[Lazy]]


@dataclass(frozen=True)
class Parameters:
    """The arguments of `dist.method(x, *shapes, loc, scale)`, positional or by keyword, as
    float64 arrays broadcast together; `positional` counts the parameters given positionally
    after `x` (shapes first, then `loc`, then `scale`), the ones that are differentiated."""

    x: Any
    shapes: tuple[Any, ...]
    loc: Any
    scale: Any
    positional: int


def shape_names(dist: Any) -> tuple[str, ...]:
    """The names of `dist`'s shape parameters, in order (`("a", "b")` for `beta`)."""
    return tuple(name.strip() for name in dist.shapes.split(",")) if dist.shapes else ()


def bind(dist: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Parameters:
    """The `Parameters` of a call `dist.method(*args, **kwargs)` that SciPy accepted.

    A discrete distribution has no `scale`: it is 1.
    """
    names = shape_names(dist)
    given = list(args[1:])
    shapes = tuple(given[i] if i < len(given) else kwargs[name] for i, name in enumerate(names))
    rest = given[len(names) :]
    loc = rest[0] if rest else kwargs.get("loc", 0.0)
    scale = rest[1] if len(rest) > 1 else kwargs.get("scale", 1.0)
    x, *values = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (args[0], *shapes, loc, scale))
    )
    return Parameters(x, tuple(values[: len(names)]), values[-2], values[-1], len(given))


def register_method(method: Any, partials: Partials) -> None:
    """The frule and rrule of `method`, a function of positional arguments whose keyword
    arguments are constants, from `partials(args, kwargs, y)`: one `Lazy` per positional
    argument. The pullback thunks each cotangent, so that a partial derivative is computed
    only for the arguments an engine asks for; cotangents are projected onto the arguments
    (broadcast ones summed back, integer arrays get `NoTangent()`)."""
    name = getattr(method, "__name__", "method")

    def method_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        y = method(*args, **kwargs)
        lazy = partials(args, kwargs, y)
        projections = [ProjectTo(x) if has_tangent_space(x) else None for x in args]

        def pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            return NoTangent(), *(
                NoTangent() if project is None else _cotangent(project, partial, dy)
                for project, partial in zip(projections, lazy, strict=True)
            )

        pullback.__name__ = pullback.__qualname__ = f"{name}_pullback"
        return y, pullback

    def method_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        y = method(*args, **kwargs)
        lazy = partials(args, kwargs, y)
        dy: Any = ZeroTangent()
        for partial, dx in zip(lazy, tangents[1:], strict=True):
            dx = unthunk(dx)
            if not isinstance(dx, AbstractZero) and not isinstance(partial, AbstractZero):
                dy = dy + _times(partial, dx)
        if isinstance(dy, AbstractZero):
            return y, dy
        return y, ProjectTo(y)(np.broadcast_to(dy, np.shape(y)).copy())

    rrule.register(method)(method_rrule)
    frule.register(method)(method_frule)


def _cotangent(project: ProjectTo, partial: Lazy, dy: Any) -> Any:
    if isinstance(partial, AbstractZero):
        return partial
    if isinstance(dy, AbstractZero):
        return ZeroTangent()

    def cotangent() -> Any:
        return _times(partial, dy)

    return project(Thunk(cotangent))


def _times(partial: Callable[[], Any], tangent: Any) -> Any:
    # Infinite partials at the ends of a support are limits, on purpose.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return partial() * tangent
