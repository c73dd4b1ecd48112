"""Tests of rules.scipy.optimize.roots (`root`, `fixed_point`) through the harness.

The reference is a finite difference of the whole solver call, asked for tight tolerances
(`tol=1e-13`, `xtol=1e-13`); the harness's tolerances are loosened modestly (`rtol=1e-6`,
`atol=1e-9`) for the solution's last digits, which finite differences divide by their step.
Frules are tested on the `x` field alone (`fields`): finite differences of the whole result
would see its counters jump.
"""

import numpy as np
import pytest
import scipy.optimize

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import HasForwardMode, NotImplementedTangent, ZeroTangent, frule, rrule
from rulescore.testing import FiniteDifferenceConfig, constant, test_frule, test_rrule

C = constant
CONFIG = FiniteDifferenceConfig()
TOL = dict(rtol=1e-6, atol=1e-9)


def fields(solver, *names):
    """`solver(...)` reduced to some fields of its result, with an frule that delegates to
    the solver's."""

    def solver_fields(*args, **kwargs):
        result = solver(*args, **kwargs)
        return tuple(result[name] for name in names)

    @frule.register(solver_fields, config=HasForwardMode)
    def _(config, tangents, *args, **kwargs):
        result, dresult = frule(config, tangents, solver, *args, **kwargs)
        return tuple(result[name] for name in names), tuple(dresult[name] for name in names)

    solver_fields.__qualname__ = f"{solver.__name__}_{'_'.join(names)}"
    return solver_fields


ROOT_X = fields(scipy.optimize.root, "x")


def residual(x, a, b):
    return np.array([x[0] + a * x[1] ** 3 - 1.0, b * x[0] ** 2 + x[1] - 0.5 * a])


def residual_jacobian(x, a, b):
    return np.array([[1.0, 3 * a * x[1] ** 2], [2 * b * x[0], 1.0]])


def residual_and_jacobian(x, a, b):
    return residual(x, a, b), residual_jacobian(x, a, b)


@pytest.mark.parametrize("method", ["hybr", "lm", "krylov"])
def test_root(method, rng):
    params = (0.5 + 0.1 * rng.standard_normal(), np.array(0.3))
    tol = 1e-13 if method != "krylov" else 1e-12
    args = (C(residual), C(np.zeros(2)), params, C(method))
    test_rrule(
        scipy.optimize.root,
        *args,
        fkwargs=dict(tol=tol),
        output_tangent={"x": rng.standard_normal(2)},
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(ROOT_X, *args, fkwargs=dict(tol=tol), config=CONFIG, rng=rng, **TOL)


def test_root_jac_true(rng):
    """`jac=True`: fun returns (F, J); only F is differentiated."""
    args = (C(residual_and_jacobian), C(np.zeros(2)), (0.5, 0.3), C("hybr"), C(True))
    test_rrule(
        scipy.optimize.root,
        *args,
        fkwargs=dict(tol=1e-13),
        output_tangent={"x": rng.standard_normal(2), "fun": rng.standard_normal(2)},
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(ROOT_X, *args, fkwargs=dict(tol=1e-13), config=CONFIG, rng=rng, **TOL)


def test_root_solver_byproducts_are_not_implemented():
    _, back = rrule(CONFIG, scipy.optimize.root, residual, np.zeros(2), (0.5, 0.3))
    cotangents = back({"x": np.ones(2), "fjac": np.ones((2, 2))})
    assert isinstance(cotangents[3], NotImplementedTangent)
    assert "fjac" in cotangents[3].info
    # Counters have no derivative: a cotangent for them changes nothing.
    plain = back({"x": np.ones(2)})[3]
    with_counter = back({"x": np.ones(2), "nfev": 3.0})[3]
    np.testing.assert_allclose(np.array(with_counter), np.array(plain))
    _, dresult = frule(
        CONFIG,
        (None, ZeroTangent(), ZeroTangent(), (1.0, 0.0)),
        scipy.optimize.root,
        residual,
        np.zeros(2),
        (0.5, 0.3),
    )
    assert isinstance(dresult["fjac"], NotImplementedTangent) and "nfev" not in dresult


def fixed_map(x, c):
    return c * np.cos(x)


def coupled_map(x, a, b):
    return 0.5 * np.tanh(a @ x) + b


@pytest.mark.parametrize("method", ["del2", "iteration"])
def test_fixed_point_scalar(method, rng):
    args = (C(fixed_map), C(1.0), (0.7 + 0.1 * rng.standard_normal(),))
    kwargs = dict(xtol=1e-14, method=method, maxiter=2000)
    test_rrule(scipy.optimize.fixed_point, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
    test_frule(scipy.optimize.fixed_point, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)


def test_fixed_point_coupled(rng):
    """A map that couples the components: the full Jacobian (I - g_x) is solved."""
    # `a` small enough for a contraction, even where finite differences move it.
    params = (0.3 * np.random.default_rng(0).standard_normal((3, 3)), rng.standard_normal(3))
    args = (C(coupled_map), C(np.zeros(3)), params)
    kwargs = dict(xtol=1e-13, method="iteration", maxiter=5000)
    test_rrule(scipy.optimize.fixed_point, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
    test_frule(scipy.optimize.fixed_point, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **TOL)
