"""The rules of functions that are linear in some of their positional arguments.

Most of NumPy's shape, joining, splitting and conversion functions are linear in their array
arguments, so one helper, `linear_rule`, writes both of their rules from the function and a
named adjoint:

- the frule applies the function itself to the tangents of the linear arguments (the other
  arguments unchanged, `out=` dropped), or a given `tangent` function where that differs;
- the pullback unthunks its seed once and applies the adjoint, `<function>_adjoint(dy,
  *args, **kwargs)`, then projects each cotangent onto its argument (`ProjectTo`): dtypes,
  lists and tuples of numbers included;
- containers: arguments and outputs that are lists or tuples of arrays (`concatenate`'s list,
  `block`'s nested lists, `split`'s output) have tangents and cotangents of the same
  structure. Zeros inside them (and zero tangents of whole arguments) are made dense arrays
  before `f`, `tangent` or the adjoint sees them, and an adjoint may return one array or
  sequence for a list argument: it is cut back into the argument's structure;
- every other positional argument (shapes, axes, modes) gets `NoTangent()`, or a projected
  `ZeroTangent()` when listed in `zero` (an array whose values do not change the output);
  keyword arguments are options, never differentiated;
- `applies(*args, **kwargs)`, when given, says where the rules apply: elsewhere both rules
  return `None` (no rule applies, as for `pad` with a callable mode).

The rule modules (`shapes`, `padding`, `construction`) import `linear_rule` from here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    RuleInfo,
    ZeroTangent,
    frule,
    has_tangent_space,
    not_implemented,
    rrule,
    unthunk,
)

__all__ = ["linear_rule"]

Adjoint = Callable[..., Any]


def linear_rule(
    f: Callable[..., Any],
    adjoint: Adjoint | None,
    tangent: Callable[..., Any] | None = None,
    *,
    linear: Sequence[int] | None = (0,),
    zero: Sequence[int] = (),
    applies: Callable[..., bool] | None = None,
) -> None:
    """`linear_rule(f, adjoint, tangent=None, *, linear=(0,), zero=(), applies=None)`: the
    frule and rrule of a function linear in its positional arguments `linear` (`None`: all).

    `adjoint(dy, *args, **kwargs)` returns the cotangent of the linear argument (a tuple of
    them when `linear` is `None` or has several entries), given the output cotangent `dy` with
    zeros inside containers materialized; the helper projects them onto the arguments, lists
    and tuples of numbers included. `tangent(dx, *args, **kwargs)` gives the output tangent from
    the dense tangent(s) `dx` of the linear arguments (default: `f` itself with `dx` in place of
    the linear arguments, without `out=`). The other positional arguments get `ZeroTangent()`
    if listed in `zero` (their values do not change the output), else `NoTangent()`. Where
    `applies(*args, **kwargs)` is false, the rules return `None` (no rule applies). Both rules
    record the caller's line.

    >>> def double(x):
    ...     return 2 * x
    >>> def double_adjoint(dy, x):
    ...     return 2 * dy
    >>> linear_rule(double, double_adjoint)
    >>> rrule(double, np.ones(2))[1](np.ones(2))
    (NoTangent(), array([2., 2.]))
    """
    caller = sys._getframe(1)
    location = f"{caller.f_code.co_filename}:{caller.f_lineno}"
    name = getattr(f, "__name__", "f")
    if name == "__get__":  # a property getter: name it after the property
        name = getattr(getattr(f, "__self__", None), "__name__", name)

    def linear_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], Any]] | None:
        if applies is not None and not applies(*args, **kwargs):
            return None
        indices = _linear_indices(linear, args)
        projectors = {i: ProjectTo(args[i]) for i in indices}
        y = f(*args, **kwargs)

        def linear_pullback(dy: Any) -> tuple[Any, ...]:
            if _to_objects(y, args, indices):
                return _unknown(f"{name} to dtype object", args, indices)
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero) or adjoint is None:
                cotangents: tuple[Any, ...] = (ZeroTangent(),) * len(indices)
            else:
                found = adjoint(_dense(y, dy), *args, **kwargs)
                several = linear is None or len(indices) != 1
                cotangents = tuple(found) if several else (found,)
            by_index = dict(zip(indices, cotangents, strict=True))
            return (
                NoTangent(),
                *(
                    projectors[i](_restructure(x, by_index[i]))
                    if i in by_index
                    else ProjectTo(x)(ZeroTangent())
                    if i in zero
                    else NoTangent()
                    for i, x in enumerate(args)
                ),
            )

        linear_pullback.__name__ = linear_pullback.__qualname__ = f"{name}_pullback"
        return y, linear_pullback

    def linear_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        if applies is not None and not applies(*args, **kwargs):
            return None
        indices = _linear_indices(linear, args)
        y = f(*args, **kwargs)
        dxs = [unthunk(tangents[1 + i]) for i in indices]
        if all(isinstance(dx, AbstractZero) for dx in dxs):
            return y, ProjectTo(y)(ZeroTangent())
        if _to_objects(y, args, indices):
            return y, not_implemented(f"derivative through `{name}` to dtype object")
        dense = [_dense(args[i], dx) for i, dx in zip(indices, dxs, strict=True)]
        if tangent is None:
            full = list(args)
            for i, dx in zip(indices, dense, strict=True):
                full[i] = dx
            options = {k: v for k, v in kwargs.items() if k != "out"}
            dy = f(*full, **options)
        else:
            several = linear is None or len(indices) != 1
            dy = tangent(tuple(dense) if several else dense[0], *args, **kwargs)
        return y, ProjectTo(y)(dy)

    rrule.add(RuleInfo(f, (), linear_rrule, "rule", None, location))
    frule.add(RuleInfo(f, (), linear_frule, "rule", None, location))


def _to_objects(y: Any, args: tuple[Any, ...], indices: tuple[int, ...]) -> bool:
    """Whether numbers with derivatives went into an object array (which has no tangent
    space here): their derivatives are then unknown, not zero."""
    if not (isinstance(y, np.ndarray) and y.dtype.kind == "O"):
        return False
    return any(has_tangent_space(args[i]) for i in indices)


def _unknown(what: str, args: tuple[Any, ...], indices: tuple[int, ...]) -> tuple[Any, ...]:
    unknown = not_implemented(f"derivative through `{what}`")
    return (
        NoTangent(),
        *(
            unknown if i in indices and has_tangent_space(x) else NoTangent()
            for i, x in enumerate(args)
        ),
    )


def _linear_indices(linear: Sequence[int] | None, args: tuple[Any, ...]) -> tuple[int, ...]:
    if linear is None:
        return tuple(range(len(args)))
    return tuple(i for i in linear if i < len(args))


def _is_sequence(x: Any) -> bool:
    return isinstance(x, (list, tuple)) and not hasattr(x, "_fields")


def _dense(x: Any, dx: Any) -> Any:
    """The tangent `dx` of `x` with thunks evaluated and zeros made arrays or numbers."""
    dx = unthunk(dx)
    if _is_sequence(x):
        if isinstance(dx, AbstractZero):
            return type(x)(_dense(xi, dx) for xi in x)
        return type(x)(_dense(xi, di) for xi, di in zip(x, dx, strict=True))
    if not isinstance(dx, AbstractZero):
        return dx
    if isinstance(x, complex) or np.iscomplexobj(x):
        return np.zeros(np.shape(x), dtype=np.result_type(x, 0j))
    return np.zeros(np.shape(x), dtype=np.result_type(x, 0.0))


def _restructure(x: Any, dx: Any) -> Any:
    """The cotangent `dx` (an array or a sequence) split into the list/tuple structure of `x`."""
    if _is_sequence(x) and not isinstance(dx, AbstractZero):
        return type(x)(_restructure(xi, dx[i]) for i, xi in enumerate(x))
    return dx
