"""Rules for NumPy's array construction and conversion functions, and complex parts.

Covered, each with an frule and an rrule:

- conversion: `array`, `asarray`, `asanyarray`, `ascontiguousarray`, `asfortranarray`,
  `asarray_chkfinite`, `require`, `astype`, `ndarray.astype`, `copy`, `ndarray.copy`;
- filled arrays: `full` and `full_like` (in `fill_value`), `zeros_like`, `ones_like`,
  `empty_like` (their output does not depend on the values of `a`: zero derivative);
- ranges: `linspace` (in `start` and `stop`, array endpoints and `retstep` included),
  `arange` (in `start` and `step`; the length is piecewise constant, so `stop` has a zero
  derivative);
- complex parts: `real`, `imag`, `angle`, and the properties `ndarray.real` and `ndarray.imag`
  (their getters, `np.ndarray.real.__get__`, ...).

Declared non-differentiable (the output depends on integers only): `zeros`, `ones`, `empty`,
`eye`, `identity`, `tri`.

Conventions. Nested lists and tuples of numbers and arrays get cotangents of the same
structure; Python ints inside them are differentiated as reals (float cotangents), unless the
result is an integer array, which has no tangent space (then no derivative flows back).
Conversions cast cotangents back to the input's dtype: float32 output of a float64 input
gives a float64 cotangent, a real input made complex gets the real part, a float input
converted to integers or bools gets a zero cotangent. `real`, `imag` and `angle` are not
holomorphic; their cotangents follow the package convention dL/dRe + i dL/dIm: `real` gives
`dy`, `imag` gives `1j * dy`, `angle` gives `1j * dy / conj(z)` (times 180/pi with `deg`),
and zero at `z == 0`, where the angle is not differentiable. `linspace`'s step is NaN when
undefined (`num=1` with `endpoint`, `num=0`); it is then a constant (zero derivative).
Keyword arguments are options, never differentiated: a `start=`, `stop=` or `fill_value=`
passed by keyword is held constant, as every keyword argument of a rule.

Elsewhere: `conj` (a ufunc, with the ufunc rules), `real_if_close` (in `rounding`),
`logspace` and `geomspace` (in `spacing`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rules.numpy._linear import linear_rule
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []


# ----------------------------------------------------------------------------------------------
# Conversion


def array_adjoint(dy: Any, obj: Any, *args: Any, **kwargs: Any) -> Any:
    # `ndmin` adds leading axes of length 1: the input's own shape drops them.
    return np.reshape(dy, np.shape(obj))


def array_tangent(dx: Any, obj: Any, *args: Any, ndmin: int = 0, **kwargs: Any) -> Any:
    # The rule projects this onto the output: its dtype, the real part for a real output.
    return np.array(dx, ndmin=ndmin)


def identity_adjoint(dy: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
    return dy


def identity_tangent(dx: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
    return dx


for _conversion in (
    np.array,
    np.asarray,
    np.asanyarray,
    np.ascontiguousarray,
    np.asfortranarray,
    np.asarray_chkfinite,
    np.require,
):
    linear_rule(_conversion, array_adjoint, array_tangent)
linear_rule(np.astype, identity_adjoint, identity_tangent)
linear_rule(np.ndarray.astype, identity_adjoint, identity_tangent)
linear_rule(np.copy, identity_adjoint)
linear_rule(np.ndarray.copy, identity_adjoint)


# ----------------------------------------------------------------------------------------------
# Filled arrays


def full_adjoint(dy: Any, shape: Any, fill_value: Any, *args: Any, **kwargs: Any) -> Any:
    return unbroadcast(tuple(np.shape(fill_value)), dy)


linear_rule(np.full, full_adjoint, linear=(1,))
linear_rule(np.full_like, full_adjoint, linear=(1,), zero=(0,))
for _like in (np.zeros_like, np.ones_like, np.empty_like):
    linear_rule(_like, None, linear=(), zero=(0,))
non_differentiable(np.zeros, np.ones, np.empty, np.eye, np.identity, np.tri)


# ----------------------------------------------------------------------------------------------
# Ranges


def _linspace_fractions(num: int, endpoint: bool) -> tuple[Any, int]:
    """Where each sample sits between start (0) and stop (1), and the divisor of the step."""
    div = num - 1 if endpoint else num
    return (np.arange(num) / div if div > 0 else np.zeros(num)), div


def linspace_adjoint(
    dy: Any,
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    **kwargs: Any,
) -> tuple[Any, Any]:
    # Sample j is start + (stop - start) * j / div, and the last one is `stop` exactly.
    dy, dstep = dy if retstep else (dy, 0)
    fractions, div = _linspace_fractions(num, endpoint)
    samples = np.moveaxis(np.asarray(dy), axis, 0)
    fractions = np.reshape(fractions, (-1,) + (1,) * (samples.ndim - 1))
    dstart = np.sum(samples * (1 - fractions), axis=0)
    dstop = np.sum(samples * fractions, axis=0)
    if div > 0:
        dstart, dstop = dstart - dstep / div, dstop + dstep / div
    return unbroadcast(tuple(np.shape(start)), dstart), unbroadcast(tuple(np.shape(stop)), dstop)


def linspace_tangent(
    dx: tuple[Any, Any],
    start: Any,
    stop: Any,
    num: int = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: int = 0,
    **kwargs: Any,
) -> Any:
    dy = np.linspace(*dx, num, endpoint, retstep, dtype, axis)
    if retstep and _linspace_fractions(num, endpoint)[1] <= 0:
        return dy[0], ZeroTangent()  # the step is NaN whatever start and stop are
    return dy


linear_rule(np.linspace, linspace_adjoint, linspace_tangent, linear=(0, 1))


def _arange_roles(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[str, ...]:
    """What each positional argument of `np.arange` is: `arange(stop)`, `arange(start,
    stop=...)`, `arange(start, stop[, step])`."""
    if len(args) == 1 and kwargs.get("stop") is None:
        return ("stop",)
    return ("start", "stop", "step")[: len(args)]


def arange_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], Any]]:
    # Entry j is start + j * step; the length changes only in jumps: stop's derivative is 0.
    roles = _arange_roles(args, kwargs)
    projectors = [ProjectTo(a) for a in args]
    y = np.arange(*args, **kwargs)

    def arange_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        parts: dict[str, Any] = {}
        if not isinstance(dy, AbstractZero):
            parts = {"start": np.sum(dy), "step": np.sum(np.arange(len(y)) * dy)}
        return NoTangent(), *(
            project(parts.get(role, ZeroTangent()))
            for project, role in zip(projectors, roles, strict=True)
        )

    return y, arange_pullback


def arange_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    y = np.arange(*args, **kwargs)
    by_role = dict(zip(_arange_roles(args, kwargs), map(unthunk, tangents[1:]), strict=False))
    dstart, dstep = by_role.get("start", ZeroTangent()), by_role.get("step", ZeroTangent())
    dy = dstart + np.arange(len(y)) * dstep
    if isinstance(dy, AbstractZero):
        return y, ProjectTo(y)(ZeroTangent())
    return y, ProjectTo(y)(np.broadcast_to(dy, np.shape(y)))


rrule.register(np.arange)(arange_rrule)
frule.register(np.arange)(arange_frule)


# ----------------------------------------------------------------------------------------------
# Complex parts


def real_adjoint(dy: Any, val: Any) -> Any:
    return dy


def imag_adjoint(dy: Any, val: Any) -> Any:
    return np.multiply(1j, dy)


linear_rule(np.real, real_adjoint)
linear_rule(np.imag, imag_adjoint)
# `x.real` and `x.imag`: the getters compare and hash equal on every access, so engines can
# key on `np.ndarray.real.__get__`.
linear_rule(np.ndarray.real.__get__, real_adjoint)
linear_rule(np.ndarray.imag.__get__, imag_adjoint)


def _angle_cotangent_factor(z: Any, deg: bool) -> Any:
    """`1j / conj(z)`, the cotangent of `z` per unit cotangent of `angle(z)`; 0 at z = 0."""
    z = np.asarray(z)
    at_zero = z == 0
    factor = np.where(at_zero, 0, 1j / np.conj(np.where(at_zero, 1, z)))
    return factor * (180 / np.pi) if deg else factor


def angle_rrule(z: Any, *args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], Any]]:
    deg = args[0] if args else kwargs.get("deg", False)
    project = ProjectTo(z)
    y = np.angle(z, *args, **kwargs)

    def angle_pullback(dy: Any) -> tuple[Any, ...]:
        dz = unthunk(dy) * _angle_cotangent_factor(z, deg)
        return NoTangent(), project(dz), *(NoTangent() for _ in args)

    return y, angle_pullback


def angle_frule(tangents: tuple[Any, ...], z: Any, *args: Any, **kwargs: Any) -> tuple[Any, Any]:
    deg = args[0] if args else kwargs.get("deg", False)
    y = np.angle(z, *args, **kwargs)
    dz = unthunk(tangents[1])
    # d angle = Im(dz / z) = Re(conj(factor) * dz); the projection keeps the real part.
    return y, ProjectTo(y)(np.conj(_angle_cotangent_factor(z, deg)) * dz)


rrule.register(np.angle)(angle_rrule)
frule.register(np.angle)(angle_frule)
