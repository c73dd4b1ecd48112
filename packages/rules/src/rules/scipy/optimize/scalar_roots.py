"""Rules for the scalar root finders of scipy.optimize: `brentq`, `brenth`, `ridder`, `bisect`,
`toms748`, `newton` and `root_scalar`.

Covered, each with an rrule (`config=HasReverseMode`) and an frule (`config=HasForwardMode`):
the root `x*` of `f(x*, *args) = 0` as a function of the parameters `args`, by the implicit
function theorem, `dx*/dθ = -(∂f/∂θ) / (∂f/∂x)`, both partials taken at the root by the
engine (`rrule_via_ad` / `frule_via_ad` of `f`); the solver's iterations are never unrolled.

Conventions:

- Differentiated: `args` when passed positionally (a tuple: its cotangent is a tuple; a
  non-tuple that the solver wraps into a 1-tuple gets its own cotangent). The root does not
  depend on the bracket `a`, `b`, the starting points `x0`, `x1`, the derivatives `fprime`,
  `fprime2` or the tolerances: they get zero (`NoTangent()` where they have no tangent space).
- `f` gets `NoTangent()`; a callable object with fields gets `not_implemented`.
- `full_output=True`: the root and the `root` field of the `RootResults` are one quantity
  (their cotangents add); counters and flags have no derivative. `root_scalar` returns a
  `RootResults`, whose tangent is a dict with the `root` entry.
- `newton` with an array `x0` solves independent scalar equations (SciPy's contract: `func`
  acts elementwise), so `∂f/∂x` is diagonal and is taken as one product with ones.
- `fprime=True` in `root_scalar` (`f` returns `(f, f')`, maybe `f''`): only `f`'s value is
  differentiated.

>>> import scipy.optimize
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def f(x, c):
...     return x**2 - c
>>> x, back = rrule(FiniteDifferenceConfig(), scipy.optimize.brentq, f, 0.0, 3.0, (4.0,))
>>> round(x, 9), round(back(1.0)[4][0], 6)    # x = √c, dx/dc = 1 / (2√c)
(2.0, 0.25)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.optimize

from rules.scipy.optimize._implicit import (
    Call,
    Params,
    callable_cotangent,
    dense,
    first_part,
    first_seed,
    is_zero,
)
from rulescore import (
    AbstractZero,
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    ProjectTo,
    Tangent,
    ZeroTangent,
    add_tangents,
    backing,
    frule,
    frule_via_ad,
    rrule,
    rrule_via_ad,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# The root inside the solver's output, and the output's (co)tangent from the root's


def _root_of(out: Any) -> Any:
    if isinstance(out, scipy.optimize.RootResults):
        return out.root
    if isinstance(out, tuple):  # (root, RootResults) or newton's namedtuple (root, ...)
        return out[0]
    return out


def _root_cotangent(out: Any, dout: Any) -> Any:
    """The cotangent of the root from the cotangent of the solver's output."""
    dout = unthunk(dout)
    if isinstance(dout, AbstractZero):
        return dout
    if isinstance(out, scipy.optimize.RootResults):
        return _field(dout, "root")
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return _field(dout, "root")
    if isinstance(out, tuple):  # (root, RootResults): one quantity, read twice
        return add_tangents(unthunk(dout[0]), _field(unthunk(dout[1]), "root"))
    return dout


def _field(d: Any, name: str) -> Any:
    if isinstance(d, AbstractZero):
        return d
    if isinstance(d, Tangent):
        return unthunk(backing(d).get(name, ZeroTangent()))
    return unthunk(d.get(name, ZeroTangent()))


def _output_tangent(out: Any, droot: Any) -> Any:
    if isinstance(droot, AbstractZero):
        return ZeroTangent()
    if isinstance(out, scipy.optimize.RootResults):
        return {"root": droot}
    if isinstance(out, tuple) and hasattr(out, "_fields"):
        return Tangent[type(out)](root=droot)
    if isinstance(out, tuple):
        return (droot, {"root": droot})
    return droot


def _returns_derivatives(call: Call) -> bool:
    """`root_scalar(f, fprime=True)`: `f` returns `(f, f')` (and `f''` with `fprime2=True`)."""
    return call.get("fprime") is True or call.get("fprime2") is True


# ---------------------------------------------------------------------------------------------
# The implicit function theorem for a scalar (or elementwise) equation f(x, θ) = 0


def _scalar_root_rrule(
    config: Any,
    solver: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    fname: str,
    wrap: bool,
) -> Any:
    call = Call(solver, args, kwargs)
    f = call.get(fname)
    params = Params(call.get("args", ()), wrap=wrap)
    out = solver(*args, **kwargs)
    root = _root_of(out)
    project_root = ProjectTo(root)
    with_values = _returns_derivatives(call)

    def scalar_root_pullback(dout: Any) -> tuple[Any, ...]:
        droot = _root_cotangent(out, dout)
        if is_zero(droot) or "args" not in call.positional:
            return call.cotangents(**{fname: callable_cotangent(f)})
        value, back = rrule_via_ad(config, f, root, *params.values)
        ones = np.ones(np.shape(root))
        slope = dense(back(first_seed(value, ones, with_values))[1], root)
        w = -dense(project_root(droot), root) / slope
        cotangents = back(first_seed(value, w, with_values))
        return call.cotangents(
            **{fname: callable_cotangent(f), "args": params.cotangent(cotangents[2:])}
        )

    return out, scalar_root_pullback


def _scalar_root_frule(
    config: Any,
    tangents: tuple[Any, ...],
    solver: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    fname: str,
    wrap: bool,
) -> Any:
    call = Call(solver, args, kwargs)
    f = call.get(fname)
    params = Params(call.get("args", ()), wrap=wrap)
    out = solver(*args, **kwargs)
    root = _root_of(out)
    dparams = params.tangents(call.tangent(tangents, "args"))
    if all(is_zero(d) for d in dparams):
        return out, ZeroTangent()
    with_values = _returns_derivatives(call)
    zeros = tuple(ZeroTangent() for _ in dparams)
    value, dvalue = frule_via_ad(
        config, (NoTangent(), ZeroTangent(), *dparams), f, root, *params.values
    )
    ones = ProjectTo(root)(np.ones(np.shape(root)))
    _, slope = frule_via_ad(config, (NoTangent(), ones, *zeros), f, root, *params.values)
    first = value[0] if with_values else value
    rate = dense(first_part(dvalue, with_values), first) / dense(
        first_part(slope, with_values), first
    )
    droot = ProjectTo(root)(np.reshape(-rate, np.shape(root)))
    return out, _output_tangent(out, droot)


# ---------------------------------------------------------------------------------------------
# brentq, brenth, ridder, bisect, toms748: f(x, *args) = 0 in a bracket [a, b]


def _register_bracketing(solver: Callable[..., Any]) -> None:
    @frule.register(solver, config=HasForwardMode)
    def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        return _scalar_root_frule(config, tangents, solver, args, kwargs, fname="f", wrap=True)

    @rrule.register(solver, config=HasReverseMode)
    def _(config: Any, *args: Any, **kwargs: Any) -> Any:
        return _scalar_root_rrule(config, solver, args, kwargs, fname="f", wrap=True)


for _solver in (
    scipy.optimize.brentq,
    scipy.optimize.brenth,
    scipy.optimize.ridder,
    scipy.optimize.bisect,
    scipy.optimize.toms748,
):
    _register_bracketing(_solver)


# ---------------------------------------------------------------------------------------------
# newton: func(x, *args) = 0 from x0 (Newton, secant or Halley; elementwise for an array x0)


@frule.register(scipy.optimize.newton, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _scalar_root_frule(
        config, tangents, scipy.optimize.newton, args, kwargs, fname="func", wrap=False
    )


@rrule.register(scipy.optimize.newton, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    return _scalar_root_rrule(config, scipy.optimize.newton, args, kwargs, fname="func", wrap=False)


# ---------------------------------------------------------------------------------------------
# root_scalar: the RootResults of any of the above methods


@frule.register(scipy.optimize.root_scalar, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _scalar_root_frule(
        config, tangents, scipy.optimize.root_scalar, args, kwargs, fname="f", wrap=True
    )


@rrule.register(scipy.optimize.root_scalar, config=HasReverseMode)
def _(config: Any, *args: Any, **kwargs: Any) -> Any:
    return _scalar_root_rrule(
        config, scipy.optimize.root_scalar, args, kwargs, fname="f", wrap=True
    )
