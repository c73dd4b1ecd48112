"""Tests of rulescore/_arithmetic.py: `add_tangents`, `add_to_primal`, `accumulate`."""

import dataclasses
from collections import namedtuple

import numpy as np
import pytest

from rulescore import (
    InplaceableThunk,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    Thunk,
    ZeroTangent,
    accumulate,
    add_tangents,
    add_to_primal,
    unthunk,
)


@dataclasses.dataclass(frozen=True)
class Params:
    w: np.ndarray
    b: float


Pair = namedtuple("Pair", ["first", "second"])


class Counter:
    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def inplaceable(dy):
    """An InplaceableThunk of `dy` that records what it did."""
    body = Counter(dy)
    log = []

    def add_dy(acc):
        log.append(acc)
        acc += dy
        return acc

    return InplaceableThunk(add_dy, Thunk(body)), body, log


# --- add_tangents -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [
        (1.0, 2.0, 3.0),
        (1.0j, 1.0, 1.0 + 1.0j),
        ((1.0, 2.0), (3.0, 4.0), (4.0, 6.0)),
        ([1.0, 2.0], [3.0, 4.0], [4.0, 6.0]),
        ({"w": 1.0}, {"w": 2.0}, {"w": 3.0}),
        ({"w": 1.0}, {"b": 2.0}, {"w": 1.0, "b": 2.0}),
        ((1.0, [2.0, {"k": 3.0}]), (1.0, [2.0, {"k": 4.0}]), (2.0, [4.0, {"k": 7.0}])),
        ((1.0, ZeroTangent()), (ZeroTangent(), 2.0), (1.0, 2.0)),
        ((NoTangent(), 1.0), (NoTangent(), 1.0), (NoTangent(), 2.0)),
        ((), (), ()),
    ],
    ids=[
        "floats",
        "complex",
        "tuples",
        "lists",
        "dicts",
        "dict-missing-keys",
        "nested",
        "tuples-with-zeros",
        "no-tangent-entries",
        "empty",
    ],
)
def test_add_tangents_entry_by_entry(a, b, total):
    result = add_tangents(a, b)
    assert result == total
    assert type(result) is type(total)


def test_add_tangents_of_arrays_and_array_entries():
    np.testing.assert_array_equal(add_tangents(np.ones(2), np.arange(2.0)), [1.0, 2.0])
    total = add_tangents({"w": (np.ones(2), 1.0)}, {"w": (np.ones(2), 2.0)})
    np.testing.assert_array_equal(total["w"][0], [2.0, 2.0])
    assert total["w"][1] == 3.0


def test_add_tangents_does_not_mutate_its_arguments():
    a, b = {"w": 1.0}, {"w": 2.0, "b": 3.0}
    a_list, b_list = [np.ones(2)], [np.ones(2)]
    add_tangents(a, b)
    add_tangents(a_list, b_list)
    assert (a, b) == ({"w": 1.0}, {"w": 2.0, "b": 3.0})
    np.testing.assert_array_equal(a_list[0], [1.0, 1.0])


@pytest.mark.parametrize("zero", [ZeroTangent(), NoTangent()], ids=repr)
@pytest.mark.parametrize("x", [1.0, (1.0, 2.0), {"w": 1.0}, np.ones(2)], ids=repr)
def test_a_zero_is_the_identity_on_either_side(zero, x):
    assert add_tangents(zero, x) is x
    assert add_tangents(x, zero) is x


@pytest.mark.parametrize(
    ("a", "b", "total"),
    [
        (ZeroTangent(), ZeroTangent(), ZeroTangent()),
        (ZeroTangent(), NoTangent(), NoTangent()),
        (NoTangent(), ZeroTangent(), NoTangent()),
        (NoTangent(), NoTangent(), NoTangent()),
    ],
    ids=["zero+zero", "zero+no", "no+zero", "no+no"],
)
def test_two_zeros_follow_the_tangent_table(a, b, total):
    assert add_tangents(a, b) is total


def test_a_thunk_added_to_a_zero_stays_lazy():
    body = Counter((1.0, 2.0))
    t = Thunk(body)
    assert add_tangents(ZeroTangent(), t) is t
    assert add_tangents(t, NoTangent()) is t
    assert body.calls == 0


def test_a_tuple_inside_a_thunk_adds_elementwise_not_by_concatenation():
    t = Thunk(lambda: (1.0, 2.0))
    assert add_tangents(t, (10.0, 20.0)) == (11.0, 22.0)
    assert add_tangents((10.0, 20.0), t) == (11.0, 22.0)
    assert add_tangents(t, Thunk(lambda: (1.0, 1.0))) == (2.0, 3.0)


def test_a_thunk_of_a_zero_is_an_identity_too():
    assert add_tangents((1.0, 2.0), Thunk(lambda: ZeroTangent())) == (1.0, 2.0)
    assert add_tangents(Thunk(lambda: NoTangent()), {"w": 1.0}) == {"w": 1.0}


def test_thunks_inside_containers_are_added():
    total = add_tangents((Thunk(lambda: 1.0), 2.0), (3.0, Thunk(lambda: 4.0)))
    assert total == (4.0, 6.0)


def test_structural_tangents_add_field_by_field():
    total = add_tangents(Tangent[Params](b=1.0), Tangent[Params](b=2.0))
    assert total == Tangent[Params](b=3.0)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ((1.0, 2.0), (1.0,)),
        ([1.0], [1.0, 2.0]),
        ((1.0,), [1.0]),
        ({"w": 1.0}, (1.0,)),
        ({"w": (1.0,)}, {"w": (1.0, 2.0)}),
    ],
    ids=["tuple-lengths", "list-lengths", "tuple-vs-list", "dict-vs-tuple", "nested-lengths"],
)
def test_mismatched_containers_are_a_type_error(a, b):
    with pytest.raises(TypeError, match="cannot add tangents"):
        add_tangents(a, b)


@pytest.mark.parametrize("x", [1.0, np.ones(2), (1.0, 2.0), [1.0], {"w": 1.0}], ids=repr)
def test_not_implemented_wins_against_every_tangent(x):
    ni = NotImplementedTangent("unknown")
    assert add_tangents(ni, x) is ni
    assert add_tangents(x, ni) is ni


# --- add_to_primal ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "dx", "moved"),
    [
        (1.0, 0.5, 1.5),
        (1.0 + 1.0j, 1.0j, 1.0 + 2.0j),
        (2, 0.5, 2.5),
        ((1.0, "label"), (0.5, NoTangent()), (1.5, "label")),
        ([1.0, 2.0], [1.0, ZeroTangent()], [2.0, 2.0]),
        ({"w": 1.0, "name": "x"}, {"w": 2.0}, {"w": 3.0, "name": "x"}),
        ((1.0, [2.0, {"k": 3.0}]), (1.0, [1.0, {"k": 1.0}]), (2.0, [3.0, {"k": 4.0}])),
        (Pair(1.0, 2.0), Tangent[Pair](second=1.0), Pair(1.0, 3.0)),
    ],
    ids=["float", "complex", "int", "tuple", "list", "dict", "nested", "namedtuple"],
)
def test_add_to_primal(x, dx, moved):
    result = add_to_primal(x, dx)
    assert result == moved
    assert type(result) is type(moved)


def test_add_to_primal_arrays_returns_a_new_array():
    x = np.ones(3)
    moved = add_to_primal(x, np.arange(3.0))
    np.testing.assert_array_equal(moved, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x, np.ones(3))


def test_add_to_primal_rebuilds_an_object_without_mutating_it():
    w = np.ones(2)
    primal = Params(w, 1.0)
    moved = add_to_primal(primal, Tangent[Params](w=np.ones(2)))
    assert isinstance(moved, Params)
    np.testing.assert_array_equal(moved.w, [2.0, 2.0])
    assert moved.b == 1.0
    np.testing.assert_array_equal(primal.w, [1.0, 1.0])


def test_add_to_primal_inside_containers_of_objects():
    moved = add_to_primal([Params(np.zeros(1), 1.0)], [Tangent[Params](b=1.0)])
    assert moved[0].b == 2.0


@pytest.mark.parametrize("zero", [ZeroTangent(), NoTangent()], ids=repr)
@pytest.mark.parametrize("x", [1.0, "text", np.ones(2), (1.0,), Params(np.ones(1), 1.0)])
def test_add_to_primal_a_zero_returns_the_primal(zero, x):
    assert add_to_primal(x, zero) is x


def test_add_to_primal_unthunks():
    assert add_to_primal(1.0, Thunk(lambda: 2.0)) == 3.0
    assert add_to_primal((1.0,), Thunk(lambda: (1.0,))) == (2.0,)
    assert add_to_primal(1.0, Thunk(lambda: ZeroTangent())) == 1.0


# --- accumulate ---------------------------------------------------------------------------


@pytest.mark.parametrize("inplace", [False, True])
@pytest.mark.parametrize("zero", [ZeroTangent(), NoTangent()], ids=repr)
def test_accumulate_a_zero_returns_acc(zero, inplace):
    acc = np.ones(2)
    assert accumulate(acc, zero, inplace=inplace) is acc
    np.testing.assert_array_equal(acc, [1.0, 1.0])


def test_accumulate_onto_a_zero_returns_dx():
    dx = np.ones(2)
    assert accumulate(ZeroTangent(), dx) is dx
    assert accumulate(ZeroTangent(), dx, inplace=True) is dx


def test_accumulate_a_thunk_onto_a_zero_stays_lazy():
    body = Counter(np.ones(2))
    t = Thunk(body)
    assert accumulate(ZeroTangent(), t) is t
    assert body.calls == 0


def test_accumulate_without_inplace_returns_a_new_value():
    acc = np.zeros(3)
    total = accumulate(acc, np.ones(3))
    assert total is not acc
    np.testing.assert_array_equal(total, np.ones(3))
    np.testing.assert_array_equal(acc, np.zeros(3))


def test_accumulate_inplace_writes_into_acc():
    acc = np.zeros(3)
    assert accumulate(acc, np.ones(3), inplace=True) is acc
    np.testing.assert_array_equal(acc, np.ones(3))


@pytest.mark.parametrize(
    ("acc_shape", "dx_shape"),
    [((2, 3), (3,)), ((2, 3), (2, 1)), ((2, 3), ()), ((3,), (1,))],
    ids=str,
)
def test_accumulate_inplace_broadcasts_a_smaller_dx(acc_shape, dx_shape):
    acc = np.zeros(acc_shape)
    dx = np.ones(dx_shape)
    assert accumulate(acc, dx, inplace=True) is acc
    np.testing.assert_array_equal(acc, np.ones(acc_shape))


def test_accumulate_inplace_of_a_python_float_keeps_acc():
    acc = np.zeros(2, dtype=np.float32)
    assert accumulate(acc, 1.0, inplace=True) is acc
    assert acc.dtype == np.float32
    np.testing.assert_array_equal(acc, [1.0, 1.0])


@pytest.mark.parametrize(
    ("acc", "dx"),
    [
        (np.zeros(3, dtype=np.float32), np.ones(3, dtype=np.float64)),
        (np.zeros(3), np.ones(3, dtype=np.complex128)),
        (np.zeros(3), np.ones((2, 3))),
        (np.zeros((3, 1)), np.ones((1, 4))),
    ],
    ids=["float32+float64", "real+complex", "larger-dx", "both-broadcast"],
)
def test_accumulate_inplace_returns_a_new_value_when_shape_or_dtype_would_change(acc, dx):
    before = acc.copy()
    total = accumulate(acc, dx, inplace=True)
    assert total is not acc
    assert total.dtype == np.result_type(acc, dx)
    assert total.shape == np.broadcast_shapes(acc.shape, dx.shape)
    np.testing.assert_array_equal(total, before + dx)
    np.testing.assert_array_equal(acc, before)
    assert acc.dtype == before.dtype


def test_accumulate_never_mutates_a_read_only_array():
    acc = np.zeros(3)
    acc.flags.writeable = False
    total = accumulate(acc, np.ones(3), inplace=True)
    assert total is not acc
    np.testing.assert_array_equal(total, np.ones(3))
    np.testing.assert_array_equal(acc, np.zeros(3))


def test_accumulate_inplace_of_a_thunk_unthunks_into_acc():
    acc = np.zeros(2)
    assert accumulate(acc, Thunk(lambda: np.ones(2)), inplace=True) is acc
    np.testing.assert_array_equal(acc, np.ones(2))


def test_accumulate_inplace_uses_add_fn_and_never_unthunks():
    t, body, log = inplaceable(np.array([1.0, 2.0]))
    acc = np.ones(2)
    assert accumulate(acc, t, inplace=True) is acc
    np.testing.assert_array_equal(acc, [2.0, 3.0])
    assert log == [acc]
    assert body.calls == 0


def test_accumulate_not_inplace_unthunks_an_inplaceable_and_leaves_acc():
    t, body, log = inplaceable(np.array([1.0, 2.0]))
    acc = np.ones(2)
    total = accumulate(acc, t)
    np.testing.assert_array_equal(total, [2.0, 3.0])
    np.testing.assert_array_equal(acc, [1.0, 1.0])
    assert log == []
    assert body.calls == 1


def test_accumulate_inplace_into_a_read_only_array_does_not_use_add_fn():
    t, _, log = inplaceable(np.array([1.0, 2.0]))
    acc = np.ones(2)
    acc.flags.writeable = False
    total = accumulate(acc, t, inplace=True)
    np.testing.assert_array_equal(total, [2.0, 3.0])
    assert log == []


@pytest.mark.parametrize("inplace", [False, True])
def test_accumulate_non_arrays_adds(inplace):
    assert accumulate(1.0, 2.0, inplace=inplace) == 3.0
    assert accumulate((1.0, 2.0), (1.0, 1.0), inplace=inplace) == (2.0, 3.0)
    assert accumulate({"w": 1.0}, Thunk(lambda: {"w": 1.0}), inplace=inplace) == {"w": 2.0}


def test_accumulate_inplace_of_a_thunk_of_a_zero_returns_acc_unchanged():
    acc = np.ones(2)
    total = accumulate(acc, Thunk(lambda: ZeroTangent()), inplace=True)
    np.testing.assert_array_equal(total, [1.0, 1.0])
    np.testing.assert_array_equal(acc, [1.0, 1.0])


@pytest.mark.parametrize("inplace", [False, True])
def test_accumulate_not_implemented_wins(inplace):
    ni = NotImplementedTangent("unknown")
    acc = np.ones(2)
    assert accumulate(acc, ni, inplace=inplace) is ni
    np.testing.assert_array_equal(acc, [1.0, 1.0])
    assert accumulate(ni, np.ones(2), inplace=inplace) is ni


def test_accumulate_many_cotangents_inplace_equals_their_sum(rng):
    parts = [rng.standard_normal((2, 3)) for _ in range(4)]
    acc = parts[0].copy()
    for part in parts[1:]:
        acc = accumulate(acc, part, inplace=True)
    np.testing.assert_allclose(acc, sum(parts))
    assert unthunk(acc) is acc


def test_add_to_primal_refuses_a_dict_tangent_with_unknown_keys():
    with pytest.raises(TypeError, match="'b'"):
        add_to_primal({"a": 1.0}, {"b": 1.0})
