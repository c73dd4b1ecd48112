"""Tests of rules.scipy.integrate.ivp (`solve_ivp`) through the harness.

The reference is a finite difference of the whole `solve_ivp` call, solved with `rtol=1e-10`,
`atol=1e-12`. Its solution moves with the parameters in small jumps (a step more or less)
of the size of those tolerances, so the finite differences are told that each value is off
by ~1e4 eps (`central_fdm(5, factor=1e4)`) and the harness's tolerances are loosened to
`rtol=1e-5`, `atol=1e-7`: the adjoint and tangent ODEs are solved to the same tolerances,
so the rules are good to ~1e-8.

Most tests give the dynamics rules of their own (as an engine would differentiate them), so
that `FiniteDifferenceConfig` uses them for the vector-Jacobian products; one test lets it
take finite differences of the dynamics instead. Only the `y` and `t` fields are compared:
finite differences of the counters (`nfev`) would see them jump. Frules are tested on those
fields (`fields`) for the same reason.
"""

import numpy as np
import pytest
import scipy.integrate

import rules  # noqa: F401  (registers the lazy SciPy rules)
from rulescore import (
    AbstractZero,
    HasForwardMode,
    HasReverseMode,
    NoTangent,
    NotImplementedTangent,
    ZeroTangent,
    frule,
    rrule,
    unthunk,
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
SOLVER = dict(rtol=1e-10, atol=1e-12)
TOL = dict(rtol=1e-5, atol=1e-7, method=central_fdm(5, factor=1e4))
solve_ivp = scipy.integrate.solve_ivp


def reduced(name, pick, unpick):
    """`solve_ivp(...)` reduced to `pick(result)`, with rules that delegate to `solve_ivp`'s
    (`unpick(result, dpicked)` is the result's cotangent): the harness takes finite
    differences of these, since those of the whole result would see its counters jump, and
    the solver's own steps (without `t_eval`) change in number."""

    def solve_ivp_reduced(*args, **kwargs):
        return pick(solve_ivp(*args, **kwargs))

    @frule.register(solve_ivp_reduced, config=HasForwardMode)
    def _(config, tangents, *args, **kwargs):
        result, dresult = frule(config, tangents, solve_ivp, *args, **kwargs)
        return pick(result), dresult if isinstance(dresult, AbstractZero) else pick(dresult)

    @rrule.register(solve_ivp_reduced, config=HasReverseMode)
    def _(config, *args, **kwargs):
        result, back = rrule(config, solve_ivp, *args, **kwargs)

        def solve_ivp_reduced_pullback(dpicked):
            dpicked = unthunk(dpicked)
            if isinstance(dpicked, AbstractZero):
                return back(dpicked)
            return back(unpick(result, [unthunk(d) for d in dpicked]))

        return pick(result), solve_ivp_reduced_pullback

    solve_ivp_reduced.__qualname__ = f"solve_ivp_{name}"
    return solve_ivp_reduced


def _ends_cotangent(result, d):
    """The cotangent of the result from those of (y[:, 0], t[0], y[:, -1], t[-1])."""
    dy, dt = np.zeros_like(result.y), np.zeros_like(result.t)
    for column, (dy_k, dt_k) in zip((0, -1), ((d[0], d[1]), (d[2], d[3])), strict=True):
        if not isinstance(dy_k, AbstractZero):
            dy[:, column] += dy_k
        if not isinstance(dt_k, AbstractZero):
            dt[column] += dt_k
    return {"y": dy, "t": dt}


# `r` is a result or its dict tangent: fields are read as items.
Y_T = reduced("y_t", lambda r: (r["y"], r["t"]), lambda r, d: {"y": d[0], "t": d[1]})
ENDS = reduced(
    "ends", lambda r: (r["y"][:, 0], r["t"][0], r["y"][:, -1], r["t"][-1]), _ends_cotangent
)


# ---------------------------------------------------------------------------------------------
# Dynamics, with rules (an engine's derivatives) and without


def predator_prey(t, y, a, b):
    """A Lotka-Volterra system with a forcing term (so that f depends on t)."""
    return np.array([a * y[0] - 0.4 * y[0] * y[1], -b * y[1] + 0.3 * y[0] * y[1] + 0.1 * np.sin(t)])


def _predator_prey_partials(t, y, a, b):
    jy = np.array([[a - 0.4 * y[1], -0.4 * y[0]], [0.3 * y[1], -b + 0.3 * y[0]]])
    jt = np.array([0.0, 0.1 * np.cos(t)])
    return jy, jt, np.array([y[0], 0.0]), np.array([0.0, -y[1]])


@rrule.register(predator_prey)
def _(t, y, a, b):
    jy, jt, ja, jb = _predator_prey_partials(t, y, a, b)

    def predator_prey_pullback(dy):
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), dy, dy, dy, dy
        return NoTangent(), float(jt @ dy), jy.T @ dy, float(ja @ dy), float(jb @ dy)

    return predator_prey(t, y, a, b), predator_prey_pullback


@frule.register(predator_prey)
def _(tangents, t, y, a, b):
    jy, jt, ja, jb = _predator_prey_partials(t, y, a, b)
    dy = np.zeros(2)
    for partial, d in zip((jt, jy, ja, jb), tangents[1:], strict=True):
        d = unthunk(d)
        if not isinstance(d, AbstractZero):
            dy = dy + partial @ d if partial.ndim == 2 else dy + partial * d
    return predator_prey(t, y, a, b), dy


def predator_prey_plain(t, y, a, b):
    """The same dynamics, with no rule: the configuration takes finite differences."""
    return predator_prey(t, y, a, b)


def test_dynamics_rules(rng):
    args = (0.3, np.array([1.0, 0.5]), 0.8, 0.6)
    test_rrule(predator_prey, *args, rng=rng)
    test_frule(predator_prey, *args, rng=rng)


Y0 = np.array([1.0, 0.5])
T_EVAL = np.array([0.5, 1.0, 1.5])  # inside t_span by more than the finite differences' steps


def ivp_args(
    fun=predator_prey, t_span=(0.0, 2.0), y0=Y0, method="DOP853", t_eval=T_EVAL, params=(0.8, 0.6)
):
    """The positional arguments up to `args` (the 9th), which is differentiated only there."""
    return (C(fun), t_span, y0, C(method), t_eval, C(False), C(None), C(False), params)


def primals(args):
    """The values of harness arguments (some wrapped in `constant`)."""
    return [getattr(a, "primal", a) for a in args]


def seed(rng, n, k):
    return {"y": rng.standard_normal((n, k)), "t": rng.standard_normal(k)}


# ---------------------------------------------------------------------------------------------
# solve_ivp with t_eval: y0, t_span, t_eval and args


@pytest.mark.parametrize("method", ["RK45", "DOP853", "Radau", "LSODA"])
def test_solve_ivp(method, rng):
    args = ivp_args(method=method)
    test_rrule(
        solve_ivp,
        *args,
        fkwargs=SOLVER,
        output_tangent=seed(rng, 2, 3),
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(Y_T, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_solve_ivp_finite_difference_dynamics(rng):
    """No rule for the dynamics: the products are finite differences of `fun` itself."""
    args = ivp_args(fun=predator_prey_plain, t_eval=np.array([0.5, 1.5]), method="RK45")
    test_rrule(
        solve_ivp,
        *args,
        fkwargs=SOLVER,
        output_tangent=seed(rng, 2, 2),
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(Y_T, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_solve_ivp_backward_in_time(rng):
    args = ivp_args(t_span=(2.0, 0.0), t_eval=T_EVAL[::-1].copy())
    test_rrule(
        solve_ivp,
        *args,
        fkwargs=SOLVER,
        output_tangent=seed(rng, 2, 3),
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(Y_T, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_solve_ivp_t_eval_at_the_ends(rng):
    """t_eval holding t_span's ends (then held constant, as moving one alone is an error)."""
    t_eval = np.array([0.0, 1.0, 2.0])
    args = ivp_args(t_span=C((0.0, 2.0)), t_eval=C(t_eval))
    test_rrule(
        solve_ivp,
        *args,
        fkwargs=SOLVER,
        output_tangent=seed(rng, 2, 3),
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(Y_T, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_solve_ivp_without_t_eval(rng):
    """The solver's own steps: the interior ones are held fixed, so only the ends (where the
    times are t_span's) are compared with finite differences."""
    args = ivp_args(t_eval=None)
    test_rrule(ENDS, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)
    test_frule(ENDS, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def decay(t, y, k, label, scale):
    assert label == "decay"
    return -k * scale * y


def test_solve_ivp_args_list_and_constants(rng):
    """`args` as a list, with a string (no tangent) and an array parameter."""
    args = ivp_args(fun=decay, method="RK45", params=[0.8, "decay", np.array([1.0, 0.5])])
    test_rrule(
        solve_ivp,
        *args,
        fkwargs=SOLVER,
        output_tangent=seed(rng, 2, 3),
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    _, back = rrule(CONFIG, solve_ivp, *primals(args), **SOLVER)
    dargs = back(seed(rng, 2, 3))[9]
    assert isinstance(dargs, list) and dargs[1] == NoTangent()


def rotation(t, y, w):
    return 1j * w * y


def test_solve_ivp_complex(rng):
    y0 = np.array([1.0 + 0.5j, -0.3j])
    args = ivp_args(fun=rotation, y0=y0, method="RK45", params=(1.3,))
    dy = rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))
    test_rrule(
        solve_ivp,
        *args,
        fkwargs=SOLVER,
        output_tangent={"y": dy},
        config=CONFIG,
        rng=rng,
        **TOL,
    )
    test_frule(Y_T, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)


def test_solve_ivp_dense_output_asked(rng):
    """With `dense_output=True` the result keeps its `sol`; `y` is still differentiated, and a
    cotangent for `sol` is not implemented."""
    args = list(ivp_args(method="RK45"))
    args[5] = C(True)
    test_rrule(Y_T, *args, fkwargs=SOLVER, config=CONFIG, rng=rng, **TOL)
    result, back = rrule(CONFIG, solve_ivp, *primals(args), **SOLVER)
    assert result.sol is not None
    assert isinstance(back({"sol": {"ts": np.ones(2)}})[3], NotImplementedTangent)


def test_solve_ivp_keyword_args_are_constant(rng):
    _, back = rrule(
        CONFIG, solve_ivp, predator_prey, (0.0, 2.0), Y0, t_eval=T_EVAL, args=(0.8, 0.6), **SOLVER
    )
    cotangents = back(seed(rng, 2, 3))
    assert len(cotangents) == 4 and not isinstance(cotangents[3], AbstractZero)


def test_solve_ivp_terminal_event_is_not_implemented(rng):
    def hits_half(t, y, a, b):
        return y[0] - 1.2

    hits_half.terminal = True
    args = (predator_prey, (0.0, 20.0), Y0, "RK45", None, False, hits_half, False, (0.8, 0.6))
    result, back = rrule(CONFIG, solve_ivp, *args)
    assert result.status == 1
    cotangents = back({"y": np.ones_like(result.y)})
    assert isinstance(cotangents[3], NotImplementedTangent)
    assert isinstance(cotangents[9], NotImplementedTangent)
    assert isinstance(back({"t_events": [np.ones(1)]})[2], NotImplementedTangent)
    no = NoTangent()
    _, tangent = frule(CONFIG, (no, no, ZeroTangent(), np.ones(2), *(no,) * 6), solve_ivp, *args)
    assert isinstance(tangent["y"], NotImplementedTangent)
