"""Tests of rules.scipy.optimize.scalar_roots: every solver through the harness.

The reference is a finite difference of the whole solver call. The solvers stop within
`xtol`/`tol` of the root, so the calls ask for tight tolerances (`xtol=1e-14`, `tol=1e-14`):
the roots are then exact to a few ulps and the harness's tolerances are loosened only
modestly (`rtol=1e-6`, `atol=1e-9`) for the rounding of the root that finite differences
divide by their step.
"""

import numpy as np
import pytest
import scipy.optimize

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import (
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    NotImplementedTangent,
    ZeroTangent,
    frule,
    rrule,
)
from rulescore.testing import FiniteDifferenceConfig, constant, test_frule, test_rrule

C = constant
CONFIG = FiniteDifferenceConfig()
TOL = dict(rtol=1e-6, atol=1e-9)


def fields(solver, *names):
    """`solver(...)` reduced to some fields of its result, with rules that delegate to the
    solver's: frules are tested on these, since finite differences of the whole result would
    also see its counters jump."""

    def solver_fields(*args, **kwargs):
        result = solver(*args, **kwargs)
        return tuple(result[name] for name in names)

    @frule.register(solver_fields, config=HasForwardMode)
    def _(config, tangents, *args, **kwargs):
        result, dresult = frule(config, tangents, solver, *args, **kwargs)
        if isinstance(dresult, ZeroTangent):
            return tuple(result[name] for name in names), dresult
        return tuple(result[name] for name in names), tuple(dresult[name] for name in names)

    solver_fields.__qualname__ = f"{solver.__name__}_{'_'.join(names)}"
    return solver_fields


def cubic(x, c, d):
    return x**3 - c * x - d


def cubic_prime(x, c, d):
    return 3 * x**2 - c


def cubic_with_derivative(x, c, d):
    return cubic(x, c, d), cubic_prime(x, c, d)


ROOT_SCALAR_ROOT = fields(scipy.optimize.root_scalar, "root")

BRACKETING = [
    scipy.optimize.brentq,
    scipy.optimize.brenth,
    scipy.optimize.ridder,
    scipy.optimize.bisect,
    scipy.optimize.toms748,
]


@pytest.mark.parametrize("solver", BRACKETING, ids=lambda s: s.__name__)
def test_bracketing(solver, rng):
    params = (1.5 + 0.1 * rng.standard_normal(), 1.0 + 0.1 * rng.standard_normal())
    args = (C(cubic), C(0.5), C(3.0), params)
    kwargs = dict(xtol=1e-14)
    test_rrule(solver, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
    test_frule(solver, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


def test_bracket_gets_zero_cotangent(rng):
    """The root does not depend on the bracket: zero (finite differences agree)."""
    args = (C(cubic), 0.5, 3.0, (1.5, 1.0))
    test_rrule(scipy.optimize.brentq, *args, fkwargs=dict(xtol=1e-14), config=CONFIG, **TOL)


def test_single_parameter_not_in_a_tuple(rng):
    """`args=c` (not a tuple) is wrapped by the solver; its cotangent is a float."""

    def square(x, c):
        return x**2 - c

    test_rrule(scipy.optimize.brentq, C(square), C(0.0), C(3.0), 2.0, config=CONFIG, **TOL)
    _, back = rrule(CONFIG, scipy.optimize.brentq, square, 0.0, 3.0, 2.0)
    assert isinstance(back(1.0)[4], float)


def test_full_output(rng):
    """(root, RootResults): the two reads of the root add up; counters are not compared."""
    args = (C(cubic), C(0.5), C(3.0), (1.5, 1.0), C(1e-14))
    kwargs = dict(full_output=True)
    output_tangent = (0.3, {"root": -1.1})
    test_rrule(
        scipy.optimize.brentq,
        *args,
        fkwargs=kwargs,
        output_tangent=output_tangent,
        config=CONFIG,
        **TOL,
    )


@pytest.mark.parametrize(
    "setup",
    ["secant", "newton", "halley"],
)
def test_newton(setup, rng):
    fprime = {"secant": None, "newton": cubic_prime, "halley": cubic_prime}[setup]
    kwargs = dict(tol=1e-14, maxiter=100)
    if setup == "halley":
        kwargs["fprime2"] = lambda x, c, d: 6 * x
    args = (C(cubic), C(1.5), C(fprime), (1.5, 1.0 + 0.1 * rng.standard_normal()))
    test_rrule(scipy.optimize.newton, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
    test_frule(scipy.optimize.newton, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


def test_newton_elementwise(rng):
    """An array x0: independent scalar equations, one parameter array shared elementwise."""
    c = np.array([1.2, 1.5, 2.0])
    args = (C(cubic), C(np.full(3, 1.5)), C(cubic_prime), (c, 0.8))
    kwargs = dict(tol=1e-14, maxiter=100)
    test_rrule(scipy.optimize.newton, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
    test_frule(scipy.optimize.newton, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


@pytest.mark.parametrize(
    "method",
    [
        dict(method="brentq", bracket=(0.5, 3.0)),
        dict(method="toms748", bracket=[0.5, 3.0]),
        dict(method="newton", x0=1.5, fprime=cubic_prime),
        dict(method="secant", x0=1.5, x1=1.6),
        dict(method="halley", x0=1.5, fprime=cubic_prime, fprime2=lambda x, c, d: 6 * x),
    ],
    ids=lambda m: m["method"],
)
def test_root_scalar(method, rng):
    """A RootResults: its `root` field is differentiated; counters and flags are left out."""
    args = (C(cubic), (1.5, 1.0 + 0.1 * rng.standard_normal()))
    kwargs = dict(xtol=1e-14, **method)
    test_rrule(
        scipy.optimize.root_scalar,
        *args,
        fkwargs=kwargs,
        output_tangent={"root": rng.standard_normal()},
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(ROOT_SCALAR_ROOT, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


def test_root_scalar_fprime_true(rng):
    """`fprime=True`: f returns (f, f'); only f is differentiated."""
    kwargs = dict(x0=1.5, fprime=True, xtol=1e-14)
    args = (C(cubic_with_derivative), (1.5, 1.1))
    test_rrule(
        scipy.optimize.root_scalar,
        *args,
        fkwargs=kwargs,
        output_tangent={"root": 0.8},
        config=CONFIG,
        **TOL,
    )


def test_keyword_args_are_constant():
    """`args=` by keyword is not differentiated (the rulescore contract): zero cotangents."""
    _, back = rrule(CONFIG, scipy.optimize.brentq, cubic, 0.5, 3.0, args=(1.5, 1.0))
    assert back(1.0) == (NoTangent(), NoTangent(), ZeroTangent(), ZeroTangent())


def test_callable_object_gets_not_implemented():
    class Cubic:
        def __init__(self, c):
            self.c = c

        def __call__(self, x, d):
            return x**3 - self.c * x - d

    _, back = rrule(CONFIG, scipy.optimize.brentq, Cubic(1.5), 0.5, 3.0, (1.0,))
    assert isinstance(back(1.0)[1], NotImplementedTangent)


def test_needs_reverse_mode():
    assert rrule(scipy.optimize.brentq, cubic, 0.5, 3.0, (1.5, 1.0)) is None
    assert any(r.config is HasReverseMode for r in rrule.rules_for(scipy.optimize.brentq))
