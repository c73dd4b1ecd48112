"""Tests of rulescore/_rule_definition.py: `scalar_rule`, `non_differentiable`,
`ignore_derivatives`.

Every test defines its own functions, so that no rule leaks into another test.
"""

import inspect
import math

import numpy as np
import pytest

from rulescore import (
    NoTangent,
    Thunk,
    ZeroTangent,
    frule,
    ignore_derivatives,
    non_differentiable,
    rrule,
    scalar_rule,
    unthunk,
)


def next_line():
    """The line number after the caller's current line."""
    return inspect.currentframe().f_back.f_lineno + 1


def make_sin():
    def sin(x):
        return np.sin(x)

    scalar_rule(sin, lambda x, y: np.cos(x))
    return sin


def make_mul():
    def mul(a, b):
        return a * b

    scalar_rule(mul, lambda a, b, y: b, lambda a, b, y: a)
    return mul


# --- scalar_rule: values ------------------------------------------------------------------


def test_one_argument_rrule_and_frule():
    sin = make_sin()
    y, pullback = rrule(sin, 0.5)
    assert y == np.sin(0.5)
    df, dx = pullback(2.0)
    assert df is NoTangent()
    assert dx == pytest.approx(2.0 * math.cos(0.5))
    assert type(dx) is float
    y, dy = frule((NoTangent(), 3.0), sin, 0.5)
    assert y == np.sin(0.5)
    assert dy == pytest.approx(3.0 * math.cos(0.5))


def test_two_argument_rrule_and_frule():
    mul = make_mul()
    y, pullback = rrule(mul, 2.0, 3.0)
    assert y == 6.0
    assert pullback(1.5) == (NoTangent(), 4.5, 3.0)
    assert frule((NoTangent(), 1.0, 0.0), mul, 2.0, 3.0) == (6.0, 3.0)
    assert frule((NoTangent(), 0.0, 1.0), mul, 2.0, 3.0) == (6.0, 2.0)
    assert frule((NoTangent(), 1.0, 1.0), mul, 2.0, 3.0) == (6.0, 5.0)


def test_ints_are_differentiated_as_reals():
    mul = make_mul()
    _, pullback = rrule(mul, 2, 3)
    assert pullback(1) == (NoTangent(), 3.0, 2.0)
    assert all(type(d) is float for d in pullback(1)[1:])


def test_holomorphic_pullback_multiplies_by_the_conjugate_partial():
    def square(z):
        return z * z

    scalar_rule(square, lambda z, y: 2 * z)
    z = 1.0 + 2.0j
    y, pullback = rrule(square, z)
    assert y == z * z
    assert pullback(1.0) == (NoTangent(), (2 * z).conjugate())
    assert pullback(1j) == (NoTangent(), (2 * z).conjugate() * 1j)
    assert frule((NoTangent(), 1j), square, z) == (z * z, 2 * z * 1j)


def test_a_real_argument_gets_the_real_part_of_a_complex_cotangent():
    def square(z):
        return z * z

    scalar_rule(square, lambda z, y: 2 * z)
    _, pullback = rrule(square, 3.0)
    _, dx = pullback(2.0 + 1.0j)
    assert dx == 12.0
    assert type(dx) is float


def test_complex_arrays(rng):
    def square(z):
        return z * z

    scalar_rule(square, lambda z, y: 2 * z)
    z = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    dy = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    _, pullback = rrule(square, z)
    np.testing.assert_allclose(pullback(dy)[1], np.conj(2 * z) * dy)


def test_arrays_with_broadcasting_sum_each_cotangent_back_to_its_argument(rng):
    mul = make_mul()
    a = rng.standard_normal(3)
    b = rng.standard_normal((2, 3))
    dy = rng.standard_normal((2, 3))
    y, pullback = rrule(mul, a, b)
    np.testing.assert_array_equal(y, a * b)
    _, da, db = map(unthunk, pullback(dy))
    assert da.shape == (3,)
    assert db.shape == (2, 3)
    np.testing.assert_allclose(da, (b * dy).sum(axis=0))
    np.testing.assert_allclose(db, a * dy)


def test_a_scalar_argument_of_an_array_call_gets_a_summed_float(rng):
    mul = make_mul()
    x = rng.standard_normal(4)
    dy = rng.standard_normal(4)
    _, pullback = rrule(mul, 2.0, x)
    _, ds, dx = map(unthunk, pullback(dy))
    assert type(ds) is float
    assert ds == pytest.approx(float(np.sum(x * dy)))
    np.testing.assert_allclose(dx, 2.0 * dy)


def test_array_cotangents_keep_the_argument_dtype(rng):
    sin = make_sin()
    x = rng.standard_normal(3).astype(np.float32)
    _, pullback = rrule(sin, x)
    dx = unthunk(pullback(np.ones(3))[1])
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, np.cos(x), rtol=1e-6)


def test_array_frule_broadcasts(rng):
    mul = make_mul()
    a = rng.standard_normal(3)
    b = rng.standard_normal((2, 1))
    da = rng.standard_normal(3)
    db = rng.standard_normal((2, 1))
    y, dy = frule((NoTangent(), da, db), mul, a, b)
    np.testing.assert_array_equal(y, a * b)
    assert dy.shape == (2, 3)
    np.testing.assert_allclose(dy, b * da + a * db)


def test_a_partial_may_use_the_output_which_is_computed_once():
    calls = []

    def exp(x):
        calls.append(x)
        return np.exp(x)

    seen = []

    def exp_partial(x, y):
        seen.append(y)
        return y

    scalar_rule(exp, exp_partial)
    y, pullback = rrule(exp, 1.0)
    _, dx = pullback(2.0)
    assert dx == pytest.approx(2.0 * math.e)
    assert seen == [y]
    assert calls == [1.0]
    _, dy = frule((NoTangent(), 1.0), exp, 1.0)
    assert dy == pytest.approx(math.e)


def test_a_none_partial_gives_no_tangent():
    def power(x, n):
        return x**n

    scalar_rule(power, lambda x, n, y: n * x ** (n - 1), None)
    _, pullback = rrule(power, 2.0, 3)
    assert pullback(1.0) == (NoTangent(), 12.0, NoTangent())
    assert frule((NoTangent(), 1.0, 5.0), power, 2.0, 3) == (8.0, 12.0)


def test_keyword_arguments_pass_through_to_the_function():
    def scaled(x, *, scale=1.0):
        return scale * x

    scalar_rule(scaled, lambda x, y: y / x)
    y, pullback = rrule(scaled, 2.0, scale=3.0)
    assert y == 6.0
    assert pullback(1.0) == (NoTangent(), 3.0)
    assert frule((NoTangent(), 1.0), scaled, 2.0, scale=3.0) == (6.0, 3.0)


@pytest.mark.parametrize(
    "call",
    [
        lambda f: rrule(f, 1.0),
        lambda f: frule((NoTangent(), 1.0), f, 1.0),
        lambda f: rrule(f, 1.0, 2.0, 3.0),
    ],
    ids=["rrule", "frule", "too-many"],
)
def test_the_wrong_number_of_arguments_is_a_type_error_naming_the_function(call):
    def shifted(x, shift=1.0, *more):
        return x + shift

    scalar_rule(shifted, lambda x, shift, y: 1.0, lambda x, shift, y: 1.0)
    with pytest.raises(TypeError, match=r"scalar_rule for shifted has 2 partials but was called"):
        call(shifted)


# --- scalar_rule: tangent types -----------------------------------------------------------


def test_a_zero_seed_gives_zero_cotangents():
    mul = make_mul()
    _, pullback = rrule(mul, 2.0, np.ones(3))
    assert pullback(ZeroTangent()) == (NoTangent(), ZeroTangent(), ZeroTangent())


def test_a_thunk_seed_is_unthunked():
    mul = make_mul()
    _, pullback = rrule(mul, 2.0, 3.0)
    assert pullback(Thunk(lambda: 1.5)) == (NoTangent(), 4.5, 3.0)


def test_frule_with_zero_tangents_gives_zero_tangent():
    mul = make_mul()
    for zeros in [(ZeroTangent(), ZeroTangent()), (NoTangent(), ZeroTangent())]:
        y, dy = frule((NoTangent(), *zeros), mul, 2.0, 3.0)
        assert y == 6.0
        assert dy is ZeroTangent()


def test_frule_skips_zero_tangents_and_unthunks_others():
    mul = make_mul()
    assert frule((NoTangent(), ZeroTangent(), Thunk(lambda: 1.0)), mul, 2.0, 3.0) == (6.0, 2.0)


def test_frule_projects_onto_the_output():
    sin = make_sin()
    y, dy = frule((NoTangent(), np.ones(3)), sin, np.zeros(3, dtype=np.float32))
    assert y.dtype == np.float32
    assert dy.dtype == np.float32


def test_the_pullback_is_named_after_the_function():
    mul = make_mul()
    _, pullback = rrule(mul, 1.0, 2.0)
    assert pullback.__name__ == "mul_pullback"
    assert pullback.__qualname__ == "mul_pullback"


def test_scalar_rule_for_a_ufunc_like_callable_without_a_rule_yet():
    class Cube:
        __name__ = "cube"

        def __call__(self, x):
            return x**3

    cube = Cube()
    scalar_rule(cube, lambda x, y: 3 * x**2)
    _, pullback = rrule(cube, 2.0)
    assert pullback(1.0) == (NoTangent(), 12.0)
    assert pullback.__name__ == "cube_pullback"


def test_scalar_rule_types_restrict_the_rule():
    def f(x):
        return 2 * x

    scalar_rule(f, lambda x, y: 2.0, types=(float,))
    assert rrule(f, 1.0) is not None
    assert rrule(f, np.ones(2)) is None
    assert frule((NoTangent(), 1.0), f, np.ones(2)) is None


def test_scalar_rule_registers_both_rules_where_it_was_called():
    def f(x):
        return x

    line = next_line()
    scalar_rule(f, lambda x, y: 1.0)
    for table in (rrule, frule):
        (info,) = table.rules_for(f)
        assert info.kind == "rule"
        assert info.defined_at == f"{__file__}:{line}"


# --- non_differentiable -------------------------------------------------------------------


def test_non_differentiable_several_functions_at_once():
    def sign_label(x):
        return "negative" if x < 0 else "positive"

    def count(*items):
        return len(items)

    line = next_line()
    non_differentiable(sign_label, count)
    y, pullback = rrule(sign_label, -2.0)
    assert y == "negative"
    assert pullback(1.0) == (NoTangent(), NoTangent())
    y, pullback = rrule(count, 1.0, 2.0, 3.0)
    assert y == 3
    assert pullback(1.0) == (NoTangent(),) * 4
    assert frule((NoTangent(), 1.0), sign_label, 2.0) == ("positive", NoTangent())
    for f in (sign_label, count):
        for table in (rrule, frule):
            (info,) = table.rules_for(f)
            assert info.kind == "non_differentiable"
            assert info.defined_at == f"{__file__}:{line}"


def test_non_differentiable_passes_keyword_arguments():
    def argmax(x, *, axis=None):
        return int(np.argmax(x, axis=axis)) if axis is None else np.argmax(x, axis=axis)

    non_differentiable(argmax)
    x = np.array([[1.0, 5.0], [7.0, 2.0]])
    y, pullback = rrule(argmax, x, axis=1)
    np.testing.assert_array_equal(y, [1, 0])
    assert pullback(ZeroTangent()) == (NoTangent(), NoTangent())
    y, dy = frule((NoTangent(), np.ones((2, 2))), argmax, x, axis=0)
    np.testing.assert_array_equal(y, [1, 0])
    assert dy is NoTangent()


def test_non_differentiable_with_types():
    def f(x):
        return x

    non_differentiable(f, types=(str,))
    assert rrule(f, "text") is not None
    assert rrule(f, 1.0) is None


# --- ignore_derivatives -------------------------------------------------------------------


@pytest.mark.parametrize("x", [3.0, np.ones(2), (1.0, 2.0)], ids=repr)
def test_ignore_derivatives_returns_its_argument(x):
    assert ignore_derivatives(x) is x


def test_ignore_derivatives_rrule_returns_a_zero_cotangent():
    x = np.ones(2)
    y, pullback = rrule(ignore_derivatives, x)
    assert y is x
    assert pullback(np.ones(2)) == (NoTangent(), ZeroTangent())


def test_ignore_derivatives_frule_returns_a_zero_tangent():
    y, dy = frule((NoTangent(), 1.0), ignore_derivatives, 3.0)
    assert y == 3.0
    assert dy is ZeroTangent()


def test_ignore_derivatives_is_registered_as_a_rule():
    assert rrule.has_rule(ignore_derivatives)
    assert frule.has_rule(ignore_derivatives)
    assert rrule.rules_for(ignore_derivatives)[0].kind == "rule"


def test_alias_rules_follow_the_target_including_later_rules():
    import math

    from rulescore import alias_rules, frule, rrule, scalar_rule
    from rulescore.testing import test_frule, test_rrule

    def target(x):
        return math.sin(x)

    def alias(x):
        return math.sin(x)

    alias_rules(alias, target)
    with pytest.raises(NotImplementedError, match="target"):
        rrule(alias, 1.0)
    scalar_rule(target, lambda x, y: math.cos(x))
    test_rrule(alias, 0.4)
    test_frule(alias, 0.4)
    assert "test_rule_definition.py:" in rrule.rules_for(alias)[0].defined_at
    assert frule.has_rule(alias)


def test_scalar_rule_frule_broadcasts_a_narrower_tangent():
    import numpy as np

    from rulescore import NoTangent, ZeroTangent, frule, rrule, scalar_rule

    def plus(a, b):
        return a + b

    scalar_rule(plus, lambda a, b, y: 1, lambda a, b, y: 1)
    _, dy = frule((NoTangent(), np.ones((2, 1)), ZeroTangent()), plus, np.ones((2, 1)), np.ones(3))
    assert dy.shape == (2, 3)
    with pytest.raises(TypeError, match="out="):
        rrule(plus, np.ones(2), np.ones(2), out=np.zeros(2))


def test_scalar_rule_refuses_where_masks():
    import numpy as np

    from rulescore import rrule, scalar_rule

    def halve(x):
        return np.multiply(x, 0.5)

    scalar_rule(halve, lambda x, y: 0.5)
    with pytest.raises(TypeError, match="where="):
        rrule(halve, np.ones(2), where=np.array([True, False]))
    with pytest.raises(TypeError, match="positionally"):
        rrule(halve, np.ones(2), np.empty(2))


def test_scalar_rule_frule_keeps_a_not_implemented_partial():
    import numpy as np

    from rulescore import NoTangent, NotImplementedTangent, frule, not_implemented, scalar_rule

    def scaled_sine(a, x):
        return a * np.sin(x)

    scalar_rule(scaled_sine, lambda a, x, y: not_implemented("d/da"), lambda a, x, y: a * np.cos(x))
    _, dy = frule((NoTangent(), 1.0, np.zeros(3)), scaled_sine, 2.0, np.ones(3))
    assert isinstance(dy, NotImplementedTangent)


def test_cotangents_of_array_calls_are_lazy_so_unneeded_partials_never_run():
    calls = []

    def scale(x, c):
        return x * c

    def d_c(x, c, y):
        calls.append("c")
        return x

    scalar_rule(scale, lambda x, c, y: c, d_c)
    _, pullback = rrule(scale, np.ones(3), 2.0)
    _, dx, _ = pullback(np.ones(3))
    np.testing.assert_array_equal(unthunk(dx), 2 * np.ones(3))
    assert calls == []


def test_pullbacks_keep_only_what_the_partials_read():
    import gc
    import weakref

    def plus(a, b):
        return a + b

    scalar_rule(plus, lambda a, b, y: 1, lambda a, b, y: 1)  # reads nothing
    a = np.ones(3)
    y, pullback = rrule(plus, a, np.ones(3))
    alive = weakref.ref(y)
    del y
    gc.collect()
    assert alive() is None  # the output is not held by the pullback
    np.testing.assert_array_equal(unthunk(pullback(np.ones(3))[1]), np.ones(3))
