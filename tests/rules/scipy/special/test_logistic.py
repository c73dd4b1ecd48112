"""Tests of rules/scipy/special/logistic.py: the logistic functions, logsumexp (axis, b,
keepdims, return_sign), softmax and log_softmax through the harness, and their stability."""

import numpy as np
import pytest
import scipy.special as sc

from rulescore import NoTangent, Thunk, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar, with_tangent

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)


def sample(rng, shape, dtype, low=-2.0, high=2.0):
    x = rng.uniform(low, high, shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(-1, 1, shape)
    return np.dtype(dtype).type(x) if shape == () else x.astype(dtype)


UNARY = [(sc.expit, -3.0, 3.0), (sc.log_expit, -3.0, 3.0), (sc.logit, 0.25, 0.75)]
if hasattr(sc, "softplus"):  # new in SciPy 1.15
    UNARY.append((sc.softplus, -3.0, 3.0))


@pytest.mark.parametrize("dtype", [F64, F32], ids=str)
@pytest.mark.parametrize("shape", [(), (2, 3)], ids=str)
@pytest.mark.parametrize(("f", "low", "high"), UNARY, ids=lambda p: getattr(p, "__name__", ""))
def test_unary(f, low, high, shape, dtype, rng):
    x = sample(rng, shape, dtype, low, high)
    test_rrule(f, x, rng=rng)
    test_frule(f, x, rng=rng)
    test_scalar(f, float(np.ravel(x)[0]), rng=rng)


def test_logistic_far_from_zero():
    # expit'(x) = expit(x) expit(-x) ~ exp(-|x|), never rounded to 0 by 1 - expit(x).
    x = np.array([-50.0, 40.0, 50.0])
    _, back = rrule(sc.expit, x)
    np.testing.assert_allclose(back(np.ones(3))[1], np.exp(-np.abs(x)), rtol=1e-14)
    _, back = rrule(sc.log_expit, x)
    np.testing.assert_allclose(back(np.ones(3))[1], [1.0, np.exp(-40), np.exp(-50)], rtol=1e-14)
    _, back = rrule(sc.logit, np.array([0.0, 1.0]))  # infinite slope, no warning
    np.testing.assert_array_equal(back(np.ones(2))[1], [np.inf, np.inf])


# ---------------------------------------------------------------------------------------------
# logsumexp

LOGSUMEXP_CASES = [
    ((3, 4), (), {}),
    ((3, 4), (constant(1),), {}),
    ((3, 4), (constant(-1),), {"keepdims": True}),
    ((2, 3, 4), (), {"axis": (0, 2)}),
    ((2, 3, 4), (constant((0, 2)), constant(None), constant(True)), {}),
    ((4,), (), {"axis": 0, "keepdims": True}),
    ((), (), {}),
]


@pytest.mark.parametrize("dtype", [F64, F32, np.complex128], ids=str)
@pytest.mark.parametrize(("shape", "options", "kwargs"), LOGSUMEXP_CASES, ids=str)
def test_logsumexp(shape, options, kwargs, dtype, rng):
    a = sample(rng, shape, dtype)
    test_rrule(sc.logsumexp, a, *options, fkwargs=kwargs, rng=rng)
    test_frule(sc.logsumexp, a, *options, fkwargs=kwargs, rng=rng)


@pytest.mark.parametrize("b_shape", [(3, 4), (4,), (3, 1)], ids=str)
@pytest.mark.parametrize("axis", [None, 0, 1])
def test_logsumexp_positional_b_is_differentiated(b_shape, axis, rng):
    a, b = rng.normal(size=(3, 4)), rng.uniform(0.5, 2, b_shape)
    test_rrule(sc.logsumexp, a, constant(axis), b, rng=rng)
    test_frule(sc.logsumexp, a, constant(axis), b, rng=rng)
    test_frule(sc.logsumexp, with_tangent(a, ZeroTangent()), constant(axis), b, rng=rng)
    # The cotangent of b is computed only if asked for.
    _, back = rrule(sc.logsumexp, a, axis, b)
    assert isinstance(back(np.ones(np.shape(sc.logsumexp(a, axis, b))))[3], Thunk)


def test_logsumexp_b_by_keyword_is_honoured_not_differentiated(rng):
    a, b = rng.normal(size=(3, 4)), rng.uniform(0.5, 2, (3, 4))
    test_rrule(sc.logsumexp, a, fkwargs={"b": b, "axis": 1}, rng=rng)
    test_frule(sc.logsumexp, a, fkwargs={"b": b, "axis": 1}, rng=rng)
    y, back = rrule(sc.logsumexp, a, b=b)
    assert y == pytest.approx(np.log(np.sum(b * np.exp(a))), rel=1e-14)
    assert len(back(1.0)) == 2
    _, back = rrule(sc.logsumexp, a, 1, None, True)  # b None positionally: nothing to return
    assert back(np.ones((3, 1)))[3] is NoTangent()


@pytest.mark.parametrize("dtype", [F64, np.complex128], ids=str)
def test_logsumexp_return_sign(dtype, rng):
    # A sum with negative weights: (log|s|, sign(s)); the sign of a complex sum is its phase.
    a, b = sample(rng, (3, 4), dtype), rng.choice([-1.0, 1.0], (3, 4)) * rng.uniform(1, 2, (3, 4))
    for options, kwargs in [
        ((constant(1), b), {"return_sign": True}),
        ((), {"b": b, "axis": 0, "return_sign": True, "keepdims": True}),
        ((constant(None), b, constant(False), constant(True)), {}),
    ]:
        test_rrule(sc.logsumexp, a, *options, fkwargs=kwargs, rng=rng)
        test_frule(sc.logsumexp, a, *options, fkwargs=kwargs, rng=rng)
    tangents = (NoTangent(), np.ones(4), NoTangent(), ZeroTangent())
    _, (_, dsign) = frule(tangents, sc.logsumexp, a[0], None, b[0], return_sign=True)
    assert (dsign is ZeroTangent()) == (dtype == F64)


def test_logsumexp_with_real_negative_sum_is_nan():
    _, back = rrule(sc.logsumexp, np.array([0.0, 1.0]), None, np.array([1.0, -1.0]))
    _, da, _, db = back(1.0)
    assert np.isnan(da).all() and np.isnan(unthunk(db)).all()


def test_logsumexp_is_stable_and_ignores_zero_weights():
    a = np.array([1000.0, 1000.0, -1000.0])
    _, back = rrule(sc.logsumexp, a)
    np.testing.assert_allclose(back(1.0)[1], [0.5, 0.5, 0.0], atol=1e-300)
    # Entries with b == 0 are left out, even where a is infinite.
    a, b = np.array([0.0, np.inf, 0.0]), np.array([1.0, 0.0, 1.0])
    _, back = rrule(sc.logsumexp, a, None, b)
    _, da, _, _ = back(1.0)
    np.testing.assert_array_equal(da, [0.5, 0.0, 0.5])
    tangents = (NoTangent(), np.ones(3), NoTangent(), ZeroTangent())
    assert frule(tangents, sc.logsumexp, a, None, b)[1] == 1.0


def test_logsumexp_of_a_python_list(rng):
    test_rrule(sc.logsumexp, [0.5, -1.0, 2.0], rng=rng)
    test_frule(sc.logsumexp, [0.5, -1.0, 2.0], rng=rng)


# ---------------------------------------------------------------------------------------------
# softmax and log_softmax

SOFTMAX_CASES = [
    ((5,), (), {}),
    ((3, 4), (), {}),
    ((3, 4), (constant(0),), {}),
    ((3, 4), (), {"axis": -1}),
    ((2, 3, 4), (), {"axis": (0, 2)}),
    ((), (), {}),
]


@pytest.mark.parametrize("dtype", [F64, F32, np.complex128], ids=str)
@pytest.mark.parametrize(("shape", "options", "kwargs"), SOFTMAX_CASES, ids=str)
@pytest.mark.parametrize("f", [sc.softmax, sc.log_softmax], ids=lambda f: f.__name__)
def test_softmax(f, shape, options, kwargs, dtype, rng):
    x = sample(rng, shape, dtype)
    test_rrule(f, x, *options, fkwargs=kwargs, rng=rng)
    test_frule(f, x, *options, fkwargs=kwargs, rng=rng)


def test_integer_inputs(rng):
    # Python ints are differentiated as reals; integer arrays have no tangent space.
    for f in (sc.softmax, sc.log_softmax, sc.logsumexp):
        test_rrule(f, [1, 2, 3], rng=rng)
        test_frule(f, [1, 2, 3], rng=rng)
        test_rrule(f, np.arange(3), rng=rng)
        assert frule((NoTangent(), NoTangent()), f, np.arange(3))[1] is ZeroTangent()


def test_softmax_is_stable_for_large_inputs():
    x = np.array([1000.0, 1000.0, 0.0])
    _, back = rrule(sc.softmax, x)
    np.testing.assert_allclose(back(np.array([1.0, 0.0, 0.0]))[1], [0.25, -0.25, 0.0], atol=1e-300)
    _, back = rrule(sc.log_softmax, x)
    np.testing.assert_allclose(back(np.array([1.0, 0.0, 0.0]))[1], [0.5, -0.5, 0.0], atol=1e-300)
    _, dy = frule((NoTangent(), np.array([1.0, 0.0, 0.0])), sc.log_softmax, x)
    np.testing.assert_allclose(dy, [0.5, -0.5, -0.5])
