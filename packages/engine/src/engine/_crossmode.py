"""One mode from the other, one pass per coordinate: how an engine that has only forward
(or only reverse) mode still implements both `frule_via_ad` and `rrule_via_ad`.

`pullback_from_pushforwards` pushes every basis direction of the inputs forward and keeps
the output tangents (the Jacobian by columns); `pushforward_from_pullbacks` pulls every
basis direction of the output back (the Jacobian by rows). Both are exact, and cost one
pass per coordinate: the right choice only for few inputs, or few outputs.

>>> from rulescore import NoTangent
>>> def push(tangents, f, *args):
...     (_, dx), (x,) = tangents, args
...     return f(x), 2 * x * dx
>>> y, back = pullback_from_pushforwards(push, lambda x: x * x, (3.0,), {})
>>> y, back(1.0)
(9.0, (NoTangent(), 6.0))
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine._basis import combine, directions, inner
from rulescore import NoTangent, ProjectTo, ZeroTangent, has_tangent_space

__all__ = ["ForwardFromPullbacks", "pullback_from_pushforwards", "pushforward_from_pullbacks"]


def pullback_from_pushforwards(
    push: Callable[..., tuple[Any, Any]],
    f: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """`(y, pullback)` of `f(*args, **kwargs)` from `push((df, dx1, ...), f, *args)`, one
    push per real coordinate of the arguments."""
    columns: list[tuple[int, Any]] = []  # (argument, output tangent) per direction
    y: Any = None
    for position, x in enumerate(args):
        for direction in directions(x):
            seeds: list[Any] = [ZeroTangent() for _ in args]
            seeds[position] = direction
            y, dy = push((NoTangent(), *seeds), f, *args, **kwargs)
            columns.append((position, dy))
    if not columns:
        y = f(*args, **kwargs)

    def pullback_by_pushforwards(dy: Any) -> tuple[Any, ...]:
        grads: list[Any] = [NoTangent()]
        for position, x in enumerate(args):
            coefficients = [inner(dy, t) for p, t in columns if p == position]
            if coefficients:
                grads.append(ProjectTo(x)(combine(x, coefficients)))
            else:
                grads.append(ZeroTangent() if has_tangent_space(x) else NoTangent())
        return tuple(grads)

    return y, pullback_by_pushforwards


def pushforward_from_pullbacks(
    pull: Callable[..., tuple[Any, Callable[[Any], tuple[Any, ...]]]],
    tangents: tuple[Any, ...],
    f: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> tuple[Any, Any]:
    """`(y, dy)` of `f(*args, **kwargs)` along `tangents = (df, dx1, ...)` from
    `pull(f, *args)`, one pullback per real coordinate of the output."""
    y, back = pull(f, *args, **kwargs)
    coefficients = []
    for direction in directions(y):
        cotangents = back(direction)[1:]
        coefficients.append(
            sum((inner(c, t) for c, t in zip(cotangents, tangents[1:], strict=True)), 0.0)
        )
    return y, combine(y, coefficients) if coefficients else ZeroTangent()


class ForwardFromPullbacks:
    """Mixin for a reverse-mode engine (put it before `RuleConfig` in the bases): its
    `frule_via_ad` pushes forward by pulling back, one pullback per output coordinate."""

    rrule_via_ad: Callable[..., Any]

    def frule_via_ad(
        self, tangents: tuple[Any, ...], f: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """`(y, dy)` along `tangents = (df, dx1, ...)`, from pullbacks: one per real
        coordinate of the output (the `forward` engine does it in one pass)."""
        return pushforward_from_pullbacks(self.rrule_via_ad, tangents, f, args, kwargs)
