"""Rules for the linear filters of `scipy.signal`, an frule and an rrule for each of

- `lfilter(b, a, x, axis=-1, zi=None)`: `b`, `a`, `x` and `zi` are differentiated, and so
  is the final state `zf` that `lfilter` returns with `zi`;
- `sosfilt(sos, x, axis=-1, zi=None)`: `sos`, `x`, `zi`, and the final states.

Conventions:

- `axis` is an option (`NoTangent()` if given by position). A `zi` broadcast along other
  axes (size 1 there) gets its cotangent summed back.
- The output is holomorphic in every argument: complex coefficients and signals are fine.
- `lfilter` divides by `a[0]`, and so do its derivatives: `a[0]` is differentiated like the
  other coefficients (it must not be zero).
- `sosfilt` requires `sos[:, 3] == 1` (it raises otherwise): that column is a constraint, not
  a variable, so its cotangent is zero and its tangent is ignored.
- The derivatives are filters too (`rules.scipy.signal._iir` says which): the adjoint of an
  IIR filter is the same filter, conjugated, run backwards on the reversed signal; the
  cotangents of the coefficients correlate that backward signal with the input and output.

>>> import numpy as np
>>> import scipy.signal
>>> from rulescore import rrule, unthunk
>>> y, back = rrule(scipy.signal.lfilter, [1.0], [1.0, -0.5], np.array([1.0, 0.0, 0.0]))
>>> y
array([1.  , 0.5 , 0.25])
>>> unthunk(back(np.array([0.0, 0.0, 1.0]))[3])
array([0.25, 0.5 , 1.  ])
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import scipy.signal as ss

from rules.scipy.signal._arguments import Call, moved, project_to, unmoved, value
from rules.scipy.signal._iir import Cascade, Filter, Run
from rulescore import ProjectTo, Thunk, ZeroTangent, frule, rrule, unthunk

__all__: list[str] = []


def _seeds(dy: Any, has_state: bool) -> tuple[Any, Any]:
    """The seeds of the output and of the final state (`None` for zeros)."""
    dy = unthunk(dy)
    if not has_state:
        return value(dy), None
    if value(dy) is None:
        return None, None
    return value(dy[0]), value(dy[1])


def _output_tangent(y: Any, dy: Any, dzf: Any) -> Any:
    """The tangent of `y` or of `(y, zf)`, projected, zeros for `None`."""
    if isinstance(y, tuple):
        return tuple(
            ProjectTo(p)(ZeroTangent() if d is None else d)
            for p, d in zip(y, (dy, dzf), strict=True)
        )
    return ProjectTo(y)(ZeroTangent() if dy is None else dy)


def _state(zi: Any, x: Any, axis: int, order: int) -> Any:
    """`zi` with the filter axis last, broadcast to `x`'s other axes."""
    zi = moved(zi, axis)
    return np.broadcast_to(zi, (*np.shape(moved(x, axis))[:-1], order))


# ---------------------------------------------------------------------------------------------
# lfilter


def _lfilter_run(call: Call) -> tuple[Run, int]:
    x, axis, zi = np.asarray(call["x"]), call["axis"], call["zi"]
    flt = Filter(call["b"], call["a"])
    state = None if zi is None else _state(np.asarray(zi), x, axis, flt.order)
    return Run(flt, moved(x, axis), state), axis


@rrule.register(ss.lfilter)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.lfilter, args, kwargs)
    y = ss.lfilter(*args, **kwargs)
    project = {name: project_to(call[name]) for name in ("b", "a", "x", "zi")}
    run, axis = _lfilter_run(call)
    nb, na = run.filter.nb, run.filter.na

    def lfilter_pullback(dy: Any) -> tuple[Any, ...]:
        gy, gzf = _seeds(dy, run.has_state)
        if gy is None and gzf is None:
            return call.cotangents(**{name: ZeroTangent() for name in project})
        grads = run.cotangents(
            None if gy is None else moved(gy, axis), None if gzf is None else moved(gzf, axis)
        )
        return call.cotangents(
            b=Thunk(lambda: project["b"](grads.b[:nb])),
            a=Thunk(lambda: project["a"](grads.a[:na])),
            x=Thunk(lambda: project["x"](unmoved(grads.x, axis))),
            zi=Thunk(lambda: project["zi"](unmoved(grads.zi, axis))),
        )

    return y, lfilter_pullback


@frule.register(ss.lfilter)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(ss.lfilter, args, kwargs)
    y = ss.lfilter(*args, **kwargs)
    db, da, dx, dzi = (call.tangent(tangents, name) for name in ("b", "a", "x", "zi"))
    if db is None and da is None and dx is None and dzi is None:
        return y, _output_tangent(y, None, None)
    run, axis = _lfilter_run(call)
    if dzi is not None:
        dzi = _state(np.asarray(dzi), call["x"], axis, run.filter.order)
    dx = None if dx is None else moved(dx, axis)
    dy, dzf = run.tangent(db, da, dx, dzi)
    return y, _output_tangent(
        y, None if dy is None else unmoved(dy, axis), None if dzf is None else unmoved(dzf, axis)
    )


# ---------------------------------------------------------------------------------------------
# sosfilt: a cascade of second-order lfilters


def _sosfilt_setup(call: Call) -> tuple[Cascade, int, int]:
    """The cascade, the filter axis of `x` and that of `zi` (one more: sections first)."""
    x, axis, zi = np.asarray(call["x"]), call["axis"], call["zi"]
    state_axis = axis % x.ndim + 1
    state = None if zi is None else np.moveaxis(np.asarray(zi), state_axis, -1)
    return Cascade(call["sos"], moved(x, axis), state), axis, state_axis


@rrule.register(ss.sosfilt)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(ss.sosfilt, args, kwargs)
    y = ss.sosfilt(*args, **kwargs)
    project = {name: project_to(call[name]) for name in ("sos", "x", "zi")}
    cascade, axis, state_axis = _sosfilt_setup(call)

    def sosfilt_pullback(dy: Any) -> tuple[Any, ...]:
        gy, gzf = _seeds(dy, cascade.has_state)
        if gy is None and gzf is None:
            return call.cotangents(**{name: ZeroTangent() for name in project})
        gy = np.zeros_like(cascade.runs[-1].output) if gy is None else moved(gy, axis)
        gzf = None if gzf is None else np.moveaxis(np.asarray(gzf), state_axis, -1)

        @functools.cache
        def backward() -> tuple[Any, Any, Any]:
            return cascade.cotangents(gy, gzf)

        return call.cotangents(
            sos=Thunk(lambda: project["sos"](backward()[0])),
            x=Thunk(lambda: project["x"](unmoved(backward()[1], axis))),
            zi=Thunk(lambda: project["zi"](np.moveaxis(backward()[2], -1, state_axis))),
        )

    return y, sosfilt_pullback


@frule.register(ss.sosfilt)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    call = Call(ss.sosfilt, args, kwargs)
    y = ss.sosfilt(*args, **kwargs)
    dsos, dx, dzi = (call.tangent(tangents, name) for name in ("sos", "x", "zi"))
    if dsos is None and dx is None and dzi is None:
        return y, _output_tangent(y, None, None)
    cascade, axis, state_axis = _sosfilt_setup(call)
    dx = None if dx is None else moved(dx, axis)
    dzi = None if dzi is None else np.moveaxis(np.asarray(dzi), state_axis, -1)
    dy, dzf = cascade.tangent(None if dsos is None else np.asarray(dsos), dx, dzi)
    return y, _output_tangent(
        y,
        None if dy is None else unmoved(dy, axis),
        None if dzf is None else np.moveaxis(dzf, -1, state_axis),
    )
