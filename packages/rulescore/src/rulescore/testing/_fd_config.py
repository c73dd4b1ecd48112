"""`FiniteDifferenceConfig`: a `RuleConfig` for testing rules that call back into AD."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rulescore import HasForwardMode, HasReverseMode, NoTangent, RuleConfig, frule, rrule
from rulescore.testing._finite_differences import FiniteDifferenceMethod, jacobian, jvp
from rulescore.testing._flatten import flatten_tangent, unflatten_tangent

__all__ = ["FiniteDifferenceConfig"]


class FiniteDifferenceConfig(RuleConfig, HasReverseMode, HasForwardMode):
    """`FiniteDifferenceConfig(method=None)`: `rrule_via_ad`/`frule_via_ad` without an engine.

    A rule registered for `f` is used when one applies; otherwise derivatives come from
    finite differences (a Jacobian found once per pullback, or `jvp`), with `NoTangent()` for
    the function itself. Use it to
    test higher-order rules (`map`, integrate `f`, minimize `f`) before any engine exists:
    `test_rrule(..., config=FiniteDifferenceConfig())`.

    >>> from rulescore import rrule_via_ad
    >>> y, back = rrule_via_ad(FiniteDifferenceConfig(), lambda x: x ** 3, 2.0)
    >>> y, round(back(1.0)[1], 6)
    (8.0, 12.0)
    """

    def __init__(self, method: FiniteDifferenceMethod | None = None) -> None:
        self.method = method

    def rrule_via_ad(self, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        found = rrule(self, f, *args, **kwargs)
        if found is not None:
            return found
        y = f(*args, **kwargs)
        blocks: list[tuple[Any, ...]] = []  # the Jacobian, found at the first call only

        def finite_difference_pullback(dy: Any) -> tuple[Any, ...]:
            if not blocks:
                call = lambda *a: f(*a, **kwargs)  # noqa: E731
                blocks.append(jacobian(call, *args, method=self.method).value)
            dy_vector = flatten_tangent(y, dy)
            return (
                NoTangent(),
                *(
                    unflatten_tangent(x, j.T @ dy_vector)
                    for x, j in zip(args, blocks[0], strict=True)
                ),
            )

        return y, finite_difference_pullback

    def frule_via_ad(
        self, tangents: tuple[Any, ...], f: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        found = frule(self, tangents, f, *args, **kwargs)
        if found is not None:
            return found
        result = jvp(lambda *a: f(*a, **kwargs), args, tangents[1:], method=self.method)
        return f(*args, **kwargs), result.value
