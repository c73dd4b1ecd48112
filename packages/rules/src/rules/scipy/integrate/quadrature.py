"""Rules for `scipy.integrate.quad`: the integral in its limits and in the integrand's `args`.

Covered: an rrule (`config=HasReverseMode`) and an frule (`config=HasForwardMode`) for
`quad(func, a, b, args, ...)`, whose output `(y, abserr)` is differentiated as follows, for
`y = ∫ₐᵇ f(x, θ) w(x) dx` (`w = 1` without `weight`):

- the limits (Leibniz): `∂y/∂b = f(b, θ) w(b)`, `∂y/∂a = -f(a, θ) w(a)`; an infinite limit
  gets zero;
- the parameters `args` (a tuple, given positionally): `∂y/∂θ = ∫ₐᵇ f_θ(x, θ) w(x) dx`,
  integrated again by quadrature: `quad_vec` of the vector-Jacobian products
  (`rrule_via_ad(config, func, x, *args)`, one pullback per node), or `quad` of the
  Jacobian-vector product (`frule_via_ad`) in the frule; with a `weight`, `quad` with the
  same weight, one parameter entry at a time. `epsabs`, `epsrel`, `limit` and `points` are
  those of the call;
- the error estimate `abserr` has zero derivative (it estimates a rounding, not a function
  of the inputs to differentiate).

Conventions:

- `weight="cos"`/`"sin"` (`w = cos(ωx)`, `sin(ωx)`) are differentiated in the limits and
  `args`; the weights that depend on the limits themselves (`"alg"`, `"alg-loga"`, ...,
  `"cauchy"`) in `args` only (the limits get `not_implemented`). `wvar` and the other options
  are keywords: not differentiated.
- `complex_func=True`, and a `LowLevelCallable` integrand: `not_implemented`.
- `full_output`: the extra outputs (the infodict's subintervals and partial sums) are not
  differentiated (`not_implemented` for a non-zero cotangent).
- `func` gets `NoTangent()`; a callable object with fields gets `not_implemented`.

>>> import numpy as np, scipy.integrate
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def f(x, k):
...     return np.exp(-k * x)
>>> (y, err), back = rrule(FiniteDifferenceConfig(), scipy.integrate.quad, f, 0.0, 1.0, (2.0,))
>>> _, _, da, db, (dk,) = back((1.0, 0.0))
>>> np.round([da, db, dk], 6)            # -f(0), f(1), -∫ x e^{-2x} dx
array([-1.      ,  0.135335, -0.148499])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy
import scipy.integrate

from rules.scipy.integrate._adjoint import Call, Params, callable_cotangent, dense, is_zero
from rulescore import (
    AbstractZero,
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
    unthunk,
)

__all__: list[str] = []

# Weights w(x) that do not depend on the limits: the limits' derivatives are f w there.
_LIMIT_FREE_WEIGHTS = {"cos": np.cos, "sin": np.sin}


class _Integral:
    """One `quad` call: the integrand, its weight and the quadrature options."""

    def __init__(self, call: Call) -> None:
        self.call = call
        self.func = call.get("func")
        self.a, self.b = call.get("a"), call.get("b")
        args = call.get("args", ())
        self.single = not isinstance(args, tuple)  # quad wraps a non-tuple into one
        self.params = Params((args,) if self.single else args)
        self.weight, self.wvar = call.get("weight"), call.get("wvar")
        self.options = {
            "epsabs": call.get("epsabs", 1.49e-8),
            "epsrel": call.get("epsrel", 1.49e-8),
            "limit": call.get("limit", 50),
        }
        self.points = call.get("points")

    def blocker(self) -> str | None:
        if self.call.get("complex_func", False):
            return "derivative of quad with complex_func=True"
        if isinstance(self.func, scipy.LowLevelCallable):
            return "derivative of quad of a LowLevelCallable"
        return None

    def args_cotangent(self, parts: tuple[Any, ...]) -> Any:
        if self.single:
            return ProjectTo(self.call.get("args"))(unthunk(parts[0]))
        return self.params.cotangent(parts)

    def args_tangents(self, dargs: Any) -> tuple[Any, ...]:
        if self.single:
            return (unthunk(dargs),)
        return self.params.tangents(dargs)

    def at_limit(self, x: Any) -> Any:
        """`f(x) w(x)` at a limit: its derivative; zero at an infinite limit."""
        if not np.isfinite(x):
            return 0.0
        value = float(np.ravel(self.func(x, *self.params.values))[0])
        if self.weight is None:
            return value
        if self.weight in _LIMIT_FREE_WEIGHTS:
            return value * _LIMIT_FREE_WEIGHTS[self.weight](self.wvar * x)
        return not_implemented(f"derivative of quad in a limit with weight={self.weight!r}")

    def integrate_vector(self, integrand: Any, size: int) -> np.ndarray:
        """`∫ integrand(x) w(x) dx` for a vector-valued integrand."""
        if self.weight is None:
            options = {k: v for k, v in self.options.items() if k != "limit"}
            if self.points is not None:
                options["points"] = self.points
            return np.asarray(scipy.integrate.quad_vec(integrand, self.a, self.b, **options)[0])
        return np.array([self.integrate(lambda x, i=i: integrand(x)[i]) for i in range(size)])

    def integrate(self, integrand: Any) -> float:
        """`∫ integrand(x) w(x) dx` for a scalar integrand, as the call integrates `func`."""
        options = dict(self.options)
        if self.weight is not None:
            options.update(weight=self.weight, wvar=self.wvar)
        elif self.points is not None:
            options["points"] = self.points
        return scipy.integrate.quad(integrand, self.a, self.b, **options)[0]


def _value_cotangent(y: Any, dout: Any) -> tuple[Any, str | None]:
    """The cotangent of the integral, and the part of the output whose non-zero cotangent is
    not differentiated (the infodict and messages of `full_output`)."""
    dout = unthunk(dout)
    if isinstance(dout, AbstractZero):
        return dout, None
    for extra in dout[2:]:
        if not is_zero(extra) and not (
            isinstance(unthunk(extra), dict) and all(map(is_zero, unthunk(extra).values()))
        ):
            return ZeroTangent(), "derivative of quad's full output"
    return unthunk(dout[0]), None


@frule.register(scipy.integrate.quad, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.integrate.quad, args, kwargs)
    integral = _Integral(call)
    out = scipy.integrate.quad(*args, **kwargs)
    da, db = call.tangent(tangents, "a"), call.tangent(tangents, "b")
    dparams = integral.args_tangents(call.tangent(tangents, "args"))
    extra = tuple(
        {
            k: not_implemented(f"derivative of quad's `infodict[{k!r}]`")
            for k, v in o.items()
            if isinstance(v, np.ndarray) and v.dtype.kind == "f"
        }
        if isinstance(o, dict)
        else NoTangent()
        for o in out[2:]
    )
    if is_zero(da) and is_zero(db) and all(map(is_zero, dparams)):
        return out, (ZeroTangent(), ZeroTangent(), *extra)
    blocker = integral.blocker()
    if blocker is not None:
        return out, (not_implemented(blocker), ZeroTangent(), *extra)
    dy: Any = 0.0
    if not is_zero(db):
        dy = dy + integral.at_limit(integral.b) * float(dense(db, 0.0))
    if not is_zero(da):
        dy = dy - integral.at_limit(integral.a) * float(dense(da, 0.0))
    if not all(map(is_zero, dparams)):
        zero = ZeroTangent()

        def tangent_integrand(x: float) -> float:
            _, dvalue = frule_via_ad(
                config, (NoTangent(), zero, *dparams), integral.func, x, *integral.params.values
            )
            return float(np.ravel(dense(dvalue, dvalue))[0])

        dy = dy + integral.integrate(tangent_integrand)
    return out, (ProjectTo(out[0])(dy), ZeroTangent(), *extra)


@rrule.register(scipy.integrate.quad, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.integrate.quad, args, kwargs)
    integral = _Integral(call)
    out = scipy.integrate.quad(*args, **kwargs)
    func = integral.func

    def quad_pullback(dout: Any) -> tuple[Any, ...]:
        dy, unsupported = _value_cotangent(out[0], dout)
        if unsupported is None:
            unsupported = integral.blocker()
        if unsupported is not None:
            return call.not_implemented(unsupported, func=callable_cotangent(func))
        if is_zero(dy):
            return call.cotangents(func=callable_cotangent(func))
        dy = float(dense(dy, 0.0))
        values: dict[str, Any] = {"func": callable_cotangent(func)}
        values["a"] = ProjectTo(integral.a)(-integral.at_limit(integral.a) * dy)
        values["b"] = ProjectTo(integral.b)(integral.at_limit(integral.b) * dy)
        if "args" in call.positional and integral.params.size:
            params = integral.params

            def gradient_integrand(x: float) -> np.ndarray:
                value, back = rrule_via_ad(config, func, x, *params.values)
                return params.flatten(back(ProjectTo(value)(1.0))[2:])

            gradient = integral.integrate_vector(gradient_integrand, params.size)
            values["args"] = integral.args_cotangent(params.unflatten(gradient * dy))
        return call.cotangents(**values)

    return out, quad_pullback
