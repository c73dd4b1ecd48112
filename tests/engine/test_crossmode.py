"""Tests of engine/_crossmode.py: every built-in engine implements both `frule_via_ad` and
`rrule_via_ad`, natively or one pass per coordinate, and they agree."""

from __future__ import annotations

import numpy as np
import pytest

import engine
from rulescore import NoTangent, unthunk


def model(w, x):
    return {"y": np.tanh(w * x), "s": np.sum(w * x**2)}


W, X = 0.7, np.array([0.5, -1.0, 2.0])


@pytest.mark.parametrize("name", ["reverse", "forward", "tape"])
def test_frule_via_ad_agrees_across_engines(name):
    tangents = (NoTangent(), 1.0, np.array([0.1, 0.2, -0.3]))
    y, dy = engine.get_engine(name).frule_via_ad(tangents, model, W, X)
    want_y, want_dy = engine.get_engine("forward").frule_via_ad(tangents, model, W, X)
    np.testing.assert_allclose(y["y"], want_y["y"])
    np.testing.assert_allclose(unthunk(dy["y"]), unthunk(want_dy["y"]), rtol=1e-12)
    assert unthunk(dy["s"]) == pytest.approx(unthunk(want_dy["s"]), rel=1e-12)


@pytest.mark.parametrize("name", ["reverse", "forward", "tape"])
def test_rrule_via_ad_agrees_across_engines(name):
    seed = {"y": np.array([1.0, -2.0, 0.5]), "s": 3.0}
    _, back = engine.get_engine(name).rrule_via_ad(model, W, X)
    _, want = engine.get_engine("reverse").rrule_via_ad(model, W, X)
    got, expected = back(seed), want(seed)
    assert unthunk(got[1]) == pytest.approx(unthunk(expected[1]), rel=1e-12)
    np.testing.assert_allclose(unthunk(got[2]), unthunk(expected[2]), rtol=1e-12)


def test_arguments_without_coordinates_get_zeros_of_their_kind():
    _, back = engine.get_engine("forward").rrule_via_ad(lambda x, n: x * n, 2.0, np.arange(3))
    grads = back(np.ones(3))
    assert grads[1] == pytest.approx(3.0) and grads[2] == NoTangent()
    _, back = engine.get_engine("forward").rrule_via_ad(lambda x, s: x * 2.0, 2.0, "label")
    assert back(1.0)[1:] == (2.0, NoTangent())
