"""Rules for the vector equations of scipy.optimize: `root` and `fixed_point`.

Covered, each with an rrule (`config=HasReverseMode`) and an frule (`config=HasForwardMode`):
the solution `x*` as a function of the parameters `args`, by the implicit function theorem.
For `root`, `F(x*, θ) = 0` gives `dx* = -F_x⁻¹ F_θ dθ`; for `fixed_point`, `x* = g(x*, θ)`
gives `(I - g_x) dx* = g_θ dθ`. The products with `F_x`, `F_θ` (`g_x`, `g_θ`) come from the
engine (`rrule_via_ad` / `frule_via_ad` of the user's callable at the solution); the
Jacobian in `x` is assembled from `n` such products (`n` unknowns) and solved densely.

Conventions:

- Differentiated: `args` when passed positionally (a tuple: its cotangent is a tuple). The
  solution does not depend on `x0`, `method`, `jac`, the tolerances or the options: zero.
- `root` returns an `OptimizeResult`, whose tangent is a dict: `x` is differentiated; `fun`
  (the residual, identically zero along the solutions) and the integer fields (counters,
  status) have zero derivative; the solver's own floating byproducts (`fjac`, `r`, `qtf`,
  `cov_x`) are not differentiated: a non-zero cotangent for one of them makes every
  cotangent `not_implemented`, and the frule's tangent holds `not_implemented` for them.
- `jac=True` (`fun` returns `(F, J)`): only `F` is differentiated.
- `fun`/`func` get `NoTangent()`; a callable object with fields gets `not_implemented`.
- A singular Jacobian at the solution (the solution is not locally unique) raises
  `numpy.linalg.LinAlgError`.

>>> import numpy as np, scipy.optimize
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def g(x, c):
...     return c * np.cos(x)
>>> x, back = rrule(FiniteDifferenceConfig(), scipy.optimize.fixed_point, g, 1.0, (1.0,))
>>> dc = back(1.0)[3][0]    # x = c cos x: dx/dc = cos x / (1 + c sin x)
>>> bool(np.isclose(dc, np.cos(x) / (1 + np.sin(x))))
True
"""

from __future__ import annotations

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
)
from rulescore import (
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    frule_via_ad,
    rrule,
    rrule_via_ad,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# root: F(x*, *args) = 0

# `fun` is the residual at the solution, zero for every θ.
_ROOT_ZERO_FIELDS = ("fun",)


@frule.register(scipy.optimize.root, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.root, args, kwargs)
    fun, params, first = call.get("fun"), Params(call.get("args", ())), call.get("jac") is True
    result = scipy.optimize.root(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x",), _ROOT_ZERO_FIELDS)
    dparams = params.tangents(call.tangent(tangents, "args"))
    if all(is_zero(d) for d in dparams):
        return result, solution.tangent(x=ZeroTangent())
    zeros = tuple(ZeroTangent() for _ in dparams)

    def residual_jvp(v: np.ndarray | None, with_params: bool) -> np.ndarray:
        dx = ZeroTangent() if v is None else np.reshape(v, np.shape(x))
        value, dvalue = frule_via_ad(
            config, (NoTangent(), dx, *(dparams if with_params else zeros)), fun, x, *params.values
        )
        return np.ravel(dense(first_part(dvalue, first), first_part(value, first)))

    dx = implicit_jvp(residual_jvp, np.size(x))
    return result, solution.tangent(x=ProjectTo(x)(np.reshape(dx, np.shape(x))))


@rrule.register(scipy.optimize.root, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.root, args, kwargs)
    fun, params, first = call.get("fun"), Params(call.get("args", ())), call.get("jac") is True
    result = scipy.optimize.root(*args, **kwargs)
    x = result.x
    solution = Solution(result, ("x",), _ROOT_ZERO_FIELDS)

    def root_pullback(dresult: Any) -> tuple[Any, ...]:
        found, unsupported = solution.read(dresult)
        if unsupported is not None:
            return call.not_implemented(
                f"derivative of the result's `{unsupported}` field", fun=callable_cotangent(fun)
            )
        if is_zero(found["x"]) or "args" not in call.positional:
            return call.cotangents(fun=callable_cotangent(fun))
        value, back = rrule_via_ad(config, fun, x, *params.values)

        def residual_vjp(w: np.ndarray) -> tuple[np.ndarray, Any]:
            cotangents = back(first_seed(value, w, first))
            return np.ravel(dense(cotangents[1], x)), cotangents[2:]

        dparams = implicit_vjp(residual_vjp, np.size(x), dense(found["x"], x))
        return call.cotangents(fun=callable_cotangent(fun), args=params.cotangent(dparams))

    return result, root_pullback


# ---------------------------------------------------------------------------------------------
# fixed_point: x* = func(x*, *args)


@frule.register(scipy.optimize.fixed_point, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.fixed_point, args, kwargs)
    func, params = call.get("func"), Params(call.get("args", ()), wrap=False)
    x = scipy.optimize.fixed_point(*args, **kwargs)
    dparams = params.tangents(call.tangent(tangents, "args"))
    if all(is_zero(d) for d in dparams):
        return x, ZeroTangent()
    zeros = tuple(ZeroTangent() for _ in dparams)

    def residual_jvp(v: np.ndarray | None, with_params: bool) -> np.ndarray:
        # R(x, θ) = x - g(x, θ): R_x v = v - g_x v, R_θ dθ = -g_θ dθ.
        dx = ZeroTangent() if v is None else np.reshape(v, np.shape(x))
        value, dvalue = frule_via_ad(
            config, (NoTangent(), dx, *(dparams if with_params else zeros)), func, x, *params.values
        )
        dg = np.ravel(dense(dvalue, value))
        return -dg if v is None else v - dg

    dx = implicit_jvp(residual_jvp, np.size(x))
    return x, ProjectTo(x)(np.reshape(dx, np.shape(x)))


@rrule.register(scipy.optimize.fixed_point, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(scipy.optimize.fixed_point, args, kwargs)
    func, params = call.get("func"), Params(call.get("args", ()), wrap=False)
    x = scipy.optimize.fixed_point(*args, **kwargs)
    project_x = ProjectTo(x)

    def fixed_point_pullback(dx: Any) -> tuple[Any, ...]:
        if is_zero(dx) or "args" not in call.positional:
            return call.cotangents(func=callable_cotangent(func))
        value, back = rrule_via_ad(config, func, x, *params.values)

        def residual_vjp(w: np.ndarray) -> tuple[np.ndarray, Any]:
            # R = x - g: R_xᵀ w = w - g_xᵀ w and R_θᵀ w = -g_θᵀ w, both from g's pullback
            # at -w.
            cotangents = back(first_seed(value, -w, False))
            return w + np.ravel(dense(cotangents[1], x)), cotangents[2:]

        dparams = implicit_vjp(residual_vjp, np.size(x), dense(project_x(dx), x))
        return call.cotangents(func=callable_cotangent(func), args=params.cotangent(dparams))

    return x, fixed_point_pullback
