"""Rules for NumPy's `pad`, in every named mode.

Covered, with an frule and an rrule: `pad` in the modes `constant`, `edge`, `wrap`,
`reflect` and `symmetric` (both `reflect_type`s), `linear_ramp`, `maximum`, `minimum`,
`mean`, `median` and `empty`, with `pad_width` (and `stat_length`) in the forms NumPy reads:
one number, one (before, after) pair, a pair per axis, or (for `pad_width`) a dict of axes.

Conventions. `pad` is linear in `array`, the only argument differentiated: `pad_width` and a
positional `mode` get `NoTangent()`, and the keyword arguments are options, never
differentiated: `constant_values` and `end_values` (keyword-only in NumPy) are held constant,
so the tangent pads with zeros there. The statistic modes pass the derivative to the entries
the statistic reads: `maximum`/`minimum` to the first extreme entry of the window (ties go to
the first, as `argmax`), `mean` to all entries equally, `median` to the middle entry, or half
to each of the two middle entries for an even count (ties: the entries `argsort` puts in the
middle). `pad(..., mode="empty")` leaves the padding uninitialized: it is taken as
independent of the input (zero derivative).

Left out: `pad` with a callable mode has no rule (`rrule` and `frule` return `None`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy._linear import linear_rule

__all__: list[str] = []


# ----------------------------------------------------------------------------------------------
# Padding: NumPy pads one axis after the other (corners come from the padded earlier axes), so
# the rules do too. Per axis, the padding of the linear modes is a fixed matrix applied along
# the axis; the statistic modes weigh the entries of a window by the statistic's choice.

_STAT_MODES = ("maximum", "minimum", "mean", "median")


def _pairs(x: Any, ndim: int) -> list[tuple[Any, Any]]:
    """A `pad_width`-like argument as one (before, after) pair per axis, as NumPy reads it."""
    if x is None:
        return [(None, None)] * ndim
    if isinstance(x, dict):
        pairs: list[tuple[Any, Any]] = [(0, 0)] * ndim
        for axis, width in x.items():
            pairs[axis] = (width, width) if isinstance(width, int) else tuple(width)
        return pairs
    a = np.round(np.asarray(x)).astype(np.intp)
    if a.size == 1:
        return [(int(a.ravel()[0]),) * 2] * ndim
    if a.size == 2 and a.shape != (2, 1):
        return [(int(a.ravel()[0]), int(a.ravel()[1]))] * ndim
    return [(int(b), int(e)) for b, e in np.broadcast_to(a, (ndim, 2)).tolist()]


def _slab(x: Any, start: int, stop: int, axis: int) -> Any:
    return x[(slice(None),) * axis + (slice(start, stop),)]


def _zeros_around(x: Any, axis: int, before: int, after: int) -> Any:
    widths = [(0, 0)] * np.ndim(x)
    widths[axis] = (before, after)
    return np.pad(x, widths)


def _stat_weights(window: Any, mode: str, axis: int) -> Any:
    """How much the statistic of `window` along `axis` moves per unit change of each entry."""
    length = window.shape[axis]
    positions = np.reshape(np.arange(length), [-1 if i == axis else 1 for i in range(window.ndim)])
    if mode == "mean":
        return np.full(window.shape, 1.0 / length)
    if mode in ("maximum", "minimum"):
        pick = np.argmax if mode == "maximum" else np.argmin
        return (positions == pick(window, axis=axis, keepdims=True)).astype(float)
    order = np.argsort(window, axis=axis)
    middles = ((length - 1) // 2, length // 2)  # one entry twice for an odd length
    return sum(0.5 * (positions == np.take(order, [i], axis=axis)) for i in middles)


def _stat_passes(array: Any, pad_width: Any, mode: str, kwargs: Any) -> list[tuple[Any, ...]]:
    """Per padded axis: (axis, before, after, weights of the left window, of the right one)."""
    p = np.asarray(array)
    widths, lengths = _pairs(pad_width, p.ndim), _pairs(kwargs.get("stat_length"), p.ndim)
    passes = []
    for axis, (before, after) in enumerate(widths):
        if before == after == 0:
            continue
        n = p.shape[axis]
        left, right = (n if s is None else min(s, n) for s in lengths[axis])
        w_left = _stat_weights(_slab(p, 0, left, axis), mode, axis)
        w_right = _stat_weights(_slab(p, n - right, n, axis), mode, axis)
        passes.append((axis, before, after, w_left, w_right))
        single = [(0, 0)] * p.ndim
        single[axis] = (before, after)
        p = np.pad(p, single, mode, **kwargs)
    return passes


def _padding_matrix(n: int, before: int, after: int, mode: str, kwargs: Any) -> Any:
    """The rows that `pad` adds to a length-`n` axis, as weights on its entries."""
    options = {k: v for k, v in kwargs.items() if k == "reflect_type"}
    padded = np.pad(np.eye(n), ((before, after), (0, 0)), mode, **options)
    return np.concatenate([padded[:before], padded[before + n :]])


def _linear_pad_adjoint(
    g: Any, axis: int, n: int, before: int, after: int, mode: str, kw: Any
) -> Any:
    interior = _slab(g, before, before + n, axis)
    if mode in ("constant", "empty") or before == after == 0:
        return interior
    # The padding reads entries within `reach` of an edge: pad the identity of a short axis.
    reach = before + after + 1
    short = n if n <= 2 * reach else 2 * reach
    weights = _padding_matrix(short, before, after, mode, kw)
    pads = np.concatenate([_slab(g, 0, before, axis), _slab(g, before + n, None, axis)], axis)
    spread = np.moveaxis(np.tensordot(weights, pads, axes=([0], [axis])), 0, axis)
    if short < n:
        spread = _zeros_around(_slab(spread, 0, reach, axis), axis, 0, n - reach) + _zeros_around(
            _slab(spread, reach, None, axis), axis, n - reach, 0
        )
    return interior + spread


def pad_adjoint(dy: Any, array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    shape = np.shape(array)
    if mode in _STAT_MODES:
        for axis, before, _, w_left, w_right in reversed(
            _stat_passes(array, pad_width, mode, kwargs)
        ):
            n = shape[axis]
            outer = [_slab(dy, 0, before, axis), _slab(dy, before + n, None, axis)]
            left, right = (np.sum(g, axis=axis, keepdims=True) for g in outer)
            dy = (
                _slab(dy, before, before + n, axis)
                + _zeros_around(left * w_left, axis, 0, n - w_left.shape[axis])
                + _zeros_around(right * w_right, axis, n - w_right.shape[axis], 0)
            )
        return dy
    widths = _pairs(pad_width, len(shape))
    for axis in reversed(range(len(shape))):
        dy = _linear_pad_adjoint(dy, axis, shape[axis], *widths[axis], mode, kwargs)
    return dy


def pad_tangent(dx: Any, array: Any, pad_width: Any, mode: str = "constant", **kwargs: Any) -> Any:
    if mode in _STAT_MODES:
        dx = np.asarray(dx)
        for axis, before, after, w_left, w_right in _stat_passes(array, pad_width, mode, kwargs):
            n = dx.shape[axis]
            left = np.sum(w_left * _slab(dx, 0, w_left.shape[axis], axis), axis, keepdims=True)
            right = np.sum(
                w_right * _slab(dx, n - w_right.shape[axis], n, axis), axis, keepdims=True
            )
            dx = np.concatenate(
                [np.repeat(left, before, axis), dx, np.repeat(right, after, axis)], axis
            )
        return dx
    # The constants (`constant_values`, `end_values`) are held: the tangent pads with zeros.
    options = {k: v for k, v in kwargs.items() if k == "reflect_type"}
    return np.pad(dx, pad_width, "constant" if mode == "empty" else mode, **options)


def pad_applies(array: Any, pad_width: Any, mode: Any = "constant", **kwargs: Any) -> bool:
    return not callable(mode)


linear_rule(np.pad, pad_adjoint, pad_tangent, applies=pad_applies)
