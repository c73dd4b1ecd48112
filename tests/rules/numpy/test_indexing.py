"""Tests of rules.numpy.indexing: every rule through the harness, table-driven."""

import numpy as np
import pytest

import rules.numpy.indexing  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import constant, test_frule, test_rrule

ALL_DTYPES = [np.float64, np.float32, np.complex128]
REAL_DTYPES = [np.float64, np.float32]
C = constant


def A(rng, shape, dtype):
    """A random array (complex entries for a complex dtype)."""
    x = rng.standard_normal(shape)
    if np.issubdtype(dtype, np.complexfloating):
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def _separated(rng, shape, dtype, spacing=0.5):
    """Entries at least `spacing` apart (finite differences never cross a tie or a kink)."""
    size = int(np.prod(shape))
    return (spacing * (rng.permutation(size) - size / 2)).reshape(shape).astype(dtype)


def _check(f, args, fkwargs, rng):
    test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
    test_frule(f, *args, fkwargs=fkwargs, rng=rng)


# id -> builder(rng, dtype) -> (function, args, fkwargs); linear in their float arguments.
LINEAR_CASES = {
    "take-1d-repeats": lambda r, t: (np.take, (A(r, 5, t), C(np.array([0, 3, 3, 0, 4]))), {}),
    "take-2d-flat": lambda r, t: (np.take, (A(r, (3, 4), t), C(np.array([[1, 11], [1, 0]]))), {}),
    "take-2d-axis0": lambda r, t: (np.take, (A(r, (3, 4), t), C([2, 2, 0])), {"axis": 0}),
    "take-3d-axis-1": lambda r, t: (
        np.take,
        (A(r, (2, 3, 4), t), C(np.array([[3], [-1]]))),
        {"axis": -1},
    ),
    "take-scalar-index": lambda r, t: (np.take, (A(r, (3, 2), t), C(1)), {"axis": 1}),
    "take-axis-positional": lambda r, t: (np.take, (A(r, (3, 2), t), C([0, 0]), C(0)), {}),
    "take-wrap": lambda r, t: (
        np.take,
        (A(r, (2, 3), t), C([-4, 5, 7])),
        {"axis": 1, "mode": "wrap"},
    ),
    "take-clip": lambda r, t: (np.take, (A(r, 4, t), C([-2, 9, 1, 3])), {"mode": "clip"}),
    "ndarray.take": lambda r, t: (np.ndarray.take, (A(r, (2, 3, 2), t), C([1, 1])), {"axis": 1}),
    "take_along_axis-1d": lambda r, t: (
        np.take_along_axis,
        (A(r, 4, t), C(np.array([3, 3, 0, 1, 3]))),
        {"axis": 0},
    ),
    "take_along_axis-2d": lambda r, t: (
        np.take_along_axis,
        (A(r, (3, 4), t), C(np.array([[0, 0], [3, 1], [2, 2]]))),
        {"axis": 1},
    ),
    "take_along_axis-3d-neg": lambda r, t: (
        np.take_along_axis,
        (A(r, (2, 3, 2), t), C(np.array([[[1, 0], [1, 1]]]))),
        {"axis": -2},
    ),
    "take_along_axis-broadcast": lambda r, t: (
        np.take_along_axis,
        (A(r, (1, 3), t), C(np.array([[0], [2], [2]]))),
        {"axis": 1},
    ),
    "take_along_axis-none": lambda r, t: (
        np.take_along_axis,
        (A(r, (2, 3), t), C(np.array([5, 0, 5]))),
        {"axis": None},
    ),
    "compress-flat": lambda r, t: (
        np.compress,
        (C(np.array([True, False, True])), A(r, (2, 2), t)),
        {},
    ),
    "compress-axis0": lambda r, t: (
        np.compress,
        (C([False, True, True]), A(r, (3, 2), t)),
        {"axis": 0},
    ),
    "compress-3d-short": lambda r, t: (np.compress, (C([1, 0]), A(r, (2, 3, 2), t)), {"axis": -2}),
    "ndarray.compress": lambda r, t: (
        np.ndarray.compress,
        (A(r, (2, 3), t), C([True, False, True])),
        {"axis": 1},
    ),
    "extract-2d": lambda r, t: (
        np.extract,
        (C(np.array([[True, False], [True, True]])), A(r, (2, 2), t)),
        {},
    ),
    "extract-3d": lambda r, t: (
        np.extract,
        (C(np.arange(12).reshape(2, 3, 2) % 3 == 0), A(r, (2, 3, 2), t)),
        {},
    ),
    "choose-list": lambda r, t: (
        np.choose,
        (C(np.array([[0, 2, 1], [2, 2, 0]])), [A(r, (2, 3), t), A(r, 3, t), A(r, (2, 1), t)]),
        {},
    ),
    "choose-array": lambda r, t: (np.choose, (C(np.array([1, 0, 1, 1])), A(r, (2, 4), t)), {}),
    "choose-wrap": lambda r, t: (
        np.choose,
        (C(np.array([[-1], [3]])), [A(r, (2, 2), t), A(r, (2, 1), t)]),
        {"mode": "wrap"},
    ),
    "choose-clip": lambda r, t: (
        np.choose,
        (C(np.array([-1, 5, 0])), [A(r, 3, t), A(r, 3, t)]),
        {"mode": "clip"},
    ),
    "where-broadcast": lambda r, t: (
        np.where,
        (C(np.array([[True, False, True, False]])), A(r, (3, 1), t), A(r, 4, t)),
        {},
    ),
    "where-3d": lambda r, t: (
        np.where,
        (C(r.standard_normal((2, 3, 2)) > 0), A(r, (2, 3, 2), t), A(r, (2, 3, 2), t)),
        {},
    ),
    "where-scalars": lambda r, t: (
        np.where,
        (C(np.array([True, False, False])), 2.0, A(r, 3, t)),
        {},
    ),
    "where-float-condition": lambda r, t: (
        np.where,
        (C(np.array([0.0, 1.5])), A(r, 2, t), A(r, 2, t)),
        {},
    ),
    "select": lambda r, t: (
        np.select,
        (
            C([np.array([True, False, True]), np.array([True, True, False])]),
            [A(r, 3, t), A(r, (2, 3), t)],
        ),
        {},
    ),
    "select-default": lambda r, t: (
        np.select,
        (
            C([np.array([[True], [False]]), np.array([False, True, False])]),
            [A(r, (2, 3), t), A(r, 3, t)],
            A(r, (2, 1), t),
        ),
        {},
    ),
    "select-scalar-default": lambda r, t: (
        np.select,
        (C([np.array([[[True, False]]])]), [A(r, (2, 1, 2), t)], 1.5),
        {},
    ),
    "select-keyword-default": lambda r, t: (
        np.select,
        (C([np.array([False, True])]), [A(r, 2, t)]),
        {"default": A(r, 2, t)},
    ),
}


@pytest.mark.parametrize("dtype", ALL_DTYPES)
@pytest.mark.parametrize("build", LINEAR_CASES.values(), ids=LINEAR_CASES.keys())
def test_linear_selections(build, dtype, rng):
    f, args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


def _clip_args(rng, dtype, shape, low_shape, high_shape):
    """`a` on a grid of step 0.5 around 0, bounds at quarter points: 0.25 or more apart."""
    a = _separated(rng, shape, dtype)
    low = rng.choice([-1.25, -0.75], size=low_shape).astype(dtype)
    high = rng.choice([0.75, 1.25], size=high_shape).astype(dtype)
    return a, (low if low_shape else dtype(low)), (high if high_shape else dtype(high))


CLIP_CASES = [
    ("scalars-1d", lambda r, t: (_clip_args(r, t, 8, (), ()), {})),
    ("arrays-2d", lambda r, t: (_clip_args(r, t, (3, 4), (3, 1), (4,)), {})),
    ("arrays-3d", lambda r, t: (_clip_args(r, t, (2, 3, 2), (2, 3, 2), ()), {})),
    ("bound-broadcasts-a", lambda r, t: (_clip_args(r, t, (4,), (2, 4), ()), {})),
    ("python-floats", lambda r, t: ((_separated(r, (2, 3), t), -0.75, 1.25), {})),
    ("no-lower", lambda r, t: ((_separated(r, (2, 3), t), None, t(0.25)), {})),
    ("no-upper", lambda r, t: ((_separated(r, 6, t), t(-0.25), None), {})),
    ("low-above-high", lambda r, t: ((_separated(r, 5, t), t(0.75), t(-0.25)), {})),
    ("keywords", lambda r, t: ((_separated(r, (3, 2), t),), {"min": -0.75, "max": 0.25})),
]  # fmt: skip


@pytest.mark.parametrize("dtype", REAL_DTYPES)
@pytest.mark.parametrize("build", [pytest.param(b, id=i) for i, b in CLIP_CASES])
@pytest.mark.parametrize("f", [np.clip, np.ndarray.clip], ids=["clip", "ndarray.clip"])
def test_clip(f, build, dtype, rng):
    args, fkwargs = build(rng, dtype)
    _check(f, args, fkwargs, rng)


def test_clip_ties_go_to_a():
    a = np.array([-1.0, 0.0, 1.0, 2.0])
    low, high = np.array([-1.0, -1.0, -1.0, -1.0]), np.array([1.0, 1.0, 1.0, 1.0])
    _, back = rrule(np.clip, a, low, high)
    _, da, dlow, dhigh = back(np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(da, [1.0, 2.0, 3.0, 0.0])
    np.testing.assert_array_equal(dlow, [0.0, 0.0, 0.0, 0.0])
    np.testing.assert_array_equal(dhigh, [0.0, 0.0, 0.0, 4.0])
    _, dy = frule(
        (NoTangent(), np.ones(4), 10 * np.ones(4), 100 * np.ones(4)), np.clip, a, low, high
    )
    np.testing.assert_array_equal(dy, [1.0, 1.0, 1.0, 100.0])


def test_clip_inverted_bounds_give_a_max():
    y, back = rrule(np.clip, np.array([0.0, 5.0]), 2.0, 1.0)
    _, da, dlow, dhigh = back(np.array([1.0, 1.0]))
    np.testing.assert_array_equal(y, [1.0, 1.0])
    np.testing.assert_array_equal(da, [0.0, 0.0])
    assert (dlow, dhigh) == (0.0, 2.0)


@pytest.mark.parametrize("dtype", REAL_DTYPES)
@pytest.mark.parametrize(
    ("x", "extra", "fkwargs"),
    [
        (np.array([0, 1, 1, 3]), (), {}),
        (np.array([2, 2, 0]), (), {"minlength": 5}),
        (np.array([4, 0, 4, 4, 1]), (constant(7),), {}),
    ],
    ids=["plain", "minlength", "minlength-positional"],
)
def test_bincount_weights(x, extra, fkwargs, dtype, rng):
    _check(np.bincount, (constant(x), A(rng, x.shape, dtype), *extra), fkwargs, rng)


def test_bincount_without_weights_is_not_differentiable(rng):
    _check(np.bincount, (np.array([0, 2, 2]),), {}, rng)
    _check(np.bincount, (np.array([0, 2, 2]),), {"weights": np.ones(3)}, rng)


NON_DIFFERENTIABLE = [
    (np.where, (np.array([[True, False], [False, True]]),), {}),
    (np.nonzero, (np.array([0.0, 1.5, 0.0]),), {}),
    (np.argwhere, (np.ones((2, 2)),), {}),
    (np.flatnonzero, (np.array([0.0, 1.5]),), {}),
    (np.indices, ((2, 3),), {}),
    (np.unravel_index, (np.array([1, 5]), (2, 3)), {}),
    (np.ravel_multi_index, ((np.array([1, 0]), np.array([2, 1])), (2, 3)), {}),
    (np.searchsorted, (np.array([1.0, 2.0, 3.0]), np.array([2.5, 0.1])), {}),
    (np.digitize, (np.array([0.2, 6.4]), np.array([0.0, 1.0, 2.5])), {"right": True}),
    (np.diag_indices, (3,), {}),
    (np.diag_indices_from, (np.ones((2, 2)),), {}),
    (np.tril_indices, (3,), {"k": -1}),
    (np.triu_indices_from, (np.ones((3, 3)),), {}),
    (np.ix_, (np.array([0, 1]), np.array([2, 0, 1])), {}),
    (np.ndarray.nonzero, (np.array([1.0, 0.0]),), {}),
    (np.ndarray.searchsorted, (np.array([1.0, 2.0]), 1.5), {}),
]


@pytest.mark.parametrize(
    ("f", "args", "fkwargs"), NON_DIFFERENTIABLE, ids=[c[0].__name__ for c in NON_DIFFERENTIABLE]
)
def test_non_differentiable(f, args, fkwargs, rng):
    _check(f, [constant(a) for a in args], fkwargs, rng)
    _, back = rrule(f, *args, **fkwargs)
    assert all(isinstance(t, NoTangent) for t in back(ZeroTangent()))


ARRAY_LIKES = [
    (np.take, ([1.0, 2.0, 3.0], C([0, 0]))),
    (np.where, (C([True, False]), [1.0, 2.0], [3.0, 4.0])),
    (np.select, (C([[True, False]]), [[1.0, 2.0]], [3.0, 4.0])),
    (np.choose, (C([0, 1]), [[1.0, 2.0], [3.0, 4.0]])),
    (np.compress, (C([True, False]), [1.0, 2.0])),
    (np.extract, (C([True, False]), [[1.0, 2.0]])),
    (np.clip, ([0.0, 3.0, -3.0], -1.0, [1.0, 2.0, 0.5])),
    (np.bincount, (np.array([0, 2]), [1.0, 2.0])),
]


@pytest.mark.parametrize(("f", "args"), ARRAY_LIKES, ids=[f.__name__ for f, _ in ARRAY_LIKES])
def test_lists_as_arrays(f, args, rng):
    """Array-likes given as lists get list cotangents."""
    _check(f, args, {}, rng)
