"""`test_rrule`: check a reverse rule against finite differences and the rule contract."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from rulescore import (
    AbstractZero,
    HasReverseMode,
    InplaceableThunk,
    NoTangent,
    NotImplementedTangent,
    RuleConfig,
    Thunk,
    ZeroTangent,
    rrule,
    rrule_via_ad,
    unthunk,
)
from rulescore._errors import qualified_name
from rulescore.testing._arguments import PrimalAndTangent, call_with, resolve, with_tangent
from rulescore.testing._comparison import (
    RuleTestFailure,
    Tolerances,
    assert_close,
    assert_projected,
    assert_same_primal,
    call_on_copies,
    deep_unthunk,
    default_tolerances,
    no_tangent_anywhere,
    snapshot,
)
from rulescore.testing._finite_differences import FiniteDifferenceMethod, vjp
from rulescore.testing._flatten import flatten_tangent, unflatten_tangent
from rulescore.testing._rand_tangent import rand_tangent

__all__ = ["test_rrule"]

Obtain = Callable[..., Any]


def test_rrule(
    f: Any,
    *args: Any,
    fkwargs: dict[str, Any] | None = None,
    output_tangent: Any = None,
    config: RuleConfig | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    method: FiniteDifferenceMethod | None = None,
    rng: np.random.Generator | None = None,
    check_second_order: bool = False,
) -> None:
    """`test_rrule(f, *args, **options)`: check `rrule(f, *args)` against finite differences.

    Each argument is a primal, `with_tangent(x, dx)` or `constant(x)`; `f` may be wrapped too
    when it is a callable object whose fields are differentiated. Raises `RuleTestFailure`
    (an `AssertionError`) naming the function, the argument and the check when:

    - no rule applies, or it does not return `(y, pullback)`;
    - `y` differs from `f(*args, **fkwargs)`;
    - the pullback does not return one cotangent per argument plus one for `f`;
    - a cotangent differs from the finite-difference vector-Jacobian product (along
      `output_tangent`, random by default) beyond the tolerances plus the FD error estimate;
    - a cotangent is not projected: wrong type, shape or dtype (`ProjectTo(x)(dx)` is a no-op
      on a correct one); `NoTangent()` where a derivative exists; anything but `NoTangent()`
      for an argument without tangent space (bool, str, integer arrays);
    - an `InplaceableThunk`'s `add_fn` disagrees with its value;
    - the pullback is not deterministic, not linear in its seed, or does not accept a
      thunked or a `ZeroTangent()` seed (which must give zero cotangents);
    - `f`'s arguments or the seed are mutated by the rule or its pullback.

    `NotImplementedTangent` cotangents are accepted and not compared. Tolerances default to
    the least precise float involved (float64: 1e-9 relative, float32: 1e-3, float16: 3e-2).
    `config` is passed to the rule (`rrule(config, f, ...)`). With `check_second_order=True`
    the pullback itself is differentiated by `rrule_via_ad(config, ...)` (an engine's
    configuration is needed) and checked the same way.

    >>> import math
    >>> from rulescore import scalar_rule
    >>> def softplus(x):
    ...     return math.log1p(math.exp(x))
    >>> scalar_rule(softplus, lambda x, y: 1 / (1 + math.exp(-x)))
    >>> test_rrule(softplus, 0.3)
    >>> scalar_rule(softplus, lambda x, y: 1 / (1 + math.exp(x)))  # a wrong derivative
    >>> test_rrule(softplus, 0.3)
    Traceback (most recent call last):
    rulescore.testing._comparison.RuleTestFailure: rrule(...softplus): cotangent of argument 1
    (`x`): max abs difference ...

    See also: `test_frule`, `test_scalar`, `with_tangent`, `constant`.
    """
    rng = np.random.default_rng(0) if rng is None else rng
    inputs = [resolve(a, rng) for a in (f, *args)]
    prefix = () if config is None else (config,)

    def obtain(*primals: Any) -> Any:
        return rrule(*prefix, *primals, **(fkwargs or {}))

    label = f"rrule({qualified_name(inputs[0].primal)})"
    check_reverse(label, inputs, fkwargs or {}, obtain, output_tangent, rtol, atol, method, rng)
    if check_second_order:
        _check_second_order(label, inputs, fkwargs or {}, config, rtol, atol, method, rng)


def check_reverse(
    label: str,
    inputs: list[PrimalAndTangent],
    kwargs: dict[str, Any],
    obtain: Obtain,
    output_tangent: Any,
    rtol: float | None,
    atol: float | None,
    method: FiniteDifferenceMethod | None,
    rng: np.random.Generator,
) -> None:
    """The checks of `test_rrule` for a rule given as `obtain(f, *args) -> (y, pullback)`."""
    primals = [a.primal for a in inputs]
    inputs_changed = snapshot(primals)
    result = obtain(*primals)
    if result is None:
        types = ", ".join(type(p).__name__ for p in primals[1:])
        raise RuleTestFailure(f"{label}: no rule applies to arguments of types ({types})")
    if not (isinstance(result, tuple) and len(result) == 2 and callable(result[1])):
        raise RuleTestFailure(f"{label}: must return (y, pullback), got {result!r:.100}")
    y, pullback = result
    check_not_mutated(label, ("an argument", inputs_changed))
    y_want = call_on_copies(primals, kwargs)
    tol = default_tolerances([*primals, y_want], rtol, atol)
    check_primal_output(label, y, y_want, tol)

    dy = rand_tangent(y_want, rng) if output_tangent is None else output_tangent
    seed_changed = snapshot(dy)
    cotangents = _call_pullback(label, pullback, dy, len(primals))
    check_not_mutated(label, ("an argument", inputs_changed), ("the seed", seed_changed))
    fd = _finite_differences(inputs, kwargs, dy, method)
    output_has_tangents = not isinstance(rand_tangent(y_want, rng), NoTangent)
    declared = declared_non_differentiable(primals[0])
    for i, item in enumerate(inputs):
        what = f"{label}: cotangent of {argument_name(primals[0], i)}"
        if output_has_tangents:
            _check_cotangent(what, item, cotangents[i], fd.get(i), tol, rng, declared)
        elif not isinstance(unthunk(cotangents[i]), (AbstractZero, NotImplementedTangent)):
            raise RuleTestFailure(
                f"{what}: the output has no tangent space, so every "
                f"cotangent must be zero, got {cotangents[i]!r:.80}"
            )

    tight = Tolerances(tol.rtol / 100, tol.atol / 100)
    _assert_same(
        f"{label}: a second call of the pullback",
        primals,
        cotangents,
        _call_pullback(label, pullback, dy, len(primals)),
        tight,
    )
    _assert_same(
        f"{label}: the pullback of a thunked seed",
        primals,
        cotangents,
        _call_pullback(label, pullback, Thunk(lambda: dy), len(primals)),
        tight,
    )
    _check_zero_seed(label, primals, _call_pullback(label, pullback, ZeroTangent(), len(primals)))
    if not isinstance(dy, AbstractZero):
        double = unflatten_tangent(y_want, 2 * flatten_tangent(y_want, dy))
        twice = [
            2 * flatten_tangent(p, deep_unthunk(c)) if _comparable(c) else None
            for p, c in zip(primals, cotangents, strict=True)
        ]
        _assert_same(
            f"{label}: the pullback is not linear in its seed: pullback(2 dy)",
            primals,
            twice,
            _call_pullback(label, pullback, double, len(primals)),
            tol,
            flat=True,
        )
    check_not_mutated(label, ("an argument", inputs_changed), ("the seed", seed_changed))


def check_primal_output(label: str, y: Any, y_want: Any, tol: Tolerances) -> None:
    """The rule's primal output must equal `f`'s: same structure, types and values."""
    numbers = (int, float, complex, np.generic)
    if type(y) is not type(y_want) and not (
        isinstance(y, numbers)
        and isinstance(y_want, numbers)
        and np.result_type(y) == np.result_type(y_want)
    ):
        raise RuleTestFailure(
            f"{label}: the primal output is a {type(y).__name__}, "
            f"f returns a {type(y_want).__name__}"
        )
    assert_same_primal(f"{label}: primal output", y, y_want, tol)


def check_not_mutated(label: str, *trackers: tuple[str, Callable[[], list[str]]]) -> None:
    """Fail if a tracked value (`(name, snapshot(value))`) was mutated in place."""
    for name, changed in trackers:
        paths = changed()
        if paths:
            raise RuleTestFailure(f"{label}: mutated {name} in place (at {', '.join(paths)})")


def argument_name(f: Any, i: int) -> str:
    """`argument 1 (\\`x\\`)`: how messages name the i-th primal (0 is `f` itself)."""
    if i == 0:
        return "the function itself"
    try:
        names = list(inspect.signature(f).parameters)
    except (TypeError, ValueError):
        names = []
    return f"argument {i} (`{names[i - 1]}`)" if i - 1 < len(names) else f"argument {i}"


def _call_pullback(label: str, pullback: Callable[[Any], Any], dy: Any, n: int) -> tuple[Any, ...]:
    try:
        cotangents = pullback(dy)
    except Exception as error:
        seed = type(dy).__name__ if isinstance(dy, (Thunk, AbstractZero)) else "plain"
        raise RuleTestFailure(
            f"{label}: the pullback raised {type(error).__name__} for a {seed} seed: {error}"
        ) from error
    if not isinstance(cotangents, tuple) or len(cotangents) != n:
        got = f"{len(cotangents)} entries" if isinstance(cotangents, tuple) else repr(cotangents)
        raise RuleTestFailure(
            f"{label}: the pullback must return a tuple of {n} cotangents (the function's, then "
            f"one per positional argument), got {got:.100}"
        )
    return cotangents


class _FDCotangent:
    def __init__(self, value: Any, error: float) -> None:
        self.value, self.error = value, error


def _finite_differences(
    inputs: list[PrimalAndTangent],
    kwargs: dict[str, Any],
    dy: Any,
    method: FiniteDifferenceMethod | None,
) -> dict[int, _FDCotangent]:
    active = [i for i, item in enumerate(inputs) if not item.constant]
    if not active or isinstance(dy, AbstractZero):
        return {i: _FDCotangent(ZeroTangent(), 0.0) for i in active}
    primals = [item.primal for item in inputs]
    result = vjp(
        lambda *values: call_with(primals, active, values, kwargs),
        dy,
        tuple(primals[i] for i in active),
        method=method,
    )
    return {i: _FDCotangent(v, result.error) for i, v in zip(active, result.value, strict=True)}


def declared_non_differentiable(f: Any) -> bool:
    """Whether `f` was declared with `non_differentiable` (its rules give `NoTangent`)."""
    return any(info.kind == "non_differentiable" for info in rrule.rules_for(f))


def _check_cotangent(
    what: str,
    item: PrimalAndTangent,
    cotangent: Any,
    fd: _FDCotangent | None,
    tol: Tolerances,
    rng: np.random.Generator,
    declared: bool,
) -> None:
    value = unthunk(cotangent)
    if isinstance(rand_tangent(item.primal, rng), NoTangent):
        if not no_tangent_anywhere(value):
            raise RuleTestFailure(
                f"{what}: the argument has no tangent space, so the cotangent "
                f"must be NoTangent(), got {value!r:.80}"
            )
        return
    if fd is None or isinstance(value, NotImplementedTangent):
        return
    if isinstance(value, NoTangent) and declared:
        # A declaration (np.shape of floats: ints out): finite differences must see no change.
        want = flatten_tangent(item.primal, fd.value)
        assert_close(f"{what} (declared non-differentiable)", 0 * want, want, tol, fd.error)
        return
    if isinstance(value, NoTangent):
        raise RuleTestFailure(
            f"{what}: NoTangent() where a derivative exists (NoTangent means "
            "'no tangent space'; return the derivative, or ZeroTangent() if zero)"
        )
    value = deep_unthunk(value)
    assert_projected(what, item.primal, value)
    if isinstance(cotangent, InplaceableThunk):
        _check_add_fn(what, item.primal, cotangent, value, tol)
    hint = " (the rule returned ZeroTangent())" if isinstance(value, AbstractZero) else ""
    want = fd.value
    if item.project is not None:  # compare within the subspace the function reads
        value, want = item.project(value), item.project(want)
    assert_close(
        what + hint,
        flatten_tangent(item.primal, value),
        flatten_tangent(item.primal, want),
        tol,
        fd.error,
    )


def _check_add_fn(
    what: str, primal: Any, thunk: InplaceableThunk, value: Any, tol: Tolerances
) -> None:
    start = np.ones_like(value) if isinstance(value, np.ndarray) else None
    if start is None:
        return
    acc = thunk.add_fn(start.copy())
    assert_close(
        f"{what}: add_fn of the InplaceableThunk (added to ones)",
        flatten_tangent(primal, acc),
        flatten_tangent(primal, start + value),
        tol,
    )


def _comparable(cotangent: Any) -> bool:
    return not isinstance(unthunk(cotangent), NotImplementedTangent)


def _assert_same(
    what: str,
    primals: list[Any],
    reference: Any,
    other: tuple[Any, ...],
    tol: Tolerances,
    flat: bool = False,
) -> None:
    for i, (primal, ref, got) in enumerate(zip(primals, reference, other, strict=True)):
        if ref is None or not _comparable(got) or (not flat and not _comparable(ref)):
            continue
        if isinstance(unthunk(got), NoTangent) or (
            not flat and isinstance(unthunk(ref), NoTangent)
        ):
            continue
        want = ref if flat else flatten_tangent(primal, deep_unthunk(ref))
        assert_close(
            f"{what} gives another cotangent for {argument_name(primals[0], i)}",
            flatten_tangent(primal, deep_unthunk(got)),
            want,
            tol,
        )


def _check_zero_seed(label: str, primals: list[Any], cotangents: tuple[Any, ...]) -> None:
    for i, (primal, cotangent) in enumerate(zip(primals, cotangents, strict=True)):
        value = deep_unthunk(cotangent)
        if isinstance(value, (AbstractZero, NotImplementedTangent)):
            continue
        if np.any(flatten_tangent(primal, value) != 0):
            raise RuleTestFailure(
                f"{label}: pullback(ZeroTangent()) gives a non-zero cotangent "
                f"for {argument_name(primals[0], i)}: {value!r:.100}"
            )


def _check_second_order(
    label: str,
    inputs: list[PrimalAndTangent],
    kwargs: dict[str, Any],
    config: RuleConfig | None,
    rtol: float | None,
    atol: float | None,
    method: FiniteDifferenceMethod | None,
    rng: np.random.Generator,
) -> None:
    if config is None or not isinstance(cast(object, config), HasReverseMode):
        raise TypeError(
            "check_second_order=True needs config=, a RuleConfig with HasReverseMode "
            "(an engine's), to differentiate the pullback"
        )
    f = inputs[0].primal
    active = [i for i, item in enumerate(inputs) if not item.constant and i > 0]
    y = f(*(item.primal for item in inputs[1:]), **kwargs)
    dy = rand_tangent(y, rng)

    def pullback_of(*values: Any) -> tuple[Any, ...]:
        full = [item.primal for item in inputs]
        for i, value in zip(active, values[:-1], strict=True):
            full[i] = value
        _, back = rrule(config, *full, **kwargs)  # type: ignore[misc]  # test_rrule found it
        cotangents = back(values[-1])
        return tuple(deep_unthunk(cotangents[i]) for i in active)

    second = [
        resolve(pullback_of, rng),
        *(with_tangent(inputs[i].primal, inputs[i].tangent) for i in active),
        resolve(dy, rng),
    ]
    check_reverse(
        f"{label}, second order (its pullback)",
        second,
        {},
        lambda g, *a: rrule_via_ad(config, g, *a),
        None,
        rtol,
        atol,
        method,
        rng,
    )
