"""Rules for the convolutions of `scipy.signal`, an frule and an rrule for each of

- `convolve`, `correlate` (N-D; modes "full", "same", "valid"; `method=` "direct", "fft" or
  "auto", which compute the same function);
- `fftconvolve`, `oaconvolve` (`axes=`: convolution along those axes, broadcasting along the
  others);
- `convolve2d`, `correlate2d` (modes; `boundary=` "fill" with any `fillvalue`, "wrap",
  "symm").

Conventions:

- `in1` and `in2` are differentiated; so is `fillvalue` when it is given by position (it is
  a number the output depends on linearly). `mode`, `method`, `axes` and `boundary` are
  options: positional ones get `NoTangent()`. Integer inputs have no tangent space.
- `correlate` conjugates its second argument, and so does its derivative: the output is
  holomorphic in `in1` and anti-holomorphic in `in2`. `correlate2d` in "valid" mode with an
  `in2` larger than `in1` conjugates `in1` instead (SciPy swaps the inputs there); its rule
  follows SciPy.
- Every output is a window of a full convolution `u * v` of transformed inputs (`in2` reversed
  and conjugated for a correlation; `in1` extended by its boundary condition for
  `convolve2d`/`correlate2d` in "full" and "same" modes). The pullback places the seed in that
  window and applies the adjoints of the full convolution, which are "valid" convolutions
  with the other operand reversed and conjugated, computed with the same SciPy function (so
  `method="fft"` pulls back by FFT). Along axes that are not convolved (`fftconvolve`'s
  other axes, and axes of length 1 there) the inputs broadcast, and cotangents are summed back.
- A boundary extension's adjoint adds each extended entry's cotangent to the entry it copies
  ("wrap", "symm") or, for "fill", to `fillvalue`.

>>> import numpy as np
>>> import scipy.signal
>>> from rulescore import rrule
>>> y, back = rrule(scipy.signal.convolve, np.array([1.0, 2.0]), np.array([1.0, 1.0, 1.0]))
>>> y
array([1., 3., 3., 2.])
>>> [np.asarray(d) for d in back(np.array([1.0, 0.0, 0.0, 0.0]))[1:]]
[array([1., 0.]), array([1., 0., 0.])]
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.signal as ss

from rules.scipy.signal._arguments import Call, value
from rulescore import ProjectTo, Thunk, ZeroTangent, frule, rrule, unbroadcast

__all__: list[str] = []

Conv = Callable[[Any, Any, str], Any]


def _reverse(x: Any, axes: tuple[int, ...]) -> Any:
    return np.flip(x, axis=axes) if axes else x


def _reverse_conj(x: Any, axes: tuple[int, ...]) -> Any:
    return np.conj(_reverse(x, axes))


class _Window:
    """`y = (u * v)[start : start + shape]`: a window of the full convolution of `u` and `v`
    along `axes` (the inputs broadcast along the other axes), computed by `conv(a, b, mode)`."""

    def __init__(self, u: Any, v: Any, axes: tuple[int, ...], conv: Conv, start: Any) -> None:
        self.u, self.v, self.axes, self.conv = u, v, axes, conv
        full = list(np.broadcast_shapes(*(_other_axes(w.shape, axes) for w in (u, v))))
        for axis in axes:
            full[axis] = u.shape[axis] + v.shape[axis] - 1
        self.full = tuple(full)
        self.start = tuple(start)

    def seed(self, dy: Any) -> Any:
        """The seed `dy` placed in its window of the full convolution's shape."""
        dy = np.asarray(dy)
        full = np.zeros(self.full, dtype=np.result_type(dy, self.u, self.v))
        full[tuple(slice(s, s + n) for s, n in zip(self.start, dy.shape, strict=True))] = dy
        return full

    def cotangents(self, dfull: Any) -> tuple[Thunk, Thunk]:
        """The cotangents of `u` and `v` (thunked), from the seed of the full convolution."""
        return (
            Thunk(lambda: self._adjoint(dfull, self.v, self.u)),
            Thunk(lambda: self._adjoint(dfull, self.u, self.v)),
        )

    def _adjoint(self, dfull: Any, other: Any, own: Any) -> Any:
        kernel = _reverse_conj(other, self.axes)
        d = self.conv(dfull, kernel, "valid") if self.axes else dfull * kernel
        return unbroadcast(own.shape, d)


def _other_axes(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` with the convolved axes set to 1, for broadcasting the others."""
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _centered_start(window: _Window, shape: tuple[int, ...]) -> tuple[int, ...]:
    """Where SciPy's centered window of `shape` starts in the full convolution."""
    return tuple((f - n) // 2 for f, n in zip(window.full, shape, strict=True))


def _frule(f: Callable[..., Any], call: Call, tangents: tuple[Any, ...], **zero: Any) -> Any:
    """`f` is linear in `in1` (affine: `zero` holds the options that drop the constant part)
    and real-linear in `in2`: the tangent is `f(din1, in2) + f(in1, din2)`."""
    y = f(**call.arguments)
    din1, din2 = call.tangent(tangents, "in1"), call.tangent(tangents, "in2")
    dy: Any = ZeroTangent()
    if din1 is not None:
        dy = dy + f(**{**call.arguments, "in1": din1, **zero})
    if din2 is not None:
        dy = dy + f(**{**call.arguments, "in2": din2})
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# convolve, correlate (all axes), fftconvolve, oaconvolve (axes=)


def _scalar_rule(call: Call, y: Any, conjugate: bool) -> Any:
    """0-d inputs: SciPy multiplies them (conjugating `in2` for a correlation)."""
    in1, in2 = call["in1"], call["in2"]
    project1, project2 = ProjectTo(in1), ProjectTo(in2)

    def product_pullback(dy: Any) -> tuple[Any, ...]:
        dy = value(dy)
        if dy is None:
            return call.cotangents(in1=ZeroTangent(), in2=ZeroTangent())
        d1 = dy * (in2 if conjugate else np.conj(in2))
        d2 = np.conj(dy) * in1 if conjugate else dy * np.conj(in1)
        return call.cotangents(in1=project1(d1), in2=project2(d2))

    return y, product_pullback


def _window_rrule(f: Callable[..., Any], call: Call, window: _Window, conjugate: bool) -> Any:
    """The rrule of `y = f(in1, in2)`, the window of `u * v` with `u = in1` and `v = in2`
    (reversed and conjugated along the convolved axes for a correlation)."""
    project1, project2 = ProjectTo(call["in1"]), ProjectTo(call["in2"])
    axes = window.axes

    def convolution_pullback(dy: Any) -> tuple[Any, ...]:
        dy = value(dy)
        if dy is None:
            return call.cotangents(in1=ZeroTangent(), in2=ZeroTangent())
        du, dv = window.cotangents(window.seed(dy))
        d2 = Thunk(lambda: _reverse_conj(dv.unthunk(), axes)) if conjugate else dv
        return call.cotangents(in1=project1(du), in2=project2(d2))

    name = f"{f.__name__}_pullback"
    convolution_pullback.__name__ = convolution_pullback.__qualname__ = name
    return convolution_pullback


def _nd_rule(f: Callable[..., Any], args: Any, kwargs: Any, conjugate: bool) -> Any:
    call = Call(f, args, kwargs)
    y = f(*args, **kwargs)
    in1, in2 = np.asarray(call["in1"]), np.asarray(call["in2"])
    if in1.ndim == 0:
        return _scalar_rule(call, y, conjugate)
    axes = tuple(range(in1.ndim))
    method = call["method"]

    def conv(a: Any, b: Any, mode: str) -> Any:
        return ss.convolve(a, b, mode, method=method)

    v = _reverse_conj(in2, axes) if conjugate else in2
    window = _Window(in1, v, axes, conv, ())
    window.start = _centered_start(window, np.shape(y))
    return y, _window_rrule(f, call, window, conjugate)


@rrule.register(ss.convolve)
def _(*args: Any, **kwargs: Any) -> Any:
    return _nd_rule(ss.convolve, args, kwargs, conjugate=False)


@frule.register(ss.convolve)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _frule(ss.convolve, Call(ss.convolve, args, kwargs), tangents)


@rrule.register(ss.correlate)
def _(*args: Any, **kwargs: Any) -> Any:
    return _nd_rule(ss.correlate, args, kwargs, conjugate=True)


@frule.register(ss.correlate)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _frule(ss.correlate, Call(ss.correlate, args, kwargs), tangents)


def _freq_rule(f: Callable[..., Any], args: Any, kwargs: Any) -> Any:
    call = Call(f, args, kwargs)
    y = f(*args, **kwargs)
    in1, in2 = np.asarray(call["in1"]), np.asarray(call["in2"])
    if in1.ndim == 0:
        return _scalar_rule(call, y, conjugate=False)
    given = call["axes"]
    axes = range(in1.ndim) if given is None else np.atleast_1d(given)
    # SciPy multiplies (broadcasts) along axes where either input has length 1
    convolved = tuple(sorted({int(a) % in1.ndim for a in axes} - _unit_axes(in1.shape, in2.shape)))

    def conv(a: Any, b: Any, mode: str) -> Any:
        return f(a, b, mode, axes=convolved)

    window = _Window(in1, in2, convolved, conv, ())
    window.start = _centered_start(window, np.shape(y))
    return y, _window_rrule(f, call, window, conjugate=False)


def _unit_axes(shape1: tuple[int, ...], shape2: tuple[int, ...]) -> set[int]:
    return {i for i, (m, n) in enumerate(zip(shape1, shape2, strict=True)) if 1 in (m, n)}


for _f in (ss.fftconvolve, ss.oaconvolve):

    @rrule.register(_f)
    def _(*args: Any, _f: Any = _f, **kwargs: Any) -> Any:
        return _freq_rule(_f, args, kwargs)

    @frule.register(_f)
    def _(tangents: tuple[Any, ...], *args: Any, _f: Any = _f, **kwargs: Any) -> Any:
        return _frule(_f, Call(_f, args, kwargs), tangents)


# ---------------------------------------------------------------------------------------------
# convolve2d, correlate2d: boundary conditions as an extension of in1

_PAD = {"wrap": "wrap", "circular": "wrap", "symm": "symmetric", "symmetric": "symmetric"}


class _Extension:
    """`in1` extended by `width` entries on each side of each axis, as `boundary` says."""

    def __init__(self, in1: Any, width: tuple[int, int], boundary: str, fillvalue: Any):
        self.shape, self.width = in1.shape, width
        self.fill = boundary.startswith("fill") or boundary == "pad"
        pads = tuple((w, w) for w in width)
        if self.fill:
            self.value = np.pad(in1, pads, constant_values=fillvalue)
        else:
            self.index = np.ix_(
                *(
                    np.pad(np.arange(n), w, mode=_PAD[boundary])
                    for n, w in zip(in1.shape, width, strict=True)
                )
            )
            self.value = in1[self.index]

    def adjoint(self, du: Any) -> tuple[Any, Any]:
        """The cotangents of `in1` and of `fillvalue` from that of the extended array."""
        if self.fill:
            inner = tuple(slice(w, w + n) for w, n in zip(self.width, self.shape, strict=True))
            d1 = du[inner]
            return d1, np.sum(du) - np.sum(d1)
        d1 = np.zeros(self.shape, dtype=du.dtype)
        np.add.at(d1, self.index, du)
        return d1, ZeroTangent()


def _rule_2d(f: Callable[..., Any], args: Any, kwargs: Any, correlate: bool) -> Any:
    call = Call(f, args, kwargs)
    y = f(*args, **kwargs)
    in1, in2 = np.asarray(call["in1"]), np.asarray(call["in2"])
    mode, boundary, fillvalue = call["mode"], call["boundary"], call["fillvalue"]
    axes = (0, 1)
    project1, project2 = ProjectTo(call["in1"]), ProjectTo(call["in2"])
    project_fill = ProjectTo(fillvalue)
    swapped = mode == "valid" and not all(m >= n for m, n in zip(in1.shape, in2.shape, strict=True))
    conj1 = correlate and swapped  # SciPy's swapped "valid" correlation conjugates in1
    u = np.conj(in1) if conj1 else in1
    v = _reverse(in2, axes) if correlate else in2
    if correlate and not swapped:
        v = np.conj(v)
    extension = None
    zero_fill = boundary == "fill" and not call.positional("fillvalue") and fillvalue == 0
    if mode != "valid" and not zero_fill:
        extension = _Extension(u, tuple(n - 1 for n in in2.shape), boundary, fillvalue)
        u = extension.value

    def conv(a: Any, b: Any, mode: str) -> Any:
        return ss.convolve2d(a, b, mode)

    window = _Window(u, v, axes, conv, ())
    up = int(correlate and mode == "same")  # correlate2d centres "same" rounding up
    shape = np.shape(y)
    if extension is None:
        window.start = tuple((f - n + up) // 2 for f, n in zip(window.full, shape, strict=True))
    else:  # the window inside the "valid" part of `u * v`, which begins at in2.shape - 1
        window.start = tuple(
            (k - 1) + (m + k - 1 - n + up) // 2
            for m, k, n in zip(in1.shape, in2.shape, shape, strict=True)
        )

    def convolution2d_pullback(dy: Any) -> tuple[Any, ...]:
        dy = value(dy)
        if dy is None:
            zero = ZeroTangent()
            return call.cotangents(in1=zero, in2=zero, fillvalue=zero)
        du, dv = window.cotangents(window.seed(dy))
        d1: Any = du
        dfill: Any = ZeroTangent()
        if extension is not None:
            folded = functools.cache(lambda: extension.adjoint(du.unthunk()))
            d1, dfill = Thunk(lambda: folded()[0]), Thunk(lambda: folded()[1])
        if conj1:
            d1 = Thunk(lambda: np.conj(du.unthunk()))
        d2: Any = dv
        if correlate:
            d2 = Thunk(lambda: _reverse(dv.unthunk() if swapped else np.conj(dv.unthunk()), axes))
        return call.cotangents(in1=project1(d1), in2=project2(d2), fillvalue=project_fill(dfill))

    name = f"{f.__name__}_pullback"
    convolution2d_pullback.__name__ = convolution2d_pullback.__qualname__ = name
    return y, convolution2d_pullback


def _frule_2d(f: Callable[..., Any], tangents: tuple[Any, ...], args: Any, kwargs: Any) -> Any:
    call = Call(f, args, kwargs)
    y, dy = _frule(f, call, tangents, fillvalue=0)
    dfill = call.tangent(tangents, "fillvalue")
    if dfill is not None:  # the response to a unit fill value, scaled
        unit = f(**{**call.arguments, "in1": np.zeros_like(call["in1"]), "fillvalue": 1})
        dy = dy + ProjectTo(y)(dfill * unit)
    return y, dy


@rrule.register(ss.convolve2d)
def _(*args: Any, **kwargs: Any) -> Any:
    return _rule_2d(ss.convolve2d, args, kwargs, correlate=False)


@frule.register(ss.convolve2d)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _frule_2d(ss.convolve2d, tangents, args, kwargs)


@rrule.register(ss.correlate2d)
def _(*args: Any, **kwargs: Any) -> Any:
    return _rule_2d(ss.correlate2d, args, kwargs, correlate=True)


@frule.register(ss.correlate2d)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    return _frule_2d(ss.correlate2d, tangents, args, kwargs)
