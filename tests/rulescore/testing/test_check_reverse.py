"""test_rrule against itself: right rules pass, each kind of wrong rule fails with a message
that names what is wrong."""

from __future__ import annotations

import itertools
from collections import namedtuple
from dataclasses import dataclass

import numpy as np
import pytest

from rulescore import (
    AbstractZero,
    InplaceableThunk,
    NoTangent,
    ProjectTo,
    Tangent,
    Thunk,
    ZeroTangent,
    not_implemented,
    rrule,
    unthunk,
)
from rulescore.testing import (
    FiniteDifferenceConfig,
    RuleTestFailure,
    constant,
    test_rrule,
    with_tangent,
)

CALLS = itertools.count(1)


def make_sine_rule(pullback_value=None, primal=None, returns=None):
    """A fresh function `f` = sin with an rrule whose parts may be replaced by wrong ones."""

    def f(x):
        return np.sin(x)

    @rrule.register(f)
    def _(x):
        def f_pullback(dy):
            dx = ProjectTo(x)(np.conj(np.cos(x)) * unthunk(dy))
            if pullback_value is not None:
                return pullback_value(x, dy, dx)
            return NoTangent(), dx

        if returns is not None:
            return returns(x, f_pullback)
        return (np.sin(x) if primal is None else primal(x)), f_pullback

    return f


# --- right rules pass -------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_right_elementwise_rule_passes(rng, shape, dtype):
    x = rng.standard_normal(shape) + (
        1j * rng.standard_normal(shape) if dtype is np.complex128 else 0
    )
    test_rrule(make_sine_rule(), np.asarray(x, dtype=dtype), rng=rng)


def test_python_scalars_and_ints_pass():
    def mul(a, b):
        return a * b

    @rrule.register(mul)
    def _(a, b):
        project_a, project_b = ProjectTo(a), ProjectTo(b)

        def mul_pullback(dy):
            return NoTangent(), project_a(dy * np.conj(b)), project_b(dy * np.conj(a))

        return mul(a, b), mul_pullback

    test_rrule(mul, 2.0, 3.0)
    test_rrule(mul, 2, 3.5)  # ints are differentiated as reals
    test_rrule(mul, 1 + 2j, 0.5 - 1j)


def test_index_argument_gets_no_tangent_and_kwargs_pass(rng):
    def pick(x, i, *, scale=1.0):
        return scale * x[i]

    @rrule.register(pick)
    def _(x, i, *, scale=1.0):
        def pick_pullback(dy):
            if isinstance(dy, AbstractZero):  # np.add.at cannot take a ZeroTangent
                return NoTangent(), ZeroTangent(), NoTangent()
            dx = np.zeros_like(x)
            np.add.at(dx, i, scale * unthunk(dy))
            return NoTangent(), dx, NoTangent()

        return pick(x, i, scale=scale), pick_pullback

    test_rrule(pick, rng.standard_normal(5), np.array([0, 3, 3]), fkwargs={"scale": 2.0}, rng=rng)


def test_structured_inputs_and_outputs_pass(rng):
    @dataclass(frozen=True)
    class Affine:
        w: np.ndarray
        b: float
        name: str

    def apply(model, xs):
        return model.w @ xs[0] + model.b * xs[1]

    @rrule.register(apply)
    def _(model, xs):
        def apply_pullback(dy):
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), ZeroTangent(), ZeroTangent()
            dmodel = Tangent[Affine](w=np.outer(dy, xs[0]), b=float(np.sum(dy * xs[1])))
            return NoTangent(), dmodel, (model.w.T @ dy, model.b * dy)

        return apply(model, xs), apply_pullback

    model = Affine(rng.standard_normal((2, 3)), 0.5, "layer")
    test_rrule(apply, model, (rng.standard_normal(3), rng.standard_normal(2)), rng=rng)


def test_tuple_output_and_thunks_pass(rng):
    Polar = namedtuple("Polar", ["r", "theta"])

    def polar(x, y):
        return Polar(np.hypot(x, y), np.arctan2(y, x))

    @rrule.register(polar)
    def _(x, y):
        r = np.hypot(x, y)

        def polar_pullback(dout):
            # indexing works on a Tangent[Polar] and on a ZeroTangent() alike
            dr, dtheta = unthunk(dout)["r"], unthunk(dout)[1]
            dx = Thunk(lambda: dr * x / r - dtheta * y / r**2)
            dy = Thunk(lambda: dr * y / r + dtheta * x / r**2)
            return NoTangent(), dx, dy

        return polar(x, y), polar_pullback

    test_rrule(polar, 1.5, -0.5, rng=rng)


def test_not_implemented_cotangent_is_accepted():
    def scaled_sin(x, order):
        return order * np.sin(x)

    @rrule.register(scaled_sin)
    def _(x, order):
        def scaled_sin_pullback(dy):
            return NoTangent(), order * np.cos(x) * dy, not_implemented("order")

        return scaled_sin(x, order), scaled_sin_pullback

    test_rrule(scaled_sin, 0.3, 2.0)


def test_right_inplaceable_thunk_passes(rng):
    def double(x):
        return 2 * x

    @rrule.register(double)
    def _(x):
        def double_pullback(dy):
            def add_double(acc):
                acc += 2 * unthunk(dy)
                return acc

            return NoTangent(), InplaceableThunk(add_double, lambda: 2 * unthunk(dy))

        return double(x), double_pullback

    test_rrule(double, rng.standard_normal(4), rng=rng)


def test_callable_object_gets_its_own_tangent(rng):
    @dataclass(frozen=True)
    class Scale:
        a: float

        def __call__(self, x):
            return self.a * x

    scale = Scale(1.5)  # rules key on the called object itself

    @rrule.register(scale)
    def _(x):
        def scale_pullback(dy):
            if isinstance(dy, AbstractZero):
                return ZeroTangent(), ZeroTangent()
            return Tangent[Scale](a=float(np.sum(dy * x))), scale.a * dy

        return scale(x), scale_pullback

    test_rrule(scale, rng.standard_normal(3), rng=rng)


# --- wrong rules fail -------------------------------------------------------------------

WRONG_RULES = {
    "wrong value": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), 2 * dx)),
        "cotangent of argument 1 (`x`): max abs difference",
    ),
    "wrong arity": (
        dict(pullback_value=lambda x, dy, dx: (dx,)),
        "must return a tuple of 2 cotangents",
    ),
    "wrong primal": (dict(primal=lambda x: np.sin(x) + 1e-3), "primal output"),
    "ZeroTangent where a derivative exists": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), ZeroTangent())),
        "(the rule returned ZeroTangent())",
    ),
    "NoTangent where a derivative exists": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), NoTangent())),
        "NoTangent() where a derivative exists",
    ),
    "wrong shape": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx.reshape(1, -1))),
        "must be an ndarray of shape (3,)",
    ),
    "broadcast shape": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), np.stack([dx, 0 * dx]))),
        "must be an ndarray of shape (3,)",
    ),
    "wrong dtype": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx.astype(np.float32))),
        "dtype float64",
    ),
    "complex cotangent for a real input": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx + 0j)),
        "dtype float64",
    ),
    "non-deterministic pullback": (
        # drift within the FD tolerance, far beyond what rounding could explain
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx + 3e-11 * next(CALLS))),
        "a second call of the pullback",
    ),
    "pullback mutates its input": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx + 0 * x.__imul__(1.0001))),
        "mutated an argument in place (at [1])",
    ),
    "pullback mutates the seed": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx + 0 * unthunk(dy).__imul__(1.0))),
        "",  # caught as a mutated seed or as a wrong cotangent, whichever comes first
    ),
    "pullback rejects a thunked seed": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), dx + 0 * dy.shape[0])),
        "the pullback raised AttributeError for a Thunk seed",
    ),
    "pullback of a zero seed is not zero": (
        dict(
            pullback_value=lambda x, dy, dx: (
                NoTangent(),
                np.cos(x) if isinstance(dy, ZeroTangent) else dx,
            )
        ),
        "pullback(ZeroTangent()) gives a non-zero cotangent",
    ),
    "pullback rejects a ZeroTangent seed": (
        dict(pullback_value=lambda x, dy, dx: (NoTangent(), np.outer(dy, x).sum(0).astype(float))),
        "",  # wrong anyway; with the zero seed NumPy makes an object array of it
    ),
    "not a pair": (dict(returns=lambda x, pullback: np.sin(x)), "must return (y, pullback)"),
}


@pytest.mark.parametrize("case", WRONG_RULES, ids=list(WRONG_RULES))
def test_wrong_rule_fails(rng, case):
    options, message = WRONG_RULES[case]
    with pytest.raises(RuleTestFailure, match=None) as failure:
        test_rrule(make_sine_rule(**options), rng.standard_normal(3), rng=rng)
    assert message in str(failure.value)
    assert "rrule(" in str(failure.value)
    assert ".f)" in str(failure.value)


def test_nonlinear_pullback_fails_even_when_right_at_the_seed():
    f = make_sine_rule(pullback_value=lambda x, dy, dx: (NoTangent(), dx * unthunk(dy)))
    with pytest.raises(RuleTestFailure, match="not linear in its seed"):
        test_rrule(f, np.array([0.1, 0.2]), output_tangent=np.ones(2))


def test_no_rule_fails_with_the_argument_types():
    def lonely(x):
        return x

    with pytest.raises(RuleTestFailure, match=r"no rule applies to arguments of types \(float\)"):
        test_rrule(lonely, 1.0)


def test_rrule_that_mutates_its_input_fails(rng):
    def f(x):
        return np.sin(x)

    @rrule.register(f)
    def _(x):
        y = np.sin(x)
        x[0] = 0.0

        def f_pullback(dy):
            return NoTangent(), np.cos(x) * dy

        return y, f_pullback

    with pytest.raises(RuleTestFailure, match=r"mutated an argument in place \(at \[1\]\)"):
        test_rrule(f, rng.standard_normal(3), rng=rng)


def test_zero_tangent_for_an_argument_without_tangent_space_fails(rng):
    def shift(x, flag):
        return x + 1.0 if flag else x

    @rrule.register(shift)
    def _(x, flag):
        def shift_pullback(dy):
            return NoTangent(), dy, ZeroTangent()

        return shift(x, flag), shift_pullback

    with pytest.raises(RuleTestFailure, match=r"argument 2 \(`flag`\).*must be NoTangent\(\)"):
        test_rrule(shift, rng.standard_normal(2), True, rng=rng)


def test_wrong_add_fn_of_an_inplaceable_thunk_fails(rng):
    def double(x):
        return 2 * x

    @rrule.register(double)
    def _(x):
        def double_pullback(dy):
            def add_wrong(acc):
                acc += unthunk(dy)
                return acc

            return NoTangent(), InplaceableThunk(add_wrong, lambda: 2 * unthunk(dy))

        return double(x), double_pullback

    with pytest.raises(RuleTestFailure, match="add_fn of the InplaceableThunk"):
        test_rrule(double, rng.standard_normal(4), rng=rng)


def test_wrong_structural_tangent_type_fails(rng):
    @dataclass(frozen=True)
    class Box:
        v: float

    def unbox(box):
        return box.v

    @rrule.register(unbox)
    def _(box):
        def unbox_pullback(dy):
            return NoTangent(), {"v": dy}

        return unbox(box), unbox_pullback

    with pytest.raises(RuleTestFailure, match=r"expected a Tangent\[.*Box\]"):
        test_rrule(unbox, Box(1.0), rng=rng)


def test_constant_arguments_are_not_compared(rng):
    f = make_sine_rule()

    def g(x, c):
        return np.sin(x) * c

    @rrule.register(g)
    def _(x, c):
        def g_pullback(dy):
            return NoTangent(), np.cos(x) * c * dy, 12345.0 * dy  # wrong, but `c` is held constant

        return g(x, c), g_pullback

    test_rrule(g, 0.3, constant(2.0), rng=rng)
    with pytest.raises(RuleTestFailure, match=r"argument 2 \(`c`\)"):
        test_rrule(g, 0.3, 2.0, rng=rng)
    test_rrule(f, with_tangent(np.ones(2), np.array([1.0, 0.0])), output_tangent=np.ones(2))


def test_float32_rule_passes_with_default_tolerances_and_fails_when_wrong(rng):
    x = rng.standard_normal((4, 3)).astype(np.float32)
    test_rrule(make_sine_rule(), x, rng=rng)
    slightly_wrong = make_sine_rule(
        pullback_value=lambda x, dy, dx: (NoTangent(), dx * np.float32(1.01))
    )
    with pytest.raises(RuleTestFailure):
        test_rrule(slightly_wrong, x, rng=rng)


def test_second_order_checks_the_pullback_through_the_config(rng):
    test_rrule(make_sine_rule(), 0.4, config=FiniteDifferenceConfig(), check_second_order=True)
    with pytest.raises(TypeError, match="check_second_order=True needs config="):
        test_rrule(make_sine_rule(), 0.4, check_second_order=True)


def test_harness_functions_are_not_collected():
    assert test_rrule.__test__ is False


def test_containers_without_tangent_space_accept_containers_of_no_tangents():
    def count(items, label):
        return float(len(items)) + 0.0 * len(label)

    @rrule.register(count)
    def _(items, label):
        def count_pullback(dy):
            return NoTangent(), ProjectTo(items)(list(items)), (NoTangent(),) * len(label)

        return count(items, label), count_pullback

    test_rrule(count, [], ("a", "b"))
    test_rrule(count, ["x"], ())


def test_non_differentiable_function_of_floats_passes():
    from rulescore import non_differentiable

    def greater(a, b):
        return a > b

    non_differentiable(greater)
    test_rrule(greater, np.array([1.0, 3.0]), np.array([2.0, 0.5]))


def hermitian(a):
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def test_on_subspace_compares_symmetrized_cotangents(rng):
    from rulescore.testing import on_subspace

    def lower_sum(a):
        return np.sum(np.tril(a) ** 2)

    def make_rule(symmetrize):
        def f(a):
            return lower_sum(a)

        @rrule.register(f)
        def _(a):
            def f_pullback(dy):
                g = 2 * np.tril(a) * unthunk(dy)
                return NoTangent(), hermitian(g) if symmetrize else g.T

            return f(a), f_pullback

        return f

    a = hermitian(rng.standard_normal((3, 3)))
    test_rrule(make_rule(True), on_subspace(a, hermitian), rng=rng)
    with pytest.raises(RuleTestFailure):
        test_rrule(make_rule(True), a, rng=rng)  # finite differences see one triangle
    with pytest.raises(RuleTestFailure):
        test_rrule(make_rule(False), on_subspace(a, hermitian), rng=rng)


def test_declared_non_differentiable_function_with_float_inputs_and_int_outputs():
    from rulescore import non_differentiable
    from rulescore.testing import test_frule

    def size_of(x):
        return int(np.size(x))

    non_differentiable(size_of)
    test_rrule(size_of, np.ones(3))
    test_frule(size_of, np.ones(3))

    def wrongly_declared(x):
        return float(np.sum(x))

    non_differentiable(wrongly_declared)
    with pytest.raises(RuleTestFailure, match="declared non-differentiable"):
        test_rrule(wrongly_declared, np.ones(3))
    with pytest.raises(RuleTestFailure, match="declared non-differentiable"):
        test_frule(wrongly_declared, np.ones(3))


def test_uncopyable_function_and_type_arguments(rng):
    def cast(x, dtype):
        return x.astype(dtype)

    @rrule.register(cast)
    def _(x, dtype):
        def cast_pullback(dy):
            return NoTangent(), ProjectTo(x)(dy), NoTangent()

        return cast(x, dtype), cast_pullback

    test_rrule(cast, rng.standard_normal(3), np.float64, rng=rng)
    getter = np.ndarray.T.__get__

    @rrule.register(getter)
    def _(x):
        def transpose_pullback(dy):
            return NoTangent(), np.transpose(dy)

        return x.T, transpose_pullback

    test_rrule(getter, rng.standard_normal((2, 3)), rng=rng)


def test_an_f_that_mutates_its_input_is_not_blamed_on_the_rule(rng):
    def scale_in_place(x):
        x *= 2.0
        return x.copy()

    @rrule.register(scale_in_place)
    def _(x):
        def scale_in_place_pullback(dy):
            return NoTangent(), 2.0 * dy

        return 2.0 * x, scale_in_place_pullback

    test_rrule(scale_in_place, rng.standard_normal(3), rng=rng)
