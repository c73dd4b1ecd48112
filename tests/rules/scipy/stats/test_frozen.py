"""Tests of rules/scipy/stats/frozen.py.

Frozen distributions hold SciPy objects that finite differences cannot perturb field by
field, so freezing and each frozen method are tested together, as an engine chains them:
`g(x, *parameters) = method(dist(*parameters), x)` gets rules composed from the two, and the
harness checks those against finite differences of `g`. Parameters held in `kwds` are
checked against the unfrozen rules, which the continuous and discrete tests check.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rules.scipy.stats.frozen import METHODS
from rulescore import NoTangent, Tangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule


def chained(dist, method):
    """`g(x, *parameters) = METHODS[method](dist(*parameters), x)` with composed rules."""
    function = METHODS[method]

    def g(x, *parameters):
        return function(dist(*parameters), x)

    @rrule.register(g)
    def _(x, *parameters):
        frozen, freeze_pullback = rrule(dist, *parameters)
        y, method_pullback = rrule(function, frozen, x)

        def g_pullback(dy):
            _, dfrozen, dx = method_pullback(dy)
            return NoTangent(), dx, *freeze_pullback(dfrozen)[1:]

        return y, g_pullback

    @frule.register(g)
    def _(tangents, x, *parameters):
        _, dx, *dparameters = tangents
        frozen, dfrozen = frule((NoTangent(), *dparameters), dist, *parameters)
        return frule((NoTangent(), dfrozen, dx), function, frozen, x)

    name = getattr(dist, "__self__", dist).name
    g.__name__ = g.__qualname__ = f"{name}_frozen_{method}"
    return g


CONTINUOUS = [
    (stats.norm, (0.3, 1.5), np.array([-1.0, 0.5, 2.0])),
    (stats.gamma, (2.5, 0.1, 1.3), np.array([0.5, 2.0, 6.0])),
    (stats.t, (4.0,), np.array([-1.0, 0.5, 2.0])),
    (stats.beta, (2.0, 3.0), np.array([0.2, 0.5, 0.8])),
]
DISCRETE = [
    (stats.poisson, (3.5,)),
    (stats.nbinom, (2.5, 0.4)),
    (stats.binom, (constant(12), 0.3)),
]
K = np.array([0, 2, 5])


@pytest.mark.parametrize("method", ["logpdf", "pdf", "logcdf", "cdf", "sf", "logsf"])
@pytest.mark.parametrize(
    ("dist", "parameters", "x"), CONTINUOUS, ids=lambda v: getattr(v, "name", "")
)
def test_continuous(dist, parameters, x, method, rng):
    g = chained(dist, method)
    test_rrule(g, x, *parameters, rng=rng)
    test_frule(g, x, *parameters, rng=rng)


@pytest.mark.parametrize("method", ["logpmf", "pmf", "logcdf", "cdf", "sf", "logsf"])
@pytest.mark.parametrize(("dist", "parameters"), DISCRETE, ids=lambda v: getattr(v, "name", ""))
def test_discrete(dist, parameters, method, rng):
    g = chained(dist, method)
    test_rrule(g, constant(K), *parameters, rng=rng)
    test_frule(g, constant(K), *parameters, rng=rng)


def test_freeze_method(rng):
    g = chained(stats.gamma.freeze, "cdf")
    test_rrule(g, np.array([0.5, 2.0]), 2.5, 0.1, 1.3, rng=rng)


def test_parameters_held_by_keyword_are_differentiated():
    x = np.array([0.5, 2.0, 6.0])
    frozen = stats.gamma(2.5, scale=1.3)
    _, back = rrule(METHODS["logpdf"], frozen, x)
    _, dfrozen, dx = back(np.ones(3))
    _, unfrozen_back = rrule(stats.gamma.logpdf, x, 2.5, 0.0, 1.3)
    _, want_dx, want_da, _, want_dscale = unfrozen_back(np.ones(3))
    assert isinstance(dfrozen, Tangent)
    assert unthunk(dfrozen.args[0]) == pytest.approx(unthunk(want_da))
    assert unthunk(dfrozen.kwds["scale"]) == pytest.approx(unthunk(want_dscale))
    np.testing.assert_allclose(unthunk(dx), unthunk(want_dx))
    # Forward: a tangent of `kwds` reaches the output.
    dfrozen = Tangent[type(frozen)](kwds={"scale": 1.0})
    _, dy = frule((NoTangent(), dfrozen, ZeroTangent()), METHODS["logpdf"], frozen, x)
    np.testing.assert_allclose(dy, _per_point(x))


def _per_point(x):
    # d/dscale of gamma.logpdf(x, 2.5, 0, scale) at scale 1.3, entry by entry.
    _, back = rrule(stats.gamma.logpdf, x, 2.5, 0.0, 1.3)
    return np.array([unthunk(back(np.eye(3)[i])[4]) for i in range(3)])


def test_another_instance_gets_no_rule():
    custom = stats.norm.__class__(name="custom")
    assert rrule(METHODS["logpdf"], custom(0.0, 1.0), 0.5) is None
