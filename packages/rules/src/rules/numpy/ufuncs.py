"""Rules for NumPy's ufuncs: every ufunc in the `numpy` namespace, `np.add.reduce` and
`np.add.accumulate`.

Both rules (frule and rrule) for:

- arithmetic: `add`, `subtract`, `multiply`, `divide` (`true_divide`), `negative`, `positive`,
  `reciprocal`, `square`, `sqrt`, `cbrt`, `power` (`pow`), `float_power`, `absolute` (`abs`),
  `fabs`, `sign`, `conjugate` (`conj`), `remainder` (`mod`), `fmod`, `divmod`, `modf`,
  `frexp`, `ldexp`, `copysign`, `heaviside`, `nextafter`, `spacing`, `hypot`;
- exponentials and logarithms: `exp`, `exp2`, `expm1`, `log`, `log2`, `log10`, `log1p`,
  `logaddexp`, `logaddexp2`;
- trigonometry: `sin`, `cos`, `tan`, `arcsin`, `arccos`, `arctan`, `arctan2`, `sinh`, `cosh`,
  `tanh`, `arcsinh`, `arccosh`, `arctanh` (and their `asin`-style aliases), `deg2rad`,
  `radians`, `rad2deg`, `degrees`;
- selection: `maximum`, `minimum`, `fmax`, `fmin`;
- piecewise constant (derivative `ZeroTangent()`): `floor`, `ceil`, `trunc`, `rint`,
  `floor_divide`, and `sign` of a real number;
- products: `matmul`, `matvec`, `vecmat`, `vecdot` (batches broadcast, 1-D operands);
- ufunc methods: `np.add.reduce` (`axis`, `keepdims`, `where`) and `np.add.accumulate`.
  Bound methods compare equal and hash alike on every access, so the rules are found.

Declared non-differentiable: comparisons, `logical_*`, `bitwise_*`, `invert`, shifts,
`isfinite`, `isinf`, `isnan`, `isnat`, `signbit`, `gcd`, `lcm`.

Conventions:

- Positional array arguments are differentiated, keyword arguments are not. `out=` is
  refused with a `TypeError` (writing into an existing array is a mutation: assign the result
  instead), and so is `where=` of elementwise ufuncs (the masked entries are uninitialized).
  `np.add.reduce` accepts `where=`; the gufuncs refuse `axes=`/`keepdims=` (and `axis=`,
  except `vecdot`).
- Complex numbers: holomorphic ufuncs pull back with the conjugate derivative; `absolute`,
  `sign`, `conjugate`, `vecdot` and `vecmat` (which conjugate their first argument) follow the
  `dL/dRe + i dL/dIm` convention through their real and imaginary parts.
- Kinks: `absolute`, `fabs`, `copysign` use `sign(0) == 0` (zero derivative at 0), `hypot` has
  zero derivative at the origin; `sign(z)` for complex `z != 0` is `z/|z|`, whose derivative is
  not zero, and zero at 0. `sqrt` and `cbrt` have infinite derivatives at 0.
- Ties of `maximum`, `minimum`, `fmax`, `fmin` split the cotangent equally between the two
  arguments; an argument gets the cotangent where the output equals it (so `fmax` sends it to
  the non-NaN argument).
- `power(x, p)` (and `float_power`), as ChainRules: `d/dx` is 0 where `p == 0` (`x**0 == 1`),
  `p * x**(p-1)` elsewhere (1 at `x == 0, p == 1`, infinite for `0 < p < 1`); `d/dp` is
  `y * log(x)`, with `log|x|` for a real negative base (the real part of the complex
  derivative), 0 at `x == 0, p > 0` and NaN at `x == 0, p <= 0`.
- `remainder`, `fmod`, `divmod`: at a jump (`x1` a multiple of `x2`) the derivative is that of
  the piece the output belongs to: `d/dx1 == 1`, `d/dx2 == -(x1 - y) / x2` rounded.
- `arctan2` is NaN at the origin (a discontinuity). `heaviside(x1, x2)` has derivative 1 in
  `x2` where `x1 == 0`, and 0 in `x1`. `nextafter(x1, x2)` differs from `x1` by one ulp:
  derivative 1 in `x1`, 0 in `x2`; `spacing` is piecewise constant. The exponents of `ldexp`
  and `frexp` are integers (`NoTangent`).
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    scalar_rule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []


def _check_options(
    name: str, kwargs: dict[str, Any], refused: tuple[str, ...] = (), out: tuple[Any, ...] = ()
) -> None:
    outputs = out or kwargs.get("out")  # outputs may be given positionally
    if outputs is not None and not (isinstance(outputs, tuple) and all(o is None for o in outputs)):
        raise TypeError(
            f"differentiating np.{name}(..., out=...) is not supported: it writes into an "
            f"existing array (a mutation); assign the result instead, y = np.{name}(...)"
        )
    for option in refused:
        if option in kwargs and not (option == "where" and kwargs[option] is True):
            raise TypeError(
                f"the derivative rules of np.{name} do not support {option}=; "
                + (
                    "compute everywhere and select with np.where(mask, y, other)"
                    if option == "where"
                    else "move the axes with np.moveaxis first"
                )
            )


def _checked(ufunc: np.ufunc, rule: Any, forward: bool) -> Callable[..., Any]:
    name = ufunc.__name__

    def checked_rule(*args: Any, **kwargs: Any) -> Any:
        _check_options(name, kwargs, ("where",), out=args[ufunc.nin + forward :])
        return rule(*args, **kwargs)

    checked_rule.__name__ = checked_rule.__qualname__ = f"{name}_{'frule' if forward else 'rrule'}"
    return checked_rule


def _broadcast_tangents(tangents: tuple[Any, ...], args: tuple[Any, ...]) -> tuple[Any, ...]:
    # divmod's frule projects partial * dx onto each output: a tangent of a broadcast argument
    # that meets a constant partial must be given the outputs' shape first.
    shape = np.broadcast_shapes(*(np.shape(x) for x in args))
    return (
        tangents[0],
        *(
            dx
            if isinstance(dx, AbstractZero) or np.shape(dx) == shape
            else np.broadcast_to(dx, shape)
            for dx in map(unthunk, tangents[1:])
        ),
    )


def _elementwise(ufunc: np.ufunc, *partials: Any) -> None:
    """`scalar_rule(ufunc, *partials)`, whose rules refuse `out=` and `where=`."""
    scalar_rule(ufunc, *partials)
    caller = sys._getframe(1)
    defined_at = f"{caller.f_code.co_filename}:{caller.f_lineno}"
    for table in (rrule, frule):
        info = table.rules_for(ufunc)[-1]  # the one scalar_rule just added
        rule = _checked(ufunc, info.rule, forward=table is frule)
        table.add(dataclasses.replace(info, rule=rule, defined_at=defined_at))


def _zero(*args: Any) -> Any:
    return ZeroTangent()


def _share(y: Any, a: Any, b: Any) -> Any:
    # The weight of `a` in y = max/min(a, b): 1 where y is `a` only, 1/2 at ties.
    return (y == a) * np.where(y == b, 0.5, 1.0)


def _quotient(x1: Any, x2: Any, y: Any) -> Any:
    # The integer n with x1 == n * x2 + y, consistent with the computed remainder y.
    return np.rint((x1 - y) / x2)


# ---------------------------------------------------------------------------------------------
# Elementwise calculus: one line per ufunc, partials in the inputs and the output `y`.

_elementwise(np.add, lambda x1, x2, y: 1, lambda x1, x2, y: 1)
_elementwise(np.subtract, lambda x1, x2, y: 1, lambda x1, x2, y: -1)
_elementwise(np.multiply, lambda x1, x2, y: x2, lambda x1, x2, y: x1)
_elementwise(np.divide, lambda x1, x2, y: 1 / x2, lambda x1, x2, y: -y / x2)
_elementwise(np.floor_divide, _zero, _zero)
_elementwise(np.remainder, lambda x1, x2, y: 1, lambda x1, x2, y: -_quotient(x1, x2, y))
_elementwise(np.fmod, lambda x1, x2, y: 1, lambda x1, x2, y: -_quotient(x1, x2, y))
_elementwise(np.negative, lambda x, y: -1)
_elementwise(np.positive, lambda x, y: 1)
# For a complex x the partial is conj(sign(x)): the frule keeps the real part (y is real).
_elementwise(np.absolute, lambda x, y: np.conj(np.sign(x)))
_elementwise(np.fabs, lambda x, y: np.sign(x))
_elementwise(np.reciprocal, lambda x, y: -(y**2))
_elementwise(np.sqrt, lambda x, y: 1 / (2 * y))
_elementwise(np.cbrt, lambda x, y: 1 / (3 * y**2))
_elementwise(np.square, lambda x, y: 2 * x)
_elementwise(np.exp, lambda x, y: y)
_elementwise(np.exp2, lambda x, y: y * np.log(2))
_elementwise(np.expm1, lambda x, y: y + 1)
_elementwise(np.log, lambda x, y: 1 / x)
_elementwise(np.log2, lambda x, y: 1 / (x * np.log(2)))
_elementwise(np.log10, lambda x, y: 1 / (x * np.log(10)))
_elementwise(np.log1p, lambda x, y: 1 / (1 + x))
_elementwise(np.logaddexp, lambda x1, x2, y: np.exp(x1 - y), lambda x1, x2, y: np.exp(x2 - y))
_elementwise(np.logaddexp2, lambda x1, x2, y: np.exp2(x1 - y), lambda x1, x2, y: np.exp2(x2 - y))
_elementwise(np.sin, lambda x, y: np.cos(x))
_elementwise(np.cos, lambda x, y: -np.sin(x))
_elementwise(np.tan, lambda x, y: 1 + y**2)
_elementwise(np.arcsin, lambda x, y: 1 / np.sqrt(1 - x**2))
_elementwise(np.arccos, lambda x, y: -1 / np.sqrt(1 - x**2))
_elementwise(np.arctan, lambda x, y: 1 / (1 + x**2))
_elementwise(
    np.arctan2,
    lambda x1, x2, y: x2 / (x1**2 + x2**2),
    lambda x1, x2, y: -x1 / (x1**2 + x2**2),
)
_elementwise(
    np.hypot,
    lambda x1, x2, y: x1 / np.where(y == 0, 1, y),
    lambda x1, x2, y: x2 / np.where(y == 0, 1, y),
)
_elementwise(np.sinh, lambda x, y: np.cosh(x))
_elementwise(np.cosh, lambda x, y: np.sinh(x))
_elementwise(np.tanh, lambda x, y: 1 - y**2)
_elementwise(np.arcsinh, lambda x, y: 1 / np.sqrt(1 + x**2))
# sqrt(x - 1) * sqrt(x + 1), not sqrt(x**2 - 1): the branch of the principal arccosh off the
# real axis.
_elementwise(np.arccosh, lambda x, y: 1 / (np.sqrt(x - 1) * np.sqrt(x + 1)))
_elementwise(np.arctanh, lambda x, y: 1 / (1 - x**2))
_elementwise(np.deg2rad, lambda x, y: np.pi / 180)
_elementwise(np.rad2deg, lambda x, y: 180 / np.pi)
_elementwise(np.radians, lambda x, y: np.pi / 180)  # not the same object as deg2rad
_elementwise(np.degrees, lambda x, y: 180 / np.pi)
_elementwise(np.maximum, lambda x1, x2, y: _share(y, x1, x2), lambda x1, x2, y: _share(y, x2, x1))
_elementwise(np.minimum, lambda x1, x2, y: _share(y, x1, x2), lambda x1, x2, y: _share(y, x2, x1))
_elementwise(np.fmax, lambda x1, x2, y: _share(y, x1, x2), lambda x1, x2, y: _share(y, x2, x1))
_elementwise(np.fmin, lambda x1, x2, y: _share(y, x1, x2), lambda x1, x2, y: _share(y, x2, x1))
_elementwise(np.copysign, lambda x1, x2, y: np.sign(x1) * np.copysign(1, x2), _zero)
_elementwise(np.ldexp, lambda x1, x2, y: np.ldexp(1.0, x2), None)
_elementwise(np.heaviside, _zero, lambda x1, x2, y: x1 == 0)
_elementwise(np.nextafter, lambda x1, x2, y: 1, _zero)
_elementwise(np.floor, _zero)
_elementwise(np.ceil, _zero)
_elementwise(np.trunc, _zero)
_elementwise(np.rint, _zero)
_elementwise(np.spacing, _zero)


# ---------------------------------------------------------------------------------------------
# conjugate and sign: not holomorphic


@frule.register(np.conjugate)
def _(tangents: tuple[Any, ...], x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Any]:
    _check_options("conjugate", kwargs, ("where",), out)
    y = np.conjugate(x, **kwargs)
    return y, ProjectTo(y)(np.conj(unthunk(tangents[1])))


@rrule.register(np.conjugate)
def _(x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("conjugate", kwargs, ("where",), out)
    project_x = ProjectTo(x)
    y = np.conjugate(x, **kwargs)

    def conjugate_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), project_x(np.conj(unthunk(dy)))

    return y, conjugate_pullback


# NumPy < 2 defines sign(z) as sign(z.real) (or of z.imag): piecewise constant.
_SIGN_IS_PHASE = bool(np.sign(1j) == 1j)


def _sign_derivative(x: Any, y: Any, dx: Any) -> Any:
    """The derivative of `y = sign(x)` along `dx`, and its adjoint: for complex x != 0,
    y = x/|x| turns with the phase, `i y Im(conj(y) dx) / |x|`; zero for real x and at 0."""
    if isinstance(dx, AbstractZero) or not (np.iscomplexobj(x) and _SIGN_IS_PHASE):
        return ZeroTangent()
    # The same expression is self-adjoint, so it serves the frule and the pullback.
    return 1j * y * np.imag(np.conj(y) * dx) / np.where(x == 0, 1, np.abs(x))


@frule.register(np.sign)
def _(tangents: tuple[Any, ...], x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Any]:
    _check_options("sign", kwargs, ("where",), out)
    y = np.sign(x, **kwargs)
    return y, ProjectTo(y)(_sign_derivative(x, y, unthunk(tangents[1])))


@rrule.register(np.sign)
def _(x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("sign", kwargs, ("where",), out)
    project_x = ProjectTo(x)
    y = np.sign(x, **kwargs)

    def sign_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), project_x(_sign_derivative(x, y, unthunk(dy)))

    return y, sign_pullback


# ---------------------------------------------------------------------------------------------
# power and float_power


def _power_dbase(power: np.ufunc, x: Any, p: Any) -> Any:
    # p * x**(p - 1), and 0 where p == 0: x**0 == 1 for every x, 0 included.
    nonzero_p = np.where(p == 0, 1, p)
    return np.where(p == 0, 0, nonzero_p * power(x, nonzero_p - 1))


def _power_dexponent(x: Any, p: Any, y: Any) -> Any:
    # y * log(x); log|x| for a real negative base (the real part of the complex derivative);
    # at x == 0: 0 for p > 0, NaN for p <= 0 (as ChainRules).
    zero = x == 0
    safe_x = np.where(zero, 1, x)
    log_x = np.log(safe_x + 0j) if np.iscomplexobj(y) else np.log(np.abs(safe_x))
    at_zero = np.where(np.real(p) > 0, 0, np.nan)
    return np.where(zero, at_zero, np.where(zero, 0, y) * log_x)


def _register_power(power: np.ufunc) -> None:
    name = power.__name__

    @frule.register(power)
    def _(tangents: tuple[Any, ...], x1: Any, x2: Any, *out: Any, **kwargs: Any) -> tuple[Any, Any]:
        _check_options(name, kwargs, ("where",), out)
        y = power(x1, x2, **kwargs)
        dx1, dx2 = unthunk(tangents[1]), unthunk(tangents[2])
        dy: Any = ZeroTangent()
        if not isinstance(dx1, AbstractZero):
            dy = dy + _power_dbase(power, x1, x2) * dx1
        if not isinstance(dx2, AbstractZero):
            dy = dy + _power_dexponent(x1, x2, y) * dx2
        return y, ProjectTo(y)(dy)

    @rrule.register(power)
    def _(
        x1: Any, x2: Any, *out: Any, **kwargs: Any
    ) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        _check_options(name, kwargs, ("where",), out)
        project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)
        y = power(x1, x2, **kwargs)

        def power_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), project_x1(dy), project_x2(dy)
            dx1 = project_x1(np.conj(_power_dbase(power, x1, x2)) * dy)
            # The exponent is mostly a constant: its logarithm is computed only if asked for.
            dx2 = project_x2(Thunk(lambda: np.conj(_power_dexponent(x1, x2, y)) * dy))
            return NoTangent(), dx1, dx2

        power_pullback.__name__ = power_pullback.__qualname__ = f"{name}_pullback"
        return y, power_pullback


_register_power(np.power)
_register_power(np.float_power)


# ---------------------------------------------------------------------------------------------
# Ufuncs with two outputs: modf, frexp, divmod


def _output_cotangents(dy: Any) -> tuple[Any, Any]:
    dy = unthunk(dy)
    if isinstance(dy, AbstractZero):
        return ZeroTangent(), ZeroTangent()
    return unthunk(dy[0]), unthunk(dy[1])


@frule.register(np.modf)
def _(tangents: tuple[Any, ...], x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Any]:
    _check_options("modf", kwargs, ("where",), out)
    fractional, integral = np.modf(x, **kwargs)
    return (fractional, integral), (ProjectTo(fractional)(unthunk(tangents[1])), ZeroTangent())


@rrule.register(np.modf)
def _(x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("modf", kwargs, ("where",), out)
    project_x = ProjectTo(x)

    def modf_pullback(dy: Any) -> tuple[Any, ...]:
        dfractional, _ = _output_cotangents(dy)
        return NoTangent(), project_x(dfractional)

    return np.modf(x, **kwargs), modf_pullback


@frule.register(np.frexp)
def _(tangents: tuple[Any, ...], x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Any]:
    _check_options("frexp", kwargs, ("where",), out)
    mantissa, exponent = np.frexp(x, **kwargs)
    dx = unthunk(tangents[1])
    # x == mantissa * 2**exponent with a locally constant exponent.
    dmantissa = dx if isinstance(dx, AbstractZero) else np.ldexp(dx, -exponent)
    return (mantissa, exponent), (ProjectTo(mantissa)(dmantissa), NoTangent())


@rrule.register(np.frexp)
def _(x: Any, *out: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("frexp", kwargs, ("where",), out)
    project_x = ProjectTo(x)
    mantissa, exponent = np.frexp(x, **kwargs)

    def frexp_pullback(dy: Any) -> tuple[Any, ...]:
        dmantissa, _ = _output_cotangents(dy)
        if isinstance(dmantissa, AbstractZero):
            return NoTangent(), project_x(dmantissa)
        return NoTangent(), project_x(np.ldexp(dmantissa, -exponent))

    return (mantissa, exponent), frexp_pullback


@frule.register(np.divmod)
def _(tangents: tuple[Any, ...], x1: Any, x2: Any, *out: Any, **kwargs: Any) -> tuple[Any, Any]:
    _check_options("divmod", kwargs, ("where",), out)
    quotient, remainder = np.divmod(x1, x2, **kwargs)
    _, dx1, dx2 = _broadcast_tangents(tangents, (x1, x2))
    dremainder = dx1 - quotient * dx2
    return (quotient, remainder), (ZeroTangent(), ProjectTo(remainder)(dremainder))


@rrule.register(np.divmod)
def _(x1: Any, x2: Any, *out: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("divmod", kwargs, ("where",), out)
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)
    quotient, remainder = np.divmod(x1, x2, **kwargs)

    def divmod_pullback(dy: Any) -> tuple[Any, ...]:
        _, dremainder = _output_cotangents(dy)
        return NoTangent(), project_x1(dremainder), project_x2(-quotient * dremainder)

    return (quotient, remainder), divmod_pullback


# ---------------------------------------------------------------------------------------------
# matmul, matvec, vecmat, vecdot: gufuncs with broadcast batches

_GUFUNC_OPTIONS = ("axes", "axis", "keepdims")


def _unbroadcast_to(x: Any, dx: Any) -> Any:
    # Sum the batch axes that broadcasting added back to x's shape.
    return unbroadcast(np.shape(x), dx)


def _product_frule(gufunc: np.ufunc, refused: tuple[str, ...]) -> Callable[..., tuple[Any, Any]]:
    # All four products are (conjugate-)linear in each argument, so the tangent is the sum of
    # the product with one argument replaced by its tangent.
    def product_frule(tangents: tuple[Any, ...], x1: Any, x2: Any, *out: Any, **kwargs: Any) -> Any:
        _check_options(gufunc.__name__, kwargs, refused, out)
        y = gufunc(x1, x2, **kwargs)
        dx1, dx2 = unthunk(tangents[1]), unthunk(tangents[2])
        dy: Any = ZeroTangent()
        if not isinstance(dx1, AbstractZero):
            dy = dy + gufunc(dx1, x2, **kwargs)
        if not isinstance(dx2, AbstractZero):
            dy = dy + gufunc(x1, dx2, **kwargs)
        return y, ProjectTo(y)(dy)

    product_frule.__name__ = product_frule.__qualname__ = f"{gufunc.__name__}_frule"
    return product_frule


@rrule.register(np.matmul)
def _(x1: Any, x2: Any, *out: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("matmul", kwargs, _GUFUNC_OPTIONS, out)
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)
    y = np.matmul(x1, x2, **kwargs)
    # A 1-D operand is a row (first) or a column (second) whose axis the output lacks.
    a = np.expand_dims(x1, -2) if np.ndim(x1) == 1 else x1
    b = np.expand_dims(x2, -1) if np.ndim(x2) == 1 else x2

    def matmul_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x1(dy), project_x2(dy)
        if np.ndim(x2) == 1:
            dy = np.expand_dims(dy, -1)
        if np.ndim(x1) == 1:
            dy = np.expand_dims(dy, -2)

        def dx1() -> Any:
            da = np.matmul(dy, np.conj(np.swapaxes(b, -1, -2)))
            return np.reshape(_unbroadcast_to(a, da), np.shape(x1))

        def dx2() -> Any:
            db = np.matmul(np.conj(np.swapaxes(a, -1, -2)), dy)
            return np.reshape(_unbroadcast_to(b, db), np.shape(x2))

        return NoTangent(), project_x1(Thunk(dx1)), project_x2(Thunk(dx2))

    return y, matmul_pullback


def _matvec_rrule(
    x1: Any, x2: Any, *out: Any, **kwargs: Any
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("matvec", kwargs, _GUFUNC_OPTIONS, out)
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)

    def matvec_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x1(dy), project_x2(dy)
        # y[..., m] = sum_n x1[..., m, n] x2[..., n]
        dx1 = np.expand_dims(dy, -1) * np.expand_dims(np.conj(x2), -2)
        dx2 = np.matvec(np.conj(np.swapaxes(x1, -1, -2)), dy)
        return (
            NoTangent(),
            project_x1(_unbroadcast_to(x1, dx1)),
            project_x2(_unbroadcast_to(x2, dx2)),
        )

    return np.matvec(x1, x2, **kwargs), matvec_pullback


def _vecmat_rrule(
    x1: Any, x2: Any, *out: Any, **kwargs: Any
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("vecmat", kwargs, _GUFUNC_OPTIONS, out)
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)

    def vecmat_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x1(dy), project_x2(dy)
        # y[..., m] = sum_n conj(x1[..., n]) x2[..., n, m]: conjugate-linear in x1.
        dx1 = np.matvec(x2, np.conj(dy))
        dx2 = np.expand_dims(x1, -1) * np.expand_dims(dy, -2)
        return (
            NoTangent(),
            project_x1(_unbroadcast_to(x1, dx1)),
            project_x2(_unbroadcast_to(x2, dx2)),
        )

    return np.vecmat(x1, x2, **kwargs), vecmat_pullback


def _vecdot_rrule(
    x1: Any, x2: Any, *out: Any, **kwargs: Any
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    _check_options("vecdot", kwargs, ("axes", "keepdims"), out)
    project_x1, project_x2 = ProjectTo(x1), ProjectTo(x2)
    axis = kwargs.get("axis", -1)
    # With the vector axis last in both: y[...] = sum_n conj(x1[..., n]) x2[..., n].
    v1, v2 = np.moveaxis(x1, axis, -1), np.moveaxis(x2, axis, -1)

    def vecdot_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x1(dy), project_x2(dy)
        dy = np.expand_dims(dy, -1)
        dv1 = _unbroadcast_to(v1, np.conj(dy) * v2)
        dv2 = _unbroadcast_to(v2, dy * v1)
        return (
            NoTangent(),
            project_x1(np.moveaxis(dv1, -1, axis)),
            project_x2(np.moveaxis(dv2, -1, axis)),
        )

    return np.vecdot(x1, x2, **kwargs), vecdot_pullback


frule.register(np.matmul)(_product_frule(np.matmul, _GUFUNC_OPTIONS))
# vecdot is new in NumPy 2.0, matvec and vecmat in 2.2.
for _name, _rrule, _refused in [
    ("matvec", _matvec_rrule, _GUFUNC_OPTIONS),
    ("vecmat", _vecmat_rrule, _GUFUNC_OPTIONS),
    ("vecdot", _vecdot_rrule, ("axes", "keepdims")),
]:
    if hasattr(np, _name):
        rrule.register(getattr(np, _name))(_rrule)
        frule.register(getattr(np, _name))(_product_frule(getattr(np, _name), _refused))


# ---------------------------------------------------------------------------------------------
# np.add.reduce and np.add.accumulate


def _add_reduce_options(
    axis: Any = 0,
    dtype: Any = None,
    out: Any = None,
    keepdims: Any = False,
    initial: Any = None,
    where: Any = True,
) -> tuple[Any, Any, Any]:
    _check_options("add.reduce", {"out": out})
    return axis, keepdims, where


def _reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(a % ndim for a in (axis if isinstance(axis, tuple) else (axis,)))


@frule.register(np.add.reduce)
def _(tangents: tuple[Any, ...], array: Any, *options: Any, **kwargs: Any) -> tuple[Any, Any]:
    axis, keepdims, where = _add_reduce_options(*options, **kwargs)
    y = np.add.reduce(array, *options, **kwargs)
    dy = np.add.reduce(unthunk(tangents[1]), axis=axis, keepdims=keepdims, where=where)
    if len(options) > 4 and not isinstance(dinitial := unthunk(tangents[6]), AbstractZero):
        dy = dy + dinitial
    return y, ProjectTo(y)(dy)


@rrule.register(np.add.reduce)
def _(array: Any, *options: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    axis, keepdims, where = _add_reduce_options(*options, **kwargs)
    project_array = ProjectTo(array)
    shape = np.shape(array)
    y = np.add.reduce(array, *options, **kwargs)

    def add_reduce_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        # Positional options are indices and flags, except `initial`, added to every output.
        doptions = [NoTangent() for _ in options]
        if len(options) > 4:
            doptions[4] = ProjectTo(options[4])(np.sum(dy))
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_array(dy), *doptions
        if not keepdims:
            dy = np.expand_dims(dy, _reduced_axes(axis, len(shape)))
        darray = np.where(where, dy, 0) if where is not True else dy
        darray = np.copy(np.broadcast_to(darray, shape))
        return NoTangent(), project_array(darray), *doptions

    return y, add_reduce_pullback


def _add_accumulate_options(axis: int = 0, dtype: Any = None, out: Any = None) -> int:
    _check_options("add.accumulate", {"out": out})
    return axis


@frule.register(np.add.accumulate)
def _(tangents: tuple[Any, ...], array: Any, *options: Any, **kwargs: Any) -> tuple[Any, Any]:
    axis = _add_accumulate_options(*options, **kwargs)
    y = np.add.accumulate(array, *options, **kwargs)
    return y, ProjectTo(y)(np.cumsum(unthunk(tangents[1]), axis=axis))


@rrule.register(np.add.accumulate)
def _(array: Any, *options: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    axis = _add_accumulate_options(*options, **kwargs)
    project_array = ProjectTo(array)
    y = np.add.accumulate(array, *options, **kwargs)

    def add_accumulate_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        # Entry i feeds every partial sum from i on: a cumulative sum from the end.
        darray = np.flip(np.cumsum(np.flip(dy, axis), axis=axis), axis)
        return NoTangent(), project_array(darray), *(NoTangent() for _ in options)

    return y, add_accumulate_pullback


# ---------------------------------------------------------------------------------------------

non_differentiable(
    *(
        getattr(np, name)
        for name in (
            "equal not_equal less less_equal greater greater_equal logical_and logical_or "
            "logical_xor logical_not bitwise_and bitwise_or bitwise_xor bitwise_count invert "
            "left_shift right_shift isfinite isinf isnan isnat signbit gcd lcm"
        ).split()
        if hasattr(np, name)  # bitwise_count is new in NumPy 2.0
    )
)
