"""Rules of `rules.python.math`, checked by the harness, and their conventions at kinks."""

from __future__ import annotations

import math
import subprocess
import sys
from collections import namedtuple

import numpy as np
import pytest

import rules.python.math  # noqa: F401  (registers the rules)
from rulescore import NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, test_scalar

Point = namedtuple("Point", "x y z")

SCALAR_POINTS = {
    math.sqrt: [0.5, 2.0, 9],
    math.cbrt: [-2.0, 0.7, 27],
    math.exp: [-1.3, 0.0, 2.0, 1],
    math.exp2: [-0.5, 3.0],
    math.expm1: [-0.7, 1e-3, 1.5],
    math.log1p: [-0.5, 0.0, 3.0],
    math.log2: [0.5, 3.0, 8],
    math.log10: [0.5, 3.0, 100],
    math.sin: [-1.0, 0.3, 2.0],
    math.cos: [-1.0, 0.3, 2.0],
    math.tan: [-1.0, 0.3, 2.0],
    math.asin: [-0.6, 0.0, 0.7],
    math.acos: [-0.6, 0.0, 0.7],
    math.atan: [-3.0, 0.5, 2],
    math.sinh: [-1.5, 0.2, 2.0],
    math.cosh: [-1.5, 0.2, 2.0],
    math.tanh: [-1.5, 0.2, 2.0],
    math.asinh: [-2.0, 0.5],
    math.acosh: [1.5, 4.0],
    math.atanh: [-0.6, 0.5],
    math.degrees: [-2.0, 3],
    math.radians: [-2.0, 3],
    math.fabs: [-2.0, 1.5, 3],
    math.erf: [-1.0, 0.3, 2.0],
    math.erfc: [-1.0, 0.3, 2.0],
    math.gamma: [0.5, 2.5, -1.5, 4],
    math.lgamma: [0.5, 3.2, -1.5],
    math.log: [0.5, 3.0, 7],
}


@pytest.mark.parametrize(
    ("f", "x"),
    [(f, x) for f, points in SCALAR_POINTS.items() for x in points],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_scalar_functions(f, x, rng):
    test_scalar(f, x, rng=rng)


# test_scalar cannot compare the ZeroTangent derivatives of both modes (see the report), so the
# piecewise constant functions go through test_rrule and test_frule.
@pytest.mark.parametrize("f", [math.ceil, math.floor, math.trunc, math.ulp])
@pytest.mark.parametrize("x", [-1.5, 2.3, 12345.5])
def test_piecewise_constant(f, x, rng):
    test_rrule(f, x, rng=rng)
    test_frule(f, x, rng=rng)
    _, back = rrule(f, x)
    assert back(1.0) == (NoTangent(), ZeroTangent())
    assert frule((NoTangent(), 1.0), f, x)[1] == ZeroTangent()


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (math.atan2, (1.0, 2.0)),
        (math.atan2, (-0.5, -1.0)),
        (math.atan2, (2, -3)),
        (math.pow, (1.5, 2.3)),
        (math.pow, (0.5, -1.5)),
        (math.pow, (3.0, 0.5)),
        (math.pow, (2, 3)),
        (math.log, (3.0, 2.0)),
        (math.log, (0.5, 10.0)),
        (math.log, (2.0, 0.5)),
        (math.log, (8, 2)),
        (math.copysign, (1.5, -2.0)),
        (math.copysign, (-0.7, -3.0)),
        (math.copysign, (2, 5)),
        (math.fmod, (5.0, 2.0)),
        (math.fmod, (-5.0, 2.0)),
        (math.fmod, (7.0, -3.0)),
        (math.fmod, (7, 3)),
        (math.remainder, (6.0, 2.0)),
        (math.remainder, (11.0, 5.0)),
        (math.remainder, (-11.0, 5.0)),
        (math.remainder, (-9, 3)),
        (math.nextafter, (1.5, 3.0)),
        (math.nextafter, (-2.0, -5.0)),
        (math.ldexp, (1.5, constant(3))),
        (math.ldexp, (-0.7, constant(-2))),
        (math.ldexp, (5, constant(1))),
    ],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_two_arguments(f, args, rng):
    test_rrule(f, *args, rng=rng)
    test_frule(f, *args, rng=rng)


def test_ldexp_exponent_has_no_tangent():
    _, back = rrule(math.ldexp, 1.5, 3)
    assert back(1.0) == (NoTangent(), 8.0, NoTangent())


@pytest.mark.skipif(not hasattr(math, "fma"), reason="math.fma is new in Python 3.13")
@pytest.mark.parametrize("args", [(1.5, -2.0, 0.3), (2, 3, 4)])
def test_fma(args, rng):
    test_rrule(math.fma, *args, rng=rng)
    test_frule(math.fma, *args, rng=rng)


def reverse(f, *args):
    _, back = rrule(f, *args)
    return tuple(unthunk(c) for c in back(1.0)[1:])


def forward(f, *args):
    tangents = [ZeroTangent()] * len(args)
    derivatives = []
    for i in range(len(args)):
        tangents[i] = 1.0
        derivatives.append(unthunk(frule((NoTangent(), *tangents), f, *args)[1]))
        tangents[i] = ZeroTangent()
    return tuple(derivatives)


def same(got, want):
    got = [0.0 if isinstance(a, ZeroTangent) else a for a in got]
    return len(got) == len(want) and all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(got, want, strict=True)
    )


@pytest.mark.parametrize(
    ("f", "args", "want"),
    [
        (math.sqrt, (0.0,), (math.inf,)),
        (math.cbrt, (0.0,), (math.inf,)),
        (math.asin, (1.0,), (math.inf,)),
        (math.asin, (-1.0,), (math.inf,)),
        (math.acos, (1.0,), (-math.inf,)),
        (math.acosh, (1.0,), (math.inf,)),
        (math.fabs, (0.0,), (0.0,)),
        (math.fabs, (-0.0,), (0.0,)),
        (math.hypot, (0.0, 0.0), (0.0, 0.0)),
        (math.hypot, (0.0,), (0.0,)),
        (math.atan2, (0.0, 0.0), (math.nan, math.nan)),
        (math.atan2, (0.0, -1.0), (-1.0, 0.0)),
        (math.pow, (0.0, 1.0), (1.0, 0.0)),
        (math.pow, (0.0, 2.0), (0.0, 0.0)),
        (math.pow, (0.0, 0.5), (math.inf, 0.0)),
        (math.pow, (0.0, 0.0), (0.0, math.nan)),
        (math.pow, (-2.0, 3.0), (12.0, -8 * math.log(2.0))),
        (math.copysign, (0.0, -1.0), (-1.0, 0.0)),
        (math.copysign, (-0.0, -1.0), (1.0, 0.0)),
        (math.copysign, (0.0, 2.0), (1.0, 0.0)),
        (math.fmod, (4.0, 2.0), (1.0, -2.0)),
        (math.remainder, (5.0, 2.0), (1.0, -2.0)),
        (math.nextafter, (1.0, 2.0), (1.0, 0.0)),
    ],
    ids=lambda v: getattr(v, "__name__", repr(v)),
)
def test_conventions_at_singular_points(f, args, want):
    assert same(reverse(f, *args), want)
    assert same(forward(f, *args), want)


def test_pow_at_negative_base(rng):
    # Only integer exponents are defined there: hold the exponent fixed for the FD check.
    test_rrule(math.pow, -2.0, constant(3.0), rng=rng)
    test_frule(math.pow, -1.5, constant(-2.0), rng=rng)


# Away from powers of two, where m jumps: the finite differences reach about 0.2.
@pytest.mark.parametrize("x", [3.3, -0.75, 5, 6.5, 100.0])
def test_frexp(x, rng):
    test_rrule(math.frexp, x, rng=rng)
    test_frule(math.frexp, x, rng=rng)
    _, back = rrule(math.frexp, x)
    assert back(ZeroTangent()) == (NoTangent(), ZeroTangent())


@pytest.mark.parametrize("x", [2.3, -1.7, 0.4, 7.5])
def test_modf(x, rng):
    test_rrule(math.modf, x, rng=rng)
    test_frule(math.modf, x, rng=rng)
    _, back = rrule(math.modf, x)
    assert back((2.0, 5.0)) == (NoTangent(), 2.0)


@pytest.mark.parametrize(
    "coordinates", [(), (-2.5,), (1.5, -2.0), (3, 4), (0.5, -1.0, 2.0, 0.3)], ids=repr
)
def test_hypot(coordinates, rng):
    test_rrule(math.hypot, *coordinates, rng=rng)
    test_frule(math.hypot, *coordinates, rng=rng)


SEQUENCES = [
    [0.5, -1.2, 2.0],
    (1.5, 0.3, -0.7, 2.2),
    np.array([0.4, -0.8, 1.1]),
    np.array([0.4, -0.8, 1.1], dtype=np.float32),
    Point(0.3, -1.4, 2.5),
    [2, 3, -1],
]


@pytest.mark.parametrize("xs", SEQUENCES, ids=repr)
def test_fsum(xs, rng):
    test_rrule(math.fsum, xs, rng=rng)
    test_frule(math.fsum, xs, rng=rng)


@pytest.mark.parametrize("xs", [*SEQUENCES, [1.5, 0.0, -2.0, 0.0], [0.7], []], ids=repr)
def test_prod(xs, rng):
    test_rrule(math.prod, xs, rng=rng)
    test_frule(math.prod, xs, rng=rng)


@pytest.mark.parametrize("start", [2.5, -1, 0.0])
def test_prod_start_is_a_constant_factor(start, rng):
    xs = [1.5, 0.0, -2.0]
    test_rrule(math.prod, xs, fkwargs=dict(start=start), rng=rng)
    test_frule(math.prod, (1.5, -0.5), fkwargs=dict(start=start), rng=rng)
    _, back = rrule(math.prod, xs, start=start)
    assert back(1.0) == (NoTangent(), [0.0, -3.0 * start, 0.0])


@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([0.5, -1.2, 2.0], [1.0, 0.3, -0.4]),
        ((1.5, 0.3), (-0.7, 2.2)),
        ((1, 2), [4, 6]),
        (np.array([0.4, -0.8, 1.1]), np.array([2.0, 0.1, 0.0])),
        (Point(0.3, -1.4, 2.5), Point(1.0, 0.0, -1.0)),
        ([2.0], [-1.0]),
    ],
    ids=repr,
)
def test_dist(p, q, rng):
    test_rrule(math.dist, p, q, rng=rng)
    test_frule(math.dist, p, q, rng=rng)


def test_sequence_cotangents_keep_the_container():
    _, back = rrule(math.dist, (1.0, 2.0), [4.0, 6.0])
    _, dp, dq = back(1.0)
    assert dp == pytest.approx((-0.6, -0.8)) and type(dp) is tuple
    assert dq == pytest.approx([0.6, 0.8]) and type(dq) is list
    assert back(ZeroTangent()) == (NoTangent(), ZeroTangent(), ZeroTangent())
    _, back = rrule(math.dist, [1.0, 2.0], [1.0, 2.0])  # the kink: zero subgradient
    assert back(1.0) == (NoTangent(), [0.0, 0.0], [0.0, 0.0])
    _, back = rrule(math.fsum, (1.0, 2.0, 3.0))
    assert back(2.0) == (NoTangent(), (2.0, 2.0, 2.0))
    _, back = rrule(math.prod, [2, 3, 4])
    assert back(1.0) == (NoTangent(), [12.0, 8.0, 6.0])


def test_iterators_have_no_rule():
    # Their entries are consumed by the call: there is nothing to give a cotangent to.
    assert rrule(math.fsum, iter([1.0, 2.0])) is None
    assert frule((NoTangent(), NoTangent()), math.prod, (x for x in [1.0])) is None


@pytest.mark.skipif(not hasattr(math, "sumprod"), reason="math.sumprod is new in Python 3.12")
@pytest.mark.parametrize(
    ("p", "q"),
    [
        ([0.5, -1.2, 2.0], [1.0, 0.3, -0.4]),
        ((1, 2), (3.0, -4.0)),
        (Point(1.0, 2.0, 3.0), [1, 2, 3]),
    ],
    ids=repr,
)
def test_sumprod(p, q, rng):
    test_rrule(math.sumprod, p, q, rng=rng)
    test_frule(math.sumprod, p, q, rng=rng)


NON_DIFFERENTIABLE = [
    (math.comb, (5, 2)),
    (math.factorial, (5,)),
    (math.gcd, (12, 18)),
    (math.lcm, (4, 6)),
    (math.isqrt, (17,)),
    (math.perm, (5, 2)),
    (math.isclose, (1.0, 1.0 + 1e-12)),
    (math.isfinite, (2.0,)),
    (math.isinf, (2.0,)),
    (math.isnan, (2.0,)),
]


@pytest.mark.parametrize(
    ("f", "args"), NON_DIFFERENTIABLE, ids=lambda v: getattr(v, "__name__", "")
)
def test_non_differentiable(f, args):
    y, back = rrule(f, *args)
    assert y == f(*args)
    assert back(1.0) == (NoTangent(),) * (1 + len(args))
    assert frule((NoTangent(),) * (1 + len(args)), f, *args) == (y, NoTangent())
    test_rrule(f, *map(constant, args))


def test_every_callable_of_math_has_rules():
    missing = [
        name
        for name in dir(math)
        if not name.startswith("_")
        and callable(getattr(math, name))
        and not (rrule.has_rule(getattr(math, name)) and frule.has_rule(getattr(math, name)))
    ]
    assert missing == []


def test_importing_the_rules_does_not_import_scipy_special():
    code = (
        "import math, sys\n"
        "import rules.python.math\n"
        "from rulescore import rrule\n"
        "assert 'scipy.special' not in sys.modules\n"
        "y, back = rrule(math.gamma, 2.0)\n"
        "assert 'scipy.special' not in sys.modules\n"
        "assert abs(back(1.0)[1] - (1 - 0.5772156649015329)) < 1e-12\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
