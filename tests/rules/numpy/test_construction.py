"""Tests of rules.numpy.construction: conversions, filled arrays, ranges and complex parts."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import rules  # noqa: F401  (registers the rules)
from rulescore import NoTangent, NotImplementedTangent, ZeroTangent, frule, rrule
from rulescore.testing import central_fdm, constant, test_frule, test_rrule, with_tangent

DTYPES = [np.float64, np.float32, np.complex128]
SHAPES = [(), (3,), (2, 3), (2, 3, 2)]
C = constant


def rand(rng: np.random.Generator, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def check(f: Any, *args: Any, rng: Any, **kwargs: Any) -> None:
    test_rrule(f, *args, fkwargs=kwargs, rng=rng)
    test_frule(f, *args, fkwargs=kwargs, rng=rng)


class Getter:
    """A property getter that the harness can deep-copy (it snapshots `f` too), equal to the
    getter for the rule registries."""

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


CONVERSIONS = [
    np.array,
    np.asarray,
    np.asanyarray,
    np.ascontiguousarray,
    np.asfortranarray,
    np.asarray_chkfinite,
    np.require,
    np.copy,
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("f", CONVERSIONS)
def test_conversions_of_arrays(f: Any, shape: Any, dtype: Any, rng: Any) -> None:
    check(f, rand(rng, shape, dtype), rng=rng)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        (([[1.0, 2], (3.5, -4.0)],), {}),
        (([1, 2.5, 3],), {"dtype": np.float32}),
        (([1.0, 2.0],), {"dtype": object}),  # an object array: derivatives not implemented
        (([np.ones(3), (1.0, 2.0, 3.0), [4, 5, 6.0]],), {}),
        (([np.float32(1.0), 2.0 + 1.0j],), {}),
        ((2.5,), {"ndmin": 2}),
        (([1.0, 2.0],), {"ndmin": 3, "order": "F"}),
        (([1, 2],), {}),  # an integer array: no tangent space
        (([1.5, 2.5], np.dtype(np.float32)), {}),
        (([1.5, 2.5],), {"dtype": complex}),
        (([1.5, 2.5],), {"dtype": int}),  # floats converted to integers: zero derivative
    ],
)
def test_array_of_nested_sequences(args: Any, kwargs: Any, rng: Any) -> None:
    check(np.array, *args, rng=rng, **kwargs)


@pytest.mark.parametrize("f", CONVERSIONS[1:])
def test_conversions_of_lists(f: Any, rng: Any) -> None:
    check(f, [[1.0, 2.0], [3, 4.5]], rng=rng)
    check(f, (1.0, 2.0 + 1.0j), rng=rng)


def test_conversion_options(rng: Any) -> None:
    check(np.asarray, rand(rng, (2, 3), np.float64), C(np.dtype(np.float32)), C("F"), rng=rng)
    check(np.require, rand(rng, (2, 3), np.complex128), rng=rng, requirements="F")
    check(np.ascontiguousarray, rand(rng, (3, 2), np.float32).T, rng=rng, dtype=np.complex64)


def test_array_cotangents_keep_the_structure() -> None:
    _, back = rrule(np.array, [[1, 2.0], (3.0, np.float32(4.0))], ndmin=3)
    _, dx = back(np.array([[[10.0, 20.0], [30.0, 40.0]]]))
    assert dx == [[10.0, 20.0], (30.0, np.float32(40.0))]
    assert type(dx[0][0]) is float and type(dx[1][1]) is np.float32


@pytest.mark.parametrize(
    ("from_dtype", "to_dtype"),
    [
        (np.float64, np.float32),
        (np.float32, np.float64),
        (np.float64, np.complex128),
        (np.float32, np.complex64),
        (np.complex128, np.complex64),
        (np.float64, np.int64),
        (np.float32, bool),
    ],
)
@pytest.mark.parametrize("shape", SHAPES)
def test_astype(shape: Any, from_dtype: Any, to_dtype: Any, rng: Any) -> None:
    x = rand(rng, shape, from_dtype)
    # Dtypes as `np.dtype` instances: the harness cannot take a scalar type (np.float32) as an
    # argument (it reads a `.dtype` attribute, which on the class is a descriptor).
    check(np.ndarray.astype, x, np.dtype(to_dtype), rng=rng)
    check(np.ndarray.astype, x, rng=rng, dtype=to_dtype, copy=False)
    check(np.astype, x, np.dtype(to_dtype), rng=rng)


@pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
def test_astype_complex_to_real_keeps_the_real_part(rng: Any) -> None:
    check(np.ndarray.astype, rand(rng, (2, 3), np.complex128), np.dtype(np.float64), rng=rng)
    _, back = rrule(np.ndarray.astype, np.array([1 + 2j]), np.float32)
    assert back(np.array([3.0], np.float32))[1].dtype == np.complex128


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_ndarray_copy(shape: Any, dtype: Any, rng: Any) -> None:
    check(np.ndarray.copy, rand(rng, shape, dtype), rng=rng)
    check(np.ndarray.copy, rand(rng, shape, dtype), C("F"), rng=rng)
    check(np.copy, rand(rng, shape, dtype), rng=rng, order="F")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("shape", "fill_shape"), [((), ()), ((3,), ()), ((2, 3), (3,)), ((2, 3, 4), (3, 1))]
)
def test_full(shape: Any, fill_shape: Any, dtype: Any, rng: Any) -> None:
    fill = rand(rng, fill_shape, dtype)
    check(np.full, C(shape), fill, rng=rng)
    check(np.full, C(shape), fill[()] if fill_shape == () else fill, rng=rng)
    check(np.full_like, rand(rng, shape, dtype), fill, rng=rng)
    check(np.full_like, rand(rng, shape, np.float64), fill, rng=rng, dtype=dtype)


def test_full_with_python_numbers(rng: Any) -> None:
    check(np.full, C((2, 2)), 1.5, rng=rng)
    check(np.full, C(3), 1.5 - 2j, rng=rng, dtype=np.complex64)
    check(np.full, C((2,)), 3, rng=rng)  # an integer array: no tangent space
    check(np.full, C((2,)), 3, C(float), rng=rng)  # a Python int is differentiated as a real
    check(np.full_like, np.arange(3), 2.5, rng=rng)  # integers again
    check(np.full_like, np.ones(3), 2, rng=rng)


@pytest.mark.parametrize("dtype", [*DTYPES, np.int64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("f", [np.zeros_like, np.ones_like])
def test_values_do_not_matter(f: Any, shape: Any, dtype: Any, rng: Any) -> None:
    x = rand(rng, shape, dtype) if dtype is not np.int64 else np.ones(shape, dtype)
    check(f, x, rng=rng)
    check(f, x, C(np.dtype(np.float32)), rng=rng)


def test_empty_like_has_a_zero_derivative() -> None:
    y, back = rrule(np.empty_like, np.ones((2, 3)))
    assert y.shape == (2, 3) and back(np.ones((2, 3))) == (NoTangent(), ZeroTangent())
    assert frule((NoTangent(), np.ones((2, 3))), np.empty_like, np.ones((2, 3)))[1] == ZeroTangent()
    _, back = rrule(np.empty_like, np.ones(2, int))
    assert back(NoTangent()) == (NoTangent(), NoTangent())


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (np.zeros, (C((2, 3)),)),
        (np.ones, (C(3), C(np.dtype(np.float32)))),
        (np.eye, (C(3), C(4), C(1))),
        (np.identity, (C(2),)),
        (
            np.tri,
            (C(3), C(2)),
        ),
    ],
)
def test_integer_constructors_are_non_differentiable(f: Any, args: Any, rng: Any) -> None:
    check(f, *args, rng=rng)
    assert rrule.rules_for(f)[0].kind == "non_differentiable"
    assert rrule.rules_for(np.empty)[0].kind == "non_differentiable"


LINSPACE = [
    ((0.5, 2.0), {}),
    ((0.5, 2.0, 6), {"endpoint": False}),
    ((-1.0, 3.0), {"num": 4, "retstep": True}),
    ((-1.0, 3.0, 5, False, True), {}),
    ((0, 2.0, 3), {}),  # a Python int start is differentiated as a real
    ((1.5, 2.0, 1), {}),
    ((1.5, 2.0, 1), {"endpoint": False, "retstep": True}),
    ((1.5, 2.0, 0), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("args", "kwargs"), LINSPACE)
def test_linspace_scalars(args: Any, kwargs: Any, dtype: Any, rng: Any) -> None:
    start, stop, *options = args
    start = start if isinstance(start, int) else dtype(start)
    check(np.linspace, start, dtype(stop), *map(C, options), rng=rng, **kwargs)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("start_shape", "stop_shape", "axis"),
    [((3,), (3,), 0), ((3,), (), -1), ((), (2, 1), 1), ((2, 1), (3,), -1), ((2, 1), (1, 3), 2)],
)
def test_linspace_arrays(start_shape: Any, stop_shape: Any, axis: int, dtype: Any, rng: Any):
    start, stop = rand(rng, start_shape, dtype), rand(rng, stop_shape, dtype)
    check(np.linspace, start, stop, C(4), rng=rng, axis=axis)
    check(np.linspace, start, stop, C(3), C(False), C(True), rng=rng, axis=axis)


def test_linspace_undefined_step_is_a_constant() -> None:
    (_, step), back = rrule(np.linspace, 1.0, 3.0, 1, retstep=True)
    assert np.isnan(step)
    assert back((np.array([2.0]), 5.0)) == (NoTangent(), 2.0, 0.0, NoTangent())
    _, (dy, dstep) = frule(
        (NoTangent(), 1.0, 1.0, NoTangent()), np.linspace, 1.0, 3.0, 1, retstep=True
    )
    assert np.array_equal(dy, [1.0]) and dstep == ZeroTangent()


def test_linspace_integer_output_has_no_tangent(rng: Any) -> None:
    check(np.linspace, 0.5, 10.5, C(4), rng=rng, dtype=int)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((0.3, 2.0, 0.35), {}),
        ((1.25, 4.0), {}),
        ((5.5,), {}),
        ((1.25,), {"stop": 4.0}),
        ((-1.0, 1.0, 0.3), {"dtype": np.float32}),
        ((np.float32(0.25), 2.0, np.float32(0.5)), {}),
        ((0.25 + 1j, 2.0, 0.5), {}),
        ((1, 7, 2), {}),  # integers: no tangent space
    ],
)
def test_arange(args: Any, kwargs: Any, rng: Any) -> None:
    # Small finite-difference steps: the length of the output jumps where (stop - start) / step
    # crosses an integer.
    small_steps = central_fdm(5, max_step=1e-3)
    test_rrule(np.arange, *args, fkwargs=kwargs, rng=rng, method=small_steps)
    test_frule(np.arange, *args, fkwargs=kwargs, rng=rng, method=small_steps)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "f",
    [np.real, np.imag, Getter(np.ndarray.real.__get__), Getter(np.ndarray.imag.__get__)],
    ids=["real", "imag", "ndarray.real", "ndarray.imag"],
)
def test_real_and_imag(f: Any, shape: Any, dtype: Any, rng: Any) -> None:
    check(f, rand(rng, shape, dtype), rng=rng)


@pytest.mark.parametrize("x", [2.5, -1.0 + 0.5j, np.float32(1.5), np.complex64(1 - 1j)])
@pytest.mark.parametrize("f", [np.real, np.imag])
def test_real_and_imag_of_scalars(f: Any, x: Any, rng: Any) -> None:
    check(f, x, rng=rng)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_angle(shape: Any, dtype: Any, rng: Any) -> None:
    z = rand(rng, shape, dtype)
    check(np.angle, z, rng=rng)
    check(np.angle, z, C(True), rng=rng)
    check(np.angle, z, rng=rng, deg=True)


@pytest.mark.parametrize("z", [0.5 - 2j, -1.5, 3.0, np.complex64(-1 + 1j)])
def test_angle_of_scalars(z: Any, rng: Any) -> None:
    check(np.angle, z, rng=rng)


def test_angle_at_zero_has_a_zero_cotangent() -> None:
    z = np.array([0j, 1j])
    _, back = rrule(np.angle, z)
    np.testing.assert_allclose(back(np.ones(2))[1], [0, -1])  # at 1j: d angle / d Re = -1
    _, dy = frule((NoTangent(), np.array([1 + 1j, 1 + 0j])), np.angle, z)
    np.testing.assert_allclose(dy, [0, -1])


def test_zero_tangents_in_nested_sequences(rng: Any) -> None:
    x = [np.ones(2), 3.0]
    test_frule(np.hstack, with_tangent(x, [ZeroTangent(), 1.5]), rng=rng)
    y, dy = frule((NoTangent(), [ZeroTangent(), 1.5]), np.array, [1.0, 3.0], dtype=object)
    assert y.dtype == object and isinstance(dy, NotImplementedTangent)  # unknown, not zero
