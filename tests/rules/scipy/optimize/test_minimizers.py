"""Tests of rules.scipy.optimize.minimizers (`minimize`, `minimize_scalar`, `least_squares`).

The reference is a finite difference of the whole minimizer call, asked for tight tolerances.
The minimizers still stop with solutions good to ~1e-10 (Newton-CG, quasi-Newton methods,
`least_squares(method="lm")`) or ~1e-9 (Brent, golden section, bounded, the robust losses of
`least_squares`), which move in jumps (an iteration more or less) as the parameters move.
The finite differences are told so (`central_fdm(5, factor=1e6)` or `factor=1e8`: each value
is off by that many eps), which keeps them from choosing tiny steps over the jumps and widens
their error estimate honestly; the harness's tolerances are then `rtol=1e-6` (`1e-5` for the
~1e-9 solutions). Where the rule's Hessian comes from nested finite differences (no `jac`),
the rule is also compared with the same rule given the exact gradient.
Frules are tested on some fields of the result (`fields`): finite differences of the whole
result would see its counters jump.
"""

import numpy as np
import pytest
import scipy.optimize

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import (
    AbstractZero,
    HasForwardMode,
    NoTangent,
    NotImplementedTangent,
    ZeroTangent,
    frule,
    rrule,
)
from rulescore.testing import (
    FiniteDifferenceConfig,
    central_fdm,
    constant,
    test_frule,
    test_rrule,
)

C = constant
CONFIG = FiniteDifferenceConfig()
TOL = dict(rtol=1e-6, atol=1e-9)
# Quasi-Newton solutions are good to ~1e-10: see the module's docstring.
NOISY = dict(rtol=1e-6, atol=1e-8, method=central_fdm(5, factor=1e6))
# Brent's and the robust `least_squares` solutions are good to ~1e-9.
NOISIER = dict(rtol=1e-5, atol=1e-7, method=central_fdm(5, factor=1e8))


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


MINIMIZE = fields(scipy.optimize.minimize, "x", "fun")
MINIMIZE_SCALAR = fields(scipy.optimize.minimize_scalar, "x", "fun")
LEAST_SQUARES = fields(scipy.optimize.least_squares, "x", "cost", "fun")


# ---------------------------------------------------------------------------------------------
# minimize


def objective(x, a, b):
    return np.sum((x - a) ** 2) + b * np.sum(x**4) + 0.3 * x[0] * x[1]


def gradient(x, a, b):
    return 2 * (x - a) + 4 * b * x**3 + 0.3 * x[::-1]


def hessian(x, a, b):
    return 2 * np.eye(2) + np.diag(12 * b * x**2) + 0.3 * np.array([[0.0, 1.0], [1.0, 0.0]])


def objective_and_gradient(x, a, b):
    return objective(x, a, b), gradient(x, a, b)


def minimize_tangent(rng):
    return {"x": rng.standard_normal(2), "fun": rng.standard_normal()}


def params(rng):
    return (np.array([1.0, -0.5]) + 0.1 * rng.standard_normal(2), 0.7)


def test_minimize_exact_hessian(rng):
    """Newton-CG with the exact Hessian: the user's `jac` and `hess` are differentiated."""
    args = (C(objective), C(np.zeros(2)), params(rng), C("Newton-CG"), C(gradient), C(hessian))
    kwargs = dict(tol=1e-13)
    test_rrule(
        scipy.optimize.minimize,
        *args,
        fkwargs=kwargs,
        output_tangent=minimize_tangent(rng),
        config=CONFIG,
        rng=rng,
        **NOISY,
    )
    test_frule(MINIMIZE, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **NOISY)


@pytest.mark.parametrize(
    ("fun", "jac"),
    [(objective, gradient), (objective_and_gradient, True), (objective, "3-point")],
    ids=["jac", "jac-true", "nested"],
)
def test_minimize_bfgs(fun, jac, rng):
    args = (C(fun), C(np.zeros(2)), params(rng), C("BFGS"), C(jac))
    kwargs = dict(tol=1e-12)
    test_rrule(
        scipy.optimize.minimize,
        *args,
        fkwargs=kwargs,
        output_tangent=minimize_tangent(rng),
        config=CONFIG,
        rng=rng,
        **NOISY,
    )
    test_frule(MINIMIZE, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **NOISY)


def test_minimize_nested_agrees_with_given_gradient(rng):
    """Without `jac`, the Hessian comes from AD of AD (here finite differences of finite
    differences): it agrees with the rule given the exact gradient."""
    theta = params(rng)
    seed = minimize_tangent(rng)
    reference = rrule(
        CONFIG, scipy.optimize.minimize, objective, np.zeros(2), theta, "BFGS", gradient, tol=1e-12
    )[1](seed)[3]
    nested = rrule(CONFIG, scipy.optimize.minimize, objective, np.zeros(2), theta, tol=1e-12)[1](
        seed
    )[3]
    np.testing.assert_allclose(nested[0], reference[0], rtol=1e-6)
    np.testing.assert_allclose(nested[1], reference[1], rtol=1e-6)
    no = NoTangent()
    _, forward = frule(
        CONFIG,
        (no, no, ZeroTangent(), (np.ones(2), 0.5)),
        scipy.optimize.minimize,
        objective,
        np.zeros(2),
        theta,
        tol=1e-12,
    )
    _, want = frule(
        CONFIG,
        (no, no, ZeroTangent(), (np.ones(2), 0.5), no, no),
        scipy.optimize.minimize,
        objective,
        np.zeros(2),
        theta,
        "BFGS",
        gradient,
        tol=1e-12,
    )
    np.testing.assert_allclose(forward["x"], want["x"], rtol=1e-6)


def test_minimize_inactive_bounds(rng):
    """Bounds that are not active at the minimum do not change the derivative."""
    bounds = [(-2.0, 2.0), (None, 1.0)]
    args = (C(objective), C(np.zeros(2)), params(rng), C("L-BFGS-B"), C(gradient))
    kwargs = dict(bounds=bounds, options=dict(ftol=1e-15, gtol=1e-14))
    test_rrule(
        scipy.optimize.minimize,
        *args,
        fkwargs=kwargs,
        output_tangent=minimize_tangent(rng),
        config=CONFIG,
        rng=rng,
        **NOISY,
    )


def test_minimize_active_bound_or_constraint_is_not_implemented():
    theta = (np.array([1.0, -0.5]), 0.7)
    seed = {"x": np.ones(2)}
    _, back = rrule(
        CONFIG, scipy.optimize.minimize, objective, np.zeros(2), theta, bounds=[(0, 2), (0, 2)]
    )
    assert isinstance(back(seed)[3], NotImplementedTangent)
    constraint = {"type": "ineq", "fun": lambda x: 1 - x[0]}
    _, back = rrule(
        CONFIG, scipy.optimize.minimize, objective, np.zeros(2), theta, constraints=[constraint]
    )
    assert isinstance(back(seed)[3], NotImplementedTangent)
    _, back = rrule(CONFIG, scipy.optimize.minimize, objective, np.zeros(2), theta, "BFGS")
    assert isinstance(back({"hess_inv": np.ones((2, 2))})[3], NotImplementedTangent)
    # The gradient at the minimum and the counters have zero derivative.
    zero = back({"jac": np.ones(2), "nit": 1.0})
    assert all(isinstance(c, AbstractZero) for c in zero)


# ---------------------------------------------------------------------------------------------
# minimize_scalar


def quadratic(x, a, b, c):
    return b * (x - a) ** 2 + c * x


def quartic(x, a, b):
    return (x - a) ** 2 + b * x**4


def scalar_tangent(rng):
    return {"x": rng.standard_normal(), "fun": rng.standard_normal()}


@pytest.mark.parametrize("method", ["brent", "golden"])
def test_minimize_scalar(method, rng):
    theta = (0.3 + 0.1 * rng.standard_normal(), 0.5)
    args = (C(quartic), C(None), C(None), theta)
    kwargs = dict(method=method, options=dict(xtol=1e-14))
    test_rrule(
        scipy.optimize.minimize_scalar,
        *args,
        fkwargs=kwargs,
        output_tangent=scalar_tangent(rng),
        config=CONFIG,
        rng=rng,
        **NOISIER,
    )
    test_frule(MINIMIZE_SCALAR, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **NOISIER)


def test_minimize_scalar_analytic():
    """`b (x - a)² + c x` has its minimum at `x* = a - c / (2b)`."""
    a, b, c = 0.3, 1.5, 0.4
    options = dict(xtol=1e-14)
    _, back = rrule(
        CONFIG, scipy.optimize.minimize_scalar, quadratic, None, None, (a, b, c), options=options
    )
    np.testing.assert_allclose(back({"x": 1.0})[4], (1.0, c / (2 * b**2), -1 / (2 * b)), rtol=1e-7)


def test_minimize_scalar_bounded(rng):
    """The bounded method on a quartic; its solution is good to about 1e-9 (`xatol`)."""
    theta = (0.3 + 0.1 * rng.standard_normal(), 0.5)
    args = (C(quartic), C(None), C((-2.0, 2.0)), theta)
    kwargs = dict(method="bounded", options=dict(xatol=1e-12))
    test_rrule(
        scipy.optimize.minimize_scalar,
        *args,
        fkwargs=kwargs,
        output_tangent=scalar_tangent(rng),
        config=CONFIG,
        rng=rng,
        **NOISIER,
    )
    test_frule(MINIMIZE_SCALAR, *args, fkwargs=kwargs, config=CONFIG, rng=rng, **NOISIER)


def test_minimize_scalar_at_bound_is_not_implemented():
    _, back = rrule(CONFIG, scipy.optimize.minimize_scalar, quartic, None, (1.0, 2.0), (0.0, 0.5))
    assert isinstance(back({"x": 1.0})[4], NotImplementedTangent)


# ---------------------------------------------------------------------------------------------
# least_squares: `args` is its 18th parameter, given positionally here


def model(x, t, y):
    """Residuals of an exponential fit: non-linear, with a non-zero residual at the optimum,
    where the Gauss-Newton Hessian JᵀJ would be wrong."""
    return x[0] * np.exp(-x[1] * t) - y


def model_jacobian(x, t, y):
    e = np.exp(-x[1] * t)
    return np.column_stack([e, -x[0] * t * e])


# Rules for the residuals, as an engine would differentiate them: the configuration then
# uses them for the inner derivative of the rule's gradient `J_rᵀ (ρ' r)`, and only that
# gradient is differentiated by finite differences (nested finite differences are slow).
@rrule.register(model)
def _(x, t, y):
    e = np.exp(-x[1] * t)

    def model_pullback(dr):
        return NoTangent(), model_jacobian(x, t, y).T @ dr, -x[0] * x[1] * e * dr, -dr

    return model(x, t, y), model_pullback


@frule.register(model)
def _(tangents, x, t, y):
    _, dx, dt, dy = (ZeroTangent() if d is None else d for d in tangents)
    dx, dt, dy = (np.zeros(2) if isinstance(dx, AbstractZero) else dx), dt, dy
    dr = model_jacobian(x, t, y) @ dx - dy
    if not isinstance(dt, AbstractZero):
        dr = dr - x[0] * x[1] * np.exp(-x[1] * t) * dt
    return model(x, t, y), dr


def test_model_rules(rng):
    x, (t, y) = np.array([2.0, 0.7]), fit_data(rng)
    test_rrule(model, x, t, y)
    test_frule(model, x, t, y)


T = np.array([0.0, 0.5, 1.0, 1.5, 2.0])


def least_squares_args(theta, loss="linear", f_scale=1.0, method="lm", bounds=(-np.inf, np.inf)):
    """The positional arguments of `least_squares` up to `args` (`theta`), held constant."""
    tight = 1e-15  # "lm" reaches it; "trf" stops at a gradient of ~1e-10
    options = (method, tight, tight, tight, None, loss, f_scale, None, None, None, None, None, 0)
    start = (model, np.array([1.0, 0.5]), model_jacobian, bounds, *options)
    return (*map(C, start), theta)


def fit_data(rng):
    return (T, 2.0 * np.exp(-0.7 * T) + 0.1 * np.array([1.0, -1.0, 0.5, 0.3, -0.6]))


@pytest.mark.parametrize(
    ("loss", "f_scale", "method"),
    [("linear", 1.0, "lm"), ("soft_l1", 0.2, "trf"), ("cauchy", 0.5, "dogbox")],
)
def test_least_squares(loss, f_scale, method, rng):
    args = least_squares_args(fit_data(rng), loss, f_scale, method)
    seed = {
        "x": rng.standard_normal(2),
        "cost": rng.standard_normal(),
        "fun": rng.standard_normal(5),
    }
    tol = NOISIER
    test_rrule(
        scipy.optimize.least_squares, *args, output_tangent=seed, config=CONFIG, rng=rng, **tol
    )
    test_frule(LEAST_SQUARES, *args, config=CONFIG, rng=rng, **tol)


def test_least_squares_active_bound_is_not_implemented(rng):
    bounds = ([0, 0], [5, 0.6])  # the fit wants x[1] = 0.74
    args = least_squares_args(fit_data(rng), method="trf", bounds=bounds)
    args = [*(a.primal for a in args[:-1]), args[-1]]
    _, back = rrule(CONFIG, scipy.optimize.least_squares, *args)
    assert isinstance(back({"x": np.ones(2)})[18], NotImplementedTangent)
    args = least_squares_args(fit_data(rng))
    args = [*(a.primal for a in args[:-1]), args[-1]]
    _, back = rrule(CONFIG, scipy.optimize.least_squares, *args)
    assert isinstance(back({"jac": np.ones((5, 2))})[18], NotImplementedTangent)
