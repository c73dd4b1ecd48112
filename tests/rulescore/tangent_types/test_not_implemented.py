"""Tests of rulescore/_tangent_types/not_implemented.py: `NotImplementedTangent`."""

import copy
import pickle
from dataclasses import dataclass

import numpy as np
import pytest

from rulescore import (
    AbstractTangent,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    ZeroTangent,
    not_implemented,
)


@dataclass
class Point:
    x: float


OTHERS = [
    ZeroTangent(),
    NoTangent(),
    2.5,
    3,
    1.0 + 2.0j,
    np.float32(2.0),
    np.arange(3.0),
    np.ones((2, 2), dtype=np.float32),
    Tangent[Point](x=1.0),
]
others = pytest.mark.parametrize("other", OTHERS, ids=[repr(o)[:30] for o in OTHERS])
numbers = pytest.mark.parametrize(
    "other", [2.5, 3, 1.0j, np.float64(2.0), np.arange(3.0)], ids=repr
)


@pytest.fixture
def ni():
    return NotImplementedTangent("derivative in `v`", "bessel.py:12")


def test_info_and_location_are_kept(ni):
    assert ni.info == "derivative in `v`"
    assert ni.location == "bessel.py:12"
    assert isinstance(ni, AbstractTangent)


def test_location_defaults_to_unknown():
    assert NotImplementedTangent("why").location == "<unknown>"


@others
def test_not_implemented_wins_addition_in_both_orders(ni, other):
    assert (ni + other) is ni
    assert (other + ni) is ni


@others
def test_not_implemented_wins_subtraction_in_both_orders(ni, other):
    assert (ni - other) is ni
    assert (other - ni) is ni


def test_two_not_implemented_tangents_add_to_the_first(ni):
    other = NotImplementedTangent("other")
    assert (ni + other) is ni
    assert (other + ni) is other


@pytest.mark.parametrize("zero", [ZeroTangent(), NoTangent()], ids=repr)
def test_not_implemented_loses_multiplication_to_the_zeros_in_both_orders(ni, zero):
    assert (ni * zero) is zero
    assert (zero * ni) is zero
    assert (ni @ zero) is zero
    assert (zero @ ni) is zero


@numbers
def test_not_implemented_wins_multiplication_against_numbers_and_arrays(ni, other):
    assert (ni * other) is ni
    assert (other * ni) is ni
    assert (ni / other) is ni


def test_not_implemented_wins_matrix_multiplication_against_arrays(ni):
    a = np.ones((2, 2))
    assert (ni @ a) is ni
    assert (a @ ni) is ni


def test_not_implemented_wins_multiplication_against_a_structural_tangent(ni):
    t = Tangent[Point](x=1.0)
    assert (ni * t) is ni
    assert (t * ni) is ni


def test_negation_and_conjugate_keep_it(ni):
    assert -ni is ni
    assert ni.conjugate() is ni


def test_repr_shows_info_and_location(ni):
    assert repr(ni) == "NotImplementedTangent('derivative in `v`', 'bessel.py:12')"


@pytest.mark.parametrize(
    "duplicate",
    [copy.copy, copy.deepcopy, lambda t: pickle.loads(pickle.dumps(t))],
    ids=["copy", "deepcopy", "pickle"],
)
def test_copies_keep_info_and_location(ni, duplicate):
    duplicated = duplicate(ni)
    assert isinstance(duplicated, NotImplementedTangent)
    assert (duplicated.info, duplicated.location) == (ni.info, ni.location)


def test_not_implemented_records_the_callers_file_and_line():
    line = test_not_implemented_records_the_callers_file_and_line.__code__.co_firstlineno + 2
    t = not_implemented("derivative in `a` of gammainc")
    assert isinstance(t, NotImplementedTangent)
    assert t.info == "derivative in `a` of gammainc"
    assert t.location == f"{__file__}:{line}"


def test_not_implemented_records_the_pullback_that_returned_it():
    def gammainc_pullback(dy):
        return not_implemented("in a"), dy

    first_line = gammainc_pullback.__code__.co_firstlineno
    da, _ = gammainc_pullback(1.0)
    assert da.location == f"{__file__}:{first_line + 1}"
