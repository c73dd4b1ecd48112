"""Tests of rules/numpy/ufuncs.py: every ufunc through the harness, on tables of domains."""

import numpy as np
import pytest

from rulescore import NoTangent, Thunk, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

F64, F32, C128 = np.dtype(np.float64), np.dtype(np.float32), np.dtype(np.complex128)
REAL, ALL = (F64, F32), (F64, F32, C128)


def _away(rng, shape, low, high):
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(low, high, shape)


# Each domain draws (real values, complex values) where the function is smooth within the
# reach of finite differences (about 0.2 around each entry).
DOMAINS = {
    "real": lambda rng, s: (rng.normal(size=s), rng.normal(size=s) + 1j * rng.normal(size=s)),
    "positive": lambda rng, s: (
        rng.uniform(0.5, 2, s),
        rng.uniform(0.5, 2, s) + 1j * rng.uniform(-1, 1, s),
    ),
    "nonzero": lambda rng, s: (
        _away(rng, s, 0.5, 2),
        rng.uniform(0.5, 2, s) * np.exp(1j * rng.uniform(-np.pi, np.pi, s)),
    ),
    "unit": lambda rng, s: (
        rng.uniform(-0.7, 0.7, s),
        rng.uniform(-0.6, 0.6, s) + 1j * rng.uniform(-0.6, 0.6, s),
    ),
    # Complex values on both sides of the imaginary axis check the branch of arccosh.
    "above_one": lambda rng, s: (
        rng.uniform(1.5, 3, s),
        _away(rng, s, 1.5, 3) + 1j * _away(rng, s, 0.5, 1),
    ),
    "between_integers": lambda rng, s: (rng.integers(-3, 3, s) + rng.uniform(0.3, 0.7, s),) * 2,
    "near_integers": lambda rng, s: (
        rng.integers(-3, 3, s) + rng.uniform(-0.25, 0.25, s),
        rng.integers(-3, 3, s)
        + rng.uniform(-0.25, 0.25, s)
        + 1j * (rng.integers(-3, 3, s) + rng.uniform(-0.25, 0.25, s)),
    ),
    "one_to_two": lambda rng, s: (rng.uniform(1.25, 1.75, s),) * 2,
    # Quotients of numerator/denominator stay within (0, 1) or (1, 2) in magnitude.
    "numerator": lambda rng, s: (_away(rng, s, 1.2, 2.0) + 3.2 * rng.integers(0, 2, s),) * 2,
    "denominator": lambda rng, s: (_away(rng, s, 3.0, 3.5),) * 2,
    # Interleaved grids: max/min arguments stay at least 0.7 apart.
    "even": lambda rng, s: (
        2.0 * rng.integers(-2, 3, s) + rng.uniform(-0.15, 0.15, s),
        2.0 * rng.integers(-2, 3, s) + rng.uniform(-0.15, 0.15, s) + 1j * rng.normal(size=s),
    ),
    "odd": lambda rng, s: (
        2.0 * rng.integers(-2, 2, s) + 1 + rng.uniform(-0.15, 0.15, s),
        2.0 * rng.integers(-2, 2, s) + 1 + rng.uniform(-0.15, 0.15, s) + 1j * rng.normal(size=s),
    ),
}


def sample(domain, rng, shape, dtype):
    """A NumPy scalar for shape `()`, a Python number for "py", else an array of `dtype`."""
    real, complex_ = DOMAINS[domain](rng, () if shape == "py" else shape)
    value = complex_ if dtype.kind == "c" else real
    if shape == "py":
        return complex(value) if dtype.kind == "c" else float(value)
    return dtype.type(value) if shape == () else np.asarray(value, dtype=dtype)


UNARY = [
    (np.negative, "real", ALL),
    (np.positive, "real", ALL),
    (np.absolute, "nonzero", ALL),
    (np.fabs, "nonzero", REAL),
    (np.sign, "nonzero", ALL),
    (np.conjugate, "real", ALL),
    (np.reciprocal, "nonzero", ALL),
    (np.sqrt, "positive", ALL),
    (np.cbrt, "nonzero", REAL),
    (np.square, "real", ALL),
    (np.exp, "real", ALL),
    (np.exp2, "real", ALL),
    (np.expm1, "real", ALL),
    (np.log, "positive", ALL),
    (np.log2, "positive", ALL),
    (np.log10, "positive", ALL),
    (np.log1p, "positive", ALL),
    (np.sin, "real", ALL),
    (np.cos, "real", ALL),
    (np.tan, "unit", ALL),
    (np.arcsin, "unit", ALL),
    (np.arccos, "unit", ALL),
    (np.arctan, "real", ALL),
    (np.sinh, "real", ALL),
    (np.cosh, "real", ALL),
    (np.tanh, "real", ALL),
    (np.arcsinh, "unit", ALL),
    (np.arccosh, "above_one", ALL),
    (np.arctanh, "unit", ALL),
    (np.deg2rad, "real", REAL),
    (np.radians, "real", REAL),
    (np.rad2deg, "real", REAL),
    (np.degrees, "real", REAL),
    (np.floor, "between_integers", REAL),
    (np.ceil, "between_integers", REAL),
    (np.trunc, "between_integers", REAL),
    (np.rint, "near_integers", ALL),
    (np.spacing, "one_to_two", REAL),
    (np.modf, "between_integers", REAL),
    (np.frexp, "nonzero", REAL),
]

BINARY = [
    (np.add, "real", "real", ALL),
    (np.subtract, "real", "real", ALL),
    (np.multiply, "real", "real", ALL),
    (np.divide, "real", "nonzero", ALL),
    (np.power, "positive", "real", ALL),
    (np.float_power, "positive", "real", ALL),
    (np.floor_divide, "numerator", "denominator", REAL),
    (np.remainder, "numerator", "denominator", REAL),
    (np.fmod, "numerator", "denominator", REAL),
    (np.divmod, "numerator", "denominator", REAL),
    (np.arctan2, "nonzero", "real", REAL),
    (np.hypot, "nonzero", "real", REAL),
    (np.logaddexp, "real", "real", REAL),
    (np.logaddexp2, "real", "real", REAL),
    (np.maximum, "even", "odd", ALL),
    (np.minimum, "odd", "even", ALL),
    (np.fmax, "even", "odd", ALL),
    (np.fmin, "odd", "even", ALL),
    (np.copysign, "nonzero", "nonzero", REAL),
    (np.nextafter, "real", "real", REAL),
]

UNARY_SHAPES = [(), (3,), (2, 3)]
BINARY_SHAPES = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)), ("py", (2, 3))]


def _cases(table):
    return [
        pytest.param(ufunc, *domains, dtype, id=f"{ufunc.__name__}-{dtype}")
        for ufunc, *domains, dtypes in table
        for dtype in dtypes
    ]


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize(("ufunc", "domain", "dtype"), _cases(UNARY))
def test_unary(ufunc, domain, dtype, shape, rng):
    x = sample(domain, rng, shape, dtype)
    test_rrule(ufunc, x, rng=rng)
    test_frule(ufunc, x, rng=rng)


@pytest.mark.parametrize("shapes", BINARY_SHAPES, ids=str)
@pytest.mark.parametrize(("ufunc", "domain1", "domain2", "dtype"), _cases(BINARY))
def test_binary(ufunc, domain1, domain2, dtype, shapes, rng):
    x1 = sample(domain1, rng, shapes[0], dtype)
    x2 = sample(domain2, rng, shapes[1], dtype)
    test_rrule(ufunc, x1, x2, rng=rng)
    test_frule(ufunc, x1, x2, rng=rng)
    # One tangent zero: the output tangent still has the broadcast shape.
    test_frule(ufunc, x1, with_tangent(x2, ZeroTangent()), rng=rng)
    test_frule(ufunc, with_tangent(x1, ZeroTangent()), x2, rng=rng)
    if domain1 == domain2:
        test_rrule(ufunc, x2, x1, rng=rng)


def test_scalar_types(rng):
    # A 0-d array, mixed precisions, a Python int differentiated as a real, an int array.
    test_rrule(np.sin, np.asarray(0.3), rng=rng)
    test_frule(np.sin, np.asarray(0.3), rng=rng)
    x32, x64 = np.ones(3, np.float32), rng.normal(size=(2, 3))
    test_rrule(np.multiply, x32, x64, rng=rng)
    test_frule(np.multiply, x32, x64, rng=rng)
    test_rrule(np.divide, 3, x64 + 5, rng=rng)
    test_rrule(np.add, np.arange(3), x64, rng=rng)
    test_frule(np.add, constant(np.arange(3)), x64, rng=rng)
    test_rrule(np.sqrt, x32 + 1, fkwargs={"dtype": np.float64}, rng=rng)
    test_frule(np.sqrt, x32 + 1, fkwargs={"dtype": np.float64}, rng=rng)


def test_abs_and_sign_at_zero():
    for x in (np.array([0.0, -2.0]), np.array([0j, -2j])):
        _, back = rrule(np.absolute, x)
        np.testing.assert_array_equal(
            back(np.ones(2))[1], [0, -1] if x.dtype.kind == "f" else [0, -1j]
        )
    assert frule((NoTangent(), np.ones(2)), np.absolute, np.zeros(2))[1].tolist() == [0, 0]
    _, back = rrule(np.sign, np.array([0j, 1 + 0j]))
    np.testing.assert_array_equal(back(np.array([1j, 1j]))[1], [0, 1j])
    _, back = rrule(np.sign, np.array([0.0, 1.0]))
    assert back(np.ones(2))[1] is ZeroTangent()
    _, back = rrule(np.fabs, 0.0)
    assert back(1.0) == (NoTangent(), 0.0)
    _, back = rrule(np.copysign, np.array([0.0, 2.0]), np.array([-1.0, -1.0]))
    np.testing.assert_array_equal(back(np.ones(2))[1], [0, -1])
    _, back = rrule(np.hypot, 0.0, 0.0)
    assert back(1.0) == (NoTangent(), 0.0, 0.0)


@pytest.mark.parametrize("ufunc", [np.maximum, np.minimum, np.fmax, np.fmin])
def test_max_min_ties_split_the_cotangent(ufunc):
    _, back = rrule(ufunc, np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, 4.0]))
    _, dx1, dx2 = back(np.full(3, 4.0))
    larger = ufunc in (np.maximum, np.fmax)
    np.testing.assert_array_equal(dx1, [2.0, 4.0 * larger, 4.0 * (not larger)])
    np.testing.assert_array_equal(dx1 + dx2, [4.0, 4.0, 4.0])
    y, dy = frule((NoTangent(), 1.0, 3.0), ufunc, 2.0, 2.0)
    assert (y, dy) == (2.0, 2.0)


def test_fmax_fmin_send_the_cotangent_to_the_number_not_nan():
    for ufunc in (np.fmax, np.fmin):
        _, back = rrule(ufunc, np.array([np.nan, 1.0]), np.array([2.0, np.nan]))
        _, dx1, dx2 = back(np.ones(2))
        np.testing.assert_array_equal(dx1, [0, 1])
        np.testing.assert_array_equal(dx2, [1, 0])


@pytest.mark.parametrize("power", [np.power, np.float_power])
def test_power_at_zero_base(power):
    # (exponent, d/dbase, d/dexponent) at base 0, as ChainRules.
    for p, dbase, dexponent in [(2.0, 0.0, 0.0), (1.0, 1.0, 0.0), (0.0, 0.0, np.nan)]:
        _, back = rrule(power, 0.0, p)
        _, dx1, dx2 = back(1.0)
        np.testing.assert_equal((dx1, unthunk(dx2)), (dbase, dexponent))
        _, dy = frule((NoTangent(), 1.0, ZeroTangent()), power, 0.0, p)
        assert dy == dbase
    with np.errstate(divide="ignore"):
        _, back = rrule(power, 0.0, 0.5)
        assert back(1.0)[1] == np.inf


def test_power_negative_base_and_integer_exponents(rng):
    x = -rng.uniform(0.5, 2, (2, 3))
    test_rrule(np.power, x, constant(3), rng=rng)
    test_frule(np.power, x, constant(3.0), rng=rng)
    test_rrule(np.power, x, np.array([2, 3, 4]), rng=rng)  # an int array: NoTangent
    _, back = rrule(np.power, -2.0, 3.0)
    _, _, dp = back(1.0)
    assert unthunk(dp) == pytest.approx(-8.0 * np.log(2.0))  # real part of y log(x)
    # The exponent's cotangent (a logarithm) is computed only if asked for.
    _, back = rrule(np.power, rng.uniform(0.5, 2, 3), 2)
    assert isinstance(back(np.ones(3))[2], Thunk)


def test_heaviside_depends_on_its_second_argument_at_zero(rng):
    x1 = np.array([-1.0, 0.0, 2.0, 0.0])
    test_rrule(np.heaviside, constant(x1), rng.normal(size=4), rng=rng)
    test_frule(np.heaviside, constant(x1), rng.normal(size=4), rng=rng)
    test_rrule(np.heaviside, _away(rng, (2, 3), 0.5, 2), rng.normal(size=3), rng=rng)
    _, back = rrule(np.heaviside, x1, 0.5)
    assert unthunk(back(np.ones(4))[2]) == 2.0


def test_ldexp_exponent_has_no_tangent(rng):
    for dtype in REAL:
        x1 = rng.normal(size=(2, 3)).astype(dtype)
        test_rrule(np.ldexp, x1, np.array([-1, 0, 2]), rng=rng)
        test_frule(np.ldexp, x1, np.array([-1, 0, 2]), rng=rng)
        test_rrule(np.ldexp, x1, constant(3), rng=rng)


@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize(
    ("shape1", "shape2"),
    [
        ((2, 3), (3, 4)),
        ((3,), (3, 4)),
        ((2, 3), (3,)),
        ((3,), (3,)),
        ((2, 1, 2, 3), (4, 3, 2)),
        ((3,), (2, 3, 4)),
        ((2, 2, 3), (3,)),
    ],
    ids=str,
)
def test_matmul(shape1, shape2, dtype, rng):
    x1 = sample("real", rng, shape1, dtype)
    x2 = sample("real", rng, shape2, dtype)
    test_rrule(np.matmul, x1, x2, rng=rng)
    test_frule(np.matmul, x1, x2, rng=rng)


@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize(
    ("name", "shape1", "shape2", "kwargs"),
    [
        ("vecdot", (3,), (3,), {}),
        ("vecdot", (2, 3), (3,), {}),
        ("vecdot", (2, 1, 3), (4, 3), {}),
        ("vecdot", (3, 2), (3, 1), {"axis": 0}),
        ("matvec", (2, 3), (3,), {}),
        ("matvec", (4, 2, 3), (1, 3), {}),
        ("vecmat", (3,), (3, 2), {}),
        ("vecmat", (4, 1, 3), (2, 3, 2), {}),
    ],
    ids=str,
)
def test_vector_products(name, shape1, shape2, kwargs, dtype, rng):
    gufunc = getattr(np, name, None)
    if gufunc is None:
        pytest.skip(f"np.{name} is new in NumPy 2")
    x1 = sample("real", rng, shape1, dtype)
    x2 = sample("real", rng, shape2, dtype)
    test_rrule(gufunc, x1, x2, fkwargs=kwargs, rng=rng)
    test_frule(gufunc, x1, x2, fkwargs=kwargs, rng=rng)


@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((), {}),
        ((1,), {}),
        ((), {"axis": None}),
        ((), {"axis": (0, 2), "keepdims": True}),
        ((-1,), {"where": np.array([True, False, True])}),
        ((), {"initial": 2.0, "dtype": np.complex128}),
        ((1, None, None, False, 2.0), {}),  # a positional `initial` is differentiated
    ],
    ids=str,
)
def test_add_reduce(args, kwargs, dtype, rng):
    x = sample("real", rng, (2, 4, 3), dtype)
    args = [a if isinstance(a, float) else constant(a) for a in args]
    test_rrule(np.add.reduce, x, *args, fkwargs=kwargs, rng=rng)
    test_frule(np.add.reduce, x, *args, fkwargs=kwargs, rng=rng)


@pytest.mark.parametrize("dtype", ALL, ids=str)
@pytest.mark.parametrize(("args", "kwargs"), [((), {}), ((1,), {}), ((), {"axis": -1})], ids=str)
def test_add_accumulate(args, kwargs, dtype, rng):
    x = sample("real", rng, (2, 3), dtype)
    test_rrule(np.add.accumulate, x, *map(constant, args), fkwargs=kwargs, rng=rng)
    test_frule(np.add.accumulate, x, *map(constant, args), fkwargs=kwargs, rng=rng)


def test_ufunc_methods_are_found_on_every_access():
    assert np.add.reduce == np.add.reduce and hash(np.add.reduce) == hash(np.add.reduce)
    assert np.add.reduce is not np.add.reduce
    assert rrule.has_rule(np.add.reduce) and frule.has_rule(np.add.accumulate)
    assert not rrule.has_rule(np.multiply.reduce)  # prod: left to the reductions


@pytest.mark.parametrize(
    ("ufunc", "args"),
    [
        (np.add, (np.ones(2), np.ones(2))),
        (np.power, (np.ones(2), 2.0)),
        (np.sign, (np.ones(2),)),
        (np.modf, (np.ones(2),)),
        (np.matmul, (np.ones((2, 2)), np.ones(2))),
        (np.add.reduce, (np.ones(2),)),
        (np.add.accumulate, (np.ones(2),)),
    ],
    ids=["add", "power", "sign", "modf", "matmul", "add.reduce", "add.accumulate"],
)
def test_out_is_refused(ufunc, args):
    buffer = np.zeros_like(ufunc(*args))
    for kwargs in ({"out": buffer}, {"out": (buffer,)}):
        with pytest.raises(TypeError, match=r"out=.*mutation"):
            rrule(ufunc, *args, **kwargs)
        with pytest.raises(TypeError, match=r"out=.*mutation"):
            frule((NoTangent(), *(np.ones_like(a) for a in args)), ufunc, *args, **kwargs)
    if isinstance(ufunc, np.ufunc) and ufunc is not np.modf:  # the output given positionally
        with pytest.raises(TypeError, match="out="):
            rrule(ufunc, *args, buffer)
    assert not buffer.any()
    if ufunc is not np.modf:
        rrule(ufunc, *args, out=None)  # the default is fine


def test_where_and_gufunc_axes_are_refused():
    with pytest.raises(TypeError, match="where="):
        rrule(np.exp, np.ones(2), where=np.array([True, False]))
    with pytest.raises(TypeError, match="axes="):
        rrule(np.matmul, np.ones((2, 2)), np.ones((2, 2)), axes=[(0, 1), (0, 1), (0, 1)])
    rrule(np.exp, np.ones(2), where=True)


NON_DIFFERENTIABLE = [
    (np.equal, np.ones(2), np.zeros(2)),
    (np.less, np.ones(2), 0.5),
    (np.logical_not, np.ones(2)),
    (np.isnan, np.ones(2)),
    (np.signbit, -1.0),
    (np.isnat, np.array(["2024-01-01"], dtype="datetime64[D]")),
    (np.left_shift, np.arange(3), 1),
    (np.gcd, np.arange(3), 4),
]


@pytest.mark.parametrize("case", NON_DIFFERENTIABLE, ids=lambda case: case[0].__name__)
def test_non_differentiable(case, rng):
    ufunc, *args = case
    test_frule(ufunc, *args, rng=rng)
    # test_rrule asks float arguments for a derivative: held constant here, the contract of
    # non_differentiable (NoTangent for every argument) is checked directly.
    test_rrule(ufunc, *map(constant, args), rng=rng)
    _, back = rrule(ufunc, *args)
    assert back(NoTangent()) == (NoTangent(),) * (1 + len(args))


def test_every_numpy_ufunc_has_both_rules_and_a_test():
    ufuncs = {getattr(np, name) for name in dir(np) if isinstance(getattr(np, name), np.ufunc)}
    missing = sorted(u.__name__ for u in ufuncs if not (rrule.has_rule(u) and frule.has_rule(u)))
    assert not missing
    tested = {row[0] for row in UNARY + BINARY + NON_DIFFERENTIABLE}
    tested |= {np.heaviside, np.ldexp, np.matmul}
    tested |= {getattr(np, name, None) for name in ("vecdot", "matvec", "vecmat")}
    declared = {u for u in ufuncs if rrule.rules_for(u)[-1].kind == "non_differentiable"}
    assert sorted(u.__name__ for u in ufuncs - tested - declared) == []
