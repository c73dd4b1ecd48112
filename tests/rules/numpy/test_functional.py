"""Tests of rules.numpy.functional (`apply_along_axis`, calls of `vectorize` objects).

Two parts: the rules through the harness, with `FiniteDifferenceConfig` standing in for an
engine (it differentiates the user's function by finite differences, and gives the function
itself `NoTangent()`); then end to end through the engines against central finite
differences, which is where closures over differentiated values are tested (only engines
report the tangent of a closure). Where an engine cannot do a case, the test asserts the
error it raises.
"""

import math

import numpy as np
import pytest

import engine
import rules  # noqa: F401  (registers the rules)
from rulescore import (
    MissingCapabilityError,
    MissingRuleError,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    TangentTypeError,
    ZeroTangent,
    rrule,
)
from rulescore.testing import (
    FiniteDifferenceConfig,
    constant,
    grad,
    jacobian,
    jvp,
    test_frule,
    test_rrule,
)

C = constant
CONFIG = FiniteDifferenceConfig()
call = np.vectorize.__call__


# ---------------------------------------------------------------------------------------------
# user functions (module level: named in failure messages)


def weighted_energy(v):
    return np.sum(np.sin(v) * v)


def scaled_by_total(v):
    return v * np.sum(v)


def outer_square(v):
    return np.outer(v, v)


def first_two(v):
    return v[:2] ** 2


def projected(v, w):
    return v @ w


def powered(v, *, power):
    return np.sum(v**power)


def complex_square(v):
    return np.sum(v * v)


def wave(t, s):
    return math.sin(t) * s + t**2


def polar(t, s):
    return t * math.cos(s), t * math.sin(s)


def doubled(t):
    return 2 * t


# ---------------------------------------------------------------------------------------------
# apply_along_axis through the harness


@pytest.mark.parametrize(
    ("func1d", "shape", "axis"),
    [
        (weighted_energy, (4,), 0),
        (weighted_energy, (3, 4), 0),
        (weighted_energy, (3, 4), 1),
        (weighted_energy, (2, 3, 4), -2),
        (scaled_by_total, (3, 4), 0),
        (scaled_by_total, (2, 3, 4), 2),
        (first_two, (2, 3, 4), 1),
        (outer_square, (3, 2), 0),
        (outer_square, (2, 3, 2), 1),
    ],
)
def test_apply_along_axis(func1d, shape, axis, rng):
    arr = rng.standard_normal(shape)
    test_rrule(np.apply_along_axis, C(func1d), C(axis), arr, config=CONFIG, rng=rng)
    test_frule(np.apply_along_axis, C(func1d), C(axis), arr, config=CONFIG, rng=rng)


def test_apply_along_axis_output_layout_is_numpys(rng):
    arr = rng.standard_normal((2, 3, 4))
    for func1d, axis in [(outer_square, 1), (first_two, 0), (weighted_energy, 2)]:
        y, _ = rrule(CONFIG, np.apply_along_axis, func1d, axis, arr)
        want = np.apply_along_axis(func1d, axis, arr)
        assert y.shape == want.shape and y.dtype == want.dtype
        np.testing.assert_allclose(y, want)


def test_apply_along_axis_float32(rng):
    arr = rng.standard_normal((3, 4)).astype(np.float32)
    y, back = rrule(CONFIG, np.apply_along_axis, scaled_by_total, 1, arr)
    assert y.dtype == np.float32
    assert back(np.ones_like(y))[3].dtype == np.float32
    test_rrule(np.apply_along_axis, C(weighted_energy), C(1), arr, config=CONFIG, rng=rng)
    test_frule(np.apply_along_axis, C(weighted_energy), C(1), arr, config=CONFIG, rng=rng)


def test_apply_along_axis_complex(rng):
    arr = rng.standard_normal((3, 2)) + 1j * rng.standard_normal((3, 2))
    test_rrule(np.apply_along_axis, C(complex_square), C(0), arr, config=CONFIG, rng=rng)
    test_frule(np.apply_along_axis, C(complex_square), C(0), arr, config=CONFIG, rng=rng)


def test_apply_along_axis_extra_args_summed_over_slices(rng):
    arr, w = rng.standard_normal((3, 4)), rng.standard_normal(4)
    test_rrule(np.apply_along_axis, C(projected), C(1), arr, w, config=CONFIG, rng=rng)
    test_frule(np.apply_along_axis, C(projected), C(1), arr, w, config=CONFIG, rng=rng)


def test_apply_along_axis_keyword_arguments_go_to_func1d(rng):
    arr = np.abs(rng.standard_normal((3, 4))) + 0.5
    kwargs = {"power": 3}
    test_rrule(np.apply_along_axis, C(powered), C(0), arr, fkwargs=kwargs, config=CONFIG, rng=rng)
    test_frule(np.apply_along_axis, C(powered), C(0), arr, fkwargs=kwargs, config=CONFIG, rng=rng)


def test_apply_along_axis_empty_iteration_is_numpys_error():
    with pytest.raises(ValueError, match="iteration dimensions are 0"):
        rrule(CONFIG, np.apply_along_axis, weighted_energy, 1, np.ones((0, 3)))


# ---------------------------------------------------------------------------------------------
# vectorize through the harness


@pytest.mark.parametrize(
    ("xshape", "sshape"), [((), ()), ((4,), ()), ((3, 1), (4,)), ((2, 3), (2, 3)), ((), (3,))]
)
def test_vectorize_broadcasts_two_arguments(xshape, sshape, rng):
    x, s = rng.standard_normal(xshape), rng.standard_normal(sshape)
    if not xshape:
        x = float(x)
    vec = np.vectorize(wave)
    test_rrule(call, C(vec), x, s, config=CONFIG, rng=rng)
    test_frule(call, C(vec), x, s, config=CONFIG, rng=rng)


def test_vectorize_output_is_numpys(rng):
    x, s = rng.standard_normal((3, 1)), rng.standard_normal(4)
    for vec in [np.vectorize(wave), np.vectorize(wave, otypes=[np.float32])]:
        y, _ = rrule(CONFIG, call, vec, x, s)
        want = vec(x, s)
        assert y.shape == want.shape and y.dtype == want.dtype
        np.testing.assert_allclose(y, want)
    y, _ = rrule(CONFIG, call, np.vectorize(wave), 0.5, 2.0)
    assert isinstance(y, np.ndarray) and y.shape == ()


@pytest.mark.parametrize("cache", [False, True])
def test_vectorize_output_types_found_as_numpy_finds_them(cache, rng):
    """Without `otypes`, NumPy calls `pyfunc` on NumPy scalars first: float32 in, float32 out."""
    x = rng.standard_normal(4).astype(np.float32)
    vec = np.vectorize(doubled, cache=cache)
    y, back = rrule(CONFIG, call, vec, x)
    assert y.dtype == vec(x).dtype == np.float32
    assert back(np.ones(4, np.float32))[2].dtype == np.float32
    test_rrule(call, C(vec), x, config=CONFIG, rng=rng)
    test_frule(call, C(vec), x, config=CONFIG, rng=rng)


def test_vectorize_otypes(rng):
    x, s = rng.standard_normal(3), rng.standard_normal(3)
    vec = np.vectorize(wave, otypes=[np.float32])
    y, back = rrule(CONFIG, call, vec, x, s)
    assert y.dtype == vec(x, s).dtype == np.float32  # (NumPy's call caches its ufunc in `vec`)
    _, _, dx, ds = back(np.ones(3, np.float32))
    assert dx.dtype == ds.dtype == np.float64  # each argument's own dtype
    test_rrule(call, C(vec), x, s, config=CONFIG, rng=rng, rtol=1e-5, atol=1e-5)
    test_frule(call, C(vec), x, s, config=CONFIG, rng=rng, rtol=1e-5, atol=1e-5)


def test_vectorize_tuple_outputs(rng):
    t, s = np.abs(rng.standard_normal((2, 1))) + 0.5, rng.standard_normal(3)
    vec = np.vectorize(polar)
    test_rrule(call, C(vec), t, s, config=CONFIG, rng=rng)
    test_frule(call, C(vec), t, s, config=CONFIG, rng=rng)


def test_vectorize_integer_argument_has_no_tangent(rng):
    x = rng.standard_normal(3)
    _, back = rrule(CONFIG, call, np.vectorize(wave), x, np.arange(3))
    _, dvec, dx, dn = back(np.ones(3))
    assert dvec == NoTangent() and dn == NoTangent()
    np.testing.assert_allclose(dx, np.cos(x) * np.arange(3) + 2 * x, rtol=1e-6)


def test_vectorize_size_zero_with_otypes():
    vec = np.vectorize(wave, otypes=[float])
    y, back = rrule(CONFIG, call, vec, np.ones((0, 2)), 2.0)
    assert y.shape == (0, 2) and y.dtype == np.float64
    _, dvec, dx, ds = back(np.ones((0, 2)))
    assert dvec == NoTangent() and isinstance(dx, ZeroTangent) and isinstance(ds, ZeroTangent)


@pytest.mark.parametrize(
    ("vec", "sshape"),
    [
        (np.vectorize(projected, signature="(n),(n)->()"), (3,)),
        (np.vectorize(wave, excluded={1}), ()),
    ],
    ids=["signature", "excluded"],
)
def test_vectorize_unsupported_options_are_not_implemented(vec, sshape, rng):
    x, s = rng.standard_normal((2, 3)), rng.standard_normal(sshape)
    y, back = rrule(CONFIG, call, vec, x, s)
    np.testing.assert_allclose(y, vec(x, s))
    grads = back(np.ones_like(y))
    assert all(isinstance(g, NotImplementedTangent) for g in grads[1:])


def test_vectorize_decorator_with_options_hands_back_the_function_tangent():
    vec = np.vectorize(otypes=[float])
    fields = Tangent[type(doubled)](a=1.0)
    wrapped, back = rrule(CONFIG, call, vec, doubled)
    assert wrapped is vec and vec.pyfunc is doubled
    assert back(Tangent[np.vectorize](pyfunc=fields)) == (NoTangent(), NoTangent(), fields)


# ---------------------------------------------------------------------------------------------
# End to end, through the engines, against central finite differences


M = np.array([[0.3, -1.2, 0.8], [1.1, 0.4, -0.6]])
W = np.array([0.5, -1.0, 2.0])


def along_rows_closure(m, a):
    return np.sum(np.apply_along_axis(lambda r: np.sum(r**2) * a, 1, m))


def along_columns_array_closure(m, a):
    return np.sum(np.apply_along_axis(lambda c: np.sin(c) * a, 0, m) ** 2)


def along_rows_extra_argument(m, w):
    return np.sum(np.tanh(np.apply_along_axis(projected, 1, m, w)))


def along_rows_outer(m):
    return np.sum(np.cos(np.apply_along_axis(np.outer, 1, m, m[0])))


def along_columns_keyword(m):
    return np.sum(np.apply_along_axis(powered, 0, m, power=3))


VEC_WAVE = np.vectorize(wave)


def vectorized_global(x):
    return np.sum(VEC_WAVE(x, 0.7) * x)


def vectorized_tuple(t, s):
    u, v = np.vectorize(polar)(t[:, None], s)
    return np.sum(u * v**2)


def vectorized_closure(x, a):
    vec = np.vectorize(lambda t: math.sin(t) * a)
    return np.sum(vec(x))


def vectorized_two_arguments(x, s):
    return np.sum(np.vectorize(wave)(x[:, None], s) ** 2)


def vectorized_otypes(x, s):
    return np.sum(np.vectorize(wave, otypes=[np.float64])(x, s))


def vectorized_decorated(x, a):
    def shifted(t):
        return math.exp(t) - a * t

    return np.sum(np.vectorize(otypes=[float])(shifted)(x))  # the decorator, applied by hand


def vectorized_signature(x, s):
    return np.sum(np.vectorize(projected, signature="(n),(n)->()")(x, s))


def _assert_gradient(f, args, backend):
    got = engine.gradient(f, *args, backend=backend)
    want = grad(f, *args).value
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)


WORKING = [
    (along_rows_closure, (M, 1.5)),
    (along_columns_array_closure, (M, 1.5)),
    (along_rows_extra_argument, (M, W)),
    (along_rows_outer, (M,)),
    (vectorized_two_arguments, (M[0], W[:2])),
    (vectorized_otypes, (M, W)),
    (along_columns_keyword, (M,)),
    (vectorized_global, (M,)),
    (vectorized_tuple, (M[0], W)),
]


@pytest.mark.parametrize(("f", "args"), WORKING, ids=[f.__name__ for f, _ in WORKING])
@pytest.mark.parametrize("backend", ["reverse", "forward"])
def test_gradient(f, args, backend):
    _assert_gradient(f, args, backend)


def summed_energy(m):
    return np.sum(np.apply_along_axis(weighted_energy, 1, m))


def summed_wave(x):
    return np.sum(np.vectorize(wave)(x, 2.0))


@pytest.mark.parametrize(("f", "x"), [(summed_energy, M), (summed_wave, M)])
@pytest.mark.parametrize("backend", ["reverse", "forward"])
def test_hessian(f, x, backend):
    """Forward over reverse (the rrule run on duals) and forward over forward."""
    want = jacobian(lambda x: engine.gradient(f, x)[0], x).value[0]
    got = engine.hessian(f, x, backend=backend)
    np.testing.assert_allclose(np.reshape(got, want.shape), want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("f", [vectorized_closure, vectorized_decorated])
def test_vectorize_closure_gradient_reverse(f):
    """The cotangent of `vec` (`Tangent[vectorize](pyfunc=...)`) reaches the captured `a`
    through the engine's differentiation of `np.vectorize(...)`."""
    _assert_gradient(f, (M, 1.5), "reverse")


def test_vectorize_object_cotangent_reverse():
    """The cotangent of a `vectorize` object: its `pyfunc`'s, here a closure's (`ProjectTo`
    keeps a closure's `Tangent` in the field); zero for a function without captures."""

    def make(a):
        return np.vectorize(lambda t: math.sin(t) * a)

    x = np.array([0.1, 0.2])
    _, back = engine.pullback(call, make(1.5), x)
    dvec, dx = back(np.ones(2))
    assert isinstance(dvec, Tangent) and dvec.primal_type is np.vectorize
    np.testing.assert_allclose(dvec.pyfunc.a, np.sum(np.sin(x)))
    np.testing.assert_allclose(dx, 1.5 * np.cos(x))
    _, back = engine.pullback(call, np.vectorize(doubled), x)
    assert back(np.ones(2))[0] == NoTangent()


@pytest.mark.parametrize("f", [vectorized_closure, vectorized_decorated])
def test_vectorize_closure_forward(f):
    """The forward engine looks into the vectorize object for the duals its `pyfunc`
    captures, so the rule runs with them."""
    _assert_gradient(f, (M, 1.5), "forward")


def test_vectorize_signature_raises_in_every_engine():
    for backend in ("reverse", "forward"):
        with pytest.raises(MissingRuleError, match="signature="):
            engine.gradient(vectorized_signature, M, W, backend=backend)


NO_CLOSURE = [
    (along_rows_extra_argument, (M, W)),
    (along_rows_outer, (M,)),
    (vectorized_two_arguments, (M[0], W[:2])),
    (lambda m: along_rows_closure(m, 1.5), (M,)),
    (lambda a: along_rows_closure(M, a), (1.5,)),
]


@pytest.mark.parametrize(("f", "args"), NO_CLOSURE)
def test_jvp(f, args, rng):
    tangents = tuple(rng.standard_normal(np.shape(a)) for a in args)
    tangents = tuple(t if np.ndim(a) else float(t) for a, t in zip(args, tangents, strict=True))
    y, dy = engine.jvp(f, args, tangents)
    np.testing.assert_allclose(y, f(*args))
    np.testing.assert_allclose(dy, jvp(f, args, tangents).value, rtol=1e-6, atol=1e-8)


def test_jvp_closure_over_a_value_of_the_same_level():
    args, tangents = (M, 1.5), (np.ones_like(M), 1.0)
    _, dy = engine.jvp(along_rows_closure, args, tangents)
    assert isinstance(dy, float | np.floating)
    np.testing.assert_allclose(dy, jvp(along_rows_closure, args, tangents).value, rtol=1e-6)


def test_tape_engine():
    """The tape runs the rules (one level: no closure over a traced value); NumPy's own
    `vectorize` code converts its tracers to arrays, which it refuses."""
    _assert_gradient(along_rows_extra_argument, (M, W), "tape")
    with pytest.raises(MissingCapabilityError, match="tape"):
        engine.gradient(along_rows_closure, M, 1.5, backend="tape")
    with pytest.raises(TangentTypeError, match=r"np\.asarray"):
        engine.gradient(vectorized_two_arguments, M[0], W[:2], backend="tape")
