"""Tests of rules.scipy.integrate.odepack (`odeint`) through the harness.

The reference is a finite difference of the whole `odeint` call, solved with `rtol=1e-10`,
`atol=1e-12`. LSODA's solution moves with the parameters in small jumps (a step more or
less, a switch between its stiff and non-stiff methods) of the size of those tolerances, so
the finite differences are told that each value is off by ~1e4 eps
(`central_fdm(5, factor=1e4)`) and the harness's tolerances are loosened to `rtol=1e-5`,
`atol=1e-7`: the adjoint and tangent ODEs are solved to the same tolerances, so the rules are
good to ~1e-8. The dynamics have rules of their own (as an engine would differentiate them);
one test lets the configuration take finite differences of them instead.
"""

import numpy as np
import pytest
import scipy.integrate

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import AbstractZero, NoTangent, NotImplementedTangent, frule, rrule, unthunk
from rulescore.testing import (
    FiniteDifferenceConfig,
    central_fdm,
    constant,
    test_frule,
    test_rrule,
)

C = constant
CONFIG = FiniteDifferenceConfig()
SOLVER = dict(rtol=1e-10, atol=1e-12)
TOL = dict(rtol=1e-5, atol=1e-7, method=central_fdm(5, factor=1e4))
odeint = scipy.integrate.odeint


def oscillator(y, t, w, c):
    """A damped, driven oscillator: y = (position, velocity)."""
    return np.array([y[1], -(w**2) * y[0] - c * y[1] + 0.2 * np.cos(t)])


def _oscillator_partials(y, t, w, c):
    jy = np.array([[0.0, 1.0], [-(w**2), -c]])
    jt = np.array([0.0, -0.2 * np.sin(t)])
    return jy, jt, np.array([0.0, -2 * w * y[0]]), np.array([0.0, -y[1]])


@rrule.register(oscillator)
def _(y, t, w, c):
    jy, jt, jw, jc = _oscillator_partials(y, t, w, c)

    def oscillator_pullback(dy):
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), dy, dy, dy, dy
        return NoTangent(), jy.T @ dy, float(jt @ dy), float(jw @ dy), float(jc @ dy)

    return oscillator(y, t, w, c), oscillator_pullback


@frule.register(oscillator)
def _(tangents, y, t, w, c):
    jy, jt, jw, jc = _oscillator_partials(y, t, w, c)
    dout = np.zeros(2)
    for partial, d in zip((jy, jt, jw, jc), tangents[1:], strict=True):
        d = unthunk(d)
        if not isinstance(d, AbstractZero):
            dout = dout + (partial @ d if partial.ndim == 2 else partial * d)
    return oscillator(y, t, w, c), dout


def oscillator_plain(y, t, w, c):
    """The same dynamics, with no rule: the configuration takes finite differences."""
    return oscillator(y, t, w, c)


def oscillator_time_first(t, y, w, c):
    return oscillator(y, t, w, c)


def test_dynamics_rules(rng):
    args = (np.array([1.0, 0.5]), 0.3, 1.3, 0.4)
    test_rrule(oscillator, *args, rng=rng)
    test_frule(oscillator, *args, rng=rng)


Y0 = np.array([1.0, 0.0])
T = np.array([0.0, 0.6, 1.2, 1.8])  # spaced wider than the finite differences' steps


@pytest.mark.parametrize("fun", [oscillator, oscillator_plain], ids=["rules", "fd-dynamics"])
def test_odeint(fun, rng):
    args = (C(fun), Y0, T, (1.3, 0.4))
    test_rrule(odeint, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)
    test_frule(odeint, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_odeint_tfirst_and_backward_in_time(rng):
    args = (C(oscillator_time_first), Y0, T[::-1].copy(), (1.3, 0.4))
    kwargs = dict(SOLVER, tfirst=True)
    test_rrule(odeint, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
    test_frule(odeint, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


def test_odeint_y0_as_list(rng):
    args = (C(oscillator), [1.0, 0.0], T, (1.3, 0.4))
    test_rrule(odeint, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_odeint_full_output(rng):
    """`(y, infodict)`: y is differentiated; the infodict's step sizes are not."""
    y, back = rrule(CONFIG, odeint, *y_args(), full_output=True, **SOLVER)
    plain = rrule(CONFIG, odeint, *y_args(), **SOLVER)[1]
    seed = rng.standard_normal(y[0].shape)
    np.testing.assert_allclose(back((seed, {}))[2], plain(seed)[2], rtol=1e-12)
    assert isinstance(back((seed, {"hu": np.ones(3)}))[2], NotImplementedTangent)
    tangents = (NoTangent(), NoTangent(), np.ones(2), np.zeros(4), (0.5, -0.2))
    _, (dy, dinfo) = frule(CONFIG, tangents, odeint, *y_args(), full_output=True, **SOLVER)
    _, want = frule(CONFIG, tangents, odeint, *y_args(), **SOLVER)
    np.testing.assert_allclose(dy, want, rtol=1e-12)
    assert isinstance(dinfo["hu"], NotImplementedTangent)


def y_args():
    return oscillator, Y0, T, (1.3, 0.4)


def test_odeint_keyword_args_are_constant(rng):
    _, back = rrule(CONFIG, odeint, oscillator, Y0, T, args=(1.3, 0.4), **SOLVER)
    assert len(back(np.ones((4, 2)))) == 4
