"""Control flow in forward mode: branches, loops of every kind, break/continue/else, early
returns, recursion, try/except, generators, `with`; each push forward checked against finite
differences. The code runs natively: a dual tests, compares and iterates like its primal."""

from __future__ import annotations

import contextlib
import itertools
import math

import numpy as np
import pytest

import engine

# -- branches --------------------------------------------------------------------------------


def piecewise(x):
    if x < -1.0:
        return -(x**2)
    elif x < 0.0:  # noqa: RET505 - the construct under test
        y = 3.0 * x
    elif x < 1.0:
        y = math.sin(x) * x
    else:
        y = x**3
        y = y - x
    return y + 1.0


@pytest.mark.parametrize("x", [-2.0, -0.5, 0.5, 2.0])
def test_if_elif_else(check, x) -> None:
    check(piecewise, x)


def conditional_expression(x, y):
    a = x * y if x > y else x + y
    return (a if a > 1.0 else -a) ** 2


@pytest.mark.parametrize(("x", "y"), [(2.0, 1.0), (1.0, 2.0), (0.1, 0.2), (0.3, -0.5)])
def test_conditional_expression(check, x, y) -> None:
    check(conditional_expression, x, y)


def and_or_values(x, y, z):
    a = x and y
    b = 0.0 or z
    c = (x > 10.0) or y * z
    d = not x
    return a * b + c + d


def test_and_or_not_in_value_position(check) -> None:
    _, dy = engine.jvp(and_or_values, (2.0, 3.0, 4.0), (1.0, 0.0, 0.0))
    assert dy == 0.0
    check(and_or_values, 2.0, 3.0, 4.0)


def branch_on_array_value(x):
    if np.sum(x) > 0 and x[0] < 5.0:
        return np.sum(x**2)
    return np.sum(np.sin(x))


def test_branch_on_array_reduction(check) -> None:
    check(branch_on_array_value, np.array([1.0, 2.0]))
    check(branch_on_array_value, np.array([-1.0, -2.0]))


# -- loops -----------------------------------------------------------------------------------


def loop_range(x, n):
    s = 0.0
    for i in range(n):
        s = s + x ** (i + 1) / (i + 1)
    return s


def test_for_range_with_int_argument(check) -> None:
    check(loop_range, 0.7, 4, fixed=(1,))
    _, dy = engine.jvp(loop_range, (0.7, 4), (2.0, 0.0))
    np.testing.assert_allclose(dy, 2.0 * sum(0.7**i for i in range(4)), rtol=1e-14)


def loops_over_containers(xs, d, m):
    s = 0.0
    for x in xs:
        s = s + x * x
    for i, (a, b) in enumerate(itertools.pairwise(xs)):
        s = s + i * a * b
    for k, v in d.items():
        s = s + len(k) * v
    for v in reversed(xs):
        s = s * 0.5 + v
    for row in m:
        s = s + np.sum(row * row)
    for v in sorted(xs):
        s = s + v
    return s


def test_for_over_lists_dicts_zip_enumerate_reversed_rows(check) -> None:
    check(loops_over_containers, [1.0, -2.0, 0.5], {"a": 1.5, "bb": -0.5}, np.ones((2, 3)))


def newton_sqrt(a):
    x = a
    while abs(x * x - a) > 1e-12 * a:
        x = 0.5 * (x + a / x)
    return x


def test_while_newton_iteration(check) -> None:
    _, dy = engine.jvp(newton_sqrt, (2.0,), (1.0,))
    np.testing.assert_allclose(dy, 0.5 / math.sqrt(2.0), rtol=1e-10)
    check(newton_sqrt, 3.0)


def break_continue_else(xs, t):
    s = 0.0
    for x in xs:
        if x < 0:
            continue
        if x > t:
            break
        s = s + x**2
    else:
        s = s * t
    i = 0
    while True:
        i += 1
        if i % 2:
            continue
        s = s + t * i
        if i > 4:
            break
    return s


@pytest.mark.parametrize("t", [10.0, 1.5])
def test_break_continue_for_else_while_true(check, t) -> None:
    check(break_continue_else, [1.0, -1.0, 2.0, 0.5], t)


def early_return_nested(m, t):
    for row in m:
        for v in row:
            if v > t:
                return v * t
    return t


def test_early_return_inside_nested_loops(check) -> None:
    check(early_return_nested, [[0.1, 0.2], [0.3, 5.0]], 1.0)
    check(early_return_nested, [[0.1, 0.2]], 1.0)


def augmented_assignments(x, y):
    s = x
    s += y
    s -= 0.5 * x
    s *= y
    s /= 1.0 + x * x
    s **= 2
    t = [x, y]
    t[0] += y
    t[1] *= x
    return s + t[0] * t[1]


def test_augmented_assignments_on_names_and_list_items(check) -> None:
    check(augmented_assignments, 0.7, -1.3)


# -- recursion -------------------------------------------------------------------------------


def power(x, n):
    if n == 0:
        return 1.0
    half = power(x, n // 2)
    return half * half * (x if n % 2 else 1.0)


def mutual_even(x, n):
    return 1.0 if n == 0 else x * mutual_odd(x, n - 1)


def mutual_odd(x, n):
    return x if n == 0 else x * mutual_even(x, n - 1)


def tree_sum(tree):
    if isinstance(tree, list):
        return sum(tree_sum(t) for t in tree)
    return tree * tree


@pytest.mark.parametrize("n", [0, 1, 5, 8])
def test_recursive_power_by_squaring(check, n) -> None:
    check(power, 1.3, n, fixed=(1,))


def test_mutual_recursion_and_recursion_over_nested_lists(check) -> None:
    check(mutual_even, 1.1, 6, fixed=(1,))
    check(tree_sum, [1.0, [2.0, [3.0, -1.0]], 0.5])


def linear_power(x, n):
    return x if n == 1 else x * linear_power(x, n - 1)


def test_recursion_depth_300() -> None:
    _, dy = engine.jvp(lambda x: linear_power(x, 300), (1.001,), (1.0,))
    assert dy == pytest.approx(300 * 1.001**299)


def long_loop(x):
    for _ in range(20000):
        x = x * 1.0
    return x


def test_long_loop() -> None:
    assert engine.jvp(long_loop, (2.0,), (3.0,)) == (2.0, 3.0)


# -- try/except, generators, with ------------------------------------------------------------


def try_except(x, xs):
    try:
        y = xs[5]
    except IndexError:
        y = x * 2.0
    try:
        z = math.sqrt(x) if x > 0 else 1.0 / 0.0
    except ZeroDivisionError:
        z = -x
    else:
        z = z + 1.0
    finally:
        x = x * 3.0
    return x * y + z


@pytest.mark.parametrize("x", [0.6, -0.4])
def test_try_except_else_finally(check, x) -> None:
    check(try_except, x, [1.0])


def squares(xs):
    for x in xs:
        yield x * x
    yield from (x * 2.0 for x in xs)


def use_generator(xs):
    total = 0.0
    for v in squares(xs):
        total = total + v
    g = squares(xs)
    return total * next(g)


def test_generator_function_and_yield_from(check) -> None:
    check(use_generator, [1.5, -0.5])


def with_statements(x):
    with np.errstate(divide="ignore"):
        y = x / 2.0
    with contextlib.suppress(KeyError):
        y = y + {"a": x}["a"] * x
        y = y + {}["b"]
    return y


def test_with_statements(check) -> None:
    check(with_statements, 1.7)
