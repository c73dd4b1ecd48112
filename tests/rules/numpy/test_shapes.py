"""Tests of rules.numpy.shapes: every rule through the harness, on shapes, axes and dtypes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import rules  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import PrimalAndTangent, constant, test_frule, test_rrule

DTYPES = [np.float64, np.float32, np.complex128]


@dataclass(frozen=True)
class A:
    """A random array of this shape (in the test's dtype) in an argument table."""

    shape: tuple[int, ...]

    def __init__(self, *shape: int) -> None:
        object.__setattr__(self, "shape", shape)


def make(arg: Any, rng: np.random.Generator, dtype: Any) -> Any:
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
        return "x" + "x".join(map(str, a.shape)) if a.shape else "x0d"
    if isinstance(a, PrimalAndTangent):
        return repr(a.primal)
    if isinstance(a, (list, tuple)):
        return "[" + ",".join(_show(x) for x in a) + "]"
    return repr(a)


class Getter:
    """A property getter (`np.ndarray.T.__get__`) that the harness can deep-copy: it snapshots
    `f` with the arguments, and method-wrappers cannot be copied. It hashes and compares equal
    to the getter, so the rule registries find the getter's rules."""

    def __init__(self, getter: Any) -> None:
        self.getter = getter
        self.__qualname__ = f"ndarray.{getter.__self__.__name__}.__get__"

    def __call__(self, x: Any) -> Any:
        return self.getter(x)

    def __eq__(self, other: object) -> bool:
        return other == self.getter

    def __hash__(self) -> int:
        return hash(self.getter)

    def __deepcopy__(self, memo: Any) -> Getter:
        return self


C = constant
T_GET, MT_GET = Getter(np.ndarray.T.__get__), Getter(np.ndarray.mT.__get__)

RESHAPING = [
    case(np.reshape, A(), C((1, 1))),
    case(np.reshape, A(6), C((2, 3))),
    case(np.reshape, A(2, 3), C((3, 2)), order="F"),
    case(np.reshape, A(2, 3, 4), shape=(4, -1)),
    case(np.reshape, A(2, 3, 4), C((6, 4)), C("F")),
    case(np.reshape, A(2, 3), shape=(3, 2), order="A"),
    case(np.ravel, A()),
    case(np.ravel, A(3)),
    case(np.ravel, A(2, 3), order="F"),
    case(np.ravel, A(2, 3, 4)),
    case(np.ravel, A(2, 3, 4), C("K")),
    case(np.ndarray.ravel, A(2, 3), C("F")),
    case(np.ndarray.flatten, A(2, 3, 4)),
    case(np.ndarray.flatten, A(2, 3), order="F"),
    case(np.ndarray.reshape, A(2, 3), C(3), C(2)),
    case(np.ndarray.reshape, A(2, 3, 2), C((3, 4)), order="F"),
    case(np.ndarray.reshape, A(), C(())),
    case(np.squeeze, A()),
    case(np.squeeze, A(1, 3, 1)),
    case(np.squeeze, A(1, 3, 1), axis=0),
    case(np.squeeze, A(1, 3, 1), C(-1)),
    case(np.squeeze, A(1, 3, 1), axis=(0, 2)),
    case(np.ndarray.squeeze, A(2, 1, 3)),
    case(np.ndarray.squeeze, A(2, 1, 1), axis=-2),
    case(np.expand_dims, A(), axis=0),
    case(np.expand_dims, A(3), C(-1)),
    case(np.expand_dims, A(2, 3), axis=(0, 2)),
    case(np.expand_dims, A(2, 3, 4), axis=1),
    case(np.atleast_1d, A()),
    case(np.atleast_1d, A(2, 3)),
    case(np.atleast_1d, A(), A(3), A(2, 2)),
    case(np.atleast_2d, A()),
    case(np.atleast_2d, A(3)),
    case(np.atleast_2d, A(3), A(2, 3, 4)),
    case(np.atleast_3d, A()),
    case(np.atleast_3d, A(3)),
    case(np.atleast_3d, A(2, 3)),
    case(np.atleast_3d, A(3), A(2, 3), A(2, 3, 4)),
    case(np.resize, A(), C((2, 2))),
    case(np.resize, A(3), C(7)),
    case(np.resize, A(2, 3), new_shape=(2, 2)),
    case(np.resize, A(2, 3), C((4, 5))),
]

TRANSPOSING = [
    case(np.transpose, A()),
    case(np.transpose, A(3)),
    case(np.transpose, A(2, 3)),
    case(np.transpose, A(2, 3, 4)),
    case(np.transpose, A(2, 3, 4), C((1, 0, 2))),
    case(np.transpose, A(2, 3, 4), axes=(-1, 0, 1)),
    case(np.permute_dims, A(2, 3, 4), axes=(2, 0, 1)),
    case(np.ndarray.transpose, A(2, 3)),
    case(np.ndarray.transpose, A(2, 3, 4), C(2), C(0), C(1)),
    case(np.ndarray.transpose, A(2, 3, 4), C((1, -1, 0))),
    case(np.ndarray.transpose, A(2, 3, 4), C(None)),
    case(np.swapaxes, A(3), C(0), C(-1)),
    case(np.swapaxes, A(2, 3, 4), C(0), C(2)),
    case(np.swapaxes, A(2, 3, 4), axis1=-1, axis2=1),
    case(np.ndarray.swapaxes, A(2, 3), C(0), C(1)),
    case(np.moveaxis, A(2, 3, 4), C(0), C(-1)),
    case(np.moveaxis, A(2, 3, 4), source=(0, 1), destination=(2, 0)),
    case(np.moveaxis, A(3), C(0), C(0)),
    case(np.rollaxis, A(2, 3, 4), C(2)),
    case(np.rollaxis, A(2, 3, 4), C(0), C(3)),
    case(np.rollaxis, A(2, 3, 4), axis=-1, start=1),
    case(np.rollaxis, A(2, 3, 4), axis=1, start=-1),
    case(np.matrix_transpose, A(2, 3)),
    case(np.matrix_transpose, A(2, 3, 4)),
    case(T_GET, A()),
    case(T_GET, A(2, 3)),
    case(T_GET, A(2, 3, 4)),
    case(MT_GET, A(2, 3)),
    case(MT_GET, A(4, 2, 3)),
    case(np.flip, A()),
    case(np.flip, A(3)),
    case(np.flip, A(2, 3, 4)),
    case(np.flip, A(2, 3, 4), C(1)),
    case(np.flip, A(2, 3, 4), axis=-1),
    case(np.flip, A(2, 3, 4), axis=(0, 2)),
    case(np.fliplr, A(2, 3)),
    case(np.fliplr, A(2, 3, 4)),
    case(np.flipud, A(3)),
    case(np.flipud, A(2, 3, 4)),
    case(np.rot90, A(2, 3)),
    case(np.rot90, A(2, 3), C(2)),
    case(np.rot90, A(2, 3, 4), k=-1, axes=(1, 2)),
    case(np.rot90, A(2, 3, 4), C(3), C((2, 0))),
    case(np.roll, A(5), C(2)),
    case(np.roll, A(2, 3), C(-4)),
    case(np.roll, A(2, 3), C(1), C(1)),
    case(np.roll, A(2, 3, 4), shift=(1, -2), axis=(0, -1)),
    case(np.roll, A(2, 3, 4), shift=2, axis=(0, 2)),
]

JOINING = [
    case(np.concatenate, [A(2, 3), A(1, 3)]),
    case(np.concatenate, (A(2, 3), A(2, 1), A(2, 2)), C(1)),
    case(np.concatenate, [A(2, 3, 1), A(2, 3, 2)], axis=-1),
    case(np.concatenate, [A(2, 3), A(4), A()], axis=None),
    case(np.concatenate, [A(3)]),
    case(np.stack, [A(), A()]),
    case(np.stack, [A(3), A(3), A(3)], C(1)),
    case(np.stack, (A(2, 3), A(2, 3)), axis=-1),
    case(np.stack, [A(2, 3, 4), A(2, 3, 4)], axis=2),
    case(np.hstack, [A(), A()]),
    case(np.hstack, [A(2), A(3)]),
    case(np.hstack, (A(2, 1), A(2, 3))),
    case(np.hstack, [A(2, 1, 3), A(2, 2, 3)]),
    case(np.vstack, [A(3), A(3)]),
    case(np.vstack, [A(3), A(2, 3)]),
    case(np.vstack, [A(1, 2, 3), A(2, 2, 3)]),
    case(np.dstack, [A(3), A(3)]),
    case(np.dstack, [A(2, 3), A(2, 3, 2)]),
    case(np.column_stack, [A(3), A(3, 2)]),
    case(np.column_stack, (A(3), A(3))),
    case(np.column_stack, [A(2, 3), A(2, 1)]),
    case(np.block, [A(3), A(2)]),
    case(np.block, [[A(2, 2), A(2, 1)], [A(1, 3)]]),
    case(np.block, [[A(), A()], [A(), A()]]),
    case(np.block, [[[A(1, 2, 2), A(1, 2, 1)]], [[A(2, 2, 3)]]]),
    case(np.append, A(3), A(2)),
    case(np.append, A(2, 3), A(4)),
    case(np.append, A(2, 3), A(1, 3), axis=0),
    case(np.append, A(2, 3), A(2, 2), C(-1)),
    case(np.append, A(), A()),
    case(np.meshgrid, A(3)),
    case(np.meshgrid, A(3), A(2)),
    case(np.meshgrid, A(3), A(2), A(2, 2), indexing="ij"),
    case(np.meshgrid, A(3), A(), A(2), sparse=True),
    case(np.meshgrid, A(2, 2), A(3), sparse=True, indexing="ij", copy=False),
]

SPLITTING = [
    case(np.split, A(6), C(3)),
    case(np.split, A(6), C([1, 4])),
    case(np.split, A(2, 4), C(2), C(1)),
    case(np.split, A(2, 3, 4), indices_or_sections=[1, 1, 3], axis=-1),
    case(np.array_split, A(5), C(3)),
    case(np.array_split, A(2, 5), C(3), axis=1),
    case(np.array_split, A(4, 2, 3), C([2]), axis=0),
    case(np.hsplit, A(4), C(2)),
    case(np.hsplit, A(2, 4), C([1])),
    case(np.hsplit, A(2, 4, 3), C(2)),
    case(np.vsplit, A(4, 2), C(2)),
    case(np.vsplit, A(3, 2, 2), C([1, 2])),
    case(np.dsplit, A(2, 2, 4), C(2)),
    case(np.unstack, A(3)),
    case(np.unstack, A(2, 3)),
    case(np.unstack, A(2, 3, 4), axis=-1),
]

REPEATING = [
    case(np.tile, A(), C(3)),
    case(np.tile, A(3), C(2)),
    case(np.tile, A(3), C((2, 1, 2))),
    case(np.tile, A(2, 3), C(2)),
    case(np.tile, A(2, 3, 2), reps=(2, 1)),
    case(np.repeat, A(), C(3)),
    case(np.repeat, A(3), C(2)),
    case(np.repeat, A(2, 3), C(2)),
    case(np.repeat, A(2, 3), C(3), axis=1),
    case(np.repeat, A(2, 3, 2), repeats=2, axis=-1),
    case(np.repeat, A(4), np.array([1, 0, 3, 2])),
    case(np.repeat, A(2, 3), np.array([2, 0, 1]), C(1)),
    case(np.repeat, A(2, 3), np.array([1, 2, 1, 0, 0, 3])),
    case(np.repeat, A(2, 3, 2), np.array([2]), axis=0),
    case(np.ndarray.repeat, A(2, 3), C(2)),
    case(np.ndarray.repeat, A(2, 3), np.array([3, 1]), axis=0),
    case(np.broadcast_to, A(), C((2, 3))),
    case(np.broadcast_to, A(3), C((2, 3))),
    case(np.broadcast_to, A(2, 1), shape=(4, 2, 3)),
    case(np.broadcast_to, A(2, 1, 3), C((2, 4, 3))),
    case(np.broadcast_arrays, A(3)),
    case(np.broadcast_arrays, A(3), A(2, 1), A()),
    case(np.broadcast_arrays, A(2, 1, 3), A(4, 1), A(2, 4, 3)),
]

DIAGONALS = [
    case(np.diag, A(3)),
    case(np.diag, A(3), C(1)),
    case(np.diag, A(2), k=-2),
    case(np.diag, A(3, 3)),
    case(np.diag, A(3, 4), C(1)),
    case(np.diag, A(4, 2), k=-1),
    case(np.diag, A(2, 5), k=2),
    case(np.diagflat, A(3)),
    case(np.diagflat, A(2, 2), C(-1)),
    case(np.diagflat, A(2, 3), k=2),
    case(np.diagonal, A(3, 3)),
    case(np.diagonal, A(3, 4), C(1)),
    case(np.diagonal, A(4, 3), offset=-2),
    case(np.diagonal, A(2, 3, 4), C(0), C(1), C(2)),
    case(np.diagonal, A(2, 3, 4), offset=1, axis1=-1, axis2=0),
    case(np.diagonal, A(3, 2, 4), C(-1), C(2), C(0)),
    case(np.ndarray.diagonal, A(3, 4), C(-1)),
    case(np.ndarray.diagonal, A(2, 3, 3), axis1=1, axis2=2),
    case(np.tril, A(3)),
    case(np.tril, A(3, 3)),
    case(np.tril, A(3, 4), C(1)),
    case(np.tril, A(2, 3, 4), k=-1),
    case(np.triu, A(4)),
    case(np.triu, A(4, 3)),
    case(np.triu, A(3, 4), C(-1)),
    case(np.triu, A(2, 3, 4), k=2),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("f", "args", "kwargs"), RESHAPING + TRANSPOSING)
def test_reshaping_and_transposing(f: Any, args: Any, kwargs: Any, dtype: Any, rng: Any) -> None:
    check(f, args, kwargs, rng, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("f", "args", "kwargs"), JOINING + SPLITTING)
def test_joining_and_splitting(f: Any, args: Any, kwargs: Any, dtype: Any, rng: Any) -> None:
    check(f, args, kwargs, rng, dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("f", "args", "kwargs"), REPEATING + DIAGONALS)
def test_repeating_and_diagonals(f: Any, args: Any, kwargs: Any, dtype: Any, rng: Any) -> None:
    check(f, args, kwargs, rng, dtype)


# Array-likes: lists of numbers get lists of float cotangents, and sequences of arrays of
# mixed dtypes get cotangents of their own dtypes.
@pytest.mark.parametrize(
    ("f", "args", "kwargs"),
    [
        case(np.reshape, [1.0, 2, 3.5, -1.0], C((2, 2))),
        case(np.transpose, [[1.0, 2.0], (3.0, 4)]),
        case(np.concatenate, [[1.0, 2.0], [3.0], (4, 5.0)]),
        case(np.stack, [np.ones(2, np.float32), np.arange(2.0), [1.0, 2]]),
        case(np.block, [[1.0, np.ones(2)], [np.ones(2, np.float32), 2.5]]),
        case(np.array_split, [1.0, 2.0, 3.0, 4.0], C(3)),
        case(np.broadcast_arrays, 1.5, [1.0, 2.0]),
        case(np.atleast_2d, 2.0, np.float32(1.0)),
        case(np.diag, [1.0, 2.0], k=1),
    ],
)
def test_array_likes(f: Any, args: Any, kwargs: Any, rng: Any) -> None:
    check(f, args, kwargs, rng, np.float64)


def test_integer_arrays_have_no_tangent(rng: Any) -> None:
    test_rrule(np.reshape, np.arange(6), constant((2, 3)), rng=rng)
    test_frule(np.reshape, np.arange(6), constant((2, 3)), rng=rng)
    test_rrule(np.concatenate, [np.arange(2), rng.standard_normal(3)], rng=rng)
    test_frule(np.concatenate, [np.arange(2), rng.standard_normal(3)], rng=rng)
    _, back = rrule(np.concatenate, [np.arange(2), np.ones(3)])
    assert isinstance(back(np.ones(5))[1][0], NoTangent)


# ravel and reshape read the input in memory order for order="K" and "A": finite differences
# of the harness perturb C-ordered copies, so these cases check the adjoint identity directly,
# along tangents laid out like the input.
def _views(rng: np.random.Generator) -> list[np.ndarray]:
    base = rng.standard_normal((4, 6, 5))
    return [
        base[:, ::2, 1:].transpose(2, 0, 1),
        base[::-1, :3].transpose(1, 2, 0),
        np.asfortranarray(base),
        base.T[::2],
        np.broadcast_to(base[:1, :2, :1], (3, 2, 4)),
    ]


@pytest.mark.parametrize(
    ("f", "order"),
    [(np.ravel, "K"), (np.ravel, "A"), (np.ndarray.flatten, "K"), (np.ndarray.ravel, "A")],
)
def test_ravel_in_memory_order(f: Any, order: str, rng: Any) -> None:
    for x, dx in zip(_views(rng), _views(rng), strict=True):
        y, back = rrule(f, x, order=order)
        assert np.array_equal(y, f(x, order=order))
        _, dy_forward = frule((NoTangent(), dx), f, x, order=order)
        assert np.array_equal(dy_forward, f(dx, order=order))
        dy = rng.standard_normal(y.shape)
        _, dx_back = back(dy)
        np.testing.assert_allclose(np.sum(dy * f(dx, order=order)), np.sum(dx_back * dx))


def test_reshape_order_a_on_fortran_arrays(rng: Any) -> None:
    x, dx = (np.asfortranarray(rng.standard_normal((2, 3, 4))) for _ in range(2))
    for f, args in [(np.reshape, ((4, 6),)), (np.ndarray.reshape, (4, 6))]:
        y, back = rrule(f, x, *args, order="A")
        _, dy_forward = frule(
            (NoTangent(), dx) + (NoTangent(),) * len(args), f, x, *args, order="A"
        )
        assert np.array_equal(dy_forward, f(dx, *args, order="A"))
        dy = rng.standard_normal(y.shape)
        np.testing.assert_allclose(np.sum(dy * f(dx, *args, order="A")), np.sum(back(dy)[1] * dx))


def test_zero_seeds_for_list_outputs(rng: Any) -> None:
    x = rng.standard_normal((2, 4))
    _, back = rrule(np.split, x, 2, axis=1)
    _, dx, _ = back([ZeroTangent(), np.ones((2, 2))])
    np.testing.assert_array_equal(dx, [[0, 0, 1, 1], [0, 0, 1, 1]])
    _, dys = frule((NoTangent(), ZeroTangent(), NoTangent()), np.split, x, 2)
    assert isinstance(dys, ZeroTangent)


def test_out_receives_the_primal_only(rng: Any) -> None:
    a, b, out = rng.standard_normal(2), rng.standard_normal(3), np.zeros(5)
    da, db = np.ones(2), np.ones(3)
    y, dy = frule((NoTangent(), [da, db]), np.concatenate, [a, b], out=out)
    assert y is out and np.array_equal(out, np.concatenate([a, b]))
    np.testing.assert_array_equal(dy, np.ones(5))


@pytest.mark.filterwarnings("ignore:`row_stack` alias is deprecated:DeprecationWarning")
def test_row_stack(rng: Any) -> None:
    check(np.row_stack, ([A(3), A(2, 3)],), {}, rng, np.float64)


@pytest.mark.parametrize(
    ("f", "args"),
    [
        # `non_differentiable` gives NoTangent() for every argument, floats too: constant(...)
        # keeps the harness from asking for ZeroTangent() (int outputs count as reals there).
        (np.shape, (C(np.ones((2, 3))),)),
        (np.ndim, (C(np.ones(3)),)),
        (np.size, (C(np.ones((2, 3))), C(1))),
        (np.broadcast_shapes, (C((2, 1)), C((3,)))),
        (np.isfortran, (np.ones((2, 3)),)),
    ],
)
def test_shape_queries_are_non_differentiable(f: Any, args: Any, rng: Any) -> None:
    check(f, args, {}, rng, np.float64)
    assert rrule.rules_for(f)[0].kind == "non_differentiable"


def test_property_getters_are_found_on_every_access() -> None:
    assert rrule.has_rule(np.ndarray.T.__get__) and frule.has_rule(np.ndarray.mT.__get__)
    y, back = rrule(np.ndarray.T.__get__, np.ones((2, 3)))
    assert y.shape == (3, 2) and back(np.ones((3, 2)))[1].shape == (2, 3)
