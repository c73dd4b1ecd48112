"""`test_frule`: check a forward rule against finite differences and the rule contract."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import AbstractZero, NoTangent, NotImplementedTangent, RuleConfig, Thunk, ZeroTangent
from rulescore import frule as frules
from rulescore._errors import qualified_name
from rulescore.testing._arguments import call_with, resolve
from rulescore.testing._check_reverse import (
    check_not_mutated,
    check_primal_output,
    declared_non_differentiable,
)
from rulescore.testing._comparison import (
    RuleTestFailure,
    Tolerances,
    assert_close,
    assert_projected,
    call_on_copies,
    deep_unthunk,
    default_tolerances,
    no_tangent_anywhere,
    snapshot,
)
from rulescore.testing._finite_differences import FiniteDifferenceMethod, jvp
from rulescore.testing._flatten import flatten, flatten_tangent
from rulescore.testing._rand_tangent import rand_tangent

__all__ = ["test_frule"]


def test_frule(
    f: Any,
    *args: Any,
    fkwargs: dict[str, Any] | None = None,
    config: RuleConfig | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    method: FiniteDifferenceMethod | None = None,
    rng: np.random.Generator | None = None,
) -> None:
    """`test_frule(f, *args, **options)`: check `frule((df, dx...), f, *args)` against FD.

    Arguments are given as for `test_rrule` (`with_tangent`, `constant`, or plain values that
    get random tangents). Raises `RuleTestFailure` naming the function and the check when:
    no rule applies or it does not return `(y, dy)`; `y` differs from `f(*args)`; `dy`
    differs from the finite-difference Jacobian-vector product, is not projected onto `y`'s
    type, shape and dtype, is `NoTangent()` where a derivative exists or anything else where
    `y` has no tangent space; thunked or `ZeroTangent()` input tangents are not accepted or
    all-zero tangents give a non-zero `dy`; a second call differs; an input is mutated.

    >>> from rulescore import NoTangent, frule
    >>> def cube(x):
    ...     return x ** 3
    >>> @frule.register(cube)
    ... def _(tangents, x):
    ...     return cube(x), 3 * x ** 2 * tangents[1]
    >>> test_frule(cube, 1.5)

    See also: `test_rrule`, `test_scalar`.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    kwargs = fkwargs or {}
    inputs = [resolve(a, rng) for a in (f, *args)]
    primals = [item.primal for item in inputs]
    tangents = tuple(item.tangent for item in inputs)
    label = f"frule({qualified_name(primals[0])})"
    prefix = () if config is None else (config,)

    def pushforward(tangents: tuple[Any, ...]) -> tuple[Any, Any]:
        try:
            result = frules(*prefix, tangents, *primals, **kwargs)
        except Exception as error:
            kinds = ", ".join(type(t).__name__ for t in tangents)
            raise RuleTestFailure(
                f"{label}: raised {type(error).__name__} for tangents ({kinds}): {error}"
            ) from error
        if result is None:
            types = ", ".join(type(p).__name__ for p in primals[1:])
            raise RuleTestFailure(f"{label}: no rule applies to arguments of types ({types})")
        if not (isinstance(result, tuple) and len(result) == 2):
            raise RuleTestFailure(f"{label}: must return (y, dy), got {result!r:.100}")
        return result

    inputs_changed, tangents_changed = snapshot(primals), snapshot(tangents)
    y, dy = pushforward(tangents)
    check_not_mutated(
        label, ("an argument", inputs_changed), ("an input tangent", tangents_changed)
    )
    y_want = call_on_copies(primals, kwargs)
    tol = default_tolerances([*primals, y_want], rtol, atol)
    check_primal_output(label, y, y_want, tol)
    what = f"{label}: output tangent"
    dy = deep_unthunk(dy)
    if isinstance(rand_tangent(y_want, rng), NoTangent):
        if not no_tangent_anywhere(dy) and not isinstance(dy, NotImplementedTangent):
            raise RuleTestFailure(
                f"{what}: the output has no tangent space, so its tangent must "
                f"be NoTangent(), got {dy!r:.80}"
            )
        return
    active = [i for i, item in enumerate(inputs) if not item.constant]
    if isinstance(dy, NotImplementedTangent):
        return
    if isinstance(dy, NoTangent) and active:
        if not declared_non_differentiable(primals[0]):
            raise RuleTestFailure(f"{what}: NoTangent() where a derivative exists")
        what += " (declared non-differentiable: finite differences must see no change)"
    assert_projected(what, y_want, dy)
    if active:
        fd = jvp(
            lambda *values: call_with(primals, active, values, kwargs),
            tuple(primals[i] for i in active),
            tuple(tangents[i] for i in active),
            method=method,
        )
        want, fd_error = flatten_tangent(y_want, fd.value), fd.error
    else:
        want, fd_error = np.zeros_like(flatten(y_want)[0]), 0.0
    got = flatten_tangent(y_want, dy)
    assert_close(what, got, want, tol, fd_error)

    tight = Tolerances(tol.rtol / 100, tol.atol / 100)
    again = flatten_tangent(y_want, deep_unthunk(pushforward(tangents)[1]))
    assert_close(f"{label}: a second call gives another output tangent", again, got, tight)
    thunked = tuple(Thunk(_constant(t)) for t in tangents)
    lazy = flatten_tangent(y_want, deep_unthunk(pushforward(thunked)[1]))
    assert_close(f"{label}: thunked input tangents give another output tangent", lazy, got, tight)
    zero = deep_unthunk(pushforward(tuple(ZeroTangent() for _ in tangents))[1])
    if not isinstance(zero, AbstractZero) and np.any(flatten_tangent(y_want, zero) != 0):
        raise RuleTestFailure(
            f"{label}: ZeroTangent() input tangents give a non-zero output tangent {zero!r:.100}"
        )
    check_not_mutated(
        label, ("an argument", inputs_changed), ("an input tangent", tangents_changed)
    )


def _constant(value: Any) -> Callable[[], Any]:
    def constant_value() -> Any:
        return value

    return constant_value
