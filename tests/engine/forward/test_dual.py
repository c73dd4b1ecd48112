"""`Dual` and the functions that open and build values holding duals: a dual behaves like
its primal wherever no derivative is involved, refuses conversions that would drop its
tangent, and `split`/`join`/`extract` keep levels and structures apart."""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pytest

import engine
from engine._forward._dual import (
    Dual,
    extract,
    join,
    level_of,
    new_level,
    split,
    strip,
    strip_all,
)
from rulescore import MissingRuleError, Tangent, ZeroTangent, backing


class Pair(NamedTuple):
    a: float
    b: float


@dataclasses.dataclass
class Box:
    w: float
    label: str = "box"


class Plain:
    def __init__(self, w):
        self.w = w


def test_a_dual_compares_tests_and_prints_like_its_primal() -> None:
    x = Dual(3.0, 1.0, level=1)
    assert x == 3.0 and x != 2.0 and 2.0 < x <= 3.0 and x >= 3.0 and not x > 3.0
    assert bool(x) and not Dual(0.0, 1.0, level=1)
    assert f"{x:.2f}" == "3.00" and str(x) == "3.0" and repr(x) == "Dual(3.0, 1.0, level=1)"
    v = Dual(np.arange(3.0), np.ones(3), level=1)
    assert len(v) == 3
    np.testing.assert_array_equal(v > 0.5, [False, True, True])
    assert [0, 1, 2][Dual(2, 0.0, level=1)] == 2  # ints index


def test_conversions_that_drop_the_tangent_are_refused() -> None:
    x = Dual(3.0, 1.0, level=1)
    for convert in (float, int, complex, np.asarray):
        with pytest.raises(MissingRuleError, match="would drop the derivative"):
            convert(x)
    with pytest.raises(TypeError, match="cannot be hashed"):
        hash(x)


def test_levels_grow_and_are_found_inside_containers_and_closures() -> None:
    a, b = new_level(), new_level()
    assert b > a
    inner = Dual(1.0, 1.0, level=a)
    outer = Dual(inner, 2.0, level=b)
    assert level_of(outer) == b and level_of([{"k": (inner,)}]) == a and level_of(3.0) == 0

    def closure():
        return inner

    assert level_of(closure) == a and level_of(Pair(inner, 2.0)) == a


def test_strip_and_strip_all() -> None:
    x = Dual(Dual(2.0, 1.0, level=1), 3.0, level=2)
    assert strip(x) == 2.0 and type(strip(x)) is float
    assert strip_all([x, {"a": (x, 1)}]) == [2.0, {"a": (2.0, 1)}]
    same = [1.0, 2.0]
    assert strip_all(same) is same


def test_split_opens_one_level_and_keeps_structure() -> None:
    outer = Dual(5.0, 6.0, level=1)
    x = Dual(2.0, 3.0, level=2)
    primal, tangent = split([x, outer, "s"], 2)
    assert primal == [2.0, outer, "s"] and tangent[0] == 3.0
    assert isinstance(tangent[1], ZeroTangent)
    assert split({"a": x}, 2) == ({"a": 2.0}, {"a": 3.0})
    primal, tangent = split(Pair(x, 1.0), 2)
    assert primal == Pair(2.0, 1.0) and backing(tangent)["a"] == 3.0
    assert split(outer, 2) == (outer, ZeroTangent())
    assert split((1.0, 2.0), 2)[1] == ZeroTangent()


def test_join_builds_duals_inside_containers_and_dataclasses() -> None:
    assert join(2.0, ZeroTangent(), 1) == 2.0
    joined = join((1.0, [2.0]), (3.0, [4.0]), 1)
    assert type(joined) is tuple and joined[0].tangent == 3.0 and joined[1][0].tangent == 4.0
    joined = join(Pair(1.0, 2.0), Tangent[Pair](b=5.0), 1)
    assert type(joined) is Pair and joined.a == 1.0 and joined.b.tangent == 5.0
    box = join(Box(1.0), Tangent[Box](w=2.0), 1)
    assert type(box) is Box and box.w.tangent == 2.0 and box.label == "box"
    assert join({"a": 1.0, "b": 2.0}, {"a": 1.0}, 1)["b"] == 2.0


def test_extract_opens_objects_nested_in_containers() -> None:
    x = Dual(2.0, 3.0, level=7)
    primal, tangent = extract({"p": Plain(x), "b": [Box(x)]}, 7)
    assert type(primal["p"]) is Plain and primal["p"].w == 2.0 and type(primal["p"].w) is float
    assert backing(tangent["p"]) == {"w": 3.0}
    assert primal["b"][0].w == 2.0 and backing(tangent["b"][0]) == {"w": 3.0}
    plain = Plain(1.0)
    assert extract(plain, 7) == (plain, ZeroTangent())


def test_overloadable_functions_follow_their_rules_in_code_without_source():
    namespace: dict = {}
    exec(
        "def f(v):\n    return np.sum(v * stop_gradient(v))",
        {"np": np, "stop_gradient": engine.stop_gradient},
        namespace,
    )
    x = np.array([1.0, 2.0])
    _, dy = engine.jvp(namespace["f"], (x,), (np.ones(2),))
    assert dy == pytest.approx(np.sum(x))
