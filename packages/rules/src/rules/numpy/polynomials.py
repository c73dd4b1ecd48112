"""Rules for NumPy's polynomial functions on coefficient arrays (highest degree first):
`polyval`, `polyder`, `polyint`, `polyadd`, `polysub`, `polymul`.

Covered, with an rrule and an frule each: `polyval` (`p`, `x`), `polyder` (`p`), `polyint`
(`p`, `k`), `polyadd`, `polysub`, `polymul` (both operands); real or complex coefficients,
as arrays or as lists (whose cotangents are lists).

Conventions:

- Only positional arguments are differentiated (the rulescore contract): `np.polyint(p,
  k=1.0)` holds `k` constant. The integer order `m` gets `NoTangent()`.
- `polyadd` and `polysub` pad the shorter operand with leading zeros, so each operand's
  cotangent is the trailing part of the seed.
- `polymul` is the full convolution of its operands: its rules are `convolve`'s
  (`rules.numpy._full_convolution`).

`polyfit`, `polydiv`, `roots` and `poly` are in `rules.numpy.polynomial_fits`.

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.polyval, [1.0, 0.0, 0.0], 3.0)  # x²
>>> back(1.0)[1:]  # the powers (x², x, 1), and 2x
([9.0, 3.0, 1.0], 6.0)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to, zero_output
from rules.numpy._full_convolution import convolution_frule, convolution_rrule
from rulescore import NoTangent, ProjectTo, ZeroTangent, frule, rrule, unthunk

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# polyval, polyder, polyint


@rrule.register(np.polyval)
def _(p: Any, x: Any) -> Any:
    project_p, project_x = project_to(p), project_to(x)
    y = np.polyval(p, x)
    p_, x_ = np.asarray(p), np.asarray(x)

    def polyval_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return NoTangent(), project_p(dy), project_x(dy)
        dy = np.asarray(dy)
        powers = x_[..., None] ** np.arange(p_.shape[0] - 1, -1, -1)
        dp = np.sum(np.conj(powers) * dy[..., None], axis=tuple(range(x_.ndim)))
        dx = np.conj(np.polyval(np.polyder(p_), x_)) * dy
        return NoTangent(), project_p(dp), project_x(dx)

    return y, polyval_pullback


@frule.register(np.polyval)
def _(tangents: Any, p: Any, x: Any) -> Any:
    y = np.polyval(p, x)
    dp, dx = unthunk(tangents[1]), unthunk(tangents[2])
    dy: Any = ZeroTangent()
    if not is_zero(dp):
        dy = np.polyval(dp, x)
    if not is_zero(dx):
        dy = dy + np.polyval(np.polyder(np.asarray(p)), x) * dx
    return y, ProjectTo(y)(dy)


@rrule.register(np.polyder)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.polyder, args, kwargs)
    p = call.get("p")
    project_p = project_to(p)
    y = np.polyder(*args, **kwargs)
    # polyder scales the leading coefficients: y = p[:len(y)] * scale
    scale = np.polyder(np.ones(np.shape(p)[0]), call.get("m", 1))

    def polyder_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return call.cotangents(p=project_p(dy))
        dp = np.zeros(np.shape(p), dtype=np.result_type(dy, scale))
        dp[: scale.shape[0]] = scale * dy
        return call.cotangents(p=project_p(dp))

    return y, polyder_pullback


@frule.register(np.polyder)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(np.polyder, args, kwargs)
    y = np.polyder(*args, **kwargs)
    dp = unthunk(tangents[1])
    if is_zero(dp):
        return zero_output(y)
    return y, ProjectTo(y)(np.polyder(dp, call.get("m", 1)))


@rrule.register(np.polyint)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.polyint, args, kwargs)
    p, m, k = call.get("p"), int(call.get("m", 1)), call.get("k")
    project_p, project_k = project_to(p), project_to(k)
    y = np.polyint(*args, **kwargs)
    n = np.shape(p)[0]

    def polyint_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return call.cotangents(p=project_p(dy), k=project_k(dy))
        # each of the m steps is p -> concatenate(p / [len(p), ..., 1], [k_i])
        dk = np.zeros(m, dtype=np.result_type(dy, float))
        for i in reversed(range(m)):
            dk[i] = dy[-1]
            dy = dy[:-1] / np.arange(n + i, 0, -1)
        if k is None:
            return call.cotangents(p=project_p(dy))
        if np.size(k) == 1:  # one constant for every step
            dk = np.reshape(np.sum(dk), np.shape(k))
        else:
            dk = np.concatenate([dk, np.zeros(np.size(k) - m, dtype=dk.dtype)])
        return call.cotangents(p=project_p(dy), k=project_k(dk))

    return y, polyint_pullback


@frule.register(np.polyint)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(np.polyint, args, kwargs)
    p, k = call.get("p"), call.get("k")
    y = np.polyint(*args, **kwargs)
    dp, dk = call.tangent(tangents, "p"), call.tangent(tangents, "k")
    if is_zero(dp) and is_zero(dk):
        return zero_output(y)
    dk = None if k is None else dense(dk, k)
    return y, ProjectTo(y)(np.polyint(dense(dp, p), call.get("m", 1), dk))


# ---------------------------------------------------------------------------------------------
# polyadd, polysub: the shorter operand is padded with leading zeros


def _trailing(dy: Any, a: Any) -> Any:
    """The entries of `dy` that line up with the coefficients of `a` (NumPy pads the shorter
    polynomial with leading zeros)."""
    n = np.atleast_1d(a).shape[0]
    return np.reshape(dy[dy.shape[0] - n :], np.shape(a))


def _polyadd_rule(f: Callable[..., Any], sign: int) -> None:
    @rrule.register(f)
    def _(a1: Any, a2: Any) -> Any:
        project_a1, project_a2 = project_to(a1), project_to(a2)

        def polyadd_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if is_zero(dy):
                return NoTangent(), project_a1(dy), project_a2(dy)
            dy = np.atleast_1d(dy)
            return NoTangent(), project_a1(_trailing(dy, a1)), project_a2(sign * _trailing(dy, a2))

        polyadd_pullback.__name__ = polyadd_pullback.__qualname__ = f"{f.__name__}_pullback"
        return f(a1, a2), polyadd_pullback

    @frule.register(f)
    def _(tangents: Any, a1: Any, a2: Any) -> Any:
        y = f(a1, a2)
        da1, da2 = unthunk(tangents[1]), unthunk(tangents[2])
        if is_zero(da1) and is_zero(da2):
            return zero_output(y)
        return y, ProjectTo(y)(f(dense(da1, a1), dense(da2, a2)))


_polyadd_rule(np.polyadd, 1)
_polyadd_rule(np.polysub, -1)


# ---------------------------------------------------------------------------------------------
# polymul: a full convolution of the coefficients


def _polymul(a1: Any, a2: Any, mode: str) -> Any:
    return np.convolve(np.atleast_1d(a1), np.atleast_1d(a2), mode)


@rrule.register(np.polymul)
def _(a1: Any, a2: Any) -> Any:
    _, pullback = convolution_rrule(_polymul, a1, a2, "full", correlate=False)
    return np.polymul(a1, a2), pullback


@frule.register(np.polymul)
def _(tangents: Any, a1: Any, a2: Any) -> Any:
    _, dy = convolution_frule(_polymul, tangents, a1, a2, "full")
    y = np.polymul(a1, a2)
    return y, ProjectTo(y)(dy)
