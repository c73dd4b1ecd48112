"""Rules for the minimizers of scipy.optimize: `minimize`, `minimize_scalar`, `least_squares`.

Covered, each with an rrule (`config=HasReverseMode`) and an frule (`config=HasForwardMode`):
the minimizer `x*` as a function of the parameters `args`, by the implicit function theorem
applied to the optimality condition `∇ₓc(x*, θ) = 0` of the objective `c`:
`dx* = -H⁻¹ (∂²c/∂x∂θ) dθ` with `H = ∂²c/∂x²`. The products with `H` and the mixed
derivative are derivatives of the gradient `∇ₓc(x, θ)`, taken by the engine:

- when the user gives the gradient (`jac=` a callable, or `jac=True` and `fun` returns
  `(f, ∇f)`), the engine differentiates it once;
- otherwise the gradient is itself computed by the engine (`rrule_via_ad` of `fun`, or `n`
  `frule_via_ad` products in forward mode) and differentiated again (nested AD);
- `minimize(hess=callable)`: the user's Hessian replaces the `n` products that assemble `H`.

`least_squares` minimizes `c(x, θ) = ½ Σ C² ρ(rᵢ(x, θ)² / C²)` (`C = f_scale`, `ρ` the `loss`),
whose gradient is `J_rᵀ (ρ'(z) r)`, `z = r² / C²`: the Hessian is exact (not the Gauss-Newton
approximation `JᵀJ`, which is wrong for non-zero residuals of a non-linear model).

The result's fields:

- `x`: differentiated as above; `fun` (and `cost`, `fun` of `least_squares`, the residuals):
  differentiated, `d c(x*(θ), θ) = c_θ dθ + c_x dx*` (the envelope theorem, computed exactly);
- the gradient at the solution (`jac` of `minimize`, `grad` and `optimality` of
  `least_squares`) is identically zero along the solutions: zero derivative; integer fields
  (counters, status, `active_mask`): zero;
- other floating fields (`hess_inv`, the Jacobian `jac` of `least_squares`, `final_simplex`,
  ...): not differentiated; a non-zero cotangent for one makes every cotangent
  `not_implemented`, and the frule's tangent holds `not_implemented` for them.

Conventions:

- Differentiated: `args` when passed positionally (a tuple: its cotangent is a tuple). The
  minimizer does not depend on `x0`, the method, the tolerances or the options: zero. For
  `least_squares`, whose `args` is its 18th parameter, a keyword `args=` is held constant
  like every keyword argument (the rulescore contract).
- Constraints (`constraints=` of `minimize`): `not_implemented` (KKT sensitivities are not
  implemented). Bounds: differentiated as an unconstrained problem when no bound is active
  at the solution; when one is (within `1e-6 (1 + |bound|)`, or within `10 xatol` for the
  `bounded` method of `minimize_scalar`), `not_implemented`.
- `least_squares`: `loss` one of SciPy's names; a callable `loss` gets `not_implemented`.
  The keyword arguments `kwargs=` of the residual function are passed through, never
  differentiated.
- The callables get `NoTangent()`; a callable object with fields gets `not_implemented`.

>>> import numpy as np, scipy.optimize
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def f(x, a):
...     return np.sum((x - a) ** 2)
>>> def gradient(x, a):
...     return 2 * (x - a)
>>> a = np.array([1.0, 2.0])
>>> res, back = rrule(
...     FiniteDifferenceConfig(), scipy.optimize.minimize, f, np.zeros(2), (a,), "BFGS", gradient
... )
>>> np.round(back({"x": np.array([1.0, 0.0])})[3][0], 6)    # x* = a
array([1., 0.])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize

from rules.scipy.optimize._implicit import (
    Call,
    Params,
    Solution,
    callable_cotangent,
    dense,
    first_part,
    first_seed,
    implicit_jvp,
    implicit_vjp,
    is_zero,
    seed_like,
)
from rulescore import (
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    frule_via_ad,
    not_implemented,
    rrule,
    rrule_via_ad,
)

__all__: list[str] = []

Gradient = Callable[..., Any]


# ---------------------------------------------------------------------------------------------
# The optimality condition ∇ₓc(x*, θ) = 0 and its implicit derivatives


def _unit(x: Any, i: int) -> Any:
    """The i-th unit tangent of `x` (a float for a float, an array of `x`'s shape)."""
    e = np.zeros(np.shape(x))
    e.flat[i] = 1.0
    return ProjectTo(x)(e)


def _optimum_cotangent(
    config: Any, gradient: Gradient, x: Any, params: Params, xbar: np.ndarray, hessian: Any
) -> tuple[Any, ...]:
    """`-(∂²c/∂θ∂x) H⁻¹ x̄`, one cotangent per parameter, from the pullback of `gradient`."""
    out, back = rrule_via_ad(config, gradient, x, *params.values)

    def residual_vjp(w: np.ndarray) -> tuple[np.ndarray, Any]:
        cotangents = back(seed_like(out, w))
        return np.ravel(dense(cotangents[1], x)), cotangents[2:]

    transposed = None if hessian is None else np.transpose(hessian)
    return implicit_vjp(residual_vjp, np.size(x), xbar, transposed)


def _optimum_tangent(
    config: Any,
    gradient: Gradient,
    x: Any,
    params: Params,
    dparams: tuple[Any, ...],
    hessian: Any,
) -> Any:
    """`-H⁻¹ (∂²c/∂x∂θ) dθ`, a tangent of `x`, from the pushforwards of `gradient`."""
    zeros = tuple(ZeroTangent() for _ in dparams)

    def residual_jvp(v: np.ndarray | None, with_params: bool) -> np.ndarray:
        dx = ZeroTangent() if v is None else ProjectTo(x)(np.reshape(v, np.shape(x)))
        out, dout = frule_via_ad(
            config,
            (NoTangent(), dx, *(dparams if with_params else zeros)),
            gradient,
            x,
            *params.values,
        )
        return np.ravel(dense(dout, out))

    dx = implicit_jvp(residual_jvp, np.size(x), hessian)
    return ProjectTo(x)(np.reshape(dx, np.shape(x)))


def _near_bound(x: Any, lb: Any, ub: Any, atol: float = 0.0) -> bool:
    """Whether some entry of `x` lies on (or within rounding of) one of its finite bounds."""
    x, lb, ub = np.ravel(x), np.ravel(lb), np.ravel(ub)
    lb, ub = np.broadcast_to(lb, x.shape), np.broadcast_to(ub, x.shape)
    near = []
    for bound in (lb, ub):
        finite = np.isfinite(bound)
        reach = np.maximum(1e-6 * (1 + np.abs(bound[finite])), atol)
        near.append(np.any(np.abs(x[finite] - bound[finite]) <= reach))
    return any(near)


# ---------------------------------------------------------------------------------------------
# minimize: c = fun(x, *args)


def _given_gradient(fun: Any, jac: Any) -> Gradient | None:
    """The user's gradient: `jac` itself, or `fun`'s second output (`jac=True`)."""
    if callable(jac):
        return jac
    if jac is True:

        def given_gradient(x: Any, *args: Any) -> Any:
            return fun(x, *args)[1]

        return given_gradient
    return None


def _reverse_objective_gradient(config: Any, fun: Any, jac: Any) -> Gradient:
    """`∇ₓf(x, *args)`: the user's, or the engine's (reverse mode)."""
    given = _given_gradient(fun, jac)
    if given is not None:
        return given

    def objective_gradient(x: Any, *args: Any) -> Any:
        value, back = rrule_via_ad(config, fun, x, *args)
        return dense(back(seed_like(value, 1.0))[1], x)

    return objective_gradient


def _forward_objective_gradient(config: Any, fun: Any, jac: Any) -> Gradient:
    """`∇ₓf(x, *args)`: the user's, or the engine's (one forward product per entry)."""
    given = _given_gradient(fun, jac)
    if given is not None:
        return given

    def objective_gradient(x: Any, *args: Any) -> Any:
        zeros = tuple(ZeroTangent() for _ in args)
        partials = []
        for i in range(np.size(x)):
            value, dvalue = frule_via_ad(config, (NoTangent(), _unit(x, i), *zeros), fun, x, *args)
            partials.append(np.ravel(dense(dvalue, value))[0])
        return np.reshape(partials, np.shape(x))

    return objective_gradient


def _minimize_blocker(call: Call, x: Any) -> str | None:
    """Why the unconstrained formula does not apply (None if it does)."""
    constraints = call.get("constraints", ())
    if constraints is not None and not (
        isinstance(constraints, (list, tuple)) and len(constraints) == 0
    ):
        return "derivative of a constrained minimum (KKT sensitivities)"
    bounds = call.get("bounds")
    if bounds is not None:
        if isinstance(bounds, scipy.optimize.Bounds):
            lb, ub = bounds.lb, bounds.ub
        else:
            pairs = [
                (-np.inf if lo is None else lo, np.inf if hi is None else hi) for lo, hi in bounds
            ]
            lb, ub = np.array(pairs, dtype=float).T
        if _near_bound(x, lb, ub):
            return "derivative of a minimum at an active bound"
    return None


def _user_hessian(call: Call, x: Any, params: Params) -> Any:
    hess = call.get("hess")
    if callable(hess):
        h = hess(x, *params.values)
        if isinstance(h, np.ndarray):
            return h
    return None


# `jac` is the gradient at the minimum: zero along the solutions.
_MINIMIZE_ZERO_FIELDS = ("jac",)


@frule.register(scipy.optimize.minimize, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.minimize, args, kwargs)
    fun, jac, params = call.get("fun"), call.get("jac"), Params(call.get("args", ()))
    result = scipy.optimize.minimize(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x", "fun"), _MINIMIZE_ZERO_FIELDS)
    dparams = params.tangents(call.tangent(tangents, "args"))
    if all(is_zero(d) for d in dparams):
        return result, solution.tangent(x=ZeroTangent(), fun=ZeroTangent())
    blocker = _minimize_blocker(call, x)
    if blocker is not None:
        unknown = not_implemented(blocker)
        return result, solution.tangent(x=unknown, fun=unknown)
    gradient = _forward_objective_gradient(config, fun, jac)
    dx = _optimum_tangent(config, gradient, x, params, dparams, _user_hessian(call, x, params))
    _, dvalue = frule_via_ad(config, (NoTangent(), dx, *dparams), fun, x, *params.values)
    dfun = ProjectTo(result.fun)(first_part(dvalue, jac is True))
    return result, solution.tangent(x=dx, fun=dfun)


@rrule.register(scipy.optimize.minimize, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.minimize, args, kwargs)
    fun, jac, params = call.get("fun"), call.get("jac"), Params(call.get("args", ()))
    result = scipy.optimize.minimize(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x", "fun"), _MINIMIZE_ZERO_FIELDS)
    with_gradient = jac is True

    def minimize_pullback(dresult: Any) -> tuple[Any, ...]:
        found, unsupported = solution.read(dresult)
        if all(is_zero(v) for v in found.values()) and unsupported is None:
            return call.cotangents(fun=callable_cotangent(fun))
        blocker = _minimize_blocker(call, x)
        if unsupported is not None:
            blocker = f"derivative of the result's `{unsupported}` field"
        if blocker is not None:
            return call.not_implemented(blocker, fun=callable_cotangent(fun))
        if "args" not in call.positional:
            return call.cotangents(fun=callable_cotangent(fun))
        xbar = np.ravel(dense(found["x"], x))
        direct = tuple(ZeroTangent() for _ in params.values)
        if not is_zero(found["fun"]):
            value, back = rrule_via_ad(config, fun, x, *params.values)
            dfun = dense(found["fun"], first_part(value, with_gradient))
            cotangents = back(first_seed(value, dfun, with_gradient))
            xbar = xbar + np.ravel(dense(cotangents[1], x))
            direct = cotangents[2:]
        gradient = _reverse_objective_gradient(config, fun, jac)
        hessian = _user_hessian(call, x, params)
        implicit = _optimum_cotangent(config, gradient, x, params, xbar, hessian)
        return call.cotangents(
            fun=callable_cotangent(fun), args=params.cotangent(params.add(direct, implicit))
        )

    return result, minimize_pullback


# ---------------------------------------------------------------------------------------------
# minimize_scalar: c = fun(x, *args) for a float x


def _minimize_scalar_blocker(call: Call, x: Any) -> str | None:
    bounds = call.get("bounds")
    if bounds is None:
        return None
    xatol = (call.get("options") or {}).get("xatol", 1e-5)
    if _near_bound(x, bounds[0], bounds[1], atol=10 * xatol):
        return "derivative of a minimum at a bound"
    return None


@frule.register(scipy.optimize.minimize_scalar, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.minimize_scalar, args, kwargs)
    fun, params = call.get("fun"), Params(call.get("args", ()))
    result = scipy.optimize.minimize_scalar(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x", "fun"))
    dparams = params.tangents(call.tangent(tangents, "args"))
    if all(is_zero(d) for d in dparams):
        return result, solution.tangent(x=ZeroTangent(), fun=ZeroTangent())
    blocker = _minimize_scalar_blocker(call, x)
    if blocker is not None:
        unknown = not_implemented(blocker)
        return result, solution.tangent(x=unknown, fun=unknown)
    gradient = _forward_objective_gradient(config, fun, None)
    dx = _optimum_tangent(config, gradient, x, params, dparams, None)
    _, dvalue = frule_via_ad(config, (NoTangent(), dx, *dparams), fun, x, *params.values)
    return result, solution.tangent(x=dx, fun=ProjectTo(result.fun)(dvalue))


@rrule.register(scipy.optimize.minimize_scalar, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.minimize_scalar, args, kwargs)
    fun, params = call.get("fun"), Params(call.get("args", ()))
    result = scipy.optimize.minimize_scalar(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x", "fun"))

    def minimize_scalar_pullback(dresult: Any) -> tuple[Any, ...]:
        found, unsupported = solution.read(dresult)
        if all(is_zero(v) for v in found.values()) and unsupported is None:
            return call.cotangents(fun=callable_cotangent(fun))
        blocker = _minimize_scalar_blocker(call, x)
        if unsupported is not None:
            blocker = f"derivative of the result's `{unsupported}` field"
        if blocker is not None:
            return call.not_implemented(blocker, fun=callable_cotangent(fun))
        if "args" not in call.positional:
            return call.cotangents(fun=callable_cotangent(fun))
        xbar = np.ravel(dense(found["x"], x))
        direct = tuple(ZeroTangent() for _ in params.values)
        if not is_zero(found["fun"]):
            value, back = rrule_via_ad(config, fun, x, *params.values)
            cotangents = back(seed_like(value, dense(found["fun"], value)))
            xbar = xbar + np.ravel(dense(cotangents[1], x))
            direct = cotangents[2:]
        gradient = _reverse_objective_gradient(config, fun, None)
        implicit = _optimum_cotangent(config, gradient, x, params, xbar, None)
        return call.cotangents(
            fun=callable_cotangent(fun), args=params.cotangent(params.add(direct, implicit))
        )

    return result, minimize_scalar_pullback


# ---------------------------------------------------------------------------------------------
# least_squares: c = ½ Σ C² ρ(rᵢ² / C²) for the residuals r = fun(x, *args, **kwargs)

# ρ'(z) of SciPy's robust losses (`scipy.optimize.least_squares`, "loss").
_LOSS_SLOPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": np.ones_like,
    "soft_l1": lambda z: 1 / np.sqrt(1 + z),
    "huber": lambda z: np.where(z <= 1, 1.0, 1 / np.sqrt(np.maximum(z, 1))),
    "cauchy": lambda z: 1 / (1 + z),
    "arctan": lambda z: 1 / (1 + z**2),
}

# The gradient at the minimum (`grad`) and its norm (`optimality`) are zero along the
# solutions; `active_mask` is integer.
_LEAST_SQUARES_ZERO_FIELDS = ("grad", "optimality", "active_mask")


class _LeastSquares:
    """The objective of one `least_squares` call: residuals, loss weights and gradient."""

    def __init__(self, config: Any, call: Call) -> None:
        self.config = config
        self.fun, self.jac = call.get("fun"), call.get("jac")
        self.fkwargs = call.get("kwargs") or {}
        self.loss, self.scale = call.get("loss", "linear"), call.get("f_scale", 1.0)

    def blocker(self, call: Call, x: Any) -> str | None:
        if not isinstance(self.loss, str):
            return "derivative of a minimum for a callable `loss`"
        bounds = call.get("bounds", (-np.inf, np.inf))
        if isinstance(bounds, scipy.optimize.Bounds):
            bounds = (bounds.lb, bounds.ub)
        if _near_bound(x, bounds[0], bounds[1]):
            return "derivative of a minimum at an active bound"
        return None

    def weights(self, r: Any) -> np.ndarray:
        """`ρ'(z)`, `z = r² / C²`: the gradient of the cost is `J_rᵀ (ρ'(z) r)`."""
        r = np.ravel(np.asarray(r, dtype=float))
        return _LOSS_SLOPES[self.loss](r**2 / self.scale**2)

    def reverse_gradient(self) -> Gradient:
        def least_squares_gradient(x: Any, *args: Any) -> Any:
            r, back = rrule_via_ad(self.config, self.fun, x, *args, **self.fkwargs)
            weighted = self.weights(r) * np.ravel(np.asarray(r, dtype=float))
            return dense(back(seed_like(r, weighted))[1], x)

        return least_squares_gradient

    def forward_gradient(self) -> Gradient:
        def least_squares_gradient(x: Any, *args: Any) -> Any:
            zeros = tuple(ZeroTangent() for _ in args)
            columns = []
            for i in range(np.size(x)):
                r, dr = frule_via_ad(
                    self.config,
                    (NoTangent(), _unit(x, i), *zeros),
                    self.fun,
                    x,
                    *args,
                    **self.fkwargs,
                )
                columns.append(np.ravel(dense(dr, r)))
            r = np.ravel(np.asarray(r, dtype=float))
            return np.reshape(np.column_stack(columns).T @ (self.weights(r) * r), np.shape(x))

        return least_squares_gradient


@frule.register(scipy.optimize.least_squares, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.least_squares, args, kwargs)
    problem, params = _LeastSquares(config, call), Params(call.get("args", ()), wrap=False)
    result = scipy.optimize.least_squares(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x", "cost", "fun"), _LEAST_SQUARES_ZERO_FIELDS)
    dparams = params.tangents(call.tangent(tangents, "args"))
    if all(is_zero(d) for d in dparams):
        return result, solution.tangent(x=ZeroTangent(), cost=ZeroTangent(), fun=ZeroTangent())
    blocker = problem.blocker(call, x)
    if blocker is not None:
        unknown = not_implemented(blocker)
        return result, solution.tangent(x=unknown, cost=unknown, fun=unknown)
    dx = _optimum_tangent(config, problem.forward_gradient(), x, params, dparams, None)
    r, dr = frule_via_ad(
        config, (NoTangent(), dx, *dparams), problem.fun, x, *params.values, **problem.fkwargs
    )
    dr = np.ravel(dense(dr, r))
    r = np.ravel(np.asarray(r, dtype=float))
    dcost = ProjectTo(result.cost)(np.sum(problem.weights(r) * r * dr))
    dfun = ProjectTo(result.fun)(np.reshape(dr, np.shape(result.fun)))
    return result, solution.tangent(x=dx, cost=dcost, fun=dfun)


@rrule.register(scipy.optimize.least_squares, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.least_squares, args, kwargs)
    problem, params = _LeastSquares(config, call), Params(call.get("args", ()), wrap=False)
    result = scipy.optimize.least_squares(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x", "cost", "fun"), _LEAST_SQUARES_ZERO_FIELDS)
    fun = problem.fun

    def least_squares_pullback(dresult: Any) -> tuple[Any, ...]:
        found, unsupported = solution.read(dresult)
        if all(is_zero(v) for v in found.values()) and unsupported is None:
            return call.cotangents(fun=callable_cotangent(fun))
        blocker = problem.blocker(call, x)
        if unsupported is not None:
            blocker = f"derivative of the result's `{unsupported}` field"
        if blocker is not None:
            return call.not_implemented(blocker, fun=callable_cotangent(fun))
        if "args" not in call.positional:
            return call.cotangents(fun=callable_cotangent(fun))
        xbar = np.ravel(dense(found["x"], x))
        direct = tuple(ZeroTangent() for _ in params.values)
        if not (is_zero(found["cost"]) and is_zero(found["fun"])):
            # d cost = Σ ρ'(z) r dr: one pullback of the residuals carries both seeds.
            r, back = rrule_via_ad(config, fun, x, *params.values, **problem.fkwargs)
            flat = np.ravel(np.asarray(r, dtype=float))
            seed = np.ravel(dense(found["fun"], result.fun)) + dense(found["cost"], result.cost) * (
                problem.weights(flat) * flat
            )
            cotangents = back(seed_like(r, seed))
            xbar = xbar + np.ravel(dense(cotangents[1], x))
            direct = cotangents[2:]
        implicit = _optimum_cotangent(config, problem.reverse_gradient(), x, params, xbar, None)
        return call.cotangents(
            fun=callable_cotangent(fun), args=params.cotangent(params.add(direct, implicit))
        )

    return result, least_squares_pullback
