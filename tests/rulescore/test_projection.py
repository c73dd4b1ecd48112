"""Tests of rulescore/_projection.py: `ProjectTo` and `unbroadcast`."""

import dataclasses
import math
import operator
from collections import namedtuple

import numpy as np
import pytest

from rulescore import (
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Tangent,
    TangentShapeError,
    TangentTypeError,
    Thunk,
    ZeroTangent,
    backing,
    unbroadcast,
    unthunk,
)


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float


@dataclasses.dataclass(frozen=True)
class Other:
    w: np.ndarray


Pair = namedtuple("Pair", ["first", "second"])


class Plain:
    def __init__(self, scale, label):
        self.scale = scale
        self.label = label


class Counter:
    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def assert_same_array(actual, expected):
    """Equal values, and the same type, dtype and shape."""
    assert type(actual) is type(expected)
    assert actual.dtype == expected.dtype
    assert actual.shape == expected.shape
    np.testing.assert_array_equal(actual, expected)


# --- Python numbers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("primal", "dx", "projected"),
    [
        (10, np.float64(5.0), 5.0),
        (10, 3, 3.0),
        (1.0, 2, 2.0),
        (1.0, np.float32(0.5), 0.5),
        (1.0, 2.0 + 3.0j, 2.0),
        (3, 2.0 - 1.0j, 2.0),
        (1.0, np.complex128(1.0 + 1.0j), 1.0),
        (1.0, np.array(4.0), 4.0),
    ],
    ids=repr,
)
def test_a_real_python_number_gets_a_python_float(primal, dx, projected):
    result = ProjectTo(primal)(dx)
    assert type(result) is float
    assert result == projected


@pytest.mark.parametrize(
    ("dx", "projected"),
    [(2.0, 2.0 + 0.0j), (1.0 - 1.0j, 1.0 - 1.0j), (np.complex64(1.0j), 1.0j), (3, 3.0 + 0.0j)],
    ids=repr,
)
def test_a_complex_python_number_keeps_the_complex_tangent(dx, projected):
    result = ProjectTo(1.0 + 2.0j)(dx)
    assert type(result) is complex
    assert result == projected


def test_an_array_tangent_of_a_python_number_is_summed():
    assert ProjectTo(2.0)(np.ones((2, 3))) == 6.0
    assert type(ProjectTo(2.0)(np.ones(3))) is float


@pytest.mark.parametrize("dx", ["text", (1.0,), {"x": 1.0}, Tangent[Layer](b=1.0)], ids=repr)
def test_a_non_number_tangent_of_a_number_is_a_type_error(dx):
    with pytest.raises(TangentTypeError, match="the tangent of a number must be a number"):
        ProjectTo(1.0)(dx)


# --- NumPy scalars ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("primal", "dx", "projected"),
    [
        (np.float32(1.0), 2.0, np.float32(2.0)),
        (np.float32(1.0), 2.0 + 1.0j, np.float32(2.0)),
        (np.float16(1.0), np.float64(3.0), np.float16(3.0)),
        (np.float64(1.0), np.float32(3.0), np.float64(3.0)),
        (np.float64(1.0), 3.0 + 1.0j, np.float64(3.0)),
        (np.complex64(1.0), 1.0 + 2.0j, np.complex64(1.0 + 2.0j)),
        (np.complex128(1.0), 2.0, np.complex128(2.0)),
        (np.float32(1.0), np.array(2.0), np.float32(2.0)),
        (np.float32(1.0), np.ones(4), np.float32(4.0)),
    ],
    ids=repr,
)
def test_a_numpy_scalar_keeps_its_type(primal, dx, projected):
    result = ProjectTo(primal)(dx)
    assert type(result) is type(projected)
    assert result == projected


# --- arrays -------------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_an_array_keeps_its_dtype(rng, dtype):
    primal = np.ones(3, dtype=dtype)
    dx = rng.standard_normal(3)
    assert_same_array(ProjectTo(primal)(dx), dx.astype(dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_real_array_takes_the_real_part(rng, dtype):
    dx = rng.standard_normal(3) + 1j * rng.standard_normal(3)
    assert_same_array(ProjectTo(np.ones(3, dtype=dtype))(dx), dx.real.astype(dtype))


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_a_complex_array_keeps_a_complex_tangent(dtype):
    dx = np.array([1.0 + 2.0j, 3.0 - 1.0j])
    assert_same_array(ProjectTo(np.ones(2, dtype=dtype))(dx), dx.astype(dtype))


def test_a_real_tangent_of_a_complex_array_becomes_complex():
    assert_same_array(ProjectTo(np.ones(2, dtype=complex))(np.ones(2)), np.ones(2, dtype=complex))


def test_an_integer_tangent_of_a_float_array_becomes_float():
    assert_same_array(ProjectTo(np.ones(3))(np.arange(3)), np.arange(3.0))


def test_a_tangent_of_the_right_kind_is_returned_as_is():
    dx = np.ones(3)
    assert ProjectTo(np.zeros(3))(dx) is dx


@pytest.mark.parametrize(
    ("primal_shape", "dx_shape", "axes"),
    [
        ((3,), (2, 3), (0,)),
        ((3, 1), (3, 4), (1,)),
        ((1, 3), (2, 5, 3), (0, 1)),
        ((2, 1, 3), (4, 2, 5, 3), (0, 2)),
        ((), (5,), (0,)),
        ((), (2, 3), (0, 1)),
    ],
    ids=str,
)
def test_a_broadcast_tangent_is_summed_back(rng, primal_shape, dx_shape, axes):
    dx = rng.standard_normal(dx_shape)
    projected = ProjectTo(np.zeros(primal_shape, dtype=np.float32))(dx)
    expected = np.asarray(dx.sum(axis=axes).reshape(primal_shape), dtype=np.float32)
    assert_same_array(projected, expected)


@pytest.mark.parametrize(
    ("primal_shape", "dx_shape"),
    [((3,), (3, 1)), ((3,), (1, 3)), ((3, 1), (3,)), ((2, 1, 3), (2, 3)), ((1,), ()), ((), (1, 1))],
    ids=str,
)
def test_size_one_axes_are_reshaped_not_summed(primal_shape, dx_shape):
    dx = np.arange(1.0, 1.0 + math.prod(dx_shape)).reshape(dx_shape)
    projected = ProjectTo(np.zeros(primal_shape))(dx)
    assert_same_array(projected, dx.reshape(primal_shape))


@pytest.mark.parametrize(
    ("primal_shape", "dx_shape"),
    [((3,), (4,)), ((2, 2), (4,)), ((3,), (3, 2)), ((2, 3), (3,)), ((3, 1), (3, 2, 2))],
    ids=str,
)
def test_an_incompatible_shape_is_a_shape_error_naming_both_shapes(primal_shape, dx_shape):
    with pytest.raises(TangentShapeError) as error:
        ProjectTo(np.zeros(primal_shape))(np.ones(dx_shape))
    assert str(dx_shape) in str(error.value)
    assert str(primal_shape) in str(error.value)
    assert isinstance(error.value, ValueError)


@pytest.mark.parametrize("dx", [2.0, np.float64(2.0), np.float32(2.0), 2, [2.0]], ids=repr)
def test_a_scalar_tangent_of_a_0d_array_is_a_0d_array(dx):
    projected = ProjectTo(np.zeros((), dtype=np.float32))(dx)
    assert_same_array(projected, np.array(2.0, dtype=np.float32))


def test_a_list_tangent_of_an_array_becomes_an_array():
    assert_same_array(ProjectTo(np.zeros(2))([1.0, 2.0]), np.array([1.0, 2.0]))


@pytest.mark.parametrize("dx", [np.array(["a", "b"]), ("a", "b")], ids=repr)
def test_a_non_numeric_tangent_of_an_array_is_a_type_error(dx):
    with pytest.raises(TangentTypeError, match="cannot project a tangent of dtype"):
        ProjectTo(np.zeros(2))(dx)


# --- values with no tangent space ---------------------------------------------------------


def plain_function(x):
    return x


NO_TANGENT_PRIMALS = [
    True,
    False,
    "text",
    b"bytes",
    None,
    range(3),
    slice(1, 2),
    ...,
    int,
    plain_function,
    lambda x: x,
    len,
    operator.add,
    math,
    Plain(1.0, "a").__init__,
    np.arange(3),
    np.array([True, False]),
    np.int64(3),
    np.int32(3),
    np.bool_(True),
]


@pytest.mark.parametrize(
    "primal", NO_TANGENT_PRIMALS, ids=[repr(p)[:25] for p in NO_TANGENT_PRIMALS]
)
@pytest.mark.parametrize("dx", [1.0, np.ones(3), ZeroTangent()], ids=repr)
def test_values_without_a_tangent_space_project_to_no_tangent(primal, dx):
    assert ProjectTo(primal)(dx) is NoTangent()


# --- containers ---------------------------------------------------------------------------


def test_a_tuple_is_projected_entry_by_entry():
    primal = (1.0, np.zeros(2, dtype=np.float32), "label")
    projected = ProjectTo(primal)((2.0 + 1.0j, np.ones(2), 5.0))
    assert type(projected) is tuple
    assert projected[0] == 2.0
    assert_same_array(projected[1], np.ones(2, dtype=np.float32))
    assert projected[2] is NoTangent()


def test_a_list_is_projected_entry_by_entry_and_a_tuple_tangent_is_accepted():
    projected = ProjectTo([1.0, 2])((np.float64(3.0), 4))
    assert projected == [3.0, 4.0]
    assert type(projected) is list
    assert all(type(entry) is float for entry in projected)


def test_a_dict_is_projected_entry_by_entry_and_missing_keys_stay_missing():
    primal = {"w": np.zeros(2, dtype=np.float32), "b": 1.0, "name": "layer"}
    projected = ProjectTo(primal)({"w": np.ones((3, 2)), "name": 1.0})
    assert projected.keys() == {"w", "name"}
    assert_same_array(projected["w"], np.full(2, 3.0, dtype=np.float32))
    assert projected["name"] is NoTangent()


def test_nested_containers():
    projected = ProjectTo({"layers": [(1.0, np.zeros(2))]})({"layers": [(1j, np.ones((2, 2)))]})
    assert projected["layers"][0][0] == 0.0
    assert_same_array(projected["layers"][0][1], np.array([2.0, 2.0]))


@pytest.mark.parametrize(
    ("primal", "dx"),
    [
        ((1.0, 2.0), (1.0,)),
        ([1.0], [1.0, 2.0]),
        ((1.0, 2.0), 3.0),
        ((1.0,), {"0": 1.0}),
    ],
    ids=["short", "long", "number", "dict"],
)
def test_a_sequence_tangent_of_the_wrong_length_or_kind_is_a_type_error(primal, dx):
    with pytest.raises(TangentTypeError, match="must be a sequence of the same length"):
        ProjectTo(primal)(dx)


def test_a_dict_tangent_must_be_a_dict_with_known_keys():
    with pytest.raises(TangentTypeError, match="must be a dict"):
        ProjectTo({"w": 1.0})((1.0,))
    with pytest.raises(TangentTypeError, match="key 'b'"):
        ProjectTo({"w": 1.0})({"b": 1.0})


# --- objects ------------------------------------------------------------------------------


def test_a_dataclass_gets_a_structural_tangent_with_projected_fields():
    primal = Layer(np.zeros(3, dtype=np.float32), 1.0)
    projected = ProjectTo(primal)(Tangent[Layer](w=np.ones((2, 3)), b=1.0 + 1.0j))
    assert type(projected) is Tangent[Layer]
    assert_same_array(projected.w, np.full(3, 2.0, dtype=np.float32))
    assert projected.b == 1.0
    assert type(projected.b) is float


def test_a_namedtuple_gets_a_structural_tangent():
    projected = ProjectTo(Pair(1.0, "label"))(Tangent[Pair](first=2 + 1j, second=1.0))
    assert type(projected) is Tangent[Pair]
    assert backing(projected) == {"first": 2.0, "second": NoTangent()}


def test_a_plain_object_gets_a_structural_tangent():
    projected = ProjectTo(Plain(np.float32(1.0), "a"))(Tangent[Plain](scale=2.0))
    assert type(projected) is Tangent[Plain]
    assert type(projected.scale) is np.float32
    assert projected.label is ZeroTangent()


@pytest.mark.parametrize(
    ("primal", "name"),
    [(Layer(np.zeros(2), 1.0), "b"), (Pair(1.0, 2.0), "first"), (Plain(1.0, "a"), "scale")],
    ids=["dataclass", "namedtuple", "plain"],
)
def test_a_dict_is_accepted_as_the_tangent_of_an_object(primal, name):
    projected = ProjectTo(primal)({name: 2})
    assert type(projected) is Tangent[type(primal)]
    assert backing(projected) == {name: 2.0}
    assert type(backing(projected)[name]) is float


def test_the_structural_tangent_of_the_wrong_type_is_a_type_error():
    with pytest.raises(TangentTypeError, match=r"must be a Tangent\[Layer\], got"):
        ProjectTo(Layer(np.zeros(2), 1.0))(Tangent[Other](w=np.ones(2)))


@pytest.mark.parametrize("dx", [1.0, np.ones(2), (1.0, 2.0)], ids=repr)
def test_a_non_structural_tangent_of_an_object_is_a_type_error(dx):
    with pytest.raises(TangentTypeError, match=r"must be a Tangent\[Layer\]"):
        ProjectTo(Layer(np.zeros(2), 1.0))(dx)


def test_a_field_the_object_lacks_is_a_type_error():
    with pytest.raises(TangentTypeError, match="Plain has no field 'bias'"):
        ProjectTo(Plain(1.0, "a"))({"bias": 1.0})


def test_a_self_referential_object_does_not_recurse_forever():
    class Node:
        def __init__(self, value):
            self.value = value
            self.next = self

    node = Node(1.0)
    project = ProjectTo(node)
    projected = project(Tangent[Node](value=2.0, next=Tangent[Node](value=3.0)))
    assert projected.value == 2.0
    assert projected.next.value == 3.0
    assert projected.next.next is ZeroTangent()


# --- zeros, NotImplemented, thunks --------------------------------------------------------

PROJECTABLE = [
    1.0,
    1.0j,
    np.float32(1.0),
    np.ones(3),
    (1.0, 2.0),
    {"w": 1.0},
    Layer(np.ones(2), 1.0),
]
projectable = pytest.mark.parametrize(
    "primal", PROJECTABLE, ids=[type(p).__name__ for p in PROJECTABLE]
)


@projectable
@pytest.mark.parametrize(
    "dx", [ZeroTangent(), NoTangent(), NotImplementedTangent("unknown")], ids=repr
)
def test_zeros_and_not_implemented_pass_through(primal, dx):
    assert ProjectTo(primal)(dx) is dx


def test_a_thunk_stays_lazy_and_unthunks_to_the_projected_value():
    body = Counter(np.ones((2, 3)))
    projected = ProjectTo(np.zeros(3, dtype=np.float32))(Thunk(body))
    assert isinstance(projected, Thunk)
    assert body.calls == 0
    assert_same_array(unthunk(projected), np.full(3, 2.0, dtype=np.float32))
    assert body.calls == 1


def test_a_thunk_of_a_zero_unthunks_to_the_zero():
    projected = ProjectTo(1.0)(Thunk(lambda: ZeroTangent()))
    assert unthunk(projected) is ZeroTangent()


def test_a_thunk_entry_of_a_tuple_stays_lazy():
    body = Counter(1.0 + 1.0j)
    projected = ProjectTo((1.0, 2.0))((Thunk(body), 1.0))
    assert body.calls == 0
    assert unthunk(projected[0]) == 1.0


def test_a_projector_can_be_reused():
    project = ProjectTo(np.zeros(2, dtype=np.float32))
    assert_same_array(project(np.ones(2)), np.ones(2, dtype=np.float32))
    assert_same_array(project(np.ones((3, 2))), np.full(2, 3.0, dtype=np.float32))


# --- unbroadcast --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "dx_shape", "axes"),
    [
        ((3, 1), (2, 3, 4), (0, 2)),
        ((3,), (2, 3), (0,)),
        ((1, 3), (4, 3), (0,)),
        ((2, 3), (5, 2, 3), (0,)),
    ],
    ids=str,
)
def test_unbroadcast_sums_added_and_size_one_axes(rng, shape, dx_shape, axes):
    dx = rng.standard_normal(dx_shape)
    expected = dx.sum(axis=axes).reshape(shape)
    np.testing.assert_allclose(unbroadcast(shape, dx), expected)
    np.testing.assert_allclose(unbroadcast(np.zeros(shape), dx), expected)
    assert unbroadcast(shape, dx).shape == shape


def test_unbroadcast_to_a_scalar():
    assert unbroadcast((), np.ones(5)) == 5.0
    assert np.shape(unbroadcast((), np.ones(5))) == ()
    assert unbroadcast(2.0, np.ones((2, 3))) == 6.0


def test_unbroadcast_of_the_right_shape_returns_dx_itself():
    dx = np.ones((2, 3))
    assert unbroadcast((2, 3), dx) is dx
    assert unbroadcast(1.0, 2.0) == 2.0


@pytest.mark.parametrize(
    "dx", [ZeroTangent(), NoTangent(), NotImplementedTangent("x"), Thunk(lambda: 1.0)], ids=repr
)
def test_unbroadcast_passes_tangent_types_through(dx):
    assert unbroadcast((3,), dx) is dx


@pytest.mark.parametrize(
    ("shape", "dx_shape"), [((3,), (4,)), ((2, 3), (3,)), ((3, 2), (3, 3)), ((2,), (2, 3))], ids=str
)
def test_unbroadcast_to_an_incompatible_shape_is_a_shape_error(shape, dx_shape):
    with pytest.raises(TangentShapeError, match=r"cannot sum a tangent of shape"):
        unbroadcast(shape, np.ones(dx_shape))


def test_ufuncs_have_no_tangent_space():
    assert ProjectTo(np.sin)(1.0) == NoTangent()


def test_an_array_tangent_of_an_array_like_list_is_split_into_rows():
    assert ProjectTo([1.0, 2])(np.array([3.0, 4.0])) == [3.0, 4.0]
    assert type(ProjectTo([1.0, 2])(np.array([3.0, 4.0]))[0]) is float
    nested = ProjectTo([[1.0, 2.0], (3.0, 4.0)])(np.ones((2, 2)))
    assert nested == [[1.0, 1.0], (1.0, 1.0)]
    with pytest.raises(TangentTypeError):
        ProjectTo([1.0, 2.0])(np.ones(3))
