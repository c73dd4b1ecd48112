"""`RuleConfig`: what a rule may ask of the engine that called it.

A rule for a higher-order function (`map`, `reduce`, integrate `f`, minimize `f`) must
differentiate the function it was given, so it calls back into the active engine through
`rrule_via_ad` / `frule_via_ad`. Engines pass a `RuleConfig` whose capabilities say what
they can do; a rule registered with `config=HasReverseMode` applies only under such engines.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rulescore._errors import MissingCapabilityError, qualified_name

__all__ = [
    "HasForwardMode",
    "HasReverseMode",
    "RuleConfig",
    "frule_via_ad",
    "rrule_via_ad",
]


class RuleConfig:
    """`RuleConfig()`: the engine's side of the rule protocol; subclass it with capabilities.

    The base class has no capability: rules that need none run under it (the default when
    `rrule(f, ...)` is called without a configuration). An engine subclasses it together with
    `HasReverseMode` and/or `HasForwardMode` and implements the matching methods.

    >>> from rulescore import NoTangent
    >>> class Engine(RuleConfig, HasReverseMode):
    ...     def rrule_via_ad(self, f, *args, **kwargs):
    ...         y = f(*args, **kwargs)
    ...         def scale_pullback(dy):
    ...             return (NoTangent(), 2.0 * dy)  # a toy engine: it knows f = 2x only
    ...         return y, scale_pullback
    >>> y, back = rrule_via_ad(Engine(), lambda x: 2.0 * x, 3.0)
    >>> y, back(1.0)
    (6.0, (NoTangent(), 2.0))

    See also: `rrule_via_ad`, `frule_via_ad`, `rrule.register` (its `config=` argument).
    """

    def rrule_via_ad(self, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        """`(y, pullback)` of `f(*args, **kwargs)`, by the engine; see `rrule_via_ad`."""
        raise MissingCapabilityError(
            f"{type(self).__name__} cannot differentiate `{qualified_name(f)}` in reverse mode: "
            "the rule needs an engine with HasReverseMode"
        )

    def frule_via_ad(
        self, tangents: tuple[Any, ...], f: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        """`(y, dy)` of `f(*args, **kwargs)` along `tangents`, by the engine; see `frule_via_ad`."""
        raise MissingCapabilityError(
            f"{type(self).__name__} cannot differentiate `{qualified_name(f)}` in forward mode: "
            "the rule needs an engine with HasForwardMode"
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class HasReverseMode:
    """Capability: the configuration implements `rrule_via_ad`.

    >>> class Reverse(RuleConfig, HasReverseMode): ...
    >>> isinstance(Reverse(), HasReverseMode), isinstance(RuleConfig(), HasReverseMode)
    (True, False)
    """


class HasForwardMode:
    """Capability: the configuration implements `frule_via_ad`.

    >>> class Forward(RuleConfig, HasForwardMode): ...
    >>> isinstance(Forward(), HasForwardMode)
    True
    """


def rrule_via_ad(config: RuleConfig, f: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
    """`rrule_via_ad(config, f, *args, **kwargs)`: `(y, pullback)` of `f` by the calling engine.

    The pullback returns `(df, dx1, ..., dxn)` like any rule's. Raises
    `MissingCapabilityError` if `config` has no reverse mode.

    >>> rrule_via_ad(RuleConfig(), abs, -1.0)
    Traceback (most recent call last):
    rulescore._errors.MissingCapabilityError: RuleConfig cannot differentiate `abs` in reverse
    mode: the rule needs an engine with HasReverseMode
    """
    return config.rrule_via_ad(f, *args, **kwargs)


def frule_via_ad(
    config: RuleConfig,
    tangents: tuple[Any, ...],
    f: Callable[..., Any],
    /,
    *args: Any,
    **kwargs: Any,
) -> Any:
    """`frule_via_ad(config, (df, dx1, ...), f, *args, **kwargs)`: `(y, dy)` by the engine.

    Raises `MissingCapabilityError` if `config` has no forward mode.

    >>> from rulescore import NoTangent
    >>> frule_via_ad(RuleConfig(), (NoTangent(), 1.0), abs, -1.0)
    Traceback (most recent call last):
    rulescore._errors.MissingCapabilityError: RuleConfig cannot differentiate `abs` in forward
    mode: the rule needs an engine with HasForwardMode
    """
    return config.frule_via_ad(tangents, f, *args, **kwargs)
