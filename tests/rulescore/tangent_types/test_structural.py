"""Tests of rulescore/_tangent_types/structural.py: `Tangent[T]` and `backing`."""

import dataclasses
from collections import namedtuple
from typing import NamedTuple

import numpy as np
import pytest

from rulescore import (
    AbstractTangent,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    Thunk,
    ZeroTangent,
    backing,
)


@dataclasses.dataclass
class Point:
    x: float
    y: float


@dataclasses.dataclass(frozen=True)
class FrozenPoint:
    x: float
    y: float


class NamedPoint(NamedTuple):
    x: float
    y: float


ClassicPoint = namedtuple("ClassicPoint", ["x", "y"])


class PlainPoint:
    def __init__(self, x, y):
        self.x = x
        self.y = y


class SlottedPoint:
    __slots__ = ("x", "y")

    def __init__(self, x, y):
        self.x = x
        self.y = y


@dataclasses.dataclass
class WithDerived:
    x: float
    scale: float = dataclasses.field(init=False, default=1.0)


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float


FIELDED = [Point, FrozenPoint, NamedPoint, ClassicPoint]
ALL = [*FIELDED, PlainPoint, SlottedPoint]
fielded = pytest.mark.parametrize("kind", FIELDED, ids=lambda k: k.__name__)
every_kind = pytest.mark.parametrize("kind", ALL, ids=lambda k: k.__name__)


# --- construction and field access --------------------------------------------------------


@every_kind
def test_tangent_of_a_type_is_made_once(kind):
    assert Tangent[kind] is Tangent[kind]
    assert issubclass(Tangent[kind], Tangent)
    assert Tangent[kind].primal_type is kind
    assert isinstance(Tangent[kind](), AbstractTangent)


def test_tangents_of_different_types_are_different_classes():
    assert Tangent[Point] is not Tangent[FrozenPoint]


def test_tangent_needs_a_class():
    with pytest.raises(TypeError, match="takes a class"):
        Tangent[3]


@every_kind
def test_fields_read_as_attributes_and_items(kind):
    t = Tangent[kind](x=1.5)
    assert t.x == 1.5
    assert t["x"] == 1.5


@every_kind
def test_missing_field_reads_zero_tangent(kind):
    t = Tangent[kind](x=1.5)
    assert t.y is ZeroTangent()
    assert t["y"] is ZeroTangent()


@fielded
def test_fields_may_be_given_positionally(kind):
    assert backing(Tangent[kind](1.0, 2.0)) == {"x": 1.0, "y": 2.0}
    assert backing(Tangent[kind](1.0, y=2.0)) == {"x": 1.0, "y": 2.0}
    assert backing(Tangent[kind](1.0)) == {"x": 1.0}


@fielded
def test_fields_may_be_read_positionally(kind):
    t = Tangent[kind](y=2.0)
    assert t[1] == 2.0
    assert t[0] is ZeroTangent()
    assert t[-1] == 2.0


@pytest.mark.parametrize("kind", [PlainPoint, SlottedPoint], ids=lambda k: k.__name__)
def test_plain_objects_have_no_positional_fields_to_read(kind):
    with pytest.raises(TypeError, match="has no positional fields"):
        Tangent[kind](x=1.0)[0]


@fielded
def test_too_many_positional_fields_are_refused(kind):
    with pytest.raises(TypeError, match="takes 2 positional fields, got 3"):
        Tangent[kind](1.0, 2.0, 3.0)


@fielded
def test_a_field_given_twice_is_refused(kind):
    with pytest.raises(TypeError, match="got field 'x' twice"):
        Tangent[kind](1.0, x=2.0)


@pytest.mark.parametrize("kind", [PlainPoint, SlottedPoint], ids=lambda k: k.__name__)
def test_plain_objects_take_no_positional_fields(kind):
    with pytest.raises(TypeError, match="takes 0 positional fields, got 1"):
        Tangent[kind](1.0)


@fielded
def test_unknown_field_is_refused_and_the_message_lists_the_fields(kind):
    with pytest.raises(TypeError, match=r"unknown field 'z'.*are x, y"):
        Tangent[kind](z=1.0)


def test_plain_objects_accept_any_field_name():
    assert Tangent[PlainPoint](anything=1.0).anything == 1.0


def test_dunder_lookups_are_not_fields():
    t = Tangent[PlainPoint](x=1.0)
    assert not hasattr(t, "__array_interface__")
    assert not hasattr(t, "__len__")


def test_a_field_named_like_a_method_is_still_readable_with_backing_and_items():
    t = Tangent[PlainPoint](conjugate=2.0)
    assert t["conjugate"] == 2.0
    assert backing(t) == {"conjugate": 2.0}


def test_backing_is_a_new_dict_of_the_given_fields():
    t = Tangent[Point](x=1.0)
    fields = backing(t)
    assert fields == {"x": 1.0}
    fields["y"] = 5.0
    assert t.y is ZeroTangent()


def test_tangents_are_unhashable():
    with pytest.raises(TypeError, match="unhashable"):
        hash(Tangent[Point](x=1.0))


def test_repr_names_the_primal_type_and_fields():
    assert repr(Tangent[Point](x=1.0)) == "Tangent[Point](x=1.0)"
    assert repr(Tangent[NamedPoint]()) == "Tangent[NamedPoint]()"


# --- equality -----------------------------------------------------------------------------


@every_kind
def test_equal_fields_are_equal(kind):
    assert Tangent[kind](x=1.0, y=2.0) == Tangent[kind](x=1.0, y=2.0)
    assert Tangent[kind](x=1.0, y=2.0) != Tangent[kind](x=1.0, y=3.0)


@pytest.mark.parametrize(
    "zero", [ZeroTangent(), NoTangent(), 0.0, np.zeros(3), Tangent[Point]()], ids=repr
)
def test_a_zero_field_equals_a_missing_one(zero):
    assert Tangent[Layer](w=zero, b=1.0) == Tangent[Layer](b=1.0)
    assert Tangent[Layer](b=1.0) == Tangent[Layer](w=zero, b=1.0)


@pytest.mark.parametrize("nonzero", [1.0, np.array([0.0, 1.0, 0.0]), Tangent[Point](x=1.0)])
def test_a_nonzero_field_differs_from_a_missing_one(nonzero):
    assert Tangent[Layer](w=nonzero) != Tangent[Layer]()
    assert Tangent[Layer]() != Tangent[Layer](w=nonzero)


def test_a_not_implemented_field_differs_from_a_missing_one():
    assert Tangent[Layer](w=NotImplementedTangent("w")) != Tangent[Layer]()


def test_array_fields_compare_elementwise():
    assert Tangent[Layer](w=np.arange(3.0)) == Tangent[Layer](w=np.arange(3.0))
    assert Tangent[Layer](w=np.arange(3.0)) != Tangent[Layer](w=np.array([0.0, 1.0, 5.0]))


def test_thunked_fields_compare_by_value():
    assert Tangent[Point](x=Thunk(lambda: 2.0)) == Tangent[Point](x=2.0)


def test_tangents_of_different_types_are_not_equal():
    assert Tangent[Point](x=1.0) != Tangent[FrozenPoint](x=1.0)
    assert Tangent[Point](x=1.0) != {"x": 1.0}


# --- arithmetic ---------------------------------------------------------------------------


@every_kind
def test_addition_and_subtraction_are_field_by_field(kind):
    a = Tangent[kind](x=1.0)
    b = Tangent[kind](x=2.0, y=3.0)
    assert a + b == Tangent[kind](x=3.0, y=3.0)
    assert b - a == Tangent[kind](x=1.0, y=3.0)
    assert a - b == Tangent[kind](x=-1.0, y=-3.0)
    assert backing(a) == {"x": 1.0}


def test_addition_keeps_array_fields():
    total = Tangent[Layer](w=np.ones(2)) + Tangent[Layer](w=np.arange(2.0), b=1.0)
    np.testing.assert_array_equal(total.w, [1.0, 2.0])
    assert total.b == 1.0


def test_container_fields_add_entry_by_entry_not_by_concatenation():
    a = Tangent[PlainPoint](pair=(1.0, 2.0), items=[1.0], table={"k": 1.0})
    b = Tangent[PlainPoint](pair=(3.0, 4.0), items=[2.0], table={"k": 2.0})
    assert backing(a + b) == {"pair": (4.0, 6.0), "items": [3.0], "table": {"k": 3.0}}


def test_adding_tangents_of_different_primal_types_is_a_type_error():
    with pytest.raises(TypeError, match=r"cannot add Tangent\[Point\] and Tangent\[FrozenPoint\]"):
        Tangent[Point](x=1.0) + Tangent[FrozenPoint](x=1.0)


def test_subtracting_tangents_of_different_primal_types_is_a_type_error():
    with pytest.raises(TypeError, match="cannot add"):
        Tangent[Point](x=1.0) - Tangent[FrozenPoint](x=1.0)


def test_adding_a_number_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand"):
        Tangent[Point](x=1.0) + 1.0


@pytest.mark.parametrize("zero", [ZeroTangent(), NoTangent()], ids=repr)
def test_zeros_are_identities_and_absorb_products(zero):
    t = Tangent[Point](x=1.0)
    assert (t + zero) is t
    assert (zero + t) is t
    assert (t - zero) is t
    assert (t * zero) is zero
    assert (zero * t) is zero


def test_adding_a_thunk_unthunks_it():
    t = Tangent[Point](x=1.0)
    assert t + Thunk(lambda: Tangent[Point](y=2.0)) == Tangent[Point](x=1.0, y=2.0)


@pytest.mark.parametrize("scale", [2.0, 2, np.float64(2.0), np.array(2.0)], ids=repr)
def test_scaling_by_numbers_on_either_side_and_dividing(scale):
    t = Tangent[Point](x=1.0, y=-3.0)
    assert t * scale == Tangent[Point](x=2.0, y=-6.0)
    assert scale * t == Tangent[Point](x=2.0, y=-6.0)
    assert t / scale == Tangent[Point](x=0.5, y=-1.5)
    assert isinstance(scale * t, Tangent[Point])


def test_negation_and_conjugate_are_field_by_field():
    t = Tangent[Point](x=1.0 + 2.0j, y=3.0)
    assert -t == Tangent[Point](x=-1.0 - 2.0j, y=-3.0)
    assert t.conjugate() == Tangent[Point](x=1.0 - 2.0j, y=3.0)


def test_negation_keeps_missing_fields_missing():
    assert backing(-Tangent[Point](x=1.0)) == {"x": -1.0}


# --- adding to a primal -------------------------------------------------------------------


@every_kind
def test_primal_plus_tangent_rebuilds_the_primal_without_mutating_it(kind):
    primal = kind(1.0, 2.0)
    t = Tangent[kind](x=0.5)
    for moved in (primal + t, t + primal):
        assert type(moved) is kind
        assert moved is not primal
        assert (moved.x, moved.y) == (1.5, 2.0)
    assert (primal.x, primal.y) == (1.0, 2.0)


def test_adding_to_a_dataclass_with_an_init_false_field():
    primal = WithDerived(1.0)
    moved = primal + Tangent[WithDerived](x=1.0, scale=0.5)
    assert (moved.x, moved.scale) == (2.0, 1.5)
    assert (primal.x, primal.scale) == (1.0, 1.0)


def test_adding_to_a_primal_recurses_into_fields():
    @dataclasses.dataclass(frozen=True)
    class Segment:
        start: FrozenPoint
        end: FrozenPoint

    primal = Segment(FrozenPoint(0.0, 0.0), FrozenPoint(1.0, 1.0))
    moved = primal + Tangent[Segment](end=Tangent[FrozenPoint](y=1.0))
    assert moved == Segment(FrozenPoint(0.0, 0.0), FrozenPoint(1.0, 2.0))


def test_adding_to_an_array_field_does_not_mutate_the_array():
    w = np.ones(2)
    moved = Layer(w, 0.0) + Tangent[Layer](w=np.ones(2))
    np.testing.assert_array_equal(moved.w, [2.0, 2.0])
    np.testing.assert_array_equal(w, [1.0, 1.0])


def test_adding_to_a_primal_of_another_type_is_a_type_error():
    with pytest.raises(TypeError, match="unsupported operand"):
        FrozenPoint(1.0, 2.0) + Tangent[Point](x=1.0)


def test_scaling_and_negating_container_fields_acts_on_the_leaves():
    @dataclasses.dataclass
    class Holder:
        pair: tuple
        table: dict

    t = Tangent[Holder](pair=(1.0, 2.0), table={"k": [3.0]})
    assert 2 * t == Tangent[Holder](pair=(2.0, 4.0), table={"k": [6.0]})
    assert t * 2 == 2 * t
    assert -t == Tangent[Holder](pair=(-1.0, -2.0), table={"k": [-3.0]})
    assert t - t == Tangent[Holder](pair=(0.0, 0.0), table={"k": [0.0]})
    assert t / 2 == Tangent[Holder](pair=(0.5, 1.0), table={"k": [1.5]})


def test_structural_tangents_pickle():
    import pickle

    t = Tangent[PicklablePoint](x=1.0)
    assert pickle.loads(pickle.dumps(t)) == t


@dataclasses.dataclass(frozen=True)
class PicklablePoint:
    x: float
