"""Rules for `scipy.integrate.solve_ivp`: the continuous adjoint and forward sensitivities.

Covered: an rrule (`config=HasReverseMode`) and an frule (`config=HasForwardMode`) for
`solve_ivp(fun, t_span, y0, method, t_eval, dense_output, events, vectorized, args,
**options)`, whose `OdeResult` has a dict tangent (`ProjectTo` of a dict subclass); its
fields `y` (the solution at the output times) and `t` (the output times) are differentiated in
`y0`, `t_span`, `t_eval` and the parameters `args`.

The reverse rule integrates the adjoint ODE backward with `solve_ivp` itself (the continuous
adjoint method: Pontryagin; Cao, Li, Petzold & Serban 2003; Chen et al. 2018, "Neural ODEs"):
for `y' = f(t, y, θ)`, `L = Σₖ ⟨ȳₖ, y(tₖ)⟩`, the adjoint `a(t) = ∂L/∂y(t)` obeys
`a' = -f_yᴴ a` between output times and jumps by `ȳₖ` at `tₖ`; then `∂L/∂y0 = a(t0)`,
`∂L/∂θ = ∫ f_θᴴ a dt`, `∂L/∂tₖ = Re⟨ȳₖ, f(tₖ, yₖ)⟩` and `∂L/∂t0 = -Re⟨a(t0), f(t0, y0)⟩`.
The products `f_yᴴ a`, `f_θᴴ a` come from `rrule_via_ad(config, fun, t, y, *args)`; the state
`y(t)` between steps from the forward solution's dense output (the integration is repeated
with `dense_output=True` unless the call asked for it), so nothing is integrated backward
but the adjoint (the "interpolating" adjoint: stable where the dynamics are
dissipative). The forward rule integrates the tangent `v' = f_y v + f_θ dθ`,
`v(t0) = dy0 - f(t0, y0) dt0`, with `frule_via_ad` products, and adds `f(tₖ, yₖ) dtₖ`.
Both auxiliary integrations use the call's `method`, `rtol`, `atol` (its smallest entry) and
`max_step`: they are as accurate as the solution itself.

Conventions:

- Keyword arguments are never differentiated (the rulescore contract): `args=` must be given
  positionally (`solve_ivp(fun, t_span, y0, "RK45", t_eval, False, None, False, (p,))`) for
  its derivative; by keyword it is held constant. `args` is a tuple (or list) of numbers and
  floating arrays; other entries get `not_implemented`.
- Without `t_eval`, the output times are the solver's steps. Their interior entries are
  artifacts of step-size control: the rules hold them fixed (derivatives at fixed times);
  the first and last are `t_span`'s ends exactly and follow them.
- `fun` gets `NoTangent()`; a callable object with fields gets `not_implemented`.
- Not differentiated (`not_implemented` for a non-zero cotangent, and in the frule's tangent):
  the dense output `sol`, the events `t_events`/`y_events`, any result of an integration that
  a terminal event stopped or that failed. Counters (`nfev`, ...) have zero derivative.
- Real and complex states are supported (the cotangent convention of the rules).

>>> import numpy as np, scipy.integrate
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def decay(t, y, k):
...     return -k * y
>>> sol, back = rrule(FiniteDifferenceConfig(), scipy.integrate.solve_ivp, decay, (0.0, 1.0),
...                   np.array([1.0]), "RK45", None, False, None, False, (2.0,), rtol=1e-10)
>>> cotangents = back({"y": np.array([[0.0] * (sol.y.shape[1] - 1) + [1.0]])})
>>> float(np.round(cotangents[3][0], 6)), float(np.round(cotangents[9][0], 6))  # e^-2, -e^-2
(0.135335, -0.135335)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.integrate

from rules.scipy.integrate._adjoint import (
    Call,
    Dynamics,
    Params,
    callable_cotangent,
    dense,
    field,
    is_zero,
)
from rulescore import (
    AbstractZero,
    HasForwardMode,
    HasReverseMode,
    ProjectTo,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# The call: the primal with its dense output, and the options of the auxiliary integrations


class _Problem:
    """One `solve_ivp` call: the primal as asked for, and the dense output of the same
    integration (solved again with `dense_output=True` if needed, which takes the same steps:
    some methods spend extra evaluations on it, so the primal is never solved that way)."""

    def __init__(self, call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.arguments = dict(call.arguments)
        options = dict(self.arguments.pop("options", {}))
        self.options = options
        self.fun = self.arguments["fun"]
        self.t_span = self.arguments["t_span"]
        self.t0, self.t1 = (float(t) for t in self.t_span)
        self.t_eval = self.arguments.get("t_eval")
        self.params = Params(self.arguments.get("args"))
        self.result = scipy.integrate.solve_ivp(*args, **kwargs)
        self._interpolant = self.result.sol
        y0 = np.asarray(self.arguments["y0"])
        self.y0 = y0.astype(np.result_type(y0, np.float64)).ravel()
        self.times = np.asarray(self.result.t, dtype=float)
        self.solve_options: dict[str, Any] = {
            "method": self.arguments.get("method", "RK45"),
            "rtol": options.get("rtol", 1e-3),
            "atol": float(np.min(options.get("atol", 1e-6))),
        }
        if "max_step" in options:
            self.solve_options["max_step"] = options["max_step"]
        self.events = self.arguments.get("events")

    def interpolant(self) -> Any:
        """`t -> y(t)`, the forward integration's dense output. Taken before any auxiliary
        integration starts: LSODA is not re-entrant (a solve inside its right-hand side
        corrupts the outer one)."""
        if self._interpolant is None:
            arguments = {**self.arguments, "dense_output": True}
            self._interpolant = scipy.integrate.solve_ivp(**arguments, **self.options).sol
        return self._interpolant

    def blocker(self) -> str | None:
        """Why the output is not differentiated (None if it is)."""
        if self.result.status == 1:
            return "derivative of an integration stopped by a terminal event"
        if self.result.status != 0:
            return "derivative of a failed integration"
        return None

    def integrate(self, rhs: Any, t_from: float, t_to: float, z: np.ndarray, **kw: Any) -> Any:
        solution = scipy.integrate.solve_ivp(rhs, (t_from, t_to), z, **self.solve_options, **kw)
        if solution.status != 0:
            raise RuntimeError(
                f"solve_ivp's rule: the auxiliary ODE from t={t_from} to t={t_to} failed: "
                f"{solution.message}"
            )
        return solution

    def time_cotangents(self, dt0: float, dt1: float) -> Any:
        """The cotangent of `t_span` from those of its two ends."""
        if isinstance(self.t_span, (tuple, list)):
            return ProjectTo(self.t_span)(type(self.t_span)((dt0, dt1)))
        return ProjectTo(self.t_span)(np.array([dt0, dt1]))


# ---------------------------------------------------------------------------------------------
# Forward: the tangent ODE v' = f_y v + f_θ dθ


@frule.register(scipy.integrate.solve_ivp, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.integrate.solve_ivp, args, kwargs)
    problem = _Problem(call, args, kwargs)
    result = problem.result
    dy0 = dense(call.tangent(tangents, "y0"), problem.y0)
    dt0, dt1 = (float(d) for d in np.ravel(dense(call.tangent(tangents, "t_span"), (0.0, 0.0))))
    dparams = problem.params.tangents(call.tangent(tangents, "args"))
    dt_eval = call.tangent(tangents, "t_eval")
    unmoved = is_zero(dy0) and dt0 == dt1 == 0.0 and is_zero(dt_eval)
    if problem.times.size == 0 or (unmoved and all(map(is_zero, dparams))):
        return result, ZeroTangent()
    blocker = problem.blocker()
    if blocker is not None:
        unknown = not_implemented(blocker)
        return result, {"t": unknown, "y": unknown}

    dynamics = Dynamics(config, problem.fun, problem.params)
    times, ys = problem.times, result.y
    if problem.t_eval is None:
        dtimes = np.zeros(times.size)
        dtimes[0], dtimes[-1] = dt0, dt1
    else:
        dtimes = np.ravel(dense(dt_eval, times))

    interpolant = problem.interpolant()

    def tangent_rhs(t: float, v: np.ndarray) -> np.ndarray:
        return dynamics.jvp(t, interpolant(t), v, dparams)[1]

    v0 = dy0 - dynamics(problem.t0, problem.y0) * dt0
    if not np.any(times != problem.t0):
        v = np.repeat(v0[:, None], times.size, axis=1)
    else:
        v = problem.integrate(tangent_rhs, problem.t0, times[-1], v0, t_eval=times).y
    slopes = np.column_stack([dynamics(t, ys[:, k]) for k, t in enumerate(times)])
    dy = v + slopes * dtimes
    tangent: dict[str, Any] = {
        "t": ProjectTo(result.t)(dtimes),
        "y": ProjectTo(result.y)(dy),
    }
    if result.sol is not None:
        tangent["sol"] = not_implemented("derivative of solve_ivp's dense output `sol`")
    if problem.events is not None:
        tangent["t_events"] = not_implemented("derivative of solve_ivp's event times")
        tangent["y_events"] = not_implemented("derivative of solve_ivp's event states")
    return result, tangent


# ---------------------------------------------------------------------------------------------
# Reverse: the adjoint ODE a' = -f_yᴴ a, q' = -f_θᴴ a, backward from the last output time


@rrule.register(scipy.integrate.solve_ivp, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.integrate.solve_ivp, args, kwargs)
    problem = _Problem(call, args, kwargs)
    result = problem.result
    fun = problem.fun

    def solve_ivp_pullback(dresult: Any) -> tuple[Any, ...]:
        dresult = unthunk(dresult)
        dy, dt = field(dresult, "y"), field(dresult, "t")
        for name in ("sol", "t_events", "y_events"):
            if not is_zero(field(dresult, name)):
                return call.not_implemented(
                    f"derivative of solve_ivp's `{name}`", fun=callable_cotangent(fun)
                )
        if is_zero(dy) and is_zero(dt):
            return call.cotangents(fun=callable_cotangent(fun))
        blocker = problem.blocker()
        if blocker is not None:
            return call.not_implemented(blocker, fun=callable_cotangent(fun))
        return _adjoint(config, call, problem, dy, dt)

    return result, solve_ivp_pullback


def _adjoint(config: Any, call: Call, problem: _Problem, dy: Any, dt: Any) -> tuple[Any, ...]:
    result, params = problem.result, problem.params
    dynamics = Dynamics(config, problem.fun, params)
    times, ys = problem.times, result.y
    seeds = dense(dy, ys)
    n, p = ys.shape[0], params.size
    kind = complex if np.iscomplexobj(ys) or np.iscomplexobj(seeds) or params.is_complex else float
    z = np.zeros(n + p, dtype=kind)
    dtimes = np.zeros(times.size)

    interpolant = problem.interpolant()

    def adjoint_rhs(t: float, z: np.ndarray) -> np.ndarray:
        _, da, dq = dynamics.vjp(t, interpolant(t), z[:n])
        return -np.concatenate([da, dq])

    current = times[-1]
    for k in range(times.size - 1, -1, -1):
        if times[k] != current and np.any(z):
            z = problem.integrate(adjoint_rhs, current, times[k], z).y[:, -1]
        current = times[k]
        seed = seeds[:, k]
        if np.any(seed):
            dtimes[k] = np.real(np.vdot(seed, dynamics(times[k], ys[:, k])))
            z[:n] += seed
    if current != problem.t0 and np.any(z):
        z = problem.integrate(adjoint_rhs, current, problem.t0, z).y[:, -1]
    a, q = z[:n], z[n:]
    dt0 = -float(np.real(np.vdot(a, dynamics(problem.t0, problem.y0))))

    dtimes = dtimes + np.ravel(dense(dt, times))
    values: dict[str, Any] = {"fun": callable_cotangent(problem.fun)}
    if not isinstance(dynamics.function_cotangent, AbstractZero):
        values["fun"] = dynamics.function_cotangent
    values["y0"] = ProjectTo(call.get("y0"))(np.reshape(a, np.shape(call.get("y0"))))
    if problem.t_eval is None:
        # Interior output times are the solver's steps, held fixed; the ends are t_span's.
        values["t_span"] = problem.time_cotangents(dt0 + dtimes[0], dtimes[-1])
    else:
        values["t_span"] = problem.time_cotangents(dt0, 0.0)
        values["t_eval"] = ProjectTo(problem.t_eval)(
            dtimes if isinstance(problem.t_eval, np.ndarray) else list(dtimes)
        )
    values["args"] = params.cotangent(params.unflatten(q))
    return call.cotangents(**values)
