"""Tests of rulescore/_tangent_types/zero.py: `ZeroTangent` and `NoTangent`."""

import copy
import pickle

import numpy as np
import pytest

from rulescore import AbstractTangent, AbstractZero, NoTangent, ZeroTangent

ZEROS = [ZeroTangent(), NoTangent()]
VALUES = [
    2.5,
    -3,
    1.0 - 2.0j,
    np.float32(1.5),
    np.complex64(1.0 + 1.0j),
    np.arange(3.0),
    np.ones((2, 3), dtype=np.float32),
    np.array(4.0),
]


def ids(values):
    return [type(v).__name__ + str(np.shape(v)) for v in values]


zeros = pytest.mark.parametrize("zero", ZEROS, ids=repr)
values = pytest.mark.parametrize("x", VALUES, ids=ids(VALUES))


@zeros
@values
def test_zero_is_the_identity_of_addition_on_either_side(zero, x):
    assert (x + zero) is x
    assert (zero + x) is x


@zeros
def test_adding_a_zero_to_an_array_returns_the_array_not_an_object_array(zero):
    x = np.ones(3)
    total = x + zero
    assert total is x
    assert total.dtype == np.float64
    assert (zero + x) is x


@zeros
@values
def test_subtracting_a_zero_leaves_the_value_and_zero_minus_x_negates(zero, x):
    assert (x - zero) is x
    np.testing.assert_array_equal(zero - x, -x)


@zeros
@values
def test_zero_absorbs_multiplication_on_either_side(zero, x):
    assert (zero * x) is zero
    assert (x * zero) is zero


@zeros
@values
def test_zero_divided_by_anything_is_zero(zero, x):
    assert (zero / x) is zero


@zeros
def test_zero_absorbs_matrix_multiplication_on_either_side(zero):
    a = np.ones((2, 2))
    assert (zero @ a) is zero
    assert (a @ zero) is zero


@zeros
def test_negation_conjugate_indexing_keep_the_zero(zero):
    assert -zero is zero
    assert +zero is zero
    assert zero.conjugate() is zero
    assert zero[0] is zero
    assert zero["field"] is zero
    assert zero.real is zero
    assert zero.imag is zero


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [
        (ZeroTangent(), ZeroTangent(), ZeroTangent()),
        (NoTangent(), NoTangent(), NoTangent()),
        (NoTangent(), ZeroTangent(), NoTangent()),
        (ZeroTangent(), NoTangent(), NoTangent()),
    ],
    ids=["zero+zero", "no+no", "no+zero", "zero+no"],
)
def test_no_tangent_wins_addition_against_zero_tangent(a, b, total):
    assert (a + b) is total
    assert (a - b) is total


@pytest.mark.parametrize(
    ("a", "b", "product"),
    [
        (ZeroTangent(), ZeroTangent(), ZeroTangent()),
        (NoTangent(), NoTangent(), NoTangent()),
        (NoTangent(), ZeroTangent(), ZeroTangent()),
        (ZeroTangent(), NoTangent(), ZeroTangent()),
    ],
    ids=["zero*zero", "no*no", "no*zero", "zero*no"],
)
def test_zero_tangent_wins_multiplication_against_no_tangent(a, b, product):
    assert (a * b) is product
    assert (a @ b) is product


@pytest.mark.parametrize("kind", [ZeroTangent, NoTangent])
def test_each_zero_is_a_singleton(kind):
    assert kind() is kind()
    assert isinstance(kind(), AbstractZero)
    assert isinstance(kind(), AbstractTangent)


def test_the_two_zeros_are_different_objects():
    assert ZeroTangent() is not NoTangent()
    assert ZeroTangent() != NoTangent()


def test_abstract_zero_cannot_be_instantiated():
    with pytest.raises(TypeError, match="abstract"):
        AbstractZero()


@zeros
@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda z: pickle.loads(pickle.dumps(z))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_copy_deepcopy_and_pickle_keep_identity(zero, duplicate):
    assert duplicate(zero) is zero


def test_deepcopy_of_a_container_keeps_the_singletons():
    copied = copy.deepcopy({"a": [ZeroTangent(), NoTangent()]})
    assert copied["a"][0] is ZeroTangent()
    assert copied["a"][1] is NoTangent()


@pytest.mark.parametrize(
    ("zero", "text"), [(ZeroTangent(), "ZeroTangent()"), (NoTangent(), "NoTangent()")]
)
def test_repr(zero, text):
    assert repr(zero) == text


# --- NumPy functions on zeros -------------------------------------------------------------


@zeros
def test_in_place_addition_of_a_zero_leaves_the_array(zero):
    x = np.ones(3)
    before = x
    x += zero
    x -= zero
    assert x is before
    np.testing.assert_array_equal(x, np.ones(3))


def test_in_place_multiplication_by_a_zero_zeroes_the_array():
    x = np.ones(3)
    x *= ZeroTangent()
    np.testing.assert_array_equal(x, np.zeros(3))


@zeros
def test_linear_ufuncs_treat_the_zero_as_zero(zero):
    x = np.arange(3.0)
    assert np.add(x, zero) is x
    assert np.add(zero, x) is x
    np.testing.assert_array_equal(np.subtract(zero, x), -x)
    assert np.multiply(x, zero) is zero
    assert np.divide(zero, x) is zero
    assert np.negative(zero) is zero


@zeros
def test_add_at_a_zero_adds_nothing(zero):
    buffer = np.ones(3)
    np.add.at(buffer, [0, 0, 2], zero)
    np.testing.assert_array_equal(buffer, np.ones(3))


@zeros
@pytest.mark.parametrize(
    "function",
    [np.sum, np.transpose, np.conj, lambda z: np.reshape(z, (2, 3)), lambda z: np.outer(z, 1.0)],
    ids=["sum", "transpose", "conj", "reshape", "outer"],
)
def test_linear_numpy_functions_of_a_zero_give_the_zero(zero, function):
    assert function(zero) is zero


@zeros
def test_where_between_zeros_is_the_zero(zero):
    assert np.where(np.array([True, False]), zero, 0) is zero


@zeros
@pytest.mark.parametrize("function", [np.exp, np.cos, np.linalg.inv], ids=lambda f: f.__name__)
def test_nonlinear_numpy_functions_of_a_zero_are_refused(zero, function):
    with pytest.raises(TypeError, match=r"ZeroTangent|NoTangent"):
        function(zero)
