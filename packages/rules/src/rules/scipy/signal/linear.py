"""Rules for linear operations of `scipy.signal` on a signal, an frule and an rrule for each
of

- `hilbert(x, N=None, axis=-1)`: the analytic signal of a real `x`;
- `detrend(data, axis=-1, type="linear", bp=0, overwrite_data=False)`;
- `savgol_filter(x, window_length, polyorder, deriv=0, delta=1.0, axis=-1, mode="interp",
  cval=0.0)`, every `mode`.

Conventions:

- The signal is differentiated; `N`, `axis`, `type`, `bp`, `window_length`, `polyorder`,
  `deriv` and `mode` are options (`NoTangent()` by position). `savgol_filter`'s `delta` and
  `cval`, numbers the output depends on smoothly, are differentiated when given by position.
- `overwrite_data=True` is honoured by never letting `detrend` overwrite its input (the rule
  passes `False`: the output is the same).
- Each operation is linear, so its tangent is the operation applied to the input's tangent.
  Cotangents use the adjoints: `detrend` is an orthogonal projection (its own adjoint);
  `hilbert` is `ifft(h * fft(.))` with a real `h` after zero-padding or truncating to `N`, so
  its adjoint is the same filter on the seed's real and imaginary parts, truncated or padded
  back (and the real part taken, `x` being real); `savgol_filter` correlates the extended
  signal (`mode`) with its coefficients, and with `mode="interp"` replaces the ends by
  polynomial fits: its adjoint convolves the seed, folds the extension back, and adds the
  transposed fits.

>>> import numpy as np
>>> import scipy.signal
>>> from rulescore import rrule, unthunk
>>> y, back = rrule(scipy.signal.detrend, np.array([1.0, 2.0, 4.0]))
>>> np.round(unthunk(back(np.array([1.0, 0.0, 0.0]))[1]), 4)
array([ 0.1667, -0.3333,  0.1667])
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import scipy.signal as ss

from rules.scipy.signal._arguments import Call, moved, project_to, unmoved, value
from rulescore import ProjectTo, Thunk, ZeroTangent, frule, rrule

__all__: list[str] = []


def _linear_frule(f: Any, name: str, tangents: Any, args: Any, kwargs: Any, **fixed: Any) -> Any:
    call = Call(f, args, kwargs)
    y = f(**{**call.arguments, **fixed})
    dx = call.tangent(tangents, name)
    if dx is None:
        return y, ProjectTo(y)(ZeroTangent())
    return y, ProjectTo(y)(f(**{**call.arguments, **fixed, name: dx}))


# ---------------------------------------------------------------------------------------------
# hilbert


def _fit_length(g: Any, n: int) -> Any:
    """`g` truncated or zero-padded to `n` samples along its last axis."""
    if g.shape[-1] >= n:
        return g[..., :n]
    pad = [(0, 0)] * (g.ndim - 1) + [(0, n - g.shape[-1])]
    return np.pad(g, pad)


@rrule.register(ss.hilbert)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.hilbert, args, kwargs)
    y = ss.hilbert(*args, **kwargs)
    x, axis = call["x"], call["axis"]
    project, n = project_to(x), np.shape(x)[axis]

    def hilbert_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return call.cotangents(x=ZeroTangent())

        def dx() -> Any:
            # the filter is complex-linear with a real response: apply it to Re and Im
            g_moved = moved(g, axis)
            filtered = ss.hilbert(g_moved.real) + 1j * ss.hilbert(g_moved.imag)
            return project(unmoved(_fit_length(filtered, n), axis))

        return call.cotangents(x=Thunk(dx))

    return y, hilbert_pullback


@frule.register(ss.hilbert)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _linear_frule(ss.hilbert, "x", tangents, args, kwargs)


# ---------------------------------------------------------------------------------------------
# detrend: an orthogonal projection


@rrule.register(ss.detrend)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.detrend, args, kwargs)
    options = {**call.arguments, "overwrite_data": False}
    y = ss.detrend(**options)
    project = project_to(call["data"])

    def detrend_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return call.cotangents(data=ZeroTangent())
        return call.cotangents(data=Thunk(lambda: project(ss.detrend(**{**options, "data": g}))))

    return y, detrend_pullback


@frule.register(ss.detrend)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _linear_frule(ss.detrend, "data", tangents, args, kwargs, overwrite_data=False)


# ---------------------------------------------------------------------------------------------
# savgol_filter

_PAD = {"mirror": "reflect", "nearest": "edge", "wrap": "wrap", "constant": "constant"}


class _Savgol:
    """`savgol_filter` along the last axis as `y[n] = sum_j c[j] ext[n + j]`, `ext` the signal
    extended by `mode` (`(W - 1) // 2` entries before it), with the ends replaced by
    polynomial fits for `mode="interp"`."""

    def __init__(self, call: Call, n: int) -> None:
        self.window, self.mode, self.n = int(call["window_length"]), call["mode"], n
        self.before = (self.window - 1) // 2
        self.coeffs = ss.savgol_coeffs(
            self.window, call["polyorder"], deriv=call["deriv"], delta=call["delta"], use="dot"
        )
        after = self.window - 1 - self.before
        if self.mode == "interp":
            self.source = np.pad(np.arange(n), (self.before, after), constant_values=-1)
            self.half = self.window // 2
            fits = ss.savgol_filter(
                np.eye(self.window),
                self.window,
                call["polyorder"],
                deriv=call["deriv"],
                delta=call["delta"],
                axis=0,
            )
            self.left, self.right = fits[: self.half], fits[self.window - self.half :]
        elif self.mode == "constant":
            self.source = np.pad(np.arange(n), (self.before, after), constant_values=-1)
        else:
            self.source = np.pad(np.arange(n), (self.before, after), mode=_PAD[self.mode])

    def adjoint(self, g: Any) -> tuple[Any, Any]:
        """The cotangents of the signal and of `cval` for a seed `g` (signal axis last)."""
        if self.mode == "interp":
            inner = g.copy()
            inner[..., : self.half] = 0
            inner[..., self.n - self.half :] = 0
        else:
            inner = g
        batch = inner.reshape(-1, self.n)
        dext = ss.convolve(batch, self.coeffs[None, :], mode="full")
        dx = np.zeros((batch.shape[0], self.n), dtype=dext.dtype)
        inside = self.source >= 0
        np.add.at(dx, (slice(None), self.source[inside]), dext[:, inside])
        dcval = np.sum(dext[:, ~inside])
        dx = dx.reshape(g.shape)
        if self.mode == "interp":
            w = self.window
            dx[..., :w] += g[..., : self.half] @ self.left
            dx[..., self.n - w :] += g[..., self.n - self.half :] @ self.right
        return dx, dcval


@rrule.register(ss.savgol_filter)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.savgol_filter, args, kwargs)
    y = ss.savgol_filter(*args, **kwargs)
    x, axis = call["x"], call["axis"]
    project = {name: project_to(call[name]) for name in ("x", "delta", "cval")}
    filt = _Savgol(call, np.shape(x)[axis])
    deriv, delta = call["deriv"], call["delta"]

    def savgol_filter_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            zero = ZeroTangent()
            return call.cotangents(x=zero, delta=zero, cval=zero)
        g = np.asarray(g)
        backward = functools.cache(lambda: filt.adjoint(moved(g, axis)))
        # the coefficients scale as delta ** -deriv, and so does the output
        ddelta = np.sum(g * y) * (-deriv / delta) if deriv else 0.0
        dcval: Any = ZeroTangent()
        if filt.mode == "constant":
            dcval = Thunk(lambda: project["cval"](backward()[1]))
        return call.cotangents(
            x=Thunk(lambda: project["x"](unmoved(backward()[0], axis))),
            delta=project["delta"](ddelta),
            cval=dcval,
        )

    return y, savgol_filter_pullback


@frule.register(ss.savgol_filter)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(ss.savgol_filter, args, kwargs)
    y = ss.savgol_filter(*args, **kwargs)
    dx, ddelta, dcval = (call.tangent(tangents, name) for name in ("x", "delta", "cval"))
    dy: Any = ZeroTangent()
    if dx is not None:
        dy = dy + ss.savgol_filter(**{**call.arguments, "x": dx, "cval": 0.0})
    if dcval is not None and call["mode"] == "constant":
        unit = ss.savgol_filter(**{**call.arguments, "x": np.zeros_like(y), "cval": 1.0})
        dy = dy + dcval * unit
    if ddelta is not None and call["deriv"]:
        dy = dy + ddelta * (-call["deriv"] / call["delta"]) * y
    return y, ProjectTo(y)(dy)
