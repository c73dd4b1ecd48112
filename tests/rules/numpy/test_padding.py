"""Tests of rules.numpy.padding: `pad` in every mode through the harness, on shapes and dtypes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import rules.numpy.padding  # noqa: F401  (registers the rules)
from rulescore import NoTangent, frule, rrule
from rulescore.testing import PrimalAndTangent, constant, test_frule, test_rrule

DTYPES = [np.float64, np.float32, np.complex128]


@dataclass(frozen=True)
class A:
    """A random array of this shape (in the test's dtype) in an argument table."""

    shape: tuple[int, ...]

    def __init__(self, *shape: int) -> None:
        object.__setattr__(self, "shape", shape)


class S(A):
    """A random array whose real parts are at least 1 apart, for the statistic modes: they pick
    entries by their order, which the finite differences' steps must not change (in float32
    the steps are long enough to swap close standard normal entries). Random gaps, not equal
    ones, make ties unlikely between the averages that `median` pads with, which the later
    axes read."""


def make(arg: Any, rng: np.random.Generator, dtype: Any) -> Any:
    if isinstance(arg, S):
        size = int(np.prod(arg.shape))
        spread = np.cumsum(1.0 + rng.exponential(2.0, size))
        x = np.reshape(rng.permutation(spread - np.mean(spread)), arg.shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal(arg.shape)
        return np.asarray(x, dtype=dtype)
    if isinstance(arg, A):
        x = rng.standard_normal(arg.shape)
        if np.dtype(dtype).kind == "c":
            x = x + 1j * rng.standard_normal(arg.shape)
        return np.asarray(x, dtype=dtype)
    if isinstance(arg, (list, tuple)) and not isinstance(arg, PrimalAndTangent):
        return type(arg)(make(a, rng, dtype) for a in arg)
    return arg


def check(f: Any, args: tuple[Any, ...], kwargs: dict[str, Any], rng: Any, dtype: Any) -> None:
    test_rrule(f, *make(args, rng, dtype), fkwargs=kwargs, rng=rng)
    test_frule(f, *make(args, rng, dtype), fkwargs=kwargs, rng=rng)


def case(f: Any, *args: Any, **kwargs: Any) -> Any:
    shown = ", ".join([*(_show(a) for a in args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    return pytest.param(f, args, kwargs, id=f"{getattr(f, '__qualname__', f)}({shown})")


def _show(a: Any) -> str:
    if isinstance(a, A):
        prefix = "s" if isinstance(a, S) else "x"
        return prefix + "x".join(map(str, a.shape)) if a.shape else prefix + "0d"
    if isinstance(a, PrimalAndTangent):
        return repr(a.primal)
    if isinstance(a, (list, tuple)):
        return "[" + ",".join(_show(x) for x in a) + "]"
    return repr(a)


C = constant

PADDING = [
    case(np.pad, A(), C(1)),
    case(np.pad, A(3), C((1, 2))),
    case(np.pad, A(2, 3), C(((1, 0), (2, 1))), constant_values=1.5),
    case(np.pad, A(2, 3, 4), C(1), C("constant")),
    case(np.pad, A(2, 3), pad_width={1: (1, 2)}),
    case(np.pad, A(3), C(2), C("edge")),
    case(np.pad, A(2, 3, 4), C(((1, 0), (0, 2), (1, 1))), C("edge")),
    case(np.pad, A(12), C((1, 2)), mode="edge"),
    case(np.pad, A(4), C(5), C("wrap")),
    case(np.pad, A(2, 3), C(((1, 3), (2, 1))), C("wrap")),
    case(np.pad, A(12, 2), C(((2, 1), (0, 0))), C("wrap")),
    case(np.pad, A(1, 3), C(2), C("reflect")),
    case(np.pad, A(3), C((4, 5)), C("reflect")),
    case(np.pad, A(2, 3, 4), C(1), C("reflect")),
    case(np.pad, A(3, 4), C(((2, 1), (3, 1))), C("reflect"), reflect_type="odd"),
    case(np.pad, A(13), C((2, 1)), mode="reflect", reflect_type="odd"),
    case(np.pad, A(12, 2), C(((2, 2), (1, 0))), C("reflect")),
    case(np.pad, A(3), C((4, 2)), C("symmetric")),
    case(np.pad, A(2, 13), C(((0, 0), (1, 3))), C("symmetric")),
    case(np.pad, A(2, 3, 4), C(((0, 1), (2, 0), (1, 3))), C("symmetric")),
    case(np.pad, A(2, 5), C(2), C("symmetric"), reflect_type="odd"),
    case(np.pad, A(3), C(2), C("linear_ramp")),
    case(np.pad, A(2, 3), C(((1, 2), (2, 1))), C("linear_ramp"), end_values=(1.0, -2.0)),
    case(np.pad, A(12, 2, 2), C(2), mode="linear_ramp"),
    case(np.pad, S(4), C((2, 1)), C("maximum")),
    case(np.pad, S(2, 3, 4), C(1), C("maximum"), stat_length=2),
    case(np.pad, S(3, 4), C(((1, 2), (0, 1))), C("minimum"), stat_length=((1, 2), (3, 9))),
    case(np.pad, S(5), C(3), C("minimum")),
    case(np.pad, A(2, 3, 4), C(((1, 0), (2, 1), (0, 1))), C("mean")),
    case(np.pad, A(3, 5), C(2), C("mean"), stat_length=(2, 3)),
    case(np.pad, S(5), C((1, 2)), C("median")),
    case(np.pad, S(4, 3), C(1), C("median"), stat_length=((2, 4), (1, 2))),
    case(np.pad, S(2, 4, 3), C(((1, 1), (0, 2), (1, 0))), C("median")),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("f", "args", "kwargs"), PADDING)
def test_pad(f: Any, args: Any, kwargs: Any, dtype: Any, rng: Any) -> None:
    check(f, args, kwargs, rng, dtype)


def test_pad_reads_only_near_the_edges_of_long_axes(rng: Any) -> None:
    # On long axes the adjoint pads a shortened identity: compare it with the full one.
    x, dx = rng.standard_normal((3, 40)), rng.standard_normal((3, 40))
    for mode, kwargs in [("wrap", {}), ("reflect", {"reflect_type": "odd"}), ("linear_ramp", {})]:
        y, back = rrule(np.pad, x, ((1, 2), (3, 5)), mode, **kwargs)
        dy = rng.standard_normal(y.shape)
        inner = np.sum(dy * np.pad(dx, ((1, 2), (3, 5)), mode, **kwargs))
        np.testing.assert_allclose(np.sum(back(dy)[1] * dx), inner)


# Array-likes: a list of numbers gets a list of float cotangents.
def test_array_likes(rng: Any) -> None:
    check(np.pad, ([1.0, 2.0, 3.0], C(1), C("reflect")), {}, rng, np.float64)


def test_pad_empty_mode_treats_the_padding_as_constant(rng: Any) -> None:
    x, dx = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    y, back = rrule(np.pad, x, ((1, 0), (2, 1)), "empty")
    assert y.shape == (3, 6)
    dy = rng.standard_normal(y.shape)
    np.testing.assert_array_equal(back(dy)[1], dy[1:, 2:5])
    _, dy_forward = frule((NoTangent(), dx, NoTangent(), NoTangent()), np.pad, x, 1, "empty")
    np.testing.assert_array_equal(dy_forward, np.pad(dx, 1))


def test_pad_with_a_callable_mode_has_no_rule() -> None:
    def mode(vector: Any, width: Any, axis: Any, kwargs: Any) -> None:
        vector[: width[0]] = 0

    assert rrule(np.pad, np.ones(3), 1, mode) is None
    assert frule((NoTangent(),) * 4, np.pad, np.ones(3), 1, mode) is None
