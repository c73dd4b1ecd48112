"""Rules for integrating sampled data: `trapezoid`, `cumulative_trapezoid`, `simpson`,
`cumulative_simpson` and `romb`.

Covered, each with an rrule and an frule: the integrals are linear in the samples `y`, with
weights that depend on the spacings `h = diff(x)` (or `dx`) through SciPy's own formulas:

- `trapezoid(y, x, dx, axis)`: `y`, `x` (1-D or of `y`'s shape) and `dx`;
- `cumulative_trapezoid(y, x, dx, axis, initial)`: `y`, `x` (1-D or of `y`'s shape) and `dx`;
- `simpson(y, x, *, dx, axis)`: `y` and `x`; for an even number of samples, SciPy's
  correction of the last interval (Cartwright 2017) is differentiated with it;
- `cumulative_simpson(y, *, x, dx, axis, initial)`: `y` (its other arguments are keyword-only,
  so never differentiated);
- `romb(y, dx, axis, show)`: `y` and `dx` (a scalar).

Each integral is a sum (or a cumulative sum) of local pieces `Σⱼ wⱼ(h) y[j]`: the rules
evaluate the weights and their partial derivatives in the two spacings they depend on, and
apply them, their adjoints and their tangents with NumPy (no matrix of size N²).

Conventions: keyword arguments are never differentiated (`simpson(y, dx=0.5)` holds 0.5
constant); integer options (`axis`) and `initial` (which SciPy requires to be 0 or None) get
`NoTangent()`/zero. Complex `y` is supported (real weights); `x` and `dx` are real.

>>> import numpy as np, scipy.integrate
>>> from rulescore import rrule
>>> y, back = rrule(scipy.integrate.simpson, np.array([0.0, 1.0, 4.0]), np.array([0.0, 1.0, 2.0]))
>>> back(1.0)[1]                     # Simpson's weights h/3 (1, 4, 1)
array([0.33333333, 1.33333333, 0.33333333])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.integrate

from rules.scipy.integrate._adjoint import Call, dense, is_zero
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    rrule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []

# ---------------------------------------------------------------------------------------------
# The spacings h along the last axis, and their (co)tangents in x or dx


class _Spacing:
    """`h` of shape `lead + (N-1,)` from `x` (1-D, or of `y`'s shape) or `dx` (a scalar, or
    broadcastable as SciPy allows), after moving `axis` last."""

    def __init__(self, shape: tuple[int, ...], x: Any, dx: Any, axis: int) -> None:
        self.axis, self.x, self.dx = axis, x, dx
        full = (*shape[:-1], max(shape[-1] - 1, 0))
        if x is None:
            d = np.asarray(dx, dtype=float)
            d = np.moveaxis(d, axis, -1) if d.ndim == len(shape) else d
            self.h = np.broadcast_to(d, full)
        elif np.ndim(x) == 1:
            self.h = np.broadcast_to(np.diff(np.asarray(x, dtype=float)), full)
        else:
            self.h = np.diff(np.moveaxis(np.asarray(x, dtype=float), axis, -1), axis=-1)

    def tangent(self, dx_: Any, ddx: Any) -> Any:
        """`ḣ` from the tangents of `x` and `dx` (zero if both are)."""
        if self.x is None:
            if is_zero(ddx):
                return ZeroTangent()
            d = np.asarray(dense(ddx, self.dx), dtype=float)
            d = np.moveaxis(d, self.axis, -1) if d.ndim == self.h.ndim else d
            return np.broadcast_to(d, self.h.shape)
        if is_zero(dx_):
            return ZeroTangent()
        x_dot = np.asarray(dense(dx_, self.x), dtype=float)
        if np.ndim(self.x) == 1:
            return np.broadcast_to(np.diff(x_dot), self.h.shape)
        return np.diff(np.moveaxis(x_dot, self.axis, -1), axis=-1)

    def cotangent(self, hbar: np.ndarray) -> tuple[Any, Any]:
        """`(x̄, dx̄)` from `h̄`: the adjoint of `h = diff(x)` (summed over the lanes of a
        1-D `x`), or the sum into `dx`."""
        if self.x is None:
            if np.ndim(self.dx) == hbar.ndim:
                hbar = np.moveaxis(hbar, -1, self.axis)
            return NoTangent(), ProjectTo(self.dx)(unbroadcast(self.dx, hbar))
        if np.ndim(self.x) == 1:
            hbar = np.sum(hbar, axis=tuple(range(hbar.ndim - 1)))
        xbar = -np.diff(hbar, axis=-1, prepend=0.0, append=0.0)
        if np.ndim(self.x) != 1:
            xbar = np.moveaxis(xbar, -1, self.axis)
        return ProjectTo(self.x)(xbar), ZeroTangent()


# ---------------------------------------------------------------------------------------------
# Local pieces I[m] = Σ w y[j], with weights w(h) and their partials in two spacings


class _Pieces:
    """`M` local integrals along the last axis, each a sum of terms `w · y[..., j]`.

    A term is `(m, j, w, partials)`: index arrays `m` and `j` of one length `K`, weights `w` of
    shape `lead + (K,)`, and `partials`, pairs `(i, ∂w/∂h[i])` (index array, weights' shape).
    Within a term the indices are distinct (so `a[..., j] += ...` adds each once); the same
    `m` or `j` may appear in several terms.
    """

    def __init__(self, m: int) -> None:
        self.size = m
        self.terms: list[tuple[np.ndarray, np.ndarray, np.ndarray, list[Any]]] = []

    def add(self, m: Any, j: Any, w: np.ndarray, partials: list[Any] = ()) -> None:
        self.terms.append((np.asarray(m), np.asarray(j), w, list(partials)))

    def apply(self, y: np.ndarray) -> np.ndarray:
        out = np.zeros((*y.shape[:-1], self.size), dtype=np.result_type(y, np.float64))
        for m, j, w, _ in self.terms:
            out[..., m] += w * y[..., j]
        return out

    def y_adjoint(self, ibar: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        ybar = np.zeros(shape, dtype=np.result_type(ibar, np.float64))
        for m, j, w, _ in self.terms:
            ybar[..., j] += w * ibar[..., m]
        return ybar

    def h_adjoint(self, ibar: np.ndarray, y: np.ndarray, h_shape: tuple[int, ...]) -> np.ndarray:
        hbar = np.zeros(h_shape)
        for m, j, _, partials in self.terms:
            product = np.real(np.conj(y[..., j]) * ibar[..., m])
            for i, dw in partials:
                hbar[..., i] += dw * product
        return hbar

    def h_tangent(self, y: np.ndarray, hdot: np.ndarray) -> np.ndarray:
        out = np.zeros((*y.shape[:-1], self.size), dtype=np.result_type(y, np.float64))
        for m, j, _, partials in self.terms:
            for i, dw in partials:
                out[..., m] += dw * hdot[..., i] * y[..., j]
        return out


def _trapezoid_pieces(h: np.ndarray) -> _Pieces:
    """`I[i] = h[i] (y[i] + y[i+1]) / 2`, one piece per interval."""
    intervals = np.arange(h.shape[-1])
    pieces = _Pieces(h.shape[-1])
    half = np.full(h.shape, 0.5)
    pieces.add(intervals, intervals, h / 2, [(intervals, half)])
    pieces.add(intervals, intervals + 1, h / 2, [(intervals, half)])
    return pieces


def _simpson_pieces(h: np.ndarray, n: int) -> _Pieces:
    """SciPy's `simpson` as pieces: one per pair of intervals (Simpson's rule for uneven
    spacings), plus, for an even number of samples, the correction of the last interval."""
    if n == 2:
        return _trapezoid_pieces(h)
    odd = n if n % 2 else n - 1
    pairs = (odd - 1) // 2
    k = np.arange(pairs)
    first, second = 2 * k, 2 * k + 1
    h0, h1 = h[..., first], h[..., second]
    s = h0 + h1
    pieces = _Pieces(pairs + (n % 2 == 0))
    # Weights of y[2k], y[2k+1], y[2k+2] and their partials in (h0, h1).
    pieces.add(
        k,
        first,
        (2 * h0 + h1 - h1**2 / h0) / 6,
        [(first, (2 + h1**2 / h0**2) / 6), (second, (1 - 2 * h1 / h0) / 6)],
    )
    pieces.add(
        k,
        second,
        s**3 / (6 * h0 * h1),
        [
            (first, s**2 * (2 * h0 - h1) / (6 * h0**2 * h1)),
            (second, s**2 * (2 * h1 - h0) / (6 * h0 * h1**2)),
        ],
    )
    pieces.add(
        k,
        first + 2,
        (h0 + 2 * h1 - h0**2 / h1) / 6,
        [(first, (1 - 2 * h0 / h1) / 6), (second, (2 + h0**2 / h1**2) / 6)],
    )
    if n % 2 == 0:
        # Cartwright's correction: α y[-1] + β y[-2] - η y[-3], h0 = h[-2], h1 = h[-1].
        last = np.array([pairs])
        i0, i1 = np.array([n - 3]), np.array([n - 2])
        h0, h1 = h[..., i0], h[..., i1]
        s = h0 + h1
        pieces.add(
            last,
            np.array([n - 1]),
            (2 * h1**2 + 3 * h0 * h1) / (6 * s),
            [(i0, h1**2 / (6 * s**2)), (i1, (2 * h1**2 + 4 * h0 * h1 + 3 * h0**2) / (6 * s**2))],
        )
        pieces.add(
            last,
            np.array([n - 2]),
            (h1**2 + 3 * h0 * h1) / (6 * h0),
            [(i0, -(h1**2) / (6 * h0**2)), (i1, (2 * h1 + 3 * h0) / (6 * h0))],
        )
        pieces.add(
            last,
            np.array([n - 3]),
            -(h1**3) / (6 * h0 * s),
            [
                (i0, h1**3 * (2 * h0 + h1) / (6 * h0**2 * s**2)),
                (i1, -(h1**2) * (3 * h0 + 2 * h1) / (6 * h0 * s**2)),
            ],
        )
    return pieces


def _cumulative_simpson_pieces(h: np.ndarray, n: int) -> _Pieces:
    """SciPy's `cumulative_simpson`: the integral over interval `p` of the quadratic through
    three samples: `(p, p+1, p+2)` for even `p` (but the last), `(p-1, p, p+1)` otherwise."""
    if n < 3:
        return _trapezoid_pieces(h)
    p = np.arange(n - 1)
    forward = (p % 2 == 0) & (p != n - 2)
    pieces = _Pieces(n - 1)
    # First interval of the quadratic through (near, middle, far): a = its width, b = the next.
    for mask, near, a_index, b_index, step in (
        (forward, p, p, p + 1, 1),
        (~forward, p + 1, p, p - 1, -1),
    ):
        m, near, a, b = p[mask], near[mask], h[..., a_index[mask]], h[..., b_index[mask]]
        c = a + b
        pieces.add(m, near, a / 6 * (3 - a / c))
        pieces.add(m, near + step, a / 6 * (3 + a**2 / (c * b) + a / c))
        pieces.add(m, near + 2 * step, -a / 6 * a**2 / (c * b))
    return pieces


def _romb_weights(n: int) -> np.ndarray:
    """The weights of `romb` for unit spacing: its recursion run on weight vectors."""
    intervals = n - 1
    k = max(intervals.bit_length() - 1, 0)
    weights = np.zeros(n)
    weights[[0, -1]] += intervals / 2.0
    table = {(0, 0): weights}
    h = float(intervals)
    start = stop = step = intervals
    for i in range(1, k + 1):
        start >>= 1
        indicator = np.zeros(n)
        indicator[start:stop:step] = 1.0
        step >>= 1
        table[(i, 0)] = 0.5 * (table[(i - 1, 0)] + h * indicator)
        for j in range(1, i + 1):
            prev = table[(i, j - 1)]
            table[(i, j)] = prev + (prev - table[(i - 1, j - 1)]) / ((1 << (2 * j)) - 1)
        h /= 2.0
    return table[(k, k)]


# ---------------------------------------------------------------------------------------------
# The rules: pieces along the last axis, summed or cumulated


class _Rule:
    """One call of a sampled-data integral: `y` moved to the last axis, its pieces."""

    def __init__(self, f: Any, args: tuple[Any, ...], kwargs: dict[str, Any], kind: str):
        self.call = Call(f, args, kwargs)
        self.y = np.asarray(self.call.get("y"))
        self.axis = self.call.get("axis", -1) % max(self.y.ndim, 1)
        self.moved = np.moveaxis(self.y, self.axis, -1)
        self.spacing = _Spacing(
            self.moved.shape, self.call.get("x"), self.call.get("dx", 1.0), self.axis
        )
        n = self.moved.shape[-1]
        build = {
            "trapezoid": _trapezoid_pieces,
            "cumulative_trapezoid": _trapezoid_pieces,
            "simpson": lambda h: _simpson_pieces(h, n),
            "cumulative_simpson": lambda h: _cumulative_simpson_pieces(h, n),
        }[kind]
        self.pieces = build(self.spacing.h)
        self.cumulative = kind.startswith("cumulative")
        self.initial = self.call.get("initial") is not None

    def pieces_cotangent(self, dout: Any) -> np.ndarray:
        """`Ī` from the output's cotangent: broadcast for a sum, reverse-cumulated for a
        cumulative sum (whose `initial` column, a constant, is dropped)."""
        if not self.cumulative:
            return np.broadcast_to(
                np.asarray(dout)[..., None], (*self.moved.shape[:-1], self.pieces.size)
            )
        d = np.moveaxis(np.asarray(dout), self.axis, -1)
        if self.initial:
            d = d[..., 1:]
        return np.flip(np.cumsum(np.flip(d, -1), axis=-1), -1)

    def output_tangent(self, pieces: np.ndarray) -> np.ndarray:
        if not self.cumulative:
            return np.sum(pieces, axis=-1)
        out = np.cumsum(pieces, axis=-1)
        if self.initial:
            out = np.concatenate([np.zeros((*out.shape[:-1], 1), out.dtype), out], axis=-1)
        return np.moveaxis(out, -1, self.axis)


def _register(f: Any, kind: str) -> None:
    @frule.register(f)
    def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        out = f(*args, **kwargs)
        rule = _Rule(f, args, kwargs, kind)
        dy = rule.call.tangent(tangents, "y")
        hdot = rule.spacing.tangent(
            rule.call.tangent(tangents, "x"), rule.call.tangent(tangents, "dx")
        )
        if is_zero(dy) and isinstance(hdot, AbstractZero):
            return out, ZeroTangent()
        pieces = np.zeros((*rule.moved.shape[:-1], rule.pieces.size))
        if not is_zero(dy):
            pieces = pieces + rule.pieces.apply(np.moveaxis(dense(dy, rule.y), rule.axis, -1))
        if not isinstance(hdot, AbstractZero):
            pieces = pieces + rule.pieces.h_tangent(rule.moved, hdot)
        return out, ProjectTo(out)(rule.output_tangent(pieces))

    @rrule.register(f)
    def _(*args: Any, **kwargs: Any) -> Any:
        out = f(*args, **kwargs)
        rule = _Rule(f, args, kwargs, kind)
        project_y = ProjectTo(rule.call.get("y"))

        def sampled_integral_pullback(dout: Any) -> tuple[Any, ...]:
            dout = unthunk(dout)
            if isinstance(dout, AbstractZero):
                return rule.call.cotangents()
            ibar = rule.pieces_cotangent(dout)
            ybar = rule.pieces.y_adjoint(ibar, rule.moved.shape)
            values = {"y": project_y(np.moveaxis(ybar, -1, rule.axis))}
            hbar = rule.pieces.h_adjoint(ibar, rule.moved, rule.spacing.h.shape)
            values["x"], values["dx"] = rule.spacing.cotangent(hbar)
            return rule.call.cotangents(**values)

        return out, sampled_integral_pullback


_register(scipy.integrate.trapezoid, "trapezoid")
_register(scipy.integrate.cumulative_trapezoid, "cumulative_trapezoid")
_register(scipy.integrate.simpson, "simpson")
if hasattr(scipy.integrate, "cumulative_simpson"):  # SciPy >= 1.12
    _register(scipy.integrate.cumulative_simpson, "cumulative_simpson")


# ---------------------------------------------------------------------------------------------
# romb: dx · Σ W y with Romberg's weights W for 2^k + 1 samples


@frule.register(scipy.integrate.romb)
def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
    out = scipy.integrate.romb(*args, **kwargs)
    call = Call(scipy.integrate.romb, args, kwargs)
    y, dx, axis = np.asarray(call.get("y")), call.get("dx", 1.0), call.get("axis", -1)
    dy, ddx = call.tangent(tangents, "y"), call.tangent(tangents, "dx")
    if is_zero(dy) and is_zero(ddx):
        return out, ZeroTangent()
    weights = _romb_weights(y.shape[axis])
    dout: Any = 0.0
    if not is_zero(dy):
        dout = dout + dx * np.tensordot(np.moveaxis(dense(dy, y), axis, -1), weights, axes=1)
    if not is_zero(ddx):
        dout = dout + float(dense(ddx, 0.0)) * np.tensordot(
            np.moveaxis(y, axis, -1), weights, axes=1
        )
    return out, ProjectTo(out)(dout)


@rrule.register(scipy.integrate.romb)
def _(*args: Any, **kwargs: Any) -> Any:
    out = scipy.integrate.romb(*args, **kwargs)
    call = Call(scipy.integrate.romb, args, kwargs)
    y, dx, axis = np.asarray(call.get("y")), call.get("dx", 1.0), call.get("axis", -1)
    project_y, project_dx = ProjectTo(call.get("y")), ProjectTo(dx)

    def romb_pullback(dout: Any) -> tuple[Any, ...]:
        dout = unthunk(dout)
        if isinstance(dout, AbstractZero):
            return call.cotangents()
        weights = _romb_weights(y.shape[axis])
        ybar = np.moveaxis(np.asarray(dout)[..., None] * (dx * weights), -1, axis)
        unit = np.tensordot(np.moveaxis(y, axis, -1), weights, axes=1)
        dxbar = np.sum(np.real(np.conj(unit) * dout))
        return call.cotangents(y=project_y(ybar), dx=project_dx(dxbar))

    return out, romb_pullback
