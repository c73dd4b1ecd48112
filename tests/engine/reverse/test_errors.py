"""Errors: unsupported constructs are refused at the user's file and line, missing rules are
named, wrong outputs say what to use instead, user exceptions pass through unchanged, and no
input is ever mutated."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import math

import numpy as np
import pytest

import engine
from rulescore import (
    DifferentiationError,
    MissingRuleError,
    TangentTypeError,
    UnsupportedConstructError,
)


def marked_line(fn) -> int:
    """The line of `fn`'s source that carries the comment `# refused here`."""
    lines, start = inspect.getsourcelines(fn)
    hits = [start + i for i, line in enumerate(lines) if "# refused here" in line]
    assert len(hits) == 1, hits
    return hits[0]


# -- unsupported constructs ------------------------------------------------------------------

COUNTER = 0.0


def uses_try(x):
    y = x * 2.0
    try:  # refused here
        y = y + 1.0
    except ValueError:
        y = y - 1.0
    return y


def uses_with_tuple_target(x):
    with contextlib.nullcontext((x, x)) as (a, b):  # refused here
        y = a * b
    return y * 1.0


def uses_suppressing_with(x):
    y = x
    with contextlib.suppress(ZeroDivisionError):  # refused here
        y = x * 2.0
        y = y / 0.0 if x > 0 else y
        y = y * 3.0
    return y


def uses_yield(x):
    yield x * 2.0  # refused here


def uses_global(x):
    global COUNTER  # refused here
    COUNTER = x
    return x


def uses_nonlocal(x):
    y = x

    def bump():
        nonlocal y  # refused here
        y = y * 2.0
        return y

    return bump()


def uses_item_assignment(x):
    y = np.zeros(3)
    y[0] = x  # refused here
    return np.sum(y)


@dataclasses.dataclass
class Box:
    value: float


def uses_attribute_assignment(box, x):
    box.value = x  # refused here
    return box.value * 2.0


def uses_del(x):
    y = x * 2.0
    z = y + 1.0
    del y  # refused here
    return z


def uses_walrus(x):
    if (y := x * 2.0) > 0:  # refused here
        return y
    return x


def uses_list_append(x):
    values = []
    values.append(x * 2.0)  # refused here
    return sum(values)


def uses_dict_update(d, x):
    d.update({"a": x})  # refused here
    return d["a"]


def uses_array_iadd(x, y):
    x += y  # refused here
    return np.sum(x)


def uses_import(x):
    import math as m  # refused here

    return m.sin(x)


def uses_match(x):
    match x:  # refused here
        case 1.0:
            return x
        case _:
            return x * 2.0


def uses_class_definition(x):
    class Local:  # refused here
        pass

    return x


def uses_starred_target(xs):
    first, *rest = xs  # refused here
    return first * sum(rest)


def uses_refused_in_nested_callee(x):
    return uses_try(x) * 2.0


REFUSED = [
    (uses_try, (1.0,), "`try`"),
    (uses_with_tuple_target, (1.0,), "`with ... as`"),
    (uses_yield, (1.0,), "`yield`"),
    (uses_global, (1.0,), "`global`"),
    (uses_nonlocal, (1.0,), "`nonlocal`"),
    (uses_item_assignment, (1.0,), "x[i] = v"),
    (uses_attribute_assignment, (Box(1.0), 2.0), "obj.a = v"),
    (uses_del, (1.0,), "`del`"),
    (uses_walrus, (1.0,), ":="),
    (uses_array_iadd, (np.ones(2), np.ones(2)), "+="),
    (uses_import, (1.0,), "`import`"),
    (uses_match, (1.0,), "`match`"),
    (uses_class_definition, (1.0,), "class definition"),
    (uses_starred_target, ([1.0, 2.0, 3.0],), "starred"),
]


MUTATING_METHODS = [
    (uses_list_append, (1.0,), "list.append"),
    (uses_dict_update, ({"a": 1.0}, 2.0), "dict.update"),
]


@pytest.mark.parametrize(
    ("fn", "args", "construct"),
    [*REFUSED, *MUTATING_METHODS],
    ids=[r[0].__name__ for r in [*REFUSED, *MUTATING_METHODS]],
)
def test_unsupported_construct_is_refused_at_its_line(fn, args, construct) -> None:
    with pytest.raises(UnsupportedConstructError) as info:
        engine.gradient(fn, *args)
    err = info.value
    line = marked_line(fn)
    assert str(err).startswith(f"{__file__}:{line}: "), str(err)
    assert err.filename == __file__
    assert err.lineno == line
    assert construct in str(err)
    assert isinstance(err, NotImplementedError)
    assert isinstance(err, DifferentiationError)
    assert "not supported" in str(err)


@pytest.mark.parametrize(
    ("fn", "args", "construct"), MUTATING_METHODS, ids=[m[0].__name__ for m in MUTATING_METHODS]
)
def test_mutating_method_is_refused_in_its_file(fn, args, construct) -> None:
    with pytest.raises(UnsupportedConstructError, match="mutates") as info:
        engine.gradient(fn, *args)
    assert str(info.value).startswith(f"{__file__}:")
    assert construct in str(info.value)
    assert isinstance(info.value, NotImplementedError)


def test_exception_suppressed_by_with_is_refused() -> None:
    with pytest.raises(UnsupportedConstructError, match="suppressed an exception") as info:
        engine.gradient(uses_suppressing_with, 1.0)
    assert str(info.value).startswith(f"{__file__}:")


def test_exception_suppressed_by_with_is_refused_at_its_line() -> None:
    with pytest.raises(UnsupportedConstructError) as info:
        engine.gradient(uses_suppressing_with, 1.0)
    assert info.value.lineno == marked_line(uses_suppressing_with)


def test_refusal_inside_a_callee_names_the_callee_line() -> None:
    with pytest.raises(UnsupportedConstructError) as info:
        engine.gradient(uses_refused_in_nested_callee, 1.0)
    assert str(info.value).startswith(f"{__file__}:{marked_line(uses_try)}: ")


def test_refusal_message_suggests_a_replacement() -> None:
    with pytest.raises(UnsupportedConstructError, match=r"np\.where|concatenate"):
        engine.gradient(uses_item_assignment, 1.0)


def test_refusal_leaves_no_state_behind() -> None:
    for _ in range(2):
        with pytest.raises(UnsupportedConstructError):
            engine.gradient(uses_try, 1.0)
    assert engine.gradient(lambda x: x * 3.0, 1.0) == (3.0,)


# -- in-place operators on numbers -----------------------------------------------------------


def float_iadd(x, y):
    s = x
    s += 1.0
    s *= y
    s -= x
    s /= 2.0
    s **= 2
    return s


def test_augmented_assignment_on_numbers_is_differentiated(check) -> None:
    check(float_iadd, 1.5, 0.5)


def array_rebinding_iadd(x):
    y = x * 2.0  # a fresh array, but `+=` would still mutate it in place
    y += 1.0  # refused here
    return np.sum(y)


def test_augmented_assignment_on_fresh_array_is_refused() -> None:
    with pytest.raises(UnsupportedConstructError) as info:
        engine.gradient(array_rebinding_iadd, np.ones(2))
    assert info.value.lineno == marked_line(array_rebinding_iadd)


def tuple_iadd(x):
    t = (x,)
    t += (x * 2.0,)
    return t[0] * t[1]


def test_augmented_assignment_on_tuple_is_differentiated(check) -> None:
    check(tuple_iadd, 1.5)


# -- missing rules ---------------------------------------------------------------------------

_NAMESPACE: dict = {}
exec("def made_by_exec(x):\n    return x * 2.0\n", _NAMESPACE)  # no source to read
made_by_exec = _NAMESPACE["made_by_exec"]
doubled_ufunc = np.frompyfunc(lambda v: v * 2.0, 1, 1)


def calls_exec_function(x):
    return made_by_exec(x) + 1.0


def test_function_without_source_is_differentiated_on_the_tape(check) -> None:
    # The tape engine needs no source: it follows the function's operations as it runs.
    assert engine.gradient(calls_exec_function, 1.0) == (2.0,)
    check(calls_exec_function, 1.5)


exec("import math\ndef sine_by_exec(x):\n    return math.sin(x)\n", _NAMESPACE)
sine_by_exec = _NAMESPACE["sine_by_exec"]


def test_missing_rule_for_function_without_source_the_tape_cannot_follow() -> None:
    with pytest.raises(MissingRuleError, match="sine_by_exec") as info:
        engine.gradient(lambda x: sine_by_exec(x) + 1.0, 1.0)
    assert isinstance(info.value, NotImplementedError)
    assert "rrule.register" in str(info.value)
    assert "math.sin" in str(info.value)  # why the tape could not differentiate it


def test_missing_rule_for_frompyfunc_ufunc() -> None:
    with pytest.raises(MissingRuleError, match="vectorized"):
        engine.gradient(lambda x: doubled_ufunc(x) * 1.0, 1.0)


exec("def label_by_exec(s):\n    return s + '!'\n", _NAMESPACE)
label_by_exec = _NAMESPACE["label_by_exec"]


def test_builtin_without_rule_is_run_when_nothing_carries_a_derivative() -> None:
    assert engine.gradient(lambda x: x * len("ab".upper()), 2.0) == (2.0,)


def test_function_without_source_is_run_when_nothing_carries_a_derivative() -> None:
    assert engine.gradient(lambda x: x * len(label_by_exec("ab")), 2.0) == (3.0,)


# -- outputs of the wrong kind ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "arg"),
    [
        (lambda x: x * 2.0, np.ones(3)),
        (lambda x: [x, x], 1.0),
        (lambda x: (x, x), 1.0),
        (lambda x: x > 0.0, 1.0),
        (lambda x: np.sum(x) > 0, np.ones(2)),
        (lambda x: x * 1j, 1.0),
        (lambda x: np.exp(1j * x), np.ones(1)[0]),
        (lambda x: "text", 1.0),
        (lambda x: None, 1.0),
    ],
    ids=["array", "list", "tuple", "bool", "np.bool_", "complex", "np.complex128", "str", "None"],
)
def test_gradient_refuses_non_real_scalar_output(fn, arg) -> None:
    with pytest.raises(TangentTypeError, match=r"jacobian|pullback") as info:
        engine.gradient(fn, arg)
    assert isinstance(info.value, TypeError)


def test_complex_output_message_suggests_real_or_abs() -> None:
    with pytest.raises(TangentTypeError, match="abs"):
        engine.gradient(lambda x: x * 1j, 1.0)


def test_size_one_array_output_is_refused() -> None:
    with pytest.raises(TangentTypeError, match="jacobian"):
        engine.gradient(lambda x: x * 2.0, np.ones(1))


# -- user exceptions -------------------------------------------------------------------------


class UserError(ValueError):
    pass


def raises_when_negative(x):
    if x < 0:
        raise UserError(f"negative input {x}")
    return x**2


def test_user_exception_passes_through_unchanged() -> None:
    with pytest.raises(UserError, match=r"negative input -1\.0") as info:
        engine.gradient(raises_when_negative, -1.0)
    assert type(info.value) is UserError
    assert not isinstance(info.value, DifferentiationError)
    assert engine.gradient(raises_when_negative, 3.0) == (6.0,)


def raises_deep_inside(x, n):
    if n == 0:
        return math.sqrt(x)  # ValueError: math domain error for x < 0
    return raises_deep_inside(x, n - 1) * 2.0


def test_exception_from_library_inside_recursion_passes_through() -> None:
    with pytest.raises(ValueError, match="math domain error") as info:
        engine.gradient(raises_deep_inside, -1.0, 3)
    assert not isinstance(info.value, DifferentiationError)
    (g, _) = engine.gradient(raises_deep_inside, 4.0, 3)
    assert g == 8 * 0.25


def assertion_in_user_code(x):
    assert x > 0, "x must be positive"
    return x * 2.0


def test_user_assertion_passes_through() -> None:
    with pytest.raises(AssertionError, match="x must be positive"):
        engine.gradient(assertion_in_user_code, -1.0)
    assert engine.gradient(assertion_in_user_code, 1.0) == (2.0,)


def test_exception_raised_in_backward_rule_passes_through() -> None:
    # A non-finite but valid computation stays numeric; a user exception from within a
    # higher-order call (map over a lambda) is not wrapped either.
    def f(xs):
        return sum(map(lambda v: raises_when_negative(v), xs))  # noqa: C417

    with pytest.raises(UserError):
        engine.gradient(f, [1.0, -2.0])
    assert engine.gradient(f, [1.0, 2.0]) == ([2.0, 4.0],)


# -- inputs are not mutated ------------------------------------------------------------------


def touches_everything(params, x, xs, d):
    h = params["w"] @ x + params["b"]
    s = np.sum(np.tanh(h) ** 2)
    for v in xs:
        s = s + v * d["scale"]
    return s + np.sum(np.sort(x)) + np.sum(x[::-1])


def test_inputs_are_not_mutated() -> None:
    rng = np.random.default_rng(3)
    args = (
        {"w": rng.standard_normal((2, 3)), "b": rng.standard_normal(2)},
        rng.standard_normal(3),
        [1.0, 2.0],
        {"scale": 0.5},
    )
    before = copy.deepcopy(args)
    for _ in range(2):
        engine.gradient(touches_everything, *args)
        _y, back = engine.pullback(touches_everything, *args)
        back(1.0)
    np.testing.assert_array_equal(args[0]["w"], before[0]["w"])
    np.testing.assert_array_equal(args[0]["b"], before[0]["b"])
    np.testing.assert_array_equal(args[1], before[1])
    assert args[2] == before[2] and args[3] == before[3]


def test_gradient_arrays_do_not_alias_inputs() -> None:
    x = np.array([1.0, 2.0])
    (g,) = engine.gradient(lambda v: np.sum(v), x)
    g += 1.0
    np.testing.assert_array_equal(x, [1.0, 2.0])
    (g2,) = engine.gradient(lambda v: np.sum(v * 1.0), x)
    np.testing.assert_array_equal(g2, [1.0, 1.0])


def test_not_implemented_derivative_reaching_a_gradient_raises() -> None:
    from rulescore import NoTangent, not_implemented, rrule

    def half_known(x):
        return 2.0 * x

    @rrule.register(half_known)
    def _(x):
        def half_known_pullback(dy):
            return NoTangent(), not_implemented("the derivative of half_known")

        return half_known(x), half_known_pullback

    with pytest.raises(MissingRuleError, match="the derivative of half_known"):
        engine.gradient(lambda x: half_known(x) + x, 1.0)
    # Not needed by the gradient asked for: no error.
    assert engine.grad(lambda x, y: half_known(y) + x, argnums=0)(1.0, 2.0) == 1.0


def test_solver_given_a_closure_over_a_differentiated_value_raises() -> None:
    import scipy.integrate

    def area(a):
        return scipy.integrate.quad(lambda t: np.sin(a * t), 0.0, 1.0)[0]

    with pytest.raises(MissingRuleError, match="pass them to the solver through `args="):
        engine.gradient(area, 0.7)

    def area_with_args(a):
        return scipy.integrate.quad(lambda t, b: np.sin(b * t), 0.0, 1.0, args=(a,))[0]

    (g,) = engine.gradient(area_with_args, 0.7)
    h = 1e-6
    assert g == pytest.approx((area_with_args(0.7 + h) - area_with_args(0.7 - h)) / (2 * h))


@pytest.mark.parametrize("backend", ["reverse", "forward"])
def test_numbers_put_into_an_object_array_raise_instead_of_losing_their_derivative(backend):
    def f(x):
        return np.asanyarray(x, dtype=object)[0] * 1.0

    with pytest.raises(MissingRuleError, match="to dtype object"):
        engine.gradient(f, np.array([1.0, 2.0]), backend=backend)
