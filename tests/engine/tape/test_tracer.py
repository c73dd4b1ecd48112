"""`Tracer`: each operator, protocol, attribute and method records the right rule, and what
would drop a derivative raises."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import engine
from engine._tape import TapeEngine
from engine._tape._tracer import Tracer
from rulescore import TangentTypeError

X = np.array([[1.0, -2.0, 0.5], [0.3, 1.5, -0.7]])


@pytest.mark.parametrize(
    "op",
    [
        operator.add,
        operator.sub,
        operator.mul,
        operator.truediv,
        operator.pow,
        operator.mod,
    ],
)
def test_binary_operators_and_their_reflections(check, op) -> None:
    check(lambda a, b: op(a, b) + op(b, a), 1.3, 2.1)
    check(lambda a: np.sum(op(a, 1.7) + op(1.7, a)), np.abs(X) + 0.5)


def test_floordiv_has_zero_derivative() -> None:
    assert engine.gradient(lambda a: a // 2.0 + 2.0 // a, 3.0, backend="tape") == (0.0,)


def test_unary_operators(check) -> None:
    check(lambda a: -a + (+a) * abs(a), -1.5)
    check(lambda a: np.sum(abs(-a) * (+a)), X)


def test_matmul_and_reflected_matmul(check) -> None:
    w = np.arange(6.0).reshape(3, 2)
    check(lambda a: np.sum(a @ w), X)
    check(lambda b: np.sum(X @ b), w)


def test_plain_numbers_and_arrays_on_the_left(check) -> None:
    check(lambda a: np.sum(np.ones(3) * a + np.float64(2.0) * a[0] - X), X)


def test_comparisons_return_plain_values() -> None:
    def f(x):
        flags = (x > 0, x >= 0, x < 0, x <= 0, x == 1.0, x != 1.0)
        assert not any(isinstance(v, Tracer) for v in flags)
        assert isinstance(flags[0], np.ndarray) and flags[0].dtype == bool
        return np.sum(x)

    engine.gradient(f, X, backend="tape")


def test_indexing_len_iteration_bool_and_index(check) -> None:
    def f(x):
        assert len(x) == 2
        rows = list(x)
        assert all(isinstance(r, type(x[0])) for r in rows)
        n = int(np.ndim(x))
        return rows[0][1] * x[1, ::2].sum() + x[:, 0][n - 1] + (x[0, 0] if x[0, 0] else 0.0)

    check(f, X)


def test_traced_int_indexes_by_its_primal_and_differentiates_as_a_real() -> None:
    dx, di = engine.gradient(lambda x, i: x[i] * i, np.array([1.0, 2.0, 3.0]), 1, backend="tape")
    np.testing.assert_array_equal(dx, [0.0, 1.0, 0.0])
    assert di == 2.0


def test_attributes_read_the_primal() -> None:
    def f(x):
        assert (x.shape, x.ndim, x.size, x.dtype) == ((2, 3), 2, 6, np.float64)
        return x.sum()

    engine.gradient(f, X, backend="tape")


@pytest.mark.parametrize(
    "method",
    [
        lambda x: x.T @ x,
        lambda x: x.sum(axis=0) + x.mean(axis=0) + x.prod(axis=0),
        lambda x: x.std() + x.var() + x.max() + x.min(),
        lambda x: x.reshape(3, 2) + x.reshape((3, 2)),
        lambda x: x.transpose() + x.transpose(1, 0),
        lambda x: x.ravel() * x.flatten(),
        lambda x: x[None].squeeze() * x.astype(np.float64),
        lambda x: x.dot(x.T) + x.cumsum().sum() + x.clip(-1.2, 1.2).sum(),
        lambda x: x.real * x.conj() + x.imag,
        lambda x: x[0, 0].item() * x.copy() + x.swapaxes(0, 1).T,
        lambda x: x.diagonal() + x[:, :2].trace() + sum(x.tolist()[0]),
    ],
)
def test_ndarray_methods(check, method) -> None:
    check(lambda x: np.sum(method(x)), X)


def test_ufunc_methods_and_array_functions(check) -> None:
    check(lambda x: np.add.reduce(x, axis=1).sum() + np.linalg.norm(x), X)


@pytest.mark.parametrize(
    ("f", "what"),
    [
        (math.sin, "math.sin"),
        (float, "float()"),
        (int, "int()"),
        (complex, "complex()"),
        (np.asarray, "np.asarray"),
    ],
)
def test_conversions_that_drop_the_derivative_raise(f, what) -> None:
    with pytest.raises(TypeError, match=f"{what}.*on a traced value.*backend='reverse'"):
        TapeEngine().rrule_via_ad(f, 1.0)


def test_item_assignment_raises() -> None:
    def f(x):
        x[0] = 1.0
        return x

    with pytest.raises(TangentTypeError, match="item assignment"):
        TapeEngine().rrule_via_ad(f, np.ones(2))


def test_tracers_compare_by_value_and_are_unhashable() -> None:
    def f(x):
        with pytest.raises(TypeError):
            hash(x)
        return x

    TapeEngine().rrule_via_ad(f, 1.0)
