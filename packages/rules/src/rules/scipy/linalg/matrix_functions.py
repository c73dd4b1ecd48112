"""Rules for the matrix functions of `scipy.linalg`: an frule and an rrule for each of

- `expm`, `logm`, `sqrtm`, `cosm`, `sinm`, `tanm`, `coshm`, `sinhm`, `tanhm`,
  `fractional_matrix_power` (in the matrix and in the power `t`, unless `t` is given by
  keyword);
- `expm_frechet` (in `A` and `E`, both outputs);
- `funm`: its derivative needs `func`'s, which the rule does not have; declared
  `not_implemented`.

The derivative of a primary matrix function `f` is its Fréchet derivative `L_f(A, E)`,
the top-right block of `f([[A, E], [0, A]])` (Higham, "Functions of Matrices", 2008,
Theorem 3.6); `sqrtm`'s solves the Sylvester equation `X dX + dX X = dA` instead. For the
pullback, `L_f(A)^*(G) = conj(L_f(A^T, conj(G)))` for the real inner product: `A^T` has `A`'s
eigenvalues, so branch choices (`logm`, `sqrtm` of a matrix with negative eigenvalues) agree.

Conventions (with those of `rules.scipy.linalg`: options never differentiated, stacked
matrices where SciPy accepts them):

- `logm`, `sqrtm` and `funm` with the deprecated `disp=False` also return an error estimate:
  it is 0 in exact arithmetic, and its tangent is `ZeroTangent()`.
- `sqrtm`: the principal square root, differentiable where `X` and `-X` share no eigenvalue
  (a non-singular `A`); `sqrtm` of a scalar (SciPy returns its exponential) is declared
  `not_implemented`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import (
    Rrule,
    _batched,
    _bind,
    _entry,
    _mH,
    _mT,
    _options,
    _value,
)
from rulescore import NoTangent, ProjectTo, Thunk, ZeroTangent, frule, not_implemented, rrule

__all__: list[str] = []


def _block(a: Any, e: Any, balance: bool = True) -> tuple[Any, float]:
    """`[[a, c e], [0, a]]` and the scale `c`: with `balance`, the one that gives `c e` the size
    of `a` (the function's accuracy is relative to the whole block), else 1."""
    a, e = np.asarray(a), np.asarray(e)
    size_a, size_e = np.max(np.abs(a), initial=0.0), np.max(np.abs(e), initial=0.0)
    scale = 1.0 if size_e == 0 or size_a == 0 or not balance else float(size_a / size_e)
    dtype = np.result_type(a, e, np.float64)  # the derivative to double precision
    top = np.concatenate([a, scale * e], axis=-1).astype(dtype)
    bottom = np.concatenate([np.zeros_like(a), a], axis=-1).astype(dtype)
    return np.concatenate([top, bottom], axis=-2), scale


def _frechet(f: Callable[[Any], Any], a: Any, e: Any) -> Any:
    """`L_f(a, e)`, the top-right block of `f([[a, e], [0, a]])`."""
    n = np.shape(a)[-1]
    big, scale = _block(a, e)
    return f(big)[..., :n, n:] / scale


def _frechet_adjoint(f: Callable[[Any], Any], a: Any, g: Any) -> Any:
    """`L_f(a)^*(g) = conj(L_f(a^T, conj(g)))`."""
    return np.conj(_frechet(f, _mT(a), np.conj(g)))


def _error_estimate(y: Any) -> bool:
    """Whether `y` is `(F, errest)` (the deprecated `disp=False`) rather than `F`."""
    return isinstance(y, tuple)


def _register_matrix_function(
    f: Callable[..., Any],
    jvp: Callable[[Any, Any, Any], Any],
    vjp: Callable[[Any, Any, Any], Any],
) -> None:
    """Rules for `f(A, *options)` from `jvp(A, F, dA)` and `vjp(A, F, dF)` (`F = f(A)`)."""
    name = f.__name__

    @frule.register(f)
    def _(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        y = f(a, *args, **kwargs)
        da = _value(tangents[1])
        if da is None:
            return y, ZeroTangent()
        if np.ndim(a) < 2:
            return y, not_implemented(f"derivative of {name} of a scalar")
        value = y[0] if _error_estimate(y) else y
        dy = jvp(np.asarray(a), value, da)
        return y, ProjectTo(y)((dy, ZeroTangent()) if _error_estimate(y) else dy)

    @rrule.register(f)
    def _(a: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_a = ProjectTo(a)
        y = f(a, *args, **kwargs)
        value = y[0] if _error_estimate(y) else y

        def matrix_function_pullback(dy: Any) -> tuple[Any, ...]:
            dy = _entry(dy, 0) if _error_estimate(y) else _value(dy)
            if dy is None:
                return NoTangent(), ZeroTangent(), *_options(args)
            if np.ndim(a) < 2:
                return NoTangent(), not_implemented(f"{name} of a scalar"), *_options(args)
            da = Thunk(lambda: vjp(np.asarray(a), value, dy))
            return NoTangent(), project_a(da), *_options(args)

        matrix_function_pullback.__name__ = f"{name}_pullback"
        matrix_function_pullback.__qualname__ = f"{name}_pullback"
        return y, matrix_function_pullback


def _block_rules(f: Callable[..., Any]) -> None:
    """Rules for `f` from the Fréchet derivative of the block matrix."""

    def block_jvp(a: Any, y: Any, da: Any) -> Any:
        return _frechet(f, a, da)

    def block_vjp(a: Any, y: Any, dy: Any) -> Any:
        return _frechet_adjoint(f, a, dy)

    _register_matrix_function(f, block_jvp, block_vjp)


for _f in (sl.expm, sl.logm, sl.cosm, sl.sinm, sl.tanm, sl.coshm, sl.sinhm, sl.tanhm):
    _block_rules(_f)


# ---------------------------------------------------------------------------------------------
# sqrtm: X dX + dX X = dA, whose adjoint is X^H G + G X^H = dF


def _sylvester(x: Any, rhs: Any) -> Any:
    return _batched(lambda xi, ri: sl.solve_sylvester(xi, xi, ri), x, rhs)


def _sqrtm_jvp(a: Any, y: Any, da: Any) -> Any:
    return _sylvester(y, np.asarray(da))


def _sqrtm_vjp(a: Any, y: Any, dy: Any) -> Any:
    return _sylvester(_mH(y), np.asarray(dy))


_register_matrix_function(sl.sqrtm, _sqrtm_jvp, _sqrtm_vjp)


# ---------------------------------------------------------------------------------------------
# fractional_matrix_power(A, t): A^t, with d/dt A^t = log(A) A^t


def _power(t: Any) -> Callable[[Any], Any]:
    def fractional_power(a: Any) -> Any:
        return sl.fractional_matrix_power(a, t)

    return fractional_power


@frule.register(sl.fractional_matrix_power)
def _(tangents: tuple[Any, ...], A: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
    t = args[0] if args else kwargs["t"]
    y = sl.fractional_matrix_power(A, t)
    da, dt = _value(tangents[1]), _value(tangents[2]) if args else None
    dy: Any = ZeroTangent()
    if da is not None:
        dy = _frechet(_power(t), A, da)
    if dt is not None:
        dy = dy + sl.logm(A) @ y * dt
    return y, ProjectTo(y)(dy)


@rrule.register(sl.fractional_matrix_power)
def _(A: Any, *args: Any, **kwargs: Any) -> Rrule:  # noqa: N803 (SciPy's name)
    t = args[0] if args else kwargs["t"]
    project_a, project_args = ProjectTo(A), ProjectTo(args)
    y = sl.fractional_matrix_power(A, t)

    def fractional_matrix_power_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *project_args((ZeroTangent(),) * len(args))
        da = Thunk(lambda: _frechet_adjoint(_power(t), A, dy))
        dt = Thunk(lambda: np.sum(np.conj(sl.logm(A) @ y) * dy))
        return NoTangent(), project_a(da), *project_args((dt,) * len(args))

    return y, fractional_matrix_power_pullback


# ---------------------------------------------------------------------------------------------
# expm_frechet(A, E): with X = [[A, E], [0, A]], expm(X) = [[expm(A), L], [0, expm(A)]], so
# both outputs are blocks of expm(X), whose own derivative is again a Fréchet derivative.


def _expm_frechet_options(a: Any, e: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return bool(_bind(sl.expm_frechet, a, e, *args, **kwargs)["compute_expm"])


@frule.register(sl.expm_frechet)
def _(tangents: tuple[Any, ...], A: Any, E: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
    compute_expm = _expm_frechet_options(A, E, args, kwargs)
    y = sl.expm_frechet(A, E, *args, **kwargs)
    da, de = _value(tangents[1]), _value(tangents[2])
    if da is None and de is None:
        return y, ZeroTangent()
    n = np.shape(A)[-1]
    da = np.zeros_like(np.asarray(A)) if da is None else da
    de = np.zeros_like(np.asarray(E)) if de is None else de
    big, _ = _block(A, E, balance=False)
    d_big = np.block([[da, de], [np.zeros_like(da), da]])
    d_expm = _frechet(sl.expm, big, d_big)
    d_exp_a, d_l = d_expm[..., :n, :n], d_expm[..., :n, n:]
    return y, ProjectTo(y)((d_exp_a, d_l) if compute_expm else d_l)


@rrule.register(sl.expm_frechet)
def _(A: Any, E: Any, *args: Any, **kwargs: Any) -> Rrule:  # noqa: N803 (SciPy's names)
    project_a, project_e = ProjectTo(A), ProjectTo(E)
    compute_expm = _expm_frechet_options(A, E, args, kwargs)
    y = sl.expm_frechet(A, E, *args, **kwargs)
    n = np.shape(A)[-1]

    def expm_frechet_cotangents(d_exp_a: Any, d_l: Any) -> tuple[Any, Any]:
        big, _ = _block(A, E, balance=False)
        dtype = np.result_type(big, 1.0, *(d for d in (d_exp_a, d_l) if d is not None))
        seed = np.zeros(big.shape, dtype=dtype)
        if d_exp_a is not None:
            seed[..., :n, :n] = d_exp_a
        if d_l is not None:
            seed[..., :n, n:] = d_l
        d_big = _frechet_adjoint(sl.expm, big, seed)
        return d_big[..., :n, :n] + d_big[..., n:, n:], d_big[..., :n, n:]

    def expm_frechet_pullback(dy: Any) -> tuple[Any, ...]:
        d_exp_a, d_l = (_entry(dy, 0), _entry(dy, 1)) if compute_expm else (None, _value(dy))
        if d_exp_a is None and d_l is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *_options(args)
        cotangents: list[Any] = []

        def cached() -> tuple[Any, Any]:
            if not cotangents:
                cotangents.append(expm_frechet_cotangents(d_exp_a, d_l))
            return cotangents[0]  # type: ignore[no-any-return]

        da = project_a(Thunk(lambda: cached()[0]))
        de = ZeroTangent() if d_l is None else project_e(Thunk(lambda: cached()[1]))
        return NoTangent(), da, de, *_options(args)

    return y, expm_frechet_pullback


# ---------------------------------------------------------------------------------------------
# funm(A, func): the derivative needs func's derivative


@frule.register(sl.funm)
def _(tangents: tuple[Any, ...], A: Any, func: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N803
    y = sl.funm(A, func, *args, **kwargs)
    if _value(tangents[1]) is None:
        return y, ZeroTangent()
    return y, not_implemented("derivative of scipy.linalg.funm (it needs func's derivative)")


@rrule.register(sl.funm)
def _(A: Any, func: Any, *args: Any, **kwargs: Any) -> Rrule:  # noqa: N803 (SciPy's name)
    y = sl.funm(A, func, *args, **kwargs)

    def funm_pullback(dy: Any) -> tuple[Any, ...]:
        if _value(dy) is None:
            return NoTangent(), ZeroTangent(), NoTangent(), *_options(args)
        da = not_implemented("derivative of scipy.linalg.funm (it needs func's derivative)")
        return NoTangent(), da, NoTangent(), *_options(args)

    return y, funm_pullback
