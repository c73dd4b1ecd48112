"""test_frule against itself: right rules pass, wrong ones fail naming what is wrong."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest

from rulescore import NoTangent, ProjectTo, Tangent, ZeroTangent, frule, non_differentiable, unthunk
from rulescore.testing import RuleTestFailure, constant, test_frule, with_tangent

CALLS = itertools.count(1)


def make_sine_frule(tangent=None, primal=None):
    def f(x):
        return np.sin(x)

    @frule.register(f)
    def _(tangents, x):
        dx = unthunk(tangents[1])
        dy = np.cos(x) * dx
        y = np.sin(x) if primal is None else primal(x)
        return y, dy if tangent is None else tangent(x, dx, dy)

    return f


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.complex128])
@pytest.mark.parametrize("shape", [(), (4,), (2, 2)])
def test_right_frule_passes(rng, shape, dtype):
    x = rng.standard_normal(shape) + (
        1j * rng.standard_normal(shape) if dtype is np.complex128 else 0
    )
    test_frule(make_sine_frule(), np.asarray(x, dtype=dtype), rng=rng)


def test_two_arguments_structures_and_constants_pass(rng):
    @dataclass(frozen=True)
    class Line:
        slope: float
        intercept: float

    def evaluate(line, x):
        return line.slope * x + line.intercept

    @frule.register(evaluate)
    def _(tangents, line, x):
        _, dline, dx = tangents
        dline = unthunk(dline)
        dslope = dline.slope if isinstance(dline, Tangent) else ZeroTangent()
        dintercept = dline.intercept if isinstance(dline, Tangent) else ZeroTangent()
        dy = dslope * x + line.slope * unthunk(dx) + dintercept
        return evaluate(line, x), ProjectTo(evaluate(line, x))(dy)

    test_frule(evaluate, Line(2.0, -1.0), rng.standard_normal(3), rng=rng)
    test_frule(evaluate, constant(Line(2.0, -1.0)), rng.standard_normal(3), rng=rng)
    test_frule(evaluate, Line(2.0, -1.0), constant(rng.standard_normal(3)), rng=rng)


def test_non_differentiable_output_needs_no_tangent():
    def sign_of(x):
        return bool(x > 0)

    non_differentiable(sign_of)
    test_frule(sign_of, 0.5)

    def wrong_sign_of(x):
        return bool(x > 0)

    @frule.register(wrong_sign_of)
    def _(tangents, x):
        return wrong_sign_of(x), ZeroTangent()

    with pytest.raises(RuleTestFailure, match=r"must be NoTangent\(\)"):
        test_frule(wrong_sign_of, 0.5)


WRONG_FRULES = {
    "wrong tangent": (dict(tangent=lambda x, dx, dy: 2 * dy), "output tangent: max abs difference"),
    "wrong primal": (dict(primal=lambda x: np.sin(x) * 1.001), "primal output"),
    "NoTangent where a derivative exists": (
        dict(tangent=lambda x, dx, dy: NoTangent()),
        "NoTangent() where a derivative exists",
    ),
    "wrong dtype": (dict(tangent=lambda x, dx, dy: dy.astype(np.float32)), "dtype float64"),
    "wrong shape": (dict(tangent=lambda x, dx, dy: dy[None]), "shape (3,)"),
    "non-deterministic": (
        dict(tangent=lambda x, dx, dy: dy + 3e-11 * next(CALLS)),
        "a second call",
    ),
    "zero tangents give non-zero": (
        dict(tangent=lambda x, dx, dy: np.cos(x) if isinstance(dx, ZeroTangent) else dy),
        "ZeroTangent() input tangents give a non-zero output tangent",
    ),
}


@pytest.mark.parametrize("case", WRONG_FRULES, ids=list(WRONG_FRULES))
def test_wrong_frule_fails(rng, case):
    options, message = WRONG_FRULES[case]
    f = make_sine_frule(**options)
    x = rng.standard_normal(3)
    with pytest.raises(RuleTestFailure) as failure:
        test_frule(f, x, rng=rng)
    assert message in str(failure.value)
    assert "frule(" in str(failure.value)


def test_frule_that_does_not_unthunk_fails():
    def f(x):
        return np.sin(x)

    @frule.register(f)
    def _(tangents, x):
        return f(x), np.cos(x) * tangents[1].copy()

    with pytest.raises(RuleTestFailure, match="raised AttributeError for tangents"):
        test_frule(f, np.ones(2))


def test_frule_that_mutates_its_tangent_fails():
    def f(x):
        return np.sin(x)

    @frule.register(f)
    def _(tangents, x):
        dx = unthunk(tangents[1])
        if isinstance(dx, np.ndarray):
            dx *= np.cos(x)
            return f(x), dx
        return f(x), np.cos(x) * dx

    with pytest.raises(RuleTestFailure, match="mutated an input tangent"):
        test_frule(f, with_tangent(np.ones(2), np.ones(2)))


def test_missing_frule_fails():
    def lonely(x):
        return x

    with pytest.raises(RuleTestFailure, match="no rule applies"):
        test_frule(lonely, 1.0)


def test_dict_subclass_output_takes_a_plain_dict_tangent():
    class Result(dict):
        pass

    def wrap(x):
        return Result(x=2 * x)

    @frule.register(wrap)
    def _(tangents, x):
        return wrap(x), {"x": 2 * tangents[1]}

    test_frule(wrap, 1.0)
