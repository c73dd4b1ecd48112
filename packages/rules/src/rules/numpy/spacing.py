"""Rules for NumPy's geometric and logarithmic ranges and the Vandermonde matrix:
`geomspace`, `logspace`, `vander`.

Covered, with an rrule and an frule each:

- `geomspace(start, stop, num, endpoint, dtype, axis)`, in `start` and `stop` (scalars or
  broadcast arrays, real or complex). Sample `j` is `start^(1 - t_j) stop^t_j` up to a
  locally constant phase, `t_j = j / (num - 1)` (`j / num` without `endpoint`), so
  `dy_j = y_j ((1 - t_j) dstart / start + t_j dstop / stop)`: a negative `start` (NumPy
  factors the sign out) and complex endpoints follow the same formula;
- `logspace(start, stop, num, endpoint, base, dtype, axis)`, in `start`, `stop` and `base`
  (scalars or broadcast arrays): `y_j = base^e_j` with `e_j = start + t_j (stop - start)`,
  so `dy_j = y_j (log(base) de_j + e_j dbase / base)`;
- `vander(x, N, increasing)`, in `x` (real or complex): column `k` is `x^p_k`, whose
  derivative is `p_k x^(p_k - 1)` (zero for the constant column).

Conventions: `num`, `endpoint`, `dtype`, `axis`, `N` and `increasing` are options
(`NoTangent()`); keyword arguments are never differentiated (`logspace(0, 1, base=2.0)`
holds `base` constant). An integer `dtype` makes an integer output without tangent space.
`logspace` with a negative real `base` is NaN off the integers, as is its derivative.

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.geomspace, 1.0, 4.0, 3)
>>> y, back(np.array([0.0, 1.0, 0.0]))[1:3]  # y_1 = sqrt(start * stop)
(array([1., 2., 4.]), (1.0, 0.25))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to, zero_output
from rulescore import NoTangent, ProjectTo, ZeroTangent, frule, rrule, unbroadcast, unthunk

__all__: list[str] = []


def _fractions(num: int, endpoint: bool, ndim: int) -> Any:
    """`t_j`, where sample `j` sits between start (0) and stop (1), shaped `(num, 1, ...)`."""
    return np.reshape(np.linspace(0.0, 1.0, num, endpoint), (-1,) + (1,) * ndim)


def _to_front(y: Any, axis: int) -> Any:
    """The samples along the first axis (NumPy puts them along `axis`)."""
    return np.moveaxis(np.asarray(y), axis, 0)


# ---------------------------------------------------------------------------------------------
# geomspace


class _Geomspace:
    """One call of `geomspace`, with the samples along the first axis for the derivatives."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.call = call = Call(np.geomspace, args, kwargs)
        self.y = np.geomspace(*args, **kwargs)
        self.start, self.stop = call.get("start"), call.get("stop")
        self.axis = call.get("axis", 0)
        options = (call.get("num", 50), call.get("endpoint", True))
        samples = self.y if call.get("dtype") is None else np.geomspace(*self.ends, *options)
        self.samples = _to_front(samples, self.axis)
        self.t = _fractions(*options, self.samples.ndim - 1)

    @property
    def ends(self) -> tuple[Any, Any]:
        return self.start, self.stop

    def tangent(self, dstart: Any, dstop: Any) -> Any:
        ratio = 0
        if not is_zero(dstart):
            ratio = (1 - self.t) * (np.asarray(dstart) / np.asarray(self.start))
        if not is_zero(dstop):
            ratio = ratio + self.t * (np.asarray(dstop) / np.asarray(self.stop))
        return np.moveaxis(self.samples * ratio, 0, self.axis)

    def cotangents(self, dy: Any) -> tuple[Any, Any]:
        weighted = np.conj(self.samples) * _to_front(dy, self.axis)
        dstart = np.sum((1 - self.t) * weighted, axis=0) / np.conj(self.start)
        dstop = np.sum(self.t * weighted, axis=0) / np.conj(self.stop)
        return unbroadcast(np.shape(self.start), dstart), unbroadcast(np.shape(self.stop), dstop)


@rrule.register(np.geomspace)
def _(*args: Any, **kwargs: Any) -> Any:
    rule = _Geomspace(args, kwargs)
    project_start, project_stop = project_to(rule.start), project_to(rule.stop)

    def geomspace_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            zero = ZeroTangent()
            return rule.call.cotangents(start=project_start(zero), stop=project_stop(zero))
        dstart, dstop = rule.cotangents(dy)
        return rule.call.cotangents(start=project_start(dstart), stop=project_stop(dstop))

    return rule.y, geomspace_pullback


@frule.register(np.geomspace)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    rule = _Geomspace(args, kwargs)
    dstart, dstop = rule.call.tangent(tangents, "start"), rule.call.tangent(tangents, "stop")
    if is_zero(dstart) and is_zero(dstop):
        return zero_output(rule.y)
    return rule.y, ProjectTo(rule.y)(rule.tangent(dstart, dstop))


# ---------------------------------------------------------------------------------------------
# logspace


class _Logspace:
    """One call of `logspace`: exponents `e`, bases and samples along the first axis."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.call = call = Call(np.logspace, args, kwargs)
        self.y = np.logspace(*args, **kwargs)
        self.start, self.stop = call.get("start"), call.get("stop")
        self.base, self.axis = call.get("base", 10.0), call.get("axis", 0)
        num, endpoint = call.get("num", 50), call.get("endpoint", True)
        samples = self.y
        if call.get("dtype") is not None:
            samples = np.logspace(self.start, self.stop, num, endpoint, self.base, None, self.axis)
        self.samples = _to_front(samples, self.axis)
        shape = self.samples.shape[1:]  # start, stop and base broadcast together
        ends = (np.broadcast_to(x, shape) for x in (self.start, self.stop))
        self.exponents = np.linspace(*ends, num, endpoint, axis=0)
        self.bases = np.broadcast_to(self.base, shape)
        self.t = _fractions(num, endpoint, len(shape))

    def tangent(self, dstart: Any, dstop: Any, dbase: Any) -> Any:
        rate = 0
        if not (is_zero(dstart) and is_zero(dstop)):
            dstart = 0 if is_zero(dstart) else np.asarray(dstart)
            dstop = 0 if is_zero(dstop) else np.asarray(dstop)
            rate = np.log(self.bases) * ((1 - self.t) * dstart + self.t * dstop)
        if not is_zero(dbase):
            rate = rate + self.exponents * (np.asarray(dbase) / self.bases)
        return np.moveaxis(self.samples * rate, 0, self.axis)

    def cotangents(self, dy: Any) -> tuple[Any, Any, Any]:
        weighted = np.conj(self.samples) * _to_front(dy, self.axis)
        dexponents = weighted * np.conj(np.log(self.bases))
        dstart = np.sum((1 - self.t) * dexponents, axis=0)
        dstop = np.sum(self.t * dexponents, axis=0)
        dbase = np.sum(weighted * np.conj(self.exponents), axis=0) / np.conj(self.bases)
        return (
            unbroadcast(np.shape(self.start), dstart),
            unbroadcast(np.shape(self.stop), dstop),
            unbroadcast(np.shape(self.base), dbase),
        )


@rrule.register(np.logspace)
def _(*args: Any, **kwargs: Any) -> Any:
    rule = _Logspace(args, kwargs)
    projectors = {name: project_to(rule.call.get(name)) for name in ("start", "stop", "base")}

    def logspace_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return rule.call.cotangents(**{k: p(ZeroTangent()) for k, p in projectors.items()})
        found = dict(zip(("start", "stop", "base"), rule.cotangents(dy), strict=True))
        return rule.call.cotangents(**{k: p(found[k]) for k, p in projectors.items()})

    return rule.y, logspace_pullback


@frule.register(np.logspace)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    rule = _Logspace(args, kwargs)
    dx = [rule.call.tangent(tangents, name) for name in ("start", "stop", "base")]
    if all(is_zero(d) for d in dx):
        return zero_output(rule.y)
    return rule.y, ProjectTo(rule.y)(rule.tangent(*dx))


# ---------------------------------------------------------------------------------------------
# vander


def _vander_derivative(x: Any, n: int | None, increasing: bool) -> Any:
    """`dV[i, k] / dx[i]`: `p_k x_i^(p_k - 1)`, zero for the power 0."""
    x = np.asarray(x)
    n = x.shape[0] if n is None else n
    powers = np.arange(n) if increasing else np.arange(n - 1, -1, -1)
    lowered = np.maximum(powers - 1, 0)
    return np.where(powers > 0, powers * x[:, None] ** lowered, 0)


def _vander_options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    call = Call(np.vander, args, kwargs)
    return call.get("N"), bool(call.get("increasing", False))


@rrule.register(np.vander)
def _(x: Any, *args: Any, **kwargs: Any) -> Any:
    project_x = project_to(x)
    y = np.vander(x, *args, **kwargs)
    options = (NoTangent(),) * len(args)

    def vander_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return NoTangent(), project_x(ZeroTangent()), *options
        derivative = _vander_derivative(x, *_vander_options((x, *args), kwargs))
        return NoTangent(), project_x(np.sum(np.conj(derivative) * dy, axis=1)), *options

    return y, vander_pullback


@frule.register(np.vander)
def _(tangents: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
    y = np.vander(x, *args, **kwargs)
    dx = unthunk(tangents[1])
    if is_zero(dx):
        return zero_output(y)
    derivative = _vander_derivative(x, *_vander_options((x, *args), kwargs))
    return y, ProjectTo(y)(derivative * dense(dx, x)[:, None])
