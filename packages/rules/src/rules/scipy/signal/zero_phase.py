"""Rules for the forward-backward (zero-phase) filters of `scipy.signal`, an frule and an
rrule for each of

- `filtfilt(b, a, x, axis=-1, padtype="odd", padlen=None, method="pad")`: `b`, `a` and `x`;
- `sosfiltfilt(sos, x, axis=-1, padtype="odd", padlen=None)`: `sos` and `x`.

Conventions:

- `axis`, `padtype`, `padlen`, `method`, `irlen` are options (`NoTangent()` by position).
- Both are compositions of differentiable steps, differentiated one by one: the signal is
  extended at both ends (`padtype`: "odd", "even", "constant" or `None`), filtered forward
  from the steady state `zi * x[0]` (`lfilter_zi`, `sosfilt_zi`, which depend on the
  coefficients too), reversed, filtered again from `zi * y[-1]`, reversed and cut back.
  The filtering steps use the derivatives of `lfilter` (`rules.scipy.signal._iir`).
- `sosfilt` requires `sos[:, 3] == 1`: that column gets a zero cotangent (see `filtering`).
- `method="gust"` (Gustafsson's initial conditions, a least-squares fit): the frule gives
  the tangent in `x` (the output is linear in `x`); the derivatives in `b` and `a`, and the
  rrule's cotangents, are `not_implemented`.

>>> import numpy as np
>>> import scipy.signal
>>> from rulescore import frule, NoTangent
>>> x = np.linspace(0.0, 1.0, 12)
>>> b, a = [0.5, 0.5], [1.0, -0.2]
>>> _, dy = frule((NoTangent(), 0.0, 0.0, x), scipy.signal.filtfilt, b, a, x)
>>> bool(np.allclose(dy, scipy.signal.filtfilt(b, a, x)))
True
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import scipy.signal as ss

from rules.scipy.signal._arguments import Call, moved, project_to, unmoved, value
from rules.scipy.signal._iir import Cascade, Filter, Run, SteadyState
from rulescore import ProjectTo, Thunk, ZeroTangent, frule, not_implemented, rrule

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# the extension of the signal at both ends, and its adjoint


def _extend(x: Any, edge: int, padtype: Any) -> Any:
    if not edge or padtype is None:
        return x
    if padtype == "constant":
        left = np.repeat(x[..., :1], edge, axis=-1)
        right = np.repeat(x[..., -1:], edge, axis=-1)
    else:
        left, right = x[..., edge:0:-1], x[..., -2 : -(edge + 2) : -1]
        if padtype == "odd":
            left, right = 2 * x[..., :1] - left, 2 * x[..., -1:] - right
    return np.concatenate([left, x, right], axis=-1)


def _extend_adjoint(g: Any, n: int, edge: int, padtype: Any) -> Any:
    if not edge or padtype is None:
        return g
    gx = g[..., edge : edge + n].copy()
    left, right = g[..., :edge], g[..., edge + n :]
    if padtype == "constant":
        gx[..., 0] += np.sum(left, axis=-1)
        gx[..., -1] += np.sum(right, axis=-1)
        return gx
    sign = -1 if padtype == "odd" else 1
    gx[..., 1 : edge + 1] += sign * left[..., ::-1]
    gx[..., n - 1 - edge : n - 1] += sign * right[..., ::-1]
    if padtype == "odd":
        gx[..., 0] += 2 * np.sum(left, axis=-1)
        gx[..., -1] += 2 * np.sum(right, axis=-1)
    return gx


# ---------------------------------------------------------------------------------------------
# the two kinds of filter: lfilter's (b, a) and sosfilt's sections


class _Lfilter:
    """`lfilter(b, a)` and `lfilter_zi(b, a)`; coefficient tangents are `(db, da)` pairs."""

    def __init__(self, b: Any, a: Any) -> None:
        self.filter = Filter(b, a)
        self.steady = SteadyState(self.filter)
        self.zi = self.steady.zi

    def start(self, zi: Any, first: Any) -> Any:
        """The initial state `zi * first` (`first` has a last axis of length 1)."""
        return zi * first

    def start_adjoint(self, g: Any, zi: Any, first: Any) -> tuple[Any, Any]:
        """The cotangents of `zi` and `first` for a seed `g` of `zi * first`."""
        gzi = np.sum(g * np.conj(first), axis=tuple(range(g.ndim - 1)))
        return gzi, np.sum(g * np.conj(zi), axis=-1, keepdims=True)

    def run(self, signal: Any, state: Any) -> Run:
        return Run(self.filter, signal, state)

    def run_tangent(self, run: Run, dcoef: Any, dsignal: Any, dstate: Any) -> Any:
        db, da = (None, None) if dcoef is None else dcoef
        return run.tangent(db, da, dsignal, dstate)[0]

    def run_cotangents(self, run: Run, g: Any) -> tuple[Any, Any, Any]:
        grads = run.cotangents(g, None)
        return (grads.b, grads.a), grads.x, grads.zi

    def zi_tangent(self, dcoef: Any) -> Any:
        return self.steady.tangent(*dcoef)

    def zi_cotangents(self, g: Any) -> Any:
        return self.steady.cotangents(g)

    @staticmethod
    def add(c1: Any, c2: Any) -> Any:
        return c1[0] + c2[0], c1[1] + c2[1]


class _Sos:
    """`sosfilt(sos)` and `sosfilt_zi(sos)`: section `k`'s steady state is that of its own
    `lfilter_zi` scaled by the DC gains `sum(b) / sum(a)` of the sections before it."""

    def __init__(self, sos: Any) -> None:
        self.sos = sos = np.asarray(sos)
        self.steady = [SteadyState(Filter(s[:3], s[3:])) for s in sos]
        self.ratio = np.array([np.sum(s[:3]) / np.sum(s[3:]) for s in sos])
        self.scale = np.concatenate([[1], np.cumprod(self.ratio)[:-1]])
        self.zi = np.stack([c * st.zi for c, st in zip(self.scale, self.steady, strict=True)])

    def start(self, zi: Any, first: Any) -> Any:
        return zi.reshape((len(zi),) + (1,) * (first.ndim - 1) + (2,)) * first

    def start_adjoint(self, g: Any, zi: Any, first: Any) -> tuple[Any, Any]:
        gzi = np.sum(g * np.conj(first), axis=tuple(range(1, g.ndim - 1)))
        zi = zi.reshape((len(zi),) + (1,) * (first.ndim - 1) + (2,))
        return gzi, np.sum(g * np.conj(zi), axis=(0, -1))[..., None]

    def run(self, signal: Any, state: Any) -> Cascade:
        return Cascade(self.sos, signal, state)

    def run_tangent(self, run: Cascade, dcoef: Any, dsignal: Any, dstate: Any) -> Any:
        return run.tangent(dcoef, dsignal, dstate)[0]

    def run_cotangents(self, run: Cascade, g: Any) -> tuple[Any, Any, Any]:
        return run.cotangents(g, None)

    def zi_tangent(self, dsos: Any) -> Any:
        sums = np.sum(self.sos[:, 3:], axis=1)
        out, dscale = [], 0.0
        for k, steady in enumerate(self.steady):
            da = np.concatenate([[0], dsos[k, 4:]])  # sos[:, 3] is fixed
            out.append(dscale * steady.zi + self.scale[k] * steady.tangent(dsos[k, :3], da))
            dratio = (np.sum(dsos[k, :3]) - self.ratio[k] * np.sum(da)) / sums[k]
            dscale = dscale * self.ratio[k] + self.scale[k] * dratio
        return np.stack(out)

    def zi_cotangents(self, g: Any) -> Any:
        n = len(self.steady)
        gsos = np.zeros((n, 6), dtype=np.result_type(g, self.sos))
        sums = np.sum(self.sos[:, 3:], axis=1)
        gscale_next: Any = 0.0  # the cotangent of scale[k + 1], accumulated backwards
        for k in reversed(range(n)):
            steady = self.steady[k]
            gb, ga = steady.cotangents(np.conj(self.scale[k]) * g[k])
            gratio = gscale_next * np.conj(self.scale[k])
            gb = gb + gratio / np.conj(sums[k])
            ga = ga - gratio * np.conj(self.ratio[k]) / np.conj(sums[k])
            gsos[k, :3], gsos[k, 4:] = gb, ga[1:]
            gscale_next = np.vdot(steady.zi, g[k]) + gscale_next * np.conj(self.ratio[k])
        return gsos

    @staticmethod
    def add(c1: Any, c2: Any) -> Any:
        return c1 + c2


# ---------------------------------------------------------------------------------------------
# the forward-backward pass


class _ZeroPhase:
    """`filtfilt`'s steps with the filter axis last, kept for the derivatives."""

    def __init__(self, chain: Any, x: Any, edge: int, padtype: Any) -> None:
        self.chain, self.n, self.edge, self.padtype = chain, x.shape[-1], edge, padtype
        self.ext = _extend(x, edge, padtype)
        self.run1 = chain.run(self.ext, chain.start(chain.zi, self.ext[..., :1]))
        y1 = self.run1.output
        self.last = y1[..., -1:]
        self.run2 = chain.run(y1[..., ::-1], chain.start(chain.zi, self.last))

    def tangent(self, dcoef: Any, dx: Any) -> Any:
        chain, zi = self.chain, self.chain.zi
        dext = None if dx is None else _extend(dx, self.edge, self.padtype)
        dzi = None if dcoef is None else chain.zi_tangent(dcoef)
        ds1 = _add(
            None if dzi is None else chain.start(dzi, self.ext[..., :1]),
            None if dext is None else chain.start(zi, dext[..., :1]),
        )
        dy1 = chain.run_tangent(self.run1, dcoef, dext, ds1)
        ds2 = _add(
            None if dzi is None else chain.start(dzi, self.last),
            None if dy1 is None else chain.start(zi, dy1[..., -1:]),
        )
        dy2 = chain.run_tangent(self.run2, dcoef, None if dy1 is None else dy1[..., ::-1], ds2)
        return dy2[..., ::-1][..., self.edge : self.edge + self.n]

    def cotangents(self, g: Any) -> tuple[Any, Any]:
        """`(coefficients' cotangent, x's)` for a seed `g` of the output."""
        chain, zi, edge = self.chain, self.chain.zi, self.edge
        pad = [(0, 0)] * (g.ndim - 1) + [(edge, edge)]
        c2, g_rev, g_s2 = chain.run_cotangents(self.run2, np.pad(g, pad)[..., ::-1])
        g_y1 = g_rev[..., ::-1].copy()
        gzi, g_last = chain.start_adjoint(g_s2, zi, self.last)
        g_y1[..., -1:] += g_last
        c1, g_ext, g_s1 = chain.run_cotangents(self.run1, g_y1)
        gzi1, g_first = chain.start_adjoint(g_s1, zi, self.ext[..., :1])
        g_ext = g_ext.copy()
        g_ext[..., :1] += g_first
        coef = chain.add(chain.add(c1, c2), chain.zi_cotangents(gzi + gzi1))
        return coef, _extend_adjoint(g_ext, self.n, edge, self.padtype)


def _add(a: Any, b: Any) -> Any:
    return b if a is None else a if b is None else a + b


def _edge(call: Call, x: Any, ntaps: int) -> int:
    if call["padtype"] is None:
        return 0
    return 3 * ntaps if call["padlen"] is None else int(call["padlen"])


# ---------------------------------------------------------------------------------------------
# filtfilt


def _filtfilt_setup(call: Call) -> tuple[_ZeroPhase, int]:
    x, axis = np.asarray(call["x"]), call["axis"]
    chain = _Lfilter(call["b"], call["a"])
    edge = _edge(call, x, max(chain.filter.nb, chain.filter.na))
    return _ZeroPhase(chain, moved(x, axis), edge, call["padtype"]), axis


@rrule.register(ss.filtfilt)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.filtfilt, args, kwargs)
    y = ss.filtfilt(*args, **kwargs)
    project = {name: project_to(call[name]) for name in ("b", "a", "x")}
    if call["method"] == "gust":
        reason = "filtfilt(method='gust'): the adjoint of Gustafsson's initial conditions"

        def filtfilt_gust_pullback(dy: Any) -> tuple[Any, ...]:
            missing = not_implemented(reason)
            return call.cotangents(b=missing, a=missing, x=missing)

        return y, filtfilt_gust_pullback
    passes, axis = _filtfilt_setup(call)
    nb, na = passes.chain.filter.nb, passes.chain.filter.na

    def filtfilt_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return call.cotangents(b=ZeroTangent(), a=ZeroTangent(), x=ZeroTangent())
        backward = functools.cache(lambda: passes.cotangents(moved(g, axis)))
        return call.cotangents(
            b=Thunk(lambda: project["b"](backward()[0][0][:nb])),
            a=Thunk(lambda: project["a"](backward()[0][1][:na])),
            x=Thunk(lambda: project["x"](unmoved(backward()[1], axis))),
        )

    return y, filtfilt_pullback


@frule.register(ss.filtfilt)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(ss.filtfilt, args, kwargs)
    y = ss.filtfilt(*args, **kwargs)
    db, da, dx = (call.tangent(tangents, name) for name in ("b", "a", "x"))
    if db is None and da is None and dx is None:
        return y, ProjectTo(y)(ZeroTangent())
    if call["method"] == "gust":
        if db is not None or da is not None:
            return y, not_implemented("filtfilt(method='gust'): the derivative in b and a")
        return y, ProjectTo(y)(ss.filtfilt(**{**call.arguments, "x": dx}))
    passes, axis = _filtfilt_setup(call)
    dcoef = None
    if db is not None or da is not None:
        k = passes.chain.filter.order + 1
        dcoef = tuple(
            np.zeros(k) if d is None else passes.chain.filter.coefficients(d, None)[0]
            for d in (db, da)
        )
    dy = passes.tangent(dcoef, None if dx is None else moved(dx, axis))
    return y, ProjectTo(y)(unmoved(dy, axis))


# ---------------------------------------------------------------------------------------------
# sosfiltfilt


def _sosfiltfilt_setup(call: Call) -> tuple[_ZeroPhase, int]:
    x, axis, sos = np.asarray(call["x"]), call["axis"], np.asarray(call["sos"])
    # SciPy's count of taps: sections with a zero last coefficient count one less
    ntaps = 2 * len(sos) + 1 - min(np.sum(sos[:, 2] == 0), np.sum(sos[:, 5] == 0))
    edge = _edge(call, x, int(ntaps))
    return _ZeroPhase(_Sos(sos), moved(x, axis), edge, call["padtype"]), axis


@rrule.register(ss.sosfiltfilt)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.sosfiltfilt, args, kwargs)
    y = ss.sosfiltfilt(*args, **kwargs)
    project_sos, project_x = project_to(call["sos"]), project_to(call["x"])
    passes, axis = _sosfiltfilt_setup(call)

    def sosfiltfilt_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return call.cotangents(sos=ZeroTangent(), x=ZeroTangent())
        backward = functools.cache(lambda: passes.cotangents(moved(g, axis)))
        return call.cotangents(
            sos=Thunk(lambda: project_sos(backward()[0])),
            x=Thunk(lambda: project_x(unmoved(backward()[1], axis))),
        )

    return y, sosfiltfilt_pullback


@frule.register(ss.sosfiltfilt)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(ss.sosfiltfilt, args, kwargs)
    y = ss.sosfiltfilt(*args, **kwargs)
    dsos, dx = call.tangent(tangents, "sos"), call.tangent(tangents, "x")
    if dsos is None and dx is None:
        return y, ProjectTo(y)(ZeroTangent())
    passes, axis = _sosfiltfilt_setup(call)
    dy = passes.tangent(
        None if dsos is None else np.asarray(dsos), None if dx is None else moved(dx, axis)
    )
    return y, ProjectTo(y)(unmoved(dy, axis))
