"""Tests of rules.python.builtins: every rule through the harness, ties and zero derivatives
checked against explicit values."""

import operator

import numpy as np
import pytest

from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar, with_tangent


def check(f, *args, rng, **options):
    test_rrule(f, *args, rng=rng, **options)
    test_frule(f, *args, rng=rng, **options)


def array(rng, shape, dtype=np.float64, low=0.5, high=1.5):
    x = rng.uniform(low, high, shape) * rng.choice([-1, 1], shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.uniform(low, high, shape)
    return np.asarray(x, dtype=dtype)


# --- abs and pow -------------------------------------------------------------------------


@pytest.mark.parametrize("x", [1.3, -0.7, 3, 0.6 - 1.1j])
def test_abs_scalars(x):
    test_scalar(abs, x)


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
def test_abs_arrays(shape, dtype, rng):
    check(abs, array(rng, shape, dtype), rng=rng)


def test_abs_at_zero():
    _, back = rrule(abs, 0.0)
    assert back(1.0) == (NoTangent(), 0.0)
    assert frule((NoTangent(), 1.0), abs, 0.0) == (0.0, 0.0)


@pytest.mark.parametrize(
    ("base", "exp"),
    [
        (1.3, 0.7),
        (3, 2),
        (2, -1),
        (1.2 + 0.3j, 0.5 - 0.2j),
        (-1.5, 0.5),  # a complex result, as Python gives
        ("array", (3,)),
        ("array", ()),
        ("broadcast", (2, 3)),
    ],
)
def test_pow(base, exp, rng):
    if base == "array":
        base, exp = np.abs(array(rng, exp)), array(rng, exp)
    elif base == "broadcast":
        base, exp = 1.2, array(rng, exp, np.float32)
    check(pow, base, exp, rng=rng)


def test_pow_at_zero_base():
    _, back = rrule(pow, 0.0, 2.0)
    assert back(1.0) == (NoTangent(), 0.0, 0.0)


def test_modular_pow_has_no_derivative():
    for args, kwargs in [((2, 5, 7), {}), ((2, 5), {"mod": 7})]:
        y, back = rrule(pow, *args, **kwargs)
        assert y == 4
        assert back(1.0) == (NoTangent(),) * (1 + len(args))
        assert frule((NoTangent(),) * (1 + len(args)), pow, *args, **kwargs) == (4, NoTangent())
    _, back = rrule(pow, 2.0, 3.0, None)  # pow(base, exp, None) is the two-argument form
    assert back(1.0) == (NoTangent(), 12.0, 8.0 * np.log(2.0), NoTangent())


# --- sum ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ([1.0, 2.5, -0.5],),
        ((1.0, 2, 0.5 + 1j),),
        ([1.5, 2.0], 3.0),
        ([],),
        ([], 2.5),
        ([np.ones(3), np.arange(3.0), 2.0],),
        ((np.ones((2, 3), np.float32), np.ones(3, np.float32)), np.float32(1.5)),
        ((np.ones(3), 1.0 + 1j),),
        ("array2d",),
        ("array1d", 0.5),
    ],
)
def test_sum(args, rng):
    if args[0] == "array2d":
        args = (array(rng, (2, 3)),)
    elif args[0] == "array1d":
        args = (array(rng, 4), *args[1:])
    check(sum, *args, rng=rng)


def test_sum_frule_widens_narrow_tangents(rng):
    test_frule(sum, with_tangent([1.0, np.ones(3)], [1.0, ZeroTangent()]), rng=rng)
    test_frule(sum, [np.ones(3)], 2.0, rng=rng)


def test_sum_start_by_keyword_is_not_differentiated(rng):
    check(sum, [1.0, 2.0], fkwargs={"start": 3.0}, rng=rng)


def test_sum_of_sequences_has_no_rule():
    assert rrule(sum, [[1.0], [2.0]], []) is None
    assert rrule(sum, ([1.0], [2.0]), start=[]) is None


# --- min and max -------------------------------------------------------------------------


@pytest.mark.parametrize("f", [min, max])
@pytest.mark.parametrize(
    "args",
    [
        ([1.0, 3.0, -2.0, 0.5],),
        ((1.0, 3, -2.0),),
        (1.0, 3.0, -2.0),
        (2, 0.5),
        (np.array([1.0, 3.0, -2.0]),),
        (np.array([1.0, 3.0, -2.0], np.float32),),
        (np.float32(1.0), np.float32(2.0)),
        ((1.0, 2.0), (1.5, 0.5)),
    ],
)
def test_min_max(f, args, rng):
    check(f, *args, rng=rng)


@pytest.mark.parametrize("f", [min, max])
def test_min_max_key_and_default(f, rng):
    check(f, [1.0 - 2j, 0.5 + 0.1j, 2.0], fkwargs={"key": abs}, rng=rng)
    check(f, [1.0, -3.0], fkwargs={"key": operator.neg}, rng=rng)
    y, back = rrule(f, [], default=2.5)
    assert y == 2.5
    assert back(1.0) == (NoTangent(), ZeroTangent())
    assert frule((NoTangent(), ZeroTangent()), f, [], default=2.5) == (2.5, ZeroTangent())


@pytest.mark.parametrize(("f", "first"), [(min, 1), (max, 0)])
def test_min_max_ties_go_to_the_first(f, first):
    x = [2.0, 1.0, 2.0, 1.0]
    index = x.index(f(x))
    assert index == first
    _, back = rrule(f, x)
    want = [ZeroTangent()] * 4
    want[index] = 5.0
    assert back(5.0) == (NoTangent(), want)
    _, back = rrule(f, *x)
    assert back(5.0) == (NoTangent(), *want)
    a = np.array(x)
    _, back = rrule(f, a)
    np.testing.assert_array_equal(unthunk(back(5.0)[1]), np.where(np.arange(4) == index, 5, 0))
    assert frule((NoTangent(), 1.0, 2.0, 3.0, 4.0), f, *x) == (f(x), 1.0 + index)


def test_max_with_nan_follows_python():
    nan = float("nan")
    _, back = rrule(max, 1.0, nan, 3.0)  # Python: max(1.0, nan, 3.0) == 3.0
    assert back(1.0) == (NoTangent(), ZeroTangent(), ZeroTangent(), 1.0)


def test_min_max_errors_are_pythons():
    with pytest.raises(ValueError, match="empty"):
        rrule(max, [])
    with pytest.raises(TypeError):
        rrule(max, 1.0, 2.0, default=0.0)


def test_min_max_of_an_iterator_has_no_rule():
    assert rrule(max, iter([1.0, 2.0])) is None


# --- round, int, float, complex, divmod --------------------------------------------------


# Points 0.2 away from the jumps of round (at ...5) and int (at integers), which is the reach
# of the finite differences; round(x, 1) jumps every 0.1, so ndigits=0 stands for ndigits.
@pytest.mark.parametrize("x", [1.2, -2.75, np.float32(0.25), 4, np.float64(0.75)])
def test_round(x, rng):
    check(round, x, rng=rng)
    check(round, x, constant(0), rng=rng)
    check(round, x, constant(None), rng=rng)


@pytest.mark.parametrize("x", [1.3, -2.7, np.float32(0.3), np.array(2.5)])
def test_int(x, rng):
    check(int, x, rng=rng)


def test_round_derivative_is_zero():
    _, back = rrule(round, 2.3)
    assert back(1.0) == (NoTangent(), ZeroTangent())
    _, back = rrule(round, 2.345, 2)
    assert back(1.0) == (NoTangent(), ZeroTangent(), NoTangent())
    assert frule((NoTangent(), 1.0), int, 2.3) == (2, ZeroTangent())


@pytest.mark.parametrize("x", [1.3, 3, np.float32(0.5), np.array(2.0), np.float64(-1.0)])
def test_float(x):
    test_scalar(float, x)


@pytest.mark.parametrize("args", [(1.3,), (2,), (1.0 + 2j,), (1.3, -0.4), (2, 0.5), (1j, 2j)])
def test_complex(args, rng):
    check(complex, *args, rng=rng)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (7.5, 2.0),
        (-7.5, 2.0),
        (7, 2),
        (np.array([7.5, -2.5, 1.25]), 2.0),
        (np.array([7.5, -2.5], np.float32), np.array([2.0, 1.5], np.float32)),
    ],
)
def test_divmod(a, b, rng):
    check(divmod, a, b, rng=rng)


def test_divmod_frule_widens_narrow_tangents(rng):
    test_frule(divmod, 2.5, constant(np.array([2.0, 1.5])), rng=rng)
    test_frule(divmod, constant(np.array([2.5, 3.5])), 2.0, rng=rng)


def test_divmod_cotangents():
    _, back = rrule(divmod, -7.0, 2.0)  # (-4.0, 1.0)
    assert back((10.0, 1.0)) == (NoTangent(), 1.0, 4.0)
    assert frule((NoTangent(), 1.0, 1.0), divmod, -7.0, 2.0) == ((-4.0, 1.0), (ZeroTangent(), 5.0))


# --- no derivative -----------------------------------------------------------------------

NON_DIFFERENTIABLE = [
    (len, [1.0, 2.0]),
    (isinstance, 1.0, float),
    (issubclass, float, object),
    (type, 1.0),
    (id, 1.0),
    (hash, 1.0),
    (bool, 1.0),
    (str, 1.0),
    (repr, 1.0),
    (ascii, 1.0),
    (format, 1.0, ".2f"),
    (bin, 5),
    (oct, 5),
    (hex, 5),
    (ord, "a"),
    (chr, 97),
    (print, 1.0),
    (range, 3),
    (slice, 1, 3),
    (callable, abs),
    (hasattr, 1.0, "real"),
    (any, [1.0, 0.0]),
    (all, [1.0, 0.0]),
    (int, "12"),
    (int, "ff", 16),
    (float, "1.5"),
    (complex, "1+2j"),
]


@pytest.mark.parametrize(
    ("f", "args"), [pytest.param(f, args, id=f.__name__) for f, *args in NON_DIFFERENTIABLE]
)
def test_non_differentiable(f, args, capsys):
    y, back = rrule(f, *args)
    if f is not id:
        assert y == f(*args)
    assert back(1.0) == (NoTangent(),) * (1 + len(args))
    assert frule((NoTangent(),) * (1 + len(args)), f, *args)[1] == NoTangent()


def test_input_has_no_derivative(monkeypatch):
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO("1.5\n"))
    y, back = rrule(input)
    assert y == "1.5"
    assert back(NoTangent()) == (NoTangent(),)


@pytest.mark.parametrize("x", [1.5 - 2.0j, 0.75])
def test_conjugate_method(x):
    test_rrule(type(x).conjugate, x)
    test_frule(type(x).conjugate, x)
