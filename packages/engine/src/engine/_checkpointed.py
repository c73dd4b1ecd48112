"""`checkpointed(f, *args)`: trade compute for memory, as Zygote's `checkpointed` does.

The reverse rule runs `f` plainly in the forward pass, so that none of `f`'s intermediates
(nor the pullbacks that would hold them) outlive the call; its pullback differentiates `f`
again, through the engine (`RuleConfig.rrule_via_ad`), and applies that pullback at once.
Forward mode keeps nothing for later, so the forward rule hands `f` to the engine as is.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rulescore import (
    AbstractZero,
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    RuleConfig,
    ZeroTangent,
    frule,
    overloadable,
    rrule,
    unthunk,
)

__all__ = ["checkpointed"]


@overloadable
def checkpointed(f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """`checkpointed(f, *args, **kwargs) -> f(*args, **kwargs)`, recomputed when differentiated.

    The value is `f(*args, **kwargs)`. Under reverse-mode differentiation, the forward pass
    keeps only `f` and its arguments, none of the intermediates of `f`; the pullback runs
    `f`'s forward pass again (differentiated) and then its pullback. The gradient is the
    same as without `checkpointed`; the memory held between the forward and the backward
    pass is smaller, at the price of evaluating `f` twice. `f` must be deterministic (the
    same result when run again: no fresh random draws, no mutation of its arguments).
    Keyword arguments are passed to `f` and not differentiated; one that carries a
    derivative is refused by the engine (pass it positionally). Forward mode (`jvp`)
    evaluates `f` once, as if it were not checkpointed.

    Examples:

    >>> import engine
    >>> def square(x):
    ...     return x * x
    >>> engine.gradient(lambda x: engine.checkpointed(square, x) + 1.0, 3.0)
    (6.0,)

    A network whose layers are recomputed in the backward pass, one at a time:

    >>> import numpy as np
    >>> def layer(W, x):
    ...     return np.tanh(W @ x)
    >>> def loss(W, x):
    ...     for _ in range(3):
    ...         x = engine.checkpointed(layer, W, x)
    ...     return np.sum(x)
    >>> def plain_loss(W, x):
    ...     return np.sum(layer(W, layer(W, layer(W, x))))
    >>> W, x = np.eye(2) / 2, np.array([1.0, -2.0])
    >>> dW, dx = engine.gradient(loss, W, x)
    >>> plain_dW, plain_dx = engine.gradient(plain_loss, W, x)
    >>> np.allclose(dW, plain_dW) and np.allclose(dx, plain_dx)
    True

    See also: `hook`, `pullback`.
    """
    return f(*args, **kwargs)


@rrule.register(checkpointed, config=HasReverseMode)
def _checkpointed_rrule(
    config: RuleConfig, f: Callable[..., Any], /, *args: Any, **kwargs: Any
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    y = f(*args, **kwargs)

    def checkpointed_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):  # nothing flows back: skip the recomputation
            return (NoTangent(), ZeroTangent(), *(ZeroTangent() for _ in args))
        _, back = config.rrule_via_ad(f, *args, **kwargs)
        return (NoTangent(), *back(dy))

    return y, checkpointed_pullback


@frule.register(checkpointed, config=HasForwardMode)
def _checkpointed_frule(
    config: RuleConfig,
    tangents: tuple[Any, ...],
    f: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> tuple[Any, Any]:
    return config.frule_via_ad(tangents[1:], f, *args, **kwargs)  # type: ignore[no-any-return]
