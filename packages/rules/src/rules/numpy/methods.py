"""Rules for the `ndarray` methods that no topic module covers.

Engines route `x.conj()` to `np.ndarray.conj(x)`. Methods that compute the same function as
a NumPy function with the same arguments share its rules (`alias_rules`): `conj`,
`conjugate`, `trace`, `choose`. `item` and `tolist` convert to Python numbers: the
cotangent goes back to the entry read, or to the array. Methods that write into the array
(`fill`, `put`, `sort`, `partition`, `resize`, `setfield`, ...) have no rules: engines refuse
mutation.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    alias_rules,
    frule,
    rrule,
    unthunk,
)

for _method, _function in (
    (np.ndarray.conj, np.conjugate),
    (np.ndarray.conjugate, np.conjugate),
    (np.ndarray.trace, np.trace),
    (np.ndarray.choose, np.choose),
):
    alias_rules(_method, _function)


@rrule.register(np.ndarray.item)
def _(a: Any, *args: Any) -> Any:
    project = ProjectTo(a)

    def item_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return (NoTangent(), ZeroTangent(), *(NoTangent() for _ in args))
        da = np.zeros_like(a)
        da.flat[_flat_index(a, args)] = dy
        return (NoTangent(), project(da), *(NoTangent() for _ in args))

    return a.item(*args), item_pullback


@frule.register(np.ndarray.item)
def _(tangents: tuple[Any, ...], a: Any, *args: Any) -> Any:
    y = a.item(*args)
    da = unthunk(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ZeroTangent()
    return y, ProjectTo(y)(np.asarray(da).flat[_flat_index(a, args)])


def _flat_index(a: Any, args: tuple[Any, ...]) -> int:
    if not args:
        return 0
    if len(args) == 1 and isinstance(args[0], int):
        return args[0] % a.size
    index = args[0] if len(args) == 1 else args
    return int(np.ravel_multi_index(index, a.shape))


@rrule.register(np.ndarray.tolist)
def _(a: Any) -> Any:
    project = ProjectTo(a)

    def tolist_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), dy
        return NoTangent(), project(np.asarray(dy, dtype=a.dtype).reshape(a.shape))

    return a.tolist(), tolist_pullback


@frule.register(np.ndarray.tolist)
def _(tangents: tuple[Any, ...], a: Any) -> Any:
    y = a.tolist()
    da = unthunk(tangents[1])
    if isinstance(da, AbstractZero):
        return y, ZeroTangent()
    return y, ProjectTo(y)(np.asarray(da).tolist())
