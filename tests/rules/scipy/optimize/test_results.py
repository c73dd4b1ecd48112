"""Tests of rules.scipy.optimize.results: an `OptimizeResult`'s fields read as attributes
carry their tangents, in the rules and through the engines (`res.x`, `res.fun`)."""

import numpy as np
import pytest
import scipy.optimize

import engine
import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import NoTangent, Tangent, ZeroTangent, frule, rrule


def _result():
    return scipy.optimize.OptimizeResult(x=np.array([1.0, 2.0]), fun=3.0, nit=4)


def test_frule_reads_the_field_tangent_from_a_dict_or_a_tangent():
    result = _result()
    for tangent in ({"fun": 0.5}, Tangent[scipy.optimize.OptimizeResult](fun=0.5)):
        y, dy = frule((NoTangent(), tangent, NoTangent()), type(result).__getattr__, result, "fun")
        assert (y, dy) == (3.0, 0.5)
    _, dy = frule((NoTangent(), {"fun": 0.5}, NoTangent()), type(result).__getattr__, result, "x")
    assert dy == ZeroTangent()


def test_rrule_returns_a_dict_cotangent_of_the_field():
    result = _result()
    y, back = rrule(type(result).__getattr__, result, "x")
    assert y is result.x
    _, dresult, dname = back(np.ones(2))
    assert list(dresult) == ["x"] and np.array_equal(dresult["x"], np.ones(2))
    assert dname == NoTangent()


def _fitted(a):
    result = scipy.optimize.minimize(
        lambda z, b: np.sum((z - b) ** 2) + np.sum(z**4), np.zeros(2), args=(a,), tol=1e-12
    )
    return result.fun + np.sum(result.x)


@pytest.mark.parametrize("backend", ["reverse", "forward"])
def test_attributes_of_a_minimize_result_differentiate(backend):
    (g,) = engine.gradient(_fitted, 0.7, backend=backend)
    h = 1e-4
    fd = (_fitted(0.7 + h) - _fitted(0.7 - h)) / (2 * h)
    assert g == pytest.approx(fd, rel=1e-5)
