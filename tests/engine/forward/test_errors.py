"""What forward mode refuses, and how: in-place updates and item assignment on arrays
carrying derivatives (`UnsupportedConstructError` with the user's file and line), code
without source that converts a dual to a number (`MissingRuleError` naming it), values the
engine cannot follow (hashing a dual, a returned closure); and what it lets through: the
user's own exceptions unchanged, mutation of plain arrays, code made by `exec`."""

from __future__ import annotations

import functools
import inspect
import math

import numpy as np
import pytest

import engine
from rulescore import MissingRuleError, UnsupportedConstructError

HERE = __file__

# -- in-place updates ------------------------------------------------------------------------


def augmented_array(x):
    x += 1.0  # refused
    return x


def item_assignment(x):
    y = x * 2.0
    y[0] = 1.0  # refused
    return y


def item_assignment_of_a_dual(x):
    buffer = np.zeros(2)
    buffer[0] = x  # refused
    return buffer


def augmented_item(x):
    y = x * 1.0
    y[0] += 1.0  # refused
    return y


def _refused_line(f) -> int:
    lines, first = inspect.getsourcelines(f)
    return first + next(i for i, text in enumerate(lines) if "# refused" in text)


@pytest.mark.parametrize(
    ("f", "construct"),
    [
        (augmented_array, "an in-place update of an array carrying a derivative"),
        (item_assignment, "assignment into an array carrying a derivative"),
        (item_assignment_of_a_dual, "assignment into an array carrying a derivative"),
        (augmented_item, "assignment into an array carrying a derivative"),
    ],
)
def test_in_place_updates_of_arrays_with_derivatives_are_refused(f, construct) -> None:
    x = np.ones(2) if f is not item_assignment_of_a_dual else 1.0
    dx = np.ones(2) if f is not item_assignment_of_a_dual else 1.0
    with pytest.raises(UnsupportedConstructError, match=construct) as info:
        engine.jvp(f, (x,), (dx,))
    assert (info.value.filename, info.value.lineno) == (HERE, _refused_line(f))
    assert isinstance(info.value, NotImplementedError)


def plain_buffers(x):
    buffer = np.zeros(3)
    buffer[0] = 1.0
    buffer += 3.0
    buffer[1] += 2.0
    buffer[1:] *= 0.5
    counts = {"a": 0}
    counts["a"] += 1
    return buffer * x + counts["a"]


def test_in_place_updates_of_plain_arrays_are_allowed(check) -> None:
    _, dy = engine.jvp(plain_buffers, (2.0,), (1.0,))
    np.testing.assert_array_equal(dy, [4.0, 2.5, 1.5])
    check(plain_buffers, 0.3)


def test_in_place_update_of_a_float_rebinds(check) -> None:
    check(augmented_array, 1.5)


# -- code without source ---------------------------------------------------------------------

_NAMESPACE: dict = {"math": math, "np": np}
exec(
    "def by_operators(x):\n"
    "    return x * x + 2 * x - x / 3 + np.sin(x) * x.sum() + x.T @ x\n"
    "def by_math(x):\n"
    "    return math.sin(x) * 2\n"
    "def calls_back(f, x):\n"
    "    return f(x) * 2\n",
    _NAMESPACE,
)


def test_exec_built_functions_run_by_operator_overloading(check) -> None:
    check(_NAMESPACE["by_operators"], np.array([0.5, -1.0, 2.0]))


def test_exec_built_function_converting_to_float_names_itself() -> None:
    with pytest.raises(MissingRuleError, match=r"`by_math` converts a value carrying a"):
        engine.jvp(_NAMESPACE["by_math"], (1.0,), (1.0,))


def test_function_passed_into_code_without_source_still_differentiated(check) -> None:
    # The callback runs by operator overloading: `np.sin` meets the dispatch.
    check(lambda x: _NAMESPACE["calls_back"](np.sin, x), np.array([0.5, 1.0]))


def test_missing_rule_for_a_numpy_scalar_method_names_it() -> None:
    with pytest.raises(MissingRuleError, match=r"no rule for `generic\.item`"):
        engine.jvp(lambda x: x[1].item() * x[0], (np.ones(3),), (np.ones(3),))


def test_ufunc_methods_and_out_on_duals_are_refused() -> None:
    with pytest.raises(TypeError, match="out="):
        engine.jvp(lambda x: np.sin(x, out=np.zeros(2)), (np.ones(2),), (np.ones(2),))
    with pytest.raises(MissingRuleError, match=r"`add.at`"):
        engine.jvp(lambda x: np.add.at(x, [0], 1.0), (np.ones(2),), (np.ones(2),))


def test_numpy_function_without_rule_or_source_is_named() -> None:
    with pytest.raises(MissingRuleError, match="apply_over_axes"):
        engine.jvp(
            lambda x: np.apply_over_axes(np.sum, x, [0]), (np.ones((2, 2)),), (np.ones((2, 2)),)
        )


# -- values the engine cannot follow ---------------------------------------------------------


def test_hashing_a_dual_is_refused_clearly() -> None:
    with pytest.raises(TypeError, match="cannot be hashed"):
        engine.jvp(lambda x: {x: 1.0}[x], (1.5,), (1.0,))

    @functools.lru_cache
    def cached(v):
        return v * 2.0

    cached(1.5)  # a cache hit would return the plain float: no derivative
    with pytest.raises(TypeError, match="cannot be hashed"):
        engine.jvp(cached, (1.5,), (1.0,))


def returns_closure(x):
    def scaled(v):
        return x * v

    return scaled


def test_returning_a_closure_over_a_dual_is_refused() -> None:
    with pytest.raises(UnsupportedConstructError, match="returning a function that closes"):
        engine.jvp(returns_closure, (2.0,), (1.0,))
    y, _ = engine.jvp(lambda x: (np.sin, x), (2.0,), (1.0,))  # a function without duals
    assert y[0] is np.sin


nested_lambda = lambda x: lambda y: x * y  # noqa: E731 - one line, the construct under test


def test_lambda_returning_a_lambda_on_one_line_is_told_apart_by_its_parameters() -> None:
    assert engine.jvp(lambda a: nested_lambda(a)(3.0), (2.0,), (1.0,)) == (6.0, 3.0)


# -- exceptions and inputs -------------------------------------------------------------------


class ModelError(Exception):
    pass


ERROR = ModelError("diverged")


def raises_inside(x):
    if x > 0:
        raise ERROR
    return x


def test_user_exception_propagates_unchanged() -> None:
    with pytest.raises(ModelError) as info:
        engine.jvp(lambda x: raises_inside(x * 2.0) + 1.0, (1.0,), (1.0,))
    assert info.value is ERROR


def test_user_errors_name_the_users_function() -> None:
    def two(x, n):
        return x * n

    with pytest.raises(TypeError, match=r"two\(\) missing 1 required positional argument"):
        engine.jvp(two, (1.0,), (1.0,))
    with pytest.raises(ZeroDivisionError):
        engine.jvp(lambda x: x / 0.0, (1.0,), (1.0,))
    with pytest.raises(ValueError, match="jvp got 1 primals and 2 tangents"):
        engine.jvp(two, (1.0,), (1.0, 2.0))


def test_inputs_are_not_mutated() -> None:
    xs, d, a = [1.0, 2.0], {"w": 3.0}, np.array([1.0, 2.0])

    def f(xs, d, a):
        xs.append(5.0)
        d["w"] = d["w"] * 2.0
        return sum(xs) * d["w"] + np.sum(a)

    engine.jvp(f, (list(xs), dict(d), a), ([1.0, 1.0], {"w": 1.0}, np.ones(2)))
    assert xs == [1.0, 2.0] and d == {"w": 3.0}
    np.testing.assert_array_equal(a, [1.0, 2.0])


def test_solver_given_a_closure_over_a_dual_is_refused_and_args_work() -> None:
    import scipy.integrate

    def area(a):
        return scipy.integrate.quad(lambda t: np.sin(a * t), 0.0, 1.0)[0]

    with pytest.raises(MissingRuleError, match="pass them as arguments"):
        engine.jvp(area, (0.7,), (1.0,))

    def area_with_args(a):
        return scipy.integrate.quad(lambda t, b: np.sin(b * t), 0.0, 1.0, args=(a,))[0]

    _, dy = engine.jvp(area_with_args, (0.7,), (1.0,))
    h = 1e-6
    assert dy == pytest.approx((area_with_args(0.7 + h) - area_with_args(0.7 - h)) / (2 * h))
