"""Rules for Python's builtin functions.

Covered, with an frule and an rrule each:

- `abs(x)` and `pow(base, exp)`: the rules of `operator.abs` and `operator.pow` (see
  `rules.python.operators` for their conventions at 0 and at negative bases);
  `pow(base, exp, mod)` (integers only, with `mod` positional or keyword) has no derivative;
- `sum(iterable[, start])` over a tuple, list or array of numbers or arrays; a `start` given
  by keyword is not differentiated (keyword arguments never are), and a sum that
  concatenates sequences (`sum(lists, [])`) finds no rule;
- `min` and `max`, over a tuple, list or array or over several arguments, with `key=` and
  `default=`: the cotangent goes to the element that is returned, which on ties is the FIRST
  extremal one, as Python returns it; the others get `ZeroTangent()`;
- `round(x[, ndigits])` and `int(x)`: derivative zero (`ZeroTangent()`). Their results are
  ints, which rulescore differentiates as reals, so the zero is a derivative that exists;
  `ndigits` gets `NoTangent()`;
- `z.conjugate()` for `complex` and `float` (the conjugate of the seed);
- `float(x)` (identity, from ints too), `complex(x)` and `complex(real, imag)`
  (`real + 1j * imag`), `divmod(a, b)` (the quotient has derivative zero, the remainder
  that of `operator.mod`).

Non-differentiable: `len`, `isinstance`, `issubclass`, `type`, `id`, `hash`, `bool`, `str`,
`repr`, `ascii`, `format`, `bin`, `oct`, `hex`, `ord`, `chr`, `print`, `input`, `range`,
`slice`, `callable`, `hasattr`, `any`, `all`, and `int`, `float`, `complex` of strings and bytes.

Left to the engines: `enumerate`, `zip`, `iter`, `next`, `reversed`, `sorted`, `map`,
`filter`, `getattr`, `list`, `tuple`, `dict`: their results carry differentiable values of
their arguments (or call functions), so declaring them non-differentiable would silently drop
gradients; engines differentiate iteration, attribute reads and calls themselves. `sum` and
`min`/`max` of an iterator or generator have no rule for the same reason.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from rules.python.operators import Numeric
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    scalar_rule,
    unthunk,
)

__all__: list[str] = []

_ITERABLE = (tuple, list, np.ndarray)
_TEXT = (str, bytes, bytearray)
_MISSING = object()


def _zero(*args: Any) -> ZeroTangent:
    return ZeroTangent()


def _widened(y: Any, dy: Any) -> Any:
    """`dy` broadcast to the array `y`: a tangent made of narrower arguments' tangents."""
    if isinstance(y, np.ndarray) and not isinstance(dy, AbstractZero) and np.shape(dy) != y.shape:
        return np.broadcast_to(dy, y.shape).copy()
    return dy


scalar_rule(round, _zero, types=(Numeric,))
scalar_rule(round, _zero, None, types=(Numeric, (int, type(None))))
scalar_rule(int, _zero, types=(Numeric,))
scalar_rule(float, lambda x, y: 1, types=(Numeric,))
scalar_rule(complex, lambda x, y: 1, types=(Numeric,))
scalar_rule(complex, lambda re, im, y: 1, lambda re, im, y: 1j, types=(Numeric, Numeric))


# ---------------------------------------------------------------------------------------
# abs and pow: operator's rules


@rrule.register(abs, Numeric)
def _abs_rrule(x: Any) -> Any:
    return rrule(operator.abs, x)


@frule.register(abs, Numeric)
def _abs_frule(tangents: tuple[Any, ...], x: Any) -> Any:
    return frule(tangents, operator.abs, x)


@rrule.register(pow, Numeric, Numeric)
def _pow_rrule(base: Any, exp: Any, *args: Any, **kwargs: Any) -> Any:
    mod = args[0] if args else kwargs.get("mod")
    if mod is None:
        y, back = rrule(operator.pow, base, exp)
    else:  # pow(base, exp, mod): integers only, no derivative
        y, back = pow(base, exp, mod), None

    def pow_pullback(dy: Any) -> tuple[Any, ...]:
        if back is None:
            return (NoTangent(),) * (3 + len(args))
        return (*back(dy), *(NoTangent() for _ in args))

    return y, pow_pullback


@frule.register(pow, Numeric, Numeric)
def _pow_frule(tangents: tuple[Any, ...], base: Any, exp: Any, *args: Any, **kwargs: Any) -> Any:
    mod = args[0] if args else kwargs.get("mod")
    if mod is None:
        return frule(tangents[:3], operator.pow, base, exp)
    return pow(base, exp, mod), NoTangent()


# ---------------------------------------------------------------------------------------
# sum


def _all_numeric(values: Any) -> bool:
    return isinstance(values, np.ndarray) or all(isinstance(v, Numeric) for v in values)


@rrule.register(sum, _ITERABLE)
def _sum_rrule(iterable: Any, *start: Any, **kwargs: Any) -> Any:
    if not (_all_numeric(iterable) and _all_numeric(start)):
        return None  # concatenating sequences: no rule here
    project_iterable = ProjectTo(iterable)
    project_start = [ProjectTo(s) for s in start]

    def sum_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):  # NoTangent only for arguments without tangents
            zero = ZeroTangent()
            return (NoTangent(), project_iterable(zero), *(p(zero) for p in project_start))
        if isinstance(iterable, np.ndarray):
            d_iterable = project_iterable(np.broadcast_to(dy, iterable.shape).copy())
        else:
            d_iterable = project_iterable(type(iterable)(dy for _ in iterable))
        return (NoTangent(), d_iterable, *(project(dy) for project in project_start))

    return sum(iterable, *start, **kwargs), sum_pullback


@frule.register(sum, _ITERABLE)
def _sum_frule(tangents: tuple[Any, ...], iterable: Any, *start: Any, **kwargs: Any) -> Any:
    if not (_all_numeric(iterable) and _all_numeric(start)):
        return None
    y = sum(iterable, *start, **kwargs)
    d_iterable, *d_start = map(unthunk, tangents[1:])
    dy: Any = ZeroTangent()
    if isinstance(d_iterable, np.ndarray):
        dy = np.sum(d_iterable, axis=0)
    elif not isinstance(d_iterable, AbstractZero):
        for d in d_iterable:
            dy = dy + unthunk(d)
    for d in d_start:
        dy = dy + d
    return y, ProjectTo(y)(_widened(y, dy))


# ---------------------------------------------------------------------------------------
# min and max


def _selection(select: Any, args: tuple[Any, ...], key: Any, default: Any) -> tuple[Any, Any]:
    """`(y, index)`: what `select(*args, key=key, default=default)` returns (`min` or `max`)
    and its position among the elements, found by `select` itself so that ties (the FIRST
    extremal element), NaNs and errors are Python's; `index` is None for the default."""
    items = list(args[0]) if len(args) == 1 else list(args)
    order = items.__getitem__ if key is None else lambda i: key(items[i])
    options = {} if default is _MISSING else {"default": None}
    if len(args) == 1:
        index = select(range(len(items)), key=order, **options)
    else:
        index = select(*range(len(items)), key=order, **options)
    return (default, None) if index is None else (items[index], index)


def _selection_rules(select: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    name = select.__name__

    def select_rrule(*args: Any, key: Any = None, default: Any = _MISSING) -> Any:
        y, index = _selection(select, args, key, default)
        projectors = [ProjectTo(a) for a in args]

        def select_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero) or index is None:
                return (NoTangent(), *(p(ZeroTangent()) for p in projectors))
            if len(args) > 1:
                return (
                    NoTangent(),
                    *(p(dy) if i == index else ZeroTangent() for i, p in enumerate(projectors)),
                )
            container = args[0]
            if isinstance(container, np.ndarray):
                d_container = np.zeros(container.shape, np.result_type(container, dy))
            else:
                d_container = [ZeroTangent()] * len(container)
            d_container[index] = dy
            if not isinstance(container, np.ndarray):
                d_container = type(container)(d_container)
            return NoTangent(), projectors[0](d_container)

        select_pullback.__name__ = select_pullback.__qualname__ = f"{name}_pullback"
        return y, select_pullback

    def select_frule(
        tangents: tuple[Any, ...], *args: Any, key: Any = None, default: Any = _MISSING
    ) -> Any:
        y, index = _selection(select, args, key, default)
        if index is None:
            return y, ZeroTangent()
        if len(args) > 1:
            dy = tangents[1 + index]
        else:
            d_container = unthunk(tangents[1])
            dy = d_container if isinstance(d_container, AbstractZero) else d_container[index]
        return y, ProjectTo(y)(unthunk(dy))

    return select_rrule, select_frule


for _select in (min, max):
    _select_rrule, _select_frule = _selection_rules(_select)
    for _types in [(_ITERABLE,), (object, object)]:
        rrule.register(_select, *_types)(_select_rrule)
        frule.register(_select, *_types)(_select_frule)


# ---------------------------------------------------------------------------------------
# divmod


@rrule.register(divmod, Numeric, Numeric)
def _divmod_rrule(a: Any, b: Any) -> Any:
    project_a, project_b = ProjectTo(a), ProjectTo(b)
    q, r = divmod(a, b)

    def divmod_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        dr = ZeroTangent() if isinstance(dy, AbstractZero) else unthunk(dy[1])
        return NoTangent(), project_a(dr), project_b(-q * dr)

    return (q, r), divmod_pullback


@frule.register(divmod, Numeric, Numeric)
def _divmod_frule(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    _, da, db = map(unthunk, tangents)
    q, r = divmod(a, b)
    return (q, r), ProjectTo((q, r))((ZeroTangent(), _widened(r, da - q * db)))


# ---------------------------------------------------------------------------------------
# the conjugate method of numbers (`z.conjugate()`): not holomorphic, so the cotangent is
# the conjugate of the seed (the `dL/dRe + i dL/dIm` convention), as for `np.conjugate`


def _conjugate_rrule(x: Any) -> Any:
    project_x = ProjectTo(x)

    def conjugate_pullback(dy: Any) -> tuple[Any, Any]:
        dy = unthunk(dy)
        return NoTangent(), project_x(dy if isinstance(dy, AbstractZero) else np.conj(dy))

    return x.conjugate(), conjugate_pullback


def _conjugate_frule(tangents: tuple[Any, ...], x: Any) -> Any:
    dx = unthunk(tangents[1])
    y = x.conjugate()
    return y, ProjectTo(y)(dx if isinstance(dx, AbstractZero) else np.conj(dx))


for _number in (complex, float):
    rrule.register(_number.conjugate)(_conjugate_rrule)
    frule.register(_number.conjugate)(_conjugate_frule)


# ---------------------------------------------------------------------------------------
# no derivative

non_differentiable(
    len,
    isinstance,
    issubclass,
    type,
    id,
    hash,
    bool,
    str,
    repr,
    ascii,
    format,
    bin,
    oct,
    hex,
    ord,
    chr,
    print,
    input,
    range,
    slice,
    callable,
    hasattr,
    any,
    all,
)
non_differentiable(int, float, complex, types=(_TEXT,))
