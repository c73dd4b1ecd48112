"""Rules for reading an `OptimizeResult`'s fields as attributes (`res.x`, `res.fun`).

`OptimizeResult` is a dict whose `__getattr__` reads its items; its tangent is a dict of
the differentiated fields, which is what the solvers' rules read and return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scipy.optimize import OptimizeResult

from rulescore import NoTangent, Tangent, ZeroTangent, backing, frule, rrule, unthunk

__all__: list[str] = []


@frule.register(OptimizeResult.__getattr__)
def _(tangents: tuple[Any, ...], result: OptimizeResult, name: str) -> tuple[Any, Any]:
    dresult = unthunk(tangents[1])
    if isinstance(dresult, Tangent):
        dresult = backing(dresult)
    dy = dresult.get(name, ZeroTangent()) if isinstance(dresult, dict) else ZeroTangent()
    return getattr(result, name), dy


@rrule.register(OptimizeResult.__getattr__)
def _(result: OptimizeResult, name: str) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    def optimize_result_getattr_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), {name: dy}, NoTangent()

    return getattr(result, name), optimize_result_getattr_pullback
