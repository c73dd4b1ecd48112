"""Rules for the matrix equations of `scipy.linalg`: an frule and an rrule for each of

- `solve_sylvester(a, b, q)`: `a x + x b = q`;
- `solve_continuous_lyapunov(a, q)`: `a x + x a^H = q`;
- `solve_discrete_lyapunov(a, q, method=None)`: `a x a^H - x + q = 0`.

Differentiating the equation gives an equation of the same kind for the tangent `dx`; the
pullback solves the adjoint equation (the same kind, with `a^H` and `b^H`) for the cotangent
`g` of the right-hand side, and the coefficients get `-g x^H`-type products. Inputs must give
a unique solution (no eigenvalues with `l_i(a) + l_j(b) = 0`, resp. `l_i l_j^* = 1`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import Rrule, _mH, _options, _value
from rulescore import NoTangent, ProjectTo, Thunk, ZeroTangent, frule, rrule

__all__: list[str] = []


def _rhs(*terms: Any) -> Any:
    """The sum of the terms that are not `None` (`None` if all are)."""
    present = [t for t in terms if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = total + t
    return total


# ---------------------------------------------------------------------------------------------
# solve_sylvester: a x + x b = q


@frule.register(sl.solve_sylvester)
def _(tangents: tuple[Any, ...], a: Any, b: Any, q: Any) -> Any:
    x = sl.solve_sylvester(a, b, q)
    da, db, dq = (_value(t) for t in tangents[1:4])
    rhs = _rhs(dq, None if da is None else -(da @ x), None if db is None else -(x @ db))
    if rhs is None:
        return x, ZeroTangent()
    return x, ProjectTo(x)(sl.solve_sylvester(a, b, rhs))


@rrule.register(sl.solve_sylvester)
def _(a: Any, b: Any, q: Any) -> Rrule:
    project_a, project_b, project_q = ProjectTo(a), ProjectTo(b), ProjectTo(q)
    x = sl.solve_sylvester(a, b, q)

    def solve_sylvester_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), ZeroTangent()
        g = sl.solve_sylvester(_mH(np.asarray(a)), _mH(np.asarray(b)), dx)
        da = project_a(Thunk(lambda: -(g @ _mH(x))))
        db = project_b(Thunk(lambda: -(_mH(x) @ g)))
        return NoTangent(), da, db, project_q(g)

    return x, solve_sylvester_pullback


# ---------------------------------------------------------------------------------------------
# solve_continuous_lyapunov: a x + x a^H = q


@frule.register(sl.solve_continuous_lyapunov)
def _(tangents: tuple[Any, ...], a: Any, q: Any) -> Any:
    x = sl.solve_continuous_lyapunov(a, q)
    da, dq = _value(tangents[1]), _value(tangents[2])
    change = None if da is None else -(da @ x + x @ _mH(da))
    rhs = _rhs(dq, change)
    if rhs is None:
        return x, ZeroTangent()
    return x, ProjectTo(x)(sl.solve_continuous_lyapunov(a, rhs))


@rrule.register(sl.solve_continuous_lyapunov)
def _(a: Any, q: Any) -> Rrule:
    project_a, project_q = ProjectTo(a), ProjectTo(q)
    x = sl.solve_continuous_lyapunov(a, q)

    def solve_continuous_lyapunov_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent()
        g = sl.solve_continuous_lyapunov(_mH(np.asarray(a)), dx)
        da = project_a(Thunk(lambda: -(g @ _mH(x) + _mH(g) @ x)))
        return NoTangent(), da, project_q(g)

    return x, solve_continuous_lyapunov_pullback


# ---------------------------------------------------------------------------------------------
# solve_discrete_lyapunov: a x a^H - x + q = 0


@frule.register(sl.solve_discrete_lyapunov)
def _(tangents: tuple[Any, ...], a: Any, q: Any, *args: Any, **kwargs: Any) -> Any:
    x = sl.solve_discrete_lyapunov(a, q, *args, **kwargs)
    da, dq = _value(tangents[1]), _value(tangents[2])
    change = None if da is None else da @ x @ _mH(a) + a @ x @ _mH(da)
    rhs = _rhs(dq, change)
    if rhs is None:
        return x, ZeroTangent()
    return x, ProjectTo(x)(sl.solve_discrete_lyapunov(a, rhs, *args, **kwargs))


@rrule.register(sl.solve_discrete_lyapunov)
def _(a: Any, q: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_a, project_q = ProjectTo(a), ProjectTo(q)
    x = sl.solve_discrete_lyapunov(a, q, *args, **kwargs)

    def solve_discrete_lyapunov_pullback(dx: Any) -> tuple[Any, ...]:
        dx = _value(dx)
        if dx is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        g = sl.solve_discrete_lyapunov(_mH(np.asarray(a)), dx, *args, **kwargs)
        da = project_a(Thunk(lambda: g @ a @ _mH(x) + _mH(g) @ a @ x))
        return NoTangent(), da, project_q(g), *_options(args)

    return x, solve_discrete_lyapunov_pullback
