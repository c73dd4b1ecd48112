"""The derivatives of `lfilter` in all its arguments, shared by `filtering` (`lfilter`,
`sosfilt`) and `zero_phase` (`filtfilt`, `sosfiltfilt`).

Arrays here have the filter axis last. With `b` and `a` padded to a common length `K`
(`M = K - 1` states), `lfilter(b, a, x, zi=zi)` solves `A ∘ y = B ∘ x + a[0] u` over
`L = N + M` samples, where `∘` is the causal convolution, `x` is extended by `M` zeros and
`u = [zi, 0, ...]` (the state's contribution: the zero-input response of `zi` is
`lfilter([a[0]], a, u)`). `y` is the first `N` samples and the final state is the part of the
extended output that the past still owes:

    zf[j] = sum_{k <= j} a[k] y[N + j - k] / a[0]      (j < M)

Differentiating those two identities gives the tangents, and their adjoints the cotangents:
the adjoint of a causal filter is the same filter with conjugated coefficients run on the
reversed signal, and the cotangents of the coefficients are lagged correlations of the seed
filtered back (`q = (1/A)^H gy`) with `x` (for `b`) and `-y` (for `a`). `lfilter_zi`'s
steady state solves `(I - C^T) zi = b[1:] - a[1:] b[0]` (`C` the companion matrix of the
normalized `a`); its derivatives differentiate that solve.

Nothing here is public.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import scipy.signal as ss

__all__: list[str] = []

_FFT_LAGS = 64  # above this many lags, correlate by FFT


def _rev(x: Any) -> Any:
    return x[..., ::-1]


def _padded(c: Any, n: int) -> Any:
    c = np.atleast_1d(np.asarray(c))
    return np.concatenate([c, np.zeros(n - len(c), dtype=c.dtype)]) if len(c) < n else c


def lagged(q: Any, s: Any, lags: int) -> Any:
    """`out[k] = sum over batch and n of q[..., n] conj(s[..., n - k])`, for `k < lags`."""
    n = q.shape[-1]
    out = np.zeros(lags, dtype=np.result_type(q, s))
    if n == 0:
        return out
    if lags <= _FFT_LAGS:
        for k in range(min(lags, n)):
            out[k] = np.vdot(s[..., : n - k], q[..., k:])
        return out
    full = ss.fftconvolve(q, np.conj(_rev(s)), axes=-1)  # index n - 1 + k is lag k
    found = np.sum(full[..., n - 1 : n - 1 + lags].reshape(-1, min(lags, n)), axis=0)
    out[: found.shape[0]] = found
    return out


def anticausal(c: Any, s: Any) -> Any:
    """The adjoint of the causal FIR filter `c` (`lfilter(c, 1, .)`) applied to `s`."""
    return _rev(ss.lfilter(np.conj(c), [1.0], _rev(s), axis=-1))


class Filter:
    """The coefficients `b`, `a` of `lfilter`, padded to one length `K = M + 1`."""

    def __init__(self, b: Any, a: Any) -> None:
        b, a = np.atleast_1d(np.asarray(b)), np.atleast_1d(np.asarray(a))
        self.nb, self.na = len(b), len(a)
        k = max(self.nb, self.na)
        self.b, self.a = _padded(b, k), _padded(a, k)
        self.order = k - 1
        self.a0 = self.a[0]

    def coefficients(self, db: Any, da: Any) -> tuple[Any, Any]:
        """Tangents of `b` and `a` (or `None`) padded to `K`, as arrays."""
        k = self.order + 1
        return (None if db is None else _padded(db, k), None if da is None else _padded(da, k))

    def state_of(self, tail: Any) -> Any:
        """The final state from the `M` samples of the output after the signal."""
        m = self.order
        return ss.lfilter(self.a[:m], [self.a0], tail, axis=-1)


class Run:
    """One `lfilter(b, a, x, zi=zi)` along the last axis, kept for its derivatives.

    `zi` is `None` (zero state, no final state) or an array of shape `x.shape[:-1] + (M,)`.
    """

    def __init__(self, flt: Filter, x: Any, zi: Any) -> None:
        self.filter, self.n = flt, x.shape[-1]
        self.has_state = zi is not None
        m = flt.order
        if self.has_state:
            self.zi = np.broadcast_to(zi, (*x.shape[:-1], m))
            pad = np.zeros((*x.shape[:-1], m), dtype=x.dtype)
            self.x = np.concatenate([x, pad], axis=-1)
            self.y = ss.lfilter(flt.b, flt.a, self.x, axis=-1, zi=self.zi)[0]
            self.zf = flt.state_of(self.y[..., self.n :]) if m else self.zi
        else:
            self.x = x
            self.y = ss.lfilter(flt.b, flt.a, x, axis=-1)

    @property
    def output(self) -> Any:
        return self.y[..., : self.n]

    def tangent(self, db: Any, da: Any, dx: Any, dzi: Any) -> tuple[Any, Any]:
        """`(dy, dzf)` for tangents of `b`, `a`, `x`, `zi` (each `None` for zero); `dzf` is
        `None` without a state. Never both `None` when some tangent is given."""
        flt, n, m = self.filter, self.n, self.filter.order
        db, da = flt.coefficients(db, da)
        dy: Any = None
        dzf: Any = None
        if dx is not None or dzi is not None:
            dx = np.zeros_like(self.output) if dx is None else dx
            if self.has_state:
                dzi = np.zeros_like(self.zi) if dzi is None else np.broadcast_to(dzi, self.zi.shape)
                dy, dzf = ss.lfilter(flt.b, flt.a, dx, axis=-1, zi=dzi)
            else:
                dy = ss.lfilter(flt.b, flt.a, dx, axis=-1)
        if db is None and da is None:
            return dy, dzf
        # the coefficients' part of the extended output: (dB ∘ x - dA ∘ y + da[0] u) / A
        w: Any = 0
        if db is not None:
            w = w + ss.lfilter(db, flt.a, self.x, axis=-1)
        if da is not None:
            w = w - ss.lfilter(da, flt.a, self.y, axis=-1)
            if self.has_state:
                u = np.concatenate([self.zi, np.zeros_like(self.x[..., :n])], axis=-1)
                w = w + ss.lfilter([da[0]], flt.a, u, axis=-1)
        dy = w[..., :n] if dy is None else dy + w[..., :n]
        if self.has_state and m:
            change = flt.state_of(w[..., n:])
            if da is not None:  # zf's own dependence on a
                tail = self.y[..., n:]
                change = change + ss.lfilter(da[:m], [flt.a0], tail, axis=-1)
                change = change - (da[0] / flt.a0) * self.zf
            dzf = change if dzf is None else dzf + change
        return dy, dzf

    def cotangents(self, gy: Any, gzf: Any) -> Cotangents:
        """The cotangents for seeds `gy` of the output and `gzf` of the final state (`None`
        for zero), computed on first use."""
        return Cotangents(self, gy, gzf)


class Cotangents:
    """`.b`, `.a` (padded to `K`), `.x`, `.zi` of one `Run`, each computed on first use."""

    def __init__(self, run: Run, gy: Any, gzf: Any) -> None:
        self.run, self.gy, self.gzf = run, gy, gzf

    @functools.cached_property
    def seed(self) -> Any:
        """The cotangent of the extended output."""
        run = self.run
        flt, n = run.filter, run.n
        dtype = np.result_type(run.y, *(g for g in (self.gy, self.gzf) if g is not None))
        g = np.zeros(run.y.shape, dtype=dtype)
        if self.gy is not None:
            g[..., :n] = self.gy
        if self.gzf is not None and run.has_state and flt.order:
            g[..., n:] += anticausal(flt.a[: flt.order] / flt.a0, self.gzf)
        return g

    @functools.cached_property
    def q(self) -> Any:
        """The seed pulled back through `1/A`: the cotangent of `B ∘ x + a[0] u`."""
        return _rev(ss.lfilter([1.0], np.conj(self.run.filter.a), _rev(self.seed), axis=-1))

    @functools.cached_property
    def x(self) -> Any:
        return anticausal(self.run.filter.b, self.q)[..., : self.run.n]

    @functools.cached_property
    def zi(self) -> Any:
        return np.conj(self.run.filter.a0) * self.q[..., : self.run.filter.order]

    @functools.cached_property
    def b(self) -> Any:
        return lagged(self.q, self.run.x, self.run.filter.order + 1)

    @functools.cached_property
    def a(self) -> Any:
        run, flt = self.run, self.run.filter
        m = flt.order
        ga = -lagged(self.q, run.y, m + 1)
        if run.has_state:
            ga[0] += np.vdot(run.zi, self.q[..., :m])
            if self.gzf is not None and m:
                scale = np.conj(flt.a0)
                ga[:m] += lagged(self.gzf, run.y[..., run.n :], m) / scale
                ga[0] -= np.vdot(run.zf, self.gzf) / scale
        return ga


# ---------------------------------------------------------------------------------------------
# sosfilt: a cascade of second-order sections


class Cascade:
    """The sections of `sosfilt` as `Run`s, each fed the one before; arrays have the filter
    axis last, and the states a leading axis of sections."""

    def __init__(self, sos: Any, x: Any, zi: Any) -> None:
        sos = np.asarray(sos)
        self.has_state = zi is not None
        self.runs = []
        signal = x
        for k in range(sos.shape[0]):
            state = None if zi is None else np.broadcast_to(zi[k], (*x.shape[:-1], 2))
            run = Run(Filter(sos[k, :3], sos[k, 3:]), signal, state)
            self.runs.append(run)
            signal = run.output
        self.output = signal

    def tangent(self, dsos: Any, dx: Any, dzi: Any) -> tuple[Any, Any]:
        """`(dy, dzf)` (`None` for zeros)."""
        signal, states = dx, []
        for k, run in enumerate(self.runs):
            db = da = None
            if dsos is not None:  # sos[:, 3] == 1 is a constraint: its tangent is ignored
                db, da = dsos[k, :3], np.concatenate([np.zeros(1, dsos.dtype), dsos[k, 4:]])
            state = None if dzi is None else np.broadcast_to(dzi[k], run.zi.shape)
            signal, dzf = run.tangent(db, da, signal, state)
            states.append(dzf)
        if not self.has_state or all(d is None for d in states):
            return signal, None
        zeros = np.zeros_like(self.runs[-1].zf)
        return signal, np.stack([zeros if d is None else d for d in states])

    def cotangents(self, gy: Any, gzf: Any) -> tuple[Any, Any, Any]:
        """`(dsos, dx, dzi)`; `dzi` is `None` without a state."""
        n = len(self.runs)
        dsos: Any = np.zeros((n, 6))
        dzi = []
        g = gy
        for k in reversed(range(n)):
            grads = self.runs[k].cotangents(g, None if gzf is None else gzf[k])
            dsos = dsos.astype(np.result_type(dsos, grads.b, grads.a))
            dsos[k, :3], dsos[k, 4:] = grads.b, grads.a[1:]  # sos[:, 3]: a constraint
            if self.has_state:
                dzi.insert(0, grads.zi)
            g = grads.x
        return dsos, g, np.stack(dzi) if self.has_state else None


# ---------------------------------------------------------------------------------------------
# lfilter_zi: the steady state of the step response


class SteadyState:
    """`lfilter_zi(b, a)` with its derivatives in `b` and `a` (`a[0] != 0`)."""

    def __init__(self, flt: Filter) -> None:
        self.filter = flt
        m = flt.order
        self.bn, self.an = flt.b / flt.a0, flt.a / flt.a0
        matrix = np.eye(m, dtype=np.result_type(self.an, float)) - np.eye(m, k=1)
        matrix[:, 0] += self.an[1:]
        self.matrix = matrix
        self.zi = (
            np.linalg.solve(matrix, self.bn[1:] - self.an[1:] * self.bn[0]) if m else self.bn[1:]
        )

    def tangent(self, db: Any, da: Any) -> Any:
        """The tangent of `zi` for tangents of `b`, `a` padded to `K` (`None` for zero)."""
        flt, m = self.filter, self.filter.order
        dbn = np.zeros_like(self.bn) if db is None else db / flt.a0
        dan = np.zeros_like(self.an) if da is None else da / flt.a0
        if da is not None:  # through the normalization by a[0]
            dbn = dbn - self.bn * (da[0] / flt.a0)
            dan = dan - self.an * (da[0] / flt.a0)
        if not m:
            return dbn[1:]
        rhs = dbn[1:] - self.an[1:] * dbn[0] - dan[1:] * (self.bn[0] + self.zi[0])
        return np.linalg.solve(self.matrix, rhs)

    def cotangents(self, g: Any) -> tuple[Any, Any]:
        """The cotangents of `b` and `a` (padded to `K`) for a seed `g` of `zi`."""
        flt, m = self.filter, self.filter.order
        gbn = np.zeros(m + 1, dtype=np.result_type(g, self.bn))
        gan = np.zeros(m + 1, dtype=gbn.dtype)
        if m:
            h = np.linalg.solve(np.conj(self.matrix.T), g)
            gbn[1:] = h
            gbn[0] = -np.vdot(self.an[1:], h)
            gan[1:] = -h * np.conj(self.bn[0] + self.zi[0])
        scale = np.conj(flt.a0)
        gb, ga = gbn / scale, gan / scale
        ga[0] -= (np.vdot(self.bn, gbn) + np.vdot(self.an, gan)) / scale
        return gb, ga
