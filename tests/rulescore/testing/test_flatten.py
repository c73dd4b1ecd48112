"""Tests of rulescore.testing._flatten: layouts, round trips, tangents and their errors."""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import Any, NamedTuple

import numpy as np
import pytest

from rulescore import NoTangent, Tangent, Thunk, ZeroTangent, not_implemented
from rulescore.testing._flatten import flatten, flatten_tangent, unflatten_tangent, working_eps


class Pair(NamedTuple):
    a: float
    b: Any


@dataclasses.dataclass(frozen=True)
class Frozen:
    w: np.ndarray
    label: str = "w"


@dataclasses.dataclass
class Derived:
    x: float
    twice: float = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.twice = 2 * self.x


class Plain:
    def __init__(self, scale: float, name: str) -> None:
        self.scale = scale
        self.name = name


def _plain(scale: float, name: str) -> Plain:
    return Plain(scale, name)


CONSTANTS = [
    True,
    np.bool_(False),
    "s",
    b"b",
    None,
    np.int64(3),
    np.arange(3),
    np.array([True, False]),
    np.array([object()]),
    math.sin,
    np.sin,
    int,
    math,
    range(3),
    _plain,
    NoTangent(),
]

# (value, its flattened vector)
LAYOUTS = [
    (1.5, [1.5]),
    (3, [3.0]),
    (1 + 2j, [1.0, 2.0]),
    (np.float32(0.5), [0.5]),
    (np.float16(0.25), [0.25]),
    (np.complex64(1 - 1j), [1.0, -1.0]),
    (np.array(2.0), [2.0]),
    (np.arange(6.0).reshape(2, 3), [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]),
    (np.array([[1.0, 2.0], [3.0, 4.0]], np.float32).T, [1.0, 3.0, 2.0, 4.0]),
    (np.array([0.5, 1.5], np.float16), [0.5, 1.5]),
    (np.array([1 + 2j, 3 - 4j], np.complex64), [1.0, 2.0, 3.0, -4.0]),
    (np.zeros((0, 2)), []),
    (Pair(1.0, np.array([2.0, 3.0])), [1.0, 2.0, 3.0]),
    (Frozen(np.array([1.0, 2.0], np.float32)), [1.0, 2.0]),
    (Derived(1.5), [1.5, 3.0]),
    (_plain(2.0, "p"), [2.0]),
    ({"b": 1.0, "a": [2.0, (3.0, "x")], "c": {"d": 4j}}, [1.0, 2.0, 3.0, 0.0, 4.0]),
    ([1.0, True, 2.5, None], [1.0, 2.5]),
    ((), []),
    *((constant, []) for constant in CONSTANTS),
]


def assert_identical(got: Any, want: Any) -> None:
    """Same types, dtypes, shapes and values, all the way down."""
    assert type(got) is type(want), (got, want)
    if isinstance(want, np.ndarray):
        assert got.dtype == want.dtype and got.shape == want.shape
        if want.dtype.kind in "fc":
            np.testing.assert_array_equal(got, want)
    elif isinstance(want, (tuple, list)):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            assert_identical(g, w)
    elif isinstance(want, dict):
        assert list(got) == list(want)
        for key in want:
            assert_identical(got[key], want[key])
    elif isinstance(want, Tangent):
        assert type(got) is type(want) and got == want, (got, want)
    elif hasattr(want, "__dict__") and not callable(want) and not isinstance(want, type):
        assert_identical(vars(got), vars(want))
    elif isinstance(want, (float, complex, np.generic)):
        assert got == want or (got != got and want != want)
    else:
        assert got is want


@pytest.mark.parametrize(("x", "vector"), LAYOUTS, ids=repr)
def test_flatten_layout(x: Any, vector: list[float]) -> None:
    v, _ = flatten(x)
    assert v.dtype == np.float64 and v.shape == (len(vector),)
    np.testing.assert_array_equal(v, vector)


@pytest.mark.parametrize(("x", "vector"), LAYOUTS, ids=repr)
def test_unflatten_round_trip(x: Any, vector: list[float]) -> None:
    before = copy.deepcopy(x) if not isinstance(x, (np.ndarray, type(math))) else x
    v, unflatten = flatten(x)
    want = float(x) if isinstance(x, int) and not isinstance(x, bool) else x
    assert_identical(unflatten(v), want)
    assert_identical(x, before)


@pytest.mark.parametrize("x", CONSTANTS, ids=repr)
def test_constants_are_returned_unchanged(x: Any) -> None:
    _, unflatten = flatten([1.0, x])
    rebuilt = unflatten(np.array([2.0]))
    assert rebuilt[0] == 2.0 and rebuilt[1] is x


def test_unflatten_puts_new_numbers_in_place_and_keeps_types() -> None:
    x = {"p": Pair(1.0, np.ones(2, np.float32)), "z": np.complex64(1j), "n": 4, "s": "s"}
    v, unflatten = flatten(x)
    moved = unflatten(v + np.arange(v.size))
    assert_identical(
        moved,
        {
            "p": Pair(1.0, np.array([2.0, 3.0], np.float32)),
            "z": np.complex64(3 + 5j),
            "n": 9.0,
            "s": "s",
        },
    )
    assert_identical(x["p"], Pair(1.0, np.ones(2, np.float32)))
    with pytest.raises(ValueError, match=r"\(6,\)"):
        unflatten(np.zeros(5))


def test_unflatten_of_dataclasses() -> None:
    _, unflatten = flatten(Frozen(np.zeros(2, np.float32), "name"))
    rebuilt = unflatten(np.array([1.0, 2.0]))
    assert rebuilt.label == "name" and rebuilt.w.dtype == np.float32
    # A field that is not an init field is set, not recomputed by `__post_init__`.
    rebuilt = flatten(Derived(1.0))[1](np.array([5.0, 7.0]))
    assert (rebuilt.x, rebuilt.twice) == (5.0, 7.0)


x_mixed = (1.0, np.array([2.0, 3.0], np.float32), 1j, "tag", Pair(4.0, 5), {"k": 6.0, "j": 7.0})
v_mixed = [1.0, 2.0, 3.0, 0.0, 1.0, 4.0, 5.0, 6.0, 7.0]


@pytest.mark.parametrize(
    "dx",
    [
        (1.0, np.array([2.0, 3.0]), 1j, None, Tangent[Pair](a=4.0, b=5.0), {"k": 6.0, "j": 7.0}),
        (
            Thunk(lambda: 1.0),
            Thunk(lambda: Thunk(lambda: np.array([2, 3]))),
            np.complex64(1j),
            "ignored",
            {"a": 4.0, "b": np.float32(5.0)},
            Thunk(lambda: {"k": 6.0, "j": 7.0}),
        ),
        [np.float64(1.0), [2.0, 3.0], 1j, 0, Tangent[Pair](4.0, 5.0), {"j": 7.0, "k": 6.0}],
    ],
)
def test_flatten_tangent_aligns_with_flatten(dx: Any) -> None:
    np.testing.assert_array_equal(flatten(x_mixed)[0], v_mixed)
    got = flatten_tangent(x_mixed, dx)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, v_mixed)


@pytest.mark.parametrize(
    ("dx", "zeroed"),
    [
        (ZeroTangent(), range(9)),
        (NoTangent(), range(9)),
        ((ZeroTangent(), NoTangent(), 1j, None, Tangent[Pair](b=5.0), {"j": 7.0}), [0, 1, 2, 5, 7]),
        ((1.0, np.array([2.0, 3.0]), 1j, None, ZeroTangent(), {}), [5, 6, 7, 8]),
    ],
)
def test_flatten_tangent_zeros(dx: Any, zeroed: Any) -> None:
    want = np.array(v_mixed)
    want[list(zeroed)] = 0.0
    np.testing.assert_array_equal(flatten_tangent(x_mixed, dx), want)


def test_flatten_tangent_of_objects() -> None:
    np.testing.assert_array_equal(
        flatten_tangent(_plain(1.0, "p"), Tangent[Plain](scale=2.0)), [2.0]
    )
    np.testing.assert_array_equal(
        flatten_tangent(Derived(1.0), Tangent[Derived](twice=3.0)), [0, 3]
    )
    np.testing.assert_array_equal(flatten_tangent(Frozen(np.ones(2)), {"w": np.ones(2)}), [1, 1])


@pytest.mark.parametrize(
    ("primal", "dx"),
    [
        (np.ones(3), np.ones((3, 1))),
        (np.ones((2, 3)), np.ones(3)),
        (np.ones(3), 1.0),
        (1.0, np.ones(1)),
        (np.float32(1.0), np.ones((1, 1))),
    ],
    ids=repr,
)
def test_flatten_tangent_refuses_other_shapes(primal: Any, dx: Any) -> None:
    shapes = f"{np.shape(dx)}.*{np.shape(primal)}".replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=shapes):
        flatten_tangent(primal, dx)


@pytest.mark.parametrize(
    ("primal", "dx", "message"),
    [
        (1.0, 1j, "complex"),
        (np.ones(2), np.ones(2, complex), "complex"),
        (np.float32(1.0), np.complex64(0), "complex"),
        ((1.0, 2.0), (1.0, 2j), "complex"),
        (1.0, not_implemented("no derivative in x"), "no derivative in x"),
        ((1.0, "s"), (ZeroTangent(), not_implemented("later")), "later"),
        (1.0, "1.0", "str"),
        (1.0, None, "None"),
        (np.ones(2), np.array([True, False]), "bool"),
        ((1.0, 2.0), (1.0,), "length 2"),
        ([1.0], 1.0, "list"),
        ({"a": 1.0}, {"b": 1.0}, "'b'"),
        (Pair(1.0, 2.0), (1.0, 2.0), "Tangent"),
        (Pair(1.0, 2.0), Tangent[Frozen](), "Tangent"),
        (_plain(1.0, "p"), Tangent[Plain](size=1.0), "'size'"),
    ],
    ids=repr,
)
def test_flatten_tangent_refuses_wrong_kinds(primal: Any, dx: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        flatten_tangent(primal, dx)


@pytest.mark.parametrize(
    ("primal", "tangent"),
    [
        (1.5, 1.0),
        (3, 1.0),
        (1j, 1 + 2j),
        (np.float32(1.0), np.float32(1.0)),
        (np.complex64(1.0), np.complex64(1 + 2j)),
        (np.ones((2, 1), np.float16), np.array([[1.0], [2.0]], np.float16)),
        (np.ones(2, np.complex64), np.array([1 + 2j, 3 + 4j], np.complex64)),
        ("s", NoTangent()),
        ((1.0, "s", [2.0]), (1.0, NoTangent(), [2.0])),
        ({"a": 1.0, "b": None}, {"a": 1.0, "b": NoTangent()}),
        (Pair(1.0, "s"), Tangent[Pair](a=1.0, b=NoTangent())),
        (Frozen(np.ones(1), "w"), Tangent[Frozen](w=np.ones(1), label=NoTangent())),
        (Derived(1.0), Tangent[Derived](x=1.0, twice=2.0)),
        (_plain(1.0, "p"), Tangent[Plain](scale=1.0, name=NoTangent())),
        (("s", None, Pair("a", np.arange(2))), NoTangent()),
    ],
    ids=repr,
)
def test_unflatten_tangent_structure(primal: Any, tangent: Any) -> None:
    v = flatten_tangent(primal, tangent)
    assert_identical(unflatten_tangent(primal, v), tangent)


def test_unflatten_tangent_checks_the_size() -> None:
    with pytest.raises(ValueError, match="entries"):
        unflatten_tangent((1.0, 2.0), np.zeros(3))
    with pytest.raises(ValueError, match="too short"):
        unflatten_tangent((1.0, 2.0), np.zeros(1))


@pytest.mark.parametrize(
    ("x", "dtype"),
    [
        (1.0, np.float64),
        ("s", np.float64),
        ((np.ones(1, np.float32), 1.0), np.float32),
        ({"a": np.float16(1), "b": np.ones(1, np.float32)}, np.float16),
        (Pair(np.complex64(1), np.arange(3)), np.float32),
        (np.arange(3), np.float64),
    ],
    ids=repr,
)
def test_working_eps(x: Any, dtype: Any) -> None:
    assert working_eps(x) == np.finfo(dtype).eps
