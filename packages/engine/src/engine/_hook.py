"""`hook(fn, x)`: the identity on `x`, whose cotangent passes through `fn` on its way back
(Zygote's `hook`): gradient clipping, printing or recording gradients, scaling them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine._materialize import materialize
from rulescore import NoTangent, ProjectTo, frule, overloadable, rrule

__all__ = ["hook"]


@overloadable
def hook(fn: Callable[[Any], Any], x: Any) -> Any:
    """`hook(fn, x) -> x`, with `fn(dx)` as the cotangent of `x` in the backward pass.

    The value is `x` itself. In reverse mode, the cotangent `dx` that reaches `x` is
    replaced by `fn(dx)`: `fn` receives it materialized (an array of `x`'s shape and dtype,
    zeros included; a float for a float) and its result is projected onto `x` (its shape
    must fit `x`'s). `fn` runs once per backward pass through this call, so it can print or
    record the cotangent. Hooks act on cotangents only: in forward mode (`jvp`) the tangent
    of `x` passes through unchanged and `fn` is not called.

    Examples:

    Clip the gradient that flows back into `x`:

    >>> import numpy as np
    >>> import engine
    >>> def loss(x):
    ...     return np.sum(engine.hook(lambda dx: np.clip(dx, -1.0, 1.0), x) ** 2)
    >>> engine.gradient(loss, np.array([0.25, 3.0, -2.0]))
    (array([ 0.5,  1. , -1. ]),)

    Record the cotangent on its way back:

    >>> seen = []
    >>> def record(dx):
    ...     seen.append(dx)
    ...     return dx
    >>> engine.gradient(lambda x: 3.0 * engine.hook(record, x * x), 2.0), seen
    ((12.0,), [3.0])

    See also: `checkpointed`, `stop_gradient`.
    """
    return x


@rrule.register(hook)
def _hook_rrule(fn: Callable[[Any], Any], x: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    project = ProjectTo(x)

    def hook_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), NoTangent(), project(fn(materialize(x, dy)))

    return x, hook_pullback


@frule.register(hook)
def _hook_frule(tangents: tuple[Any, ...], fn: Callable[[Any], Any], x: Any) -> tuple[Any, Any]:
    return x, tangents[2]
