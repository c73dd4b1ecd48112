"""Rules for `scipy.integrate.odeint`: the continuous adjoint and forward sensitivities.

Covered: an rrule (`config=HasReverseMode`) and an frule (`config=HasForwardMode`) for
`odeint(func, y0, t, args, ...)`, whose output `y[k] = y(t[k])` is differentiated in `y0`,
the output times `t` (`t[0]` is the initial time) and the parameters `args`.

The reverse rule follows JAX's `odeint`: between consecutive output times it integrates
backward, with `odeint` itself, the augmented state `(y, a, q)` with `y' = f`,
`a' = -f_yᵀ a`, `q' = -f_θᵀ a` (the continuous adjoint method: Pontryagin; Cao, Li, Petzold &
Serban 2003; Chen et al. 2018, "Neural ODEs"), from the stored `y[k]` (so the state is
reconstructed backward over one interval at a time), adding the cotangent `ȳₖ` to `a` at each
`t[k]`. Then `∂L/∂y0 = a(t[0])`, `∂L/∂θ = q(t[0])`, `∂L/∂t[k] = ⟨ȳₖ, f(t[k], y[k])⟩` and
`t[0]` also gets `-⟨a(t[0]), f(t[0], y0)⟩`. The products `f_yᵀ a`, `f_θᵀ a` come from
`rrule_via_ad(config, func, y, t, *args)`. The forward rule integrates `(y, v)` with
`v' = f_y v + f_θ dθ`, `v(t[0]) = dy0 - f dt[0]` (`frule_via_ad` products), and adds
`f(t[k], y[k]) dt[k]`. The auxiliary integrations use the call's `rtol`, `atol` (smallest
entry), `hmax`, `mxstep`.

Conventions:

- Keyword arguments are never differentiated (the rulescore contract): pass `args`
  positionally (`odeint(func, y0, t, (p,))`) for its derivative. `args` is a tuple of numbers
  and floating arrays; other entries get `not_implemented`.
- `tfirst=True` (`func(t, y, ...)`) is supported. `Dfun` and the other options are honoured
  by the primal, not differentiated.
- `full_output=True`: `y` is differentiated; the `infodict`'s floating entries (step sizes,
  ...) are not (`not_implemented` for a non-zero cotangent).
- `func` gets `NoTangent()`; a callable object with fields gets `not_implemented`.

>>> import numpy as np, scipy.integrate
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def decay(y, t, k):
...     return -k * y
>>> t = np.array([0.0, 1.0])
>>> y, back = rrule(FiniteDifferenceConfig(), scipy.integrate.odeint, decay, np.array([1.0]), t,
...                 (2.0,), rtol=1e-10, atol=1e-12)
>>> _, _, dy0, dt, dargs = back(np.array([[0.0], [1.0]]))
>>> np.round([dy0[0], dt[1], dargs[0]], 6)            # e^-2, -2 e^-2, -e^-2
array([ 0.135335, -0.270671, -0.135335])
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

_PASSED_OPTIONS = ("hmax", "mxstep")


class _Problem:
    """One `odeint` call: its output and the options of the auxiliary integrations."""

    def __init__(self, call: Call, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.call = call
        self.output = scipy.integrate.odeint(*args, **kwargs)
        self.full_output = bool(call.get("full_output", 0))
        self.ys = self.output[0] if self.full_output else self.output
        self.times = np.asarray(call.get("t"), dtype=float)
        self.y0 = np.ravel(np.asarray(call.get("y0"), dtype=float))
        self.params = Params(call.get("args", ()))
        self.options: dict[str, Any] = {
            name: call.get(name) for name in _PASSED_OPTIONS if call.get(name) is not None
        }
        for name in ("rtol", "atol"):
            if call.get(name) is not None:
                self.options[name] = float(np.min(call.get(name)))

    def dynamics(self, config: Any) -> Dynamics:
        return Dynamics(
            config, self.call.get("func"), self.params, time_first=bool(self.call.get("tfirst"))
        )

    def integrate(self, rhs: Any, z: np.ndarray, times: list[float]) -> np.ndarray:
        """`odeint(rhs, z, times)` for `rhs(z, t)`, all rows."""
        out, info = scipy.integrate.odeint(rhs, z, times, full_output=True, **self.options)
        if info["message"] != "Integration successful.":
            raise RuntimeError(f"odeint's rule: the auxiliary ODE failed: {info['message']}")
        return out

    def with_output(self, dys: Any) -> Any:
        """The output's tangent from that of `y`."""
        if not self.full_output:
            return dys
        info = self.output[1]
        return (
            dys,
            {
                name: not_implemented(f"derivative of odeint's `infodict[{name!r}]`")
                for name, value in info.items()
                if isinstance(value, np.ndarray) and value.dtype.kind == "f"
            },
        )


@frule.register(scipy.integrate.odeint, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.integrate.odeint, args, kwargs)
    problem = _Problem(call, args, kwargs)
    dy0 = np.ravel(dense(call.tangent(tangents, "y0"), call.get("y0")))
    dtimes = np.ravel(dense(call.tangent(tangents, "t"), problem.times))
    dparams = problem.params.tangents(call.tangent(tangents, "args"))
    if is_zero(dy0) and is_zero(dtimes) and all(map(is_zero, dparams)):
        return problem.output, ZeroTangent()
    dynamics = problem.dynamics(config)
    ys, times, n = problem.ys, problem.times, problem.y0.size

    def augmented(z: np.ndarray, t: float) -> np.ndarray:
        return np.concatenate(dynamics.jvp(t, z[:n], z[n:], dparams))

    v0 = dy0 - dynamics(times[0], problem.y0) * dtimes[0]
    v = problem.integrate(augmented, np.concatenate([problem.y0, v0]), list(times))[:, n:]
    slopes = np.stack([dynamics(t, ys[k]) for k, t in enumerate(times)])
    dys = ProjectTo(ys)(v + slopes * dtimes[:, None])
    return problem.output, problem.with_output(dys)


@rrule.register(scipy.integrate.odeint, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.integrate.odeint, args, kwargs)
    problem = _Problem(call, args, kwargs)
    func = call.get("func")

    def odeint_pullback(doutput: Any) -> tuple[Any, ...]:
        doutput = unthunk(doutput)
        dys = doutput
        if problem.full_output and not isinstance(doutput, AbstractZero):
            dys, dinfo = unthunk(doutput[0]), unthunk(doutput[1])
            if not isinstance(dinfo, AbstractZero) and not all(map(is_zero, dinfo.values())):
                return call.not_implemented(
                    "derivative of odeint's `infodict`", func=callable_cotangent(func)
                )
        if is_zero(dys):
            return call.cotangents(func=callable_cotangent(func))
        return _adjoint(config, call, problem, dense(dys, problem.ys))

    return problem.output, odeint_pullback


def _adjoint(config: Any, call: Call, problem: _Problem, seeds: np.ndarray) -> tuple[Any, ...]:
    dynamics = problem.dynamics(config)
    ys, times, params = problem.ys, problem.times, problem.params
    n = problem.y0.size
    a, q = np.zeros(n), np.zeros(params.size)
    dtimes = np.zeros(times.size)

    def augmented(z: np.ndarray, t: float) -> np.ndarray:
        f, da, dq = dynamics.vjp(t, z[:n], z[n : 2 * n])
        return np.concatenate([f, -da, -dq])

    for k in range(times.size - 1, -1, -1):
        if np.any(seeds[k]):
            dtimes[k] = seeds[k] @ dynamics(times[k], ys[k])
            a = a + seeds[k]
        if k == 0:
            break
        if np.any(a) and times[k] != times[k - 1]:
            # From the stored state: the backward reconstruction of y spans one interval.
            z = problem.integrate(
                augmented, np.concatenate([ys[k], a, q]), [times[k], times[k - 1]]
            )
            a, q = z[-1, n : 2 * n], z[-1, 2 * n :]
    dtimes[0] -= a @ dynamics(times[0], problem.y0)

    values: dict[str, Any] = {"func": callable_cotangent(call.get("func"))}
    if not isinstance(dynamics.function_cotangent, AbstractZero):
        values["func"] = dynamics.function_cotangent
    y0 = call.get("y0")
    values["y0"] = ProjectTo(y0)(np.reshape(a, np.shape(y0)))
    t = call.get("t")
    values["t"] = ProjectTo(t)(dtimes if isinstance(t, np.ndarray) else list(dtimes))
    values["args"] = params.cotangent(params.unflatten(q))
    return call.cotangents(**values)
