"""Rules for the logistic and log-sum-exp functions of `scipy.special`.

Both rules (frule and rrule) for:

- `expit` (derivative `expit(x) expit(-x)`, which does not round to 0 for large `x`),
  `logit`, `log_expit` (derivative `expit(-x)`), `softplus` (SciPy >= 1.15, derivative
  `expit(x)`): real;
- `logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False)`: in `a`, and in `b`
  when `b` is passed positionally (keyword arguments are not differentiated; `b=` by keyword
  is honoured for the value); real and complex;
- `softmax(x, axis=None)`, `log_softmax(x, axis=None)`: in `x`, real and complex.

Conventions:

- The derivatives of `logsumexp` are the weights `b exp(a - y) / sign`, formed from the
  output, so they neither overflow nor underflow for large `a`. Entries with `b == 0` (which
  SciPy ignores, even if `a` is infinite there) get a zero cotangent in `a`.
- Without `return_sign`, a real `logsumexp` whose sum is negative is NaN, and so is its
  derivative. With `return_sign=True` the output is `(log|s|, sign(s))`: the sign of a real
  sum is piecewise constant (its tangent is `ZeroTangent()`, its cotangent is ignored); for a
  complex sum `sign` is the phase `s/|s|`, differentiated with `log|s|` through `log s`.
- Complex inputs are differentiated as holomorphic functions (the pullback multiplies by the
  conjugate derivative).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.special
from scipy.special import expit, log_expit, log_softmax, logit, logsumexp, softmax

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    rrule,
    scalar_rule,
    unthunk,
)

__all__: list[str] = []

Pullback = Callable[[Any], tuple[Any, ...]]


# ---------------------------------------------------------------------------------------------
# expit, logit, log_expit


def _logit_dp(p: Any, y: Any) -> Any:
    with np.errstate(divide="ignore"):  # infinite slope at 0 and 1
        return np.reciprocal(np.multiply(p, np.subtract(1, p)))


scalar_rule(expit, lambda x, y: y * expit(np.negative(x)))
scalar_rule(logit, _logit_dp)
scalar_rule(log_expit, lambda x, y: expit(np.negative(x)))
if hasattr(scipy.special, "softplus"):  # new in SciPy 1.15: np.logaddexp(0, x)
    scalar_rule(scipy.special.softplus, lambda x, y: expit(x))


# ---------------------------------------------------------------------------------------------
# logsumexp


def _logsumexp_options(
    axis: Any = None, b: Any = None, keepdims: bool = False, return_sign: bool = False
) -> tuple[Any, Any, bool, bool]:
    return axis, b, keepdims, return_sign


def _reduced_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    return tuple(int(i) % ndim for i in (axis if isinstance(axis, tuple) else (axis,)))


class _LogSumExp:
    """The weights of `logsumexp`'s derivatives, from its output.

    With `s = Σ b exp(a)` and `y = log s` (`log|s|` and `sign` with `return_sign`):
    `dy = Σ (w da + scale db)` where `scale = exp(a - y) / sign` and `w = b scale`, summed
    over the reduced axes (which are kept, as size-1 axes, in `w`).
    """

    def __init__(self, a: Any, axis: Any, b: Any, keepdims: bool, y: Any, sign: Any) -> None:
        shape = np.broadcast_shapes(np.shape(a), np.shape(b)) or (1,)  # SciPy: at least 1-D
        self.axes = _reduced_axes(axis, len(shape))
        self.keepdims = keepdims
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            self.scale = np.exp(np.subtract(a, self.expand(y)))
            if sign is not None:
                self.scale = self.scale / self.expand(sign)
            if b is None:
                self.w = self.scale
            else:
                self.w = np.where(np.equal(b, 0), 0, np.multiply(b, self.scale))

    def expand(self, t: Any) -> Any:
        """`t` (of the output's shape) with the reduced axes back, to broadcast against `a`."""
        return t if self.keepdims else np.expand_dims(t, self.axes)

    def reduce(self, t: Any) -> Any:
        return np.sum(t, axis=self.axes, keepdims=self.keepdims)


def _seed_of_log(dy: Any, sign: Any, complex_sign: bool) -> Any:
    """The cotangent of `log s` from those of the outputs: `y` alone, or `(log|s|, sign)`
    where, for a complex `s`, `d sign = i sign Im(d log s)`."""
    if sign is None:
        return dy
    if isinstance(dy, AbstractZero):
        return dy
    dlog, dsign = unthunk(dy[0]), unthunk(dy[1])
    if not complex_sign or isinstance(dsign, AbstractZero):
        return dlog
    return dlog - 1j * np.imag(np.conj(dsign) * sign)


@frule.register(logsumexp)
def _(tangents: tuple[Any, ...], a: Any, *options: Any, **kwargs: Any) -> tuple[Any, Any]:
    axis, b, keepdims, return_sign = _logsumexp_options(*options, **kwargs)
    result = logsumexp(a, *options, **kwargs)
    y: Any = result[0] if return_sign else result
    sign: Any = result[1] if return_sign else None
    weights = _LogSumExp(a, axis, b, keepdims, y, sign)
    da = unthunk(tangents[1])
    db = unthunk(tangents[3]) if len(options) >= 2 and b is not None else ZeroTangent()
    dlog: Any = ZeroTangent()
    if not isinstance(da, AbstractZero):
        dlog = dlog + weights.reduce(weights.w * da)
    if not isinstance(db, AbstractZero):
        dlog = dlog + weights.reduce(weights.scale * db)
    if not return_sign:
        return y, ProjectTo(y)(dlog)
    if isinstance(dlog, AbstractZero) or not np.iscomplexobj(sign):
        return result, (ProjectTo(y)(dlog), ZeroTangent())
    return result, (ProjectTo(y)(np.real(dlog)), ProjectTo(sign)(1j * sign * np.imag(dlog)))


@rrule.register(logsumexp)
def _(a: Any, *options: Any, **kwargs: Any) -> tuple[Any, Pullback]:
    axis, b, keepdims, return_sign = _logsumexp_options(*options, **kwargs)
    project_a = ProjectTo(a)
    # b is differentiated only when it is passed positionally (options[1]).
    b_positional = len(options) >= 2 and b is not None
    project_b = ProjectTo(b) if b_positional else None
    result = logsumexp(a, *options, **kwargs)
    y: Any = result[0] if return_sign else result
    sign: Any = result[1] if return_sign else None
    weights = _LogSumExp(a, axis, b, keepdims, y, sign)
    complex_sign = np.iscomplexobj(sign)

    def logsumexp_pullback(dy: Any) -> tuple[Any, ...]:
        # Built without mutation, so that the pullback can be differentiated (higher order).
        dlog = _seed_of_log(unthunk(dy), sign, complex_sign)
        if isinstance(dlog, AbstractZero):
            db = project_b(dlog) if project_b is not None else NoTangent()
            return NoTangent(), project_a(dlog), *_with_b(len(options), db)
        dlog = weights.expand(dlog)
        db = (
            project_b(Thunk(lambda: np.conj(weights.scale) * dlog))
            if project_b is not None
            else NoTangent()
        )
        return NoTangent(), project_a(np.conj(weights.w) * dlog), *_with_b(len(options), db)

    return result, logsumexp_pullback


def _with_b(count: int, db: Any) -> tuple[Any, ...]:
    """The cotangents of logsumexp's positional options: `db` for `b` (the second)."""
    return tuple(db if i == 1 else NoTangent() for i in range(count))


# ---------------------------------------------------------------------------------------------
# softmax and log_softmax: y = exp(x - logsumexp(x)), y = x - logsumexp(x)


def _axis_option(axis: Any = None) -> Any:
    return axis


@frule.register(softmax)
def _(tangents: tuple[Any, ...], x: Any, *options: Any, **kwargs: Any) -> tuple[Any, Any]:
    axis = _axis_option(*options, **kwargs)
    y = softmax(x, *options, **kwargs)
    dx = unthunk(tangents[1])
    if isinstance(dx, AbstractZero):
        return y, ZeroTangent()
    ydx = y * dx
    return y, ProjectTo(y)(ydx - y * np.sum(ydx, axis=axis, keepdims=True))


@rrule.register(softmax)
def _(x: Any, *options: Any, **kwargs: Any) -> tuple[Any, Pullback]:
    axis = _axis_option(*options, **kwargs)
    project_x = ProjectTo(x)
    y = softmax(x, *options, **kwargs)

    def softmax_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        doptions = (NoTangent(),) * len(options)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x(dy), *doptions
        # The Jacobian diag(y) - y yᵀ is symmetric.
        ydy = np.conj(y) * dy
        dx = ydy - np.conj(y) * np.sum(ydy, axis=axis, keepdims=True)
        return NoTangent(), project_x(dx), *doptions

    return y, softmax_pullback


@frule.register(log_softmax)
def _(tangents: tuple[Any, ...], x: Any, *options: Any, **kwargs: Any) -> tuple[Any, Any]:
    axis = _axis_option(*options, **kwargs)
    y = log_softmax(x, *options, **kwargs)
    dx = unthunk(tangents[1])
    if isinstance(dx, AbstractZero):
        return y, ZeroTangent()
    return y, ProjectTo(y)(dx - np.sum(np.exp(y) * dx, axis=axis, keepdims=True))


@rrule.register(log_softmax)
def _(x: Any, *options: Any, **kwargs: Any) -> tuple[Any, Pullback]:
    axis = _axis_option(*options, **kwargs)
    project_x = ProjectTo(x)
    y = log_softmax(x, *options, **kwargs)

    def log_softmax_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        doptions = (NoTangent(),) * len(options)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x(dy), *doptions
        # The Jacobian is I - 1 softmax(x)ᵀ.
        dx = dy - np.conj(np.exp(y)) * np.sum(dy, axis=axis, keepdims=True)
        return NoTangent(), project_x(dx), *doptions

    return y, log_softmax_pullback
