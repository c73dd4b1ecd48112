"""Tests of rules/scipy/special/transforms.py: the Box-Cox transforms through the harness,
with `lmbda` at, near and far from 0."""

import numpy as np
import pytest
import scipy.special as sc

from rules.scipy.special.transforms import _g, _h
from rulescore import NoTangent, ZeroTangent, frule, rrule
from rulescore.testing import test_frule, test_rrule, with_tangent

F64, F32 = np.dtype(np.float64), np.dtype(np.float32)

# (function, range of the first argument)
TRANSFORMS = [
    (sc.boxcox, 0.5, 3.0),
    (sc.boxcox1p, -0.5, 2.0),
    (sc.inv_boxcox, -1.0, 1.0),
    (sc.inv_boxcox1p, -1.0, 1.0),
]
# Values of lmbda, across the switch between series and direct formulas at |lmbda x| = 0.05.
LMBDAS = {
    "zero": lambda rng, s: np.zeros(s),
    "tiny": lambda rng, s: rng.choice([-1, 1], s) * rng.uniform(1e-12, 1e-8, s),
    "small": lambda rng, s: rng.uniform(-0.1, 0.1, s),
    "moderate": lambda rng, s: rng.uniform(-0.8, 0.8, s),
}
SHAPES = [((), ()), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), ()), ("py", "py")]


def _draw(values, shape, dtype):
    if shape == "py":
        return float(np.ravel(values)[0])
    return dtype.type(values) if shape == () else np.asarray(values, dtype=dtype)


@pytest.mark.parametrize("dtype", [F64, F32], ids=str)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
@pytest.mark.parametrize("lmbda", LMBDAS)
@pytest.mark.parametrize(("f", "low", "high"), TRANSFORMS, ids=lambda p: getattr(p, "__name__", ""))
def test_transform(f, low, high, lmbda, shapes, dtype, rng):
    s1, s2 = shapes
    x = _draw(rng.uniform(low, high, () if s1 == "py" else s1), s1, dtype)
    lm = _draw(LMBDAS[lmbda](rng, () if s2 == "py" else s2), s2, dtype)
    test_rrule(f, x, lm, rng=rng)
    test_frule(f, x, lm, rng=rng)
    test_frule(f, with_tangent(x, ZeroTangent()), lm, rng=rng)


def test_series_and_direct_formulas_agree():
    # Both sides of the switch at 0.05, against values computed in extended precision.
    t = np.array([-0.0500001, -0.0499999, 0.0499999, 0.0500001])
    tl = t.astype(np.longdouble)
    g = (tl * np.exp(tl) - np.expm1(tl)) / tl**2
    h = (tl / (1 + tl) - np.log1p(tl)) / tl**2
    tol = 1e-11 if np.finfo(np.longdouble).eps < 1e-18 else 1e-9
    np.testing.assert_allclose(_g(t), g.astype(float), rtol=tol)
    np.testing.assert_allclose(_h(t), h.astype(float), rtol=tol)
    assert _g(0.0) == 0.5 and _h(0.0) == -0.5


def test_derivatives_in_lmbda_at_zero():
    # boxcox(x, lmbda) ~ log x + lmbda log(x)²/2; inv_boxcox(y, lmbda) ~ e^y (1 - lmbda y²/2).
    x = np.array([0.5, 2.0, 5.0])
    _, back = rrule(sc.boxcox, x, 0.0)
    assert back(np.ones(3))[2] == pytest.approx(np.sum(np.log(x) ** 2 / 2), rel=1e-14)
    _, back = rrule(sc.boxcox1p, x, 0.0)
    assert back(np.ones(3))[2] == pytest.approx(np.sum(np.log1p(x) ** 2 / 2), rel=1e-14)
    _, dy = frule((NoTangent(), ZeroTangent(), 1.0), sc.inv_boxcox, x, 0.0)
    np.testing.assert_allclose(dy, -np.exp(x) * x**2 / 2, rtol=1e-14)
    _, dy = frule((NoTangent(), ZeroTangent(), 1.0), sc.inv_boxcox1p, x, 0.0)
    np.testing.assert_allclose(dy, -np.exp(x) * x**2 / 2, rtol=1e-14)


def test_integer_arguments_are_differentiated_as_reals(rng):
    _, back = rrule(sc.boxcox, 2, 0)
    assert back(1.0) == (NoTangent(), 0.5, pytest.approx(np.log(2) ** 2 / 2, rel=1e-14))


def test_no_warnings_outside_the_domain():
    for f in (sc.boxcox, sc.boxcox1p, sc.inv_boxcox, sc.inv_boxcox1p):
        _, back = rrule(f, np.array([0.0, -1.0, -3.0, 1e300]), np.array([0.5, 0.0, 2.0, 3.0]))
        back(np.ones(4))
