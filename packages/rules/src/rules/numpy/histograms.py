"""Rules for NumPy's histograms: `histogram`, `histogram_bin_edges`, `histogram2d`,
`histogramdd`.

Covered, with an rrule and an frule each. The counts are piecewise constant in the
samples (they change only when a sample crosses an edge), so what is differentiable is:

- the bin edges. Given as arrays (`bins` positional: an array, or per dimension a sequence
  of arrays), they are their own tangents. Otherwise they are spaced evenly between a first
  and a last edge, `e_j = first + (last - first) j / n`, which come from `range` (when it
  is given positionally) or from the samples' minimum and maximum (so the samples get
  the edges' cotangent through their extremes);
- the weights, when given positionally (`histogram(a, bins, range, density, weights)`): the
  weighted counts are linear in them (complex weights too, for `histogram`);
- `density=True`: `hist = counts / (sum(counts) · bin volume)` moves with the weights and
  with the bin widths, hence with the edges.

Conventions:

- Keyword arguments are constants, as every keyword argument of a rule: the usual
  `histogram(a, weights=w)` holds `w` fixed, `histogram(a, range=(0, 1))` its range.
  `bins` given as a number or a string (an estimator), and `density`, are options
  (`NoTangent()`); integer counts have no tangent space.
- Ties: when several samples share the minimum (or the maximum), the first (last) edge's
  cotangent is split equally among them, as for `min` and `max`. An empty sample spans
  `[0, 1]`: constant edges. Where all samples are equal NumPy widens the span by 0.5 on
  each side; the edges still move with the samples.
- Samples are assigned to bins as NumPy does (each bin is half open, the last one closed);
  samples outside the edges contribute nothing. `histogram_bin_edges` ignores its
  weights: their cotangent is zero.

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.histogram_bin_edges, np.array([0.0, 1.0, 4.0]), 2)
>>> y, back(np.array([0.0, 1.0, 0.0]))[1]  # the middle edge is (min + max) / 2
(array([0., 2., 4.]), array([0.5, 0. , 0.5]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to, zero_output
from rulescore import NoTangent, ProjectTo, Tangent, ZeroTangent, frule, rrule, unthunk

__all__: list[str] = []


def _value(t: Any) -> Any:
    """A tangent unthunked, as an array, or `None` for a zero."""
    t = unthunk(t)
    return None if is_zero(t) else np.asarray(t)


def _part(t: Any, i: int) -> Any:
    """Entry `i` of a sequence tangent (a list, a tuple, an array), `None` for a zero."""
    t = unthunk(t)
    if is_zero(t):
        return None
    if isinstance(t, (dict, Tangent)):
        return _value(t[i]) if not isinstance(t, dict) else _value(t.get(i, ZeroTangent()))
    return _value(t[i])


# ---------------------------------------------------------------------------------------------
# The edges of one dimension


class _Edges:
    """How the edges of one dimension are made: `given` (an array of edges) or spaced evenly
    between a first and a last edge, taken from `range` or from the samples' extremes."""

    def __init__(self, edges: Any, given: bool, from_range: bool, column: Any) -> None:
        self.edges = np.asarray(edges)
        self.given, self.from_range = given, from_range
        n = max(self.edges.shape[0] - 1, 1)
        self.t = np.arange(self.edges.shape[0]) / n
        self.lowest = self.highest = None
        if not (given or from_range) and column.size:
            self.lowest = np.flatnonzero(column == np.min(column))
            self.highest = np.flatnonzero(column == np.max(column))

    def tangent(self, dbins: Any, drange: Any, dcolumn: Any) -> Any:
        """The edges' tangent, from those of `bins`, `range` (a pair) or the samples."""
        if self.given:
            return dbins
        if self.from_range:
            if drange is None or is_zero(unthunk(drange)):
                return None
            dfirst, dlast = (_part(drange, k) for k in (0, 1))
        elif dcolumn is None or self.lowest is None:
            return None
        else:
            dfirst, dlast = np.mean(dcolumn[self.lowest]), np.mean(dcolumn[self.highest])
        dfirst = 0 if dfirst is None else dfirst
        dlast = 0 if dlast is None else dlast
        return (1 - self.t) * dfirst + self.t * dlast

    def cotangent(self, gedges: Any, gcolumn: Any) -> tuple[Any, Any]:
        """`(gbins, grange)` for the edges' cotangent; the samples' share is added to
        `gcolumn` (an array of the column's length) in place."""
        if self.given:
            return gedges, ZeroTangent()  # `range` is ignored
        gfirst, glast = np.sum((1 - self.t) * gedges), np.sum(self.t * gedges)
        if self.from_range:
            return NoTangent(), (gfirst, glast)
        if self.lowest is not None:
            gcolumn[self.lowest] += gfirst / self.lowest.size
            gcolumn[self.highest] += glast / self.highest.size
        return NoTangent(), NoTangent()


# ---------------------------------------------------------------------------------------------
# The counts: samples into bins, weights, density


class _Binned:
    """`sample` (N × D) sorted into the bins of `edges`, as NumPy does it, with the weighted
    counts and the `density` normalization of the primal `hist`."""

    def __init__(self, sample: Any, edges: Sequence[Any], weights: Any, density: bool, hist: Any):
        self.shape = tuple(len(e) - 1 for e in edges)
        self.density, self.hist = density, np.asarray(hist)
        index, valid = [], np.ones(sample.shape[0], dtype=bool)
        for i, e in enumerate(edges):
            k = np.searchsorted(e, sample[:, i], side="right") - 1
            k[sample[:, i] == e[-1]] = len(e) - 2  # the last bin includes its right edge
            valid &= (k >= 0) & (k < len(e) - 1)
            index.append(k)
        self.valid = valid
        self.flat = np.ravel_multi_index([k[valid] for k in index], self.shape)
        self.widths = [np.diff(np.asarray(e, dtype=float)) for e in edges]
        if density:
            ones = np.ones(sample.shape[0])
            self.total = np.sum(self.bin(ones if weights is None else np.ravel(weights)))

    def bin(self, values: Any) -> Any:
        """The sum of `values` in each bin (one value per sample)."""
        values = np.asarray(values)[self.valid]
        size = int(np.prod(self.shape))
        if np.iscomplexobj(values):
            real = np.bincount(self.flat, values.real, minlength=size)
            summed = real + 1j * np.bincount(self.flat, values.imag, minlength=size)
        else:
            summed = np.bincount(self.flat, values, minlength=size)
        return np.reshape(summed, self.shape)

    def _along(self, x: Any, axis: int) -> Any:
        shape = [1] * len(self.shape)
        shape[axis] = -1
        return np.reshape(x, shape)

    def tangent(self, dweights: Any, dedges: Sequence[Any]) -> Any:
        dcounts = None if dweights is None else self.bin(dweights)
        if not self.density:
            return dcounts
        dhist: Any = 0
        if dcounts is not None:
            dhist = dcounts / (self.total * self.volume) - self.hist * (
                np.sum(dcounts) / self.total
            )
        for axis, (de, width) in enumerate(zip(dedges, self.widths, strict=True)):
            if de is not None:
                dhist = dhist - self.hist * self._along(np.diff(de) / width, axis)
        return dhist

    @property
    def volume(self) -> Any:
        volume: Any = 1.0
        for axis, width in enumerate(self.widths):
            volume = volume * self._along(width, axis)
        return volume

    def cotangent(self, ghist: Any) -> tuple[Any, list[Any]]:
        """`(gweights, gedges)`: the samples' weights (all samples, 0 outside the bins) and
        the edges' share through the bin widths (`density=True` only, else zeros)."""
        gedges = [np.zeros(len(w) + 1) for w in self.widths]
        if self.density:
            gcounts = ghist / np.conj(self.total * self.volume)
            gcounts = gcounts - np.sum(np.conj(self.hist / self.total) * ghist)
            weighted = np.conj(self.hist) * ghist
            for axis, width in enumerate(self.widths):
                others = tuple(a for a in range(len(self.shape)) if a != axis)
                gwidth = -np.sum(weighted, axis=others).real / width  # the edges are real
                gedges[axis] = (
                    gedges[axis] + np.concatenate([[0], gwidth]) - np.concatenate([gwidth, [0]])
                )
        else:
            gcounts = ghist
        gweights = np.zeros(self.valid.shape, dtype=np.result_type(gcounts, float))
        gweights[self.valid] = np.ravel(gcounts)[self.flat]
        return gweights, gedges


# ---------------------------------------------------------------------------------------------
# One call: samples as columns, each dimension's edges and where they come from


class _Histogram:
    """A histogram call reduced to columns, per-dimension `bins`/`range` and weights."""

    def __init__(
        self,
        columns: Any,
        edges: Sequence[Any],
        bins: Sequence[Any],
        ranges: Sequence[Any],
        weights: Any,
        density: bool,
        hist: Any,
    ) -> None:
        self.columns, self.weights = columns, weights
        self.dims = [
            _Edges(e, np.ndim(b) == 1 and not isinstance(b, str), r is not None, columns[:, i])
            for i, (e, b, r) in enumerate(zip(edges, bins, ranges, strict=True))
        ]
        self.binned = None
        if hist is not None:
            self.binned = _Binned(columns, edges, weights, density, hist)

    def tangent(self, dcolumns: Any, dbins: Sequence[Any], dranges: Sequence[Any], dweights: Any):
        """`(dhist, [dedges])`; `None` stands for zero."""
        dedges = [
            dim.tangent(db, dr, None if dcolumns is None else dcolumns[:, i])
            for i, (dim, db, dr) in enumerate(zip(self.dims, dbins, dranges, strict=True))
        ]
        dhist = None if self.binned is None else self.binned.tangent(dweights, dedges)
        return dhist, dedges

    def cotangents(
        self, ghist: Any, gedges: Sequence[Any]
    ) -> tuple[Any, list[Any], list[Any], Any]:
        """`(gcolumns, [gbins], [grange], gweights)` for the outputs' cotangents."""
        gweights: Any = ZeroTangent()
        gfrom_widths: list[Any] = [0] * len(self.dims)
        if self.binned is not None and ghist is not None:
            gweights, gfrom_widths = self.binned.cotangent(ghist)
        gcolumns = np.zeros(self.columns.shape)
        gbins, granges = [], []
        for i, (dim, ge, gw) in enumerate(zip(self.dims, gedges, gfrom_widths, strict=True)):
            total = (0 if ge is None else ge) + gw
            gb, gr = dim.cotangent(total + np.zeros(dim.edges.shape), gcolumns[:, i])
            gbins.append(gb)
            granges.append(gr)
        return gcolumns, gbins, granges, gweights


def _ravel(x: Any) -> Any:
    return None if x is None else np.ravel(x)


# ---------------------------------------------------------------------------------------------
# histogram, histogram_bin_edges


def _histogram1d(f: Any, args: Any, kwargs: Any) -> tuple[Call, Any, _Histogram]:
    call = Call(f, args, kwargs)
    y = f(*args, **kwargs)
    hist, edges = y if f is np.histogram else (None, y)
    weights = _ravel(call.get("weights")) if f is np.histogram else None
    rule = _Histogram(
        np.ravel(call.get("a"))[:, None],
        [edges],
        [call.get("bins", 10)],
        [call.get("range")],
        weights,
        bool(call.get("density")),
        hist,
    )
    return call, y, rule


def _histogram1d_rules(f: Any) -> None:
    names = ("a", "bins", "range", "weights")
    edges_only = f is np.histogram_bin_edges
    name = f.__name__

    def histogram_rrule(*args: Any, **kwargs: Any) -> Any:
        call, y, rule = _histogram1d(f, args, kwargs)
        projectors = {n: project_to(call.get(n)) for n in names}

        def histogram_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if edges_only:
                ghist, gedges = None, _value(dy)
            else:
                ghist, gedges = _part(dy, 0), _part(dy, 1)
            gcolumns, gbins, granges, gweights = rule.cotangents(ghist, [gedges])
            found = {
                "a": np.reshape(gcolumns[:, 0], np.shape(call.get("a"))),
                "bins": gbins[0],
                "range": granges[0],
                "weights": ZeroTangent() if edges_only else _shaped(gweights, call.get("a")),
            }
            return call.cotangents(**{n: projectors[n](found[n]) for n in names})

        histogram_pullback.__name__ = histogram_pullback.__qualname__ = f"{name}_pullback"
        return y, histogram_pullback

    def histogram_frule(tangents: Any, *args: Any, **kwargs: Any) -> Any:
        call, y, rule = _histogram1d(f, args, kwargs)
        da, dbins, drange, dweights = (call.tangent(tangents, n) for n in names)
        if all(is_zero(d) for d in (da, dbins, drange, dweights)):
            return zero_output(y)
        dcolumns = None if is_zero(da) else np.ravel(dense(da, call.get("a")))[:, None]
        dweights = None if edges_only else _ravel(_value(dweights))
        dhist, (dedges,) = rule.tangent(dcolumns, [_value(dbins)], [drange], dweights)
        dedges = ZeroTangent() if dedges is None else dedges
        if edges_only:
            return y, ProjectTo(y)(dedges)
        return y, ProjectTo(y)((ZeroTangent() if dhist is None else dhist, dedges))

    rrule.register(f)(histogram_rrule)
    frule.register(f)(histogram_frule)


def _shaped(g: Any, like: Any) -> Any:
    return g if is_zero(g) else np.reshape(g, np.shape(like))


_histogram1d_rules(np.histogram)
_histogram1d_rules(np.histogram_bin_edges)


# ---------------------------------------------------------------------------------------------
# histogramdd, histogram2d


def _columns(sample: Any) -> Any:
    """The samples as NumPy's `histogramdd` reads them: an N × D array, or a sequence of D
    coordinate arrays."""
    if isinstance(sample, np.ndarray) and sample.ndim == 2:
        return sample
    return np.atleast_2d(np.asarray(sample)).T


def _dense_sequence(dx: Any, x: Any) -> Any:
    """`dense` entry by entry for a sequence argument (a list of coordinate arrays)."""
    dx = unthunk(dx)
    if isinstance(x, (list, tuple)) and not is_zero(dx):
        return [dense(di, xi) for di, xi in zip(dx, x, strict=True)]
    return dense(dx, x)


def _per_dimension(x: Any, d: int) -> list[Any]:
    """`bins` or `range` for each dimension (one value for all, or a sequence of D)."""
    if x is None:
        return [None] * d
    try:
        len(x)
    except TypeError:
        return [x] * d
    return list(x) if not isinstance(x, str) else [x] * d


def _histogramdd(sample: Any, bins: Any, ranges: Any, weights: Any, density: Any, y: Any):
    columns = _columns(sample)
    d = columns.shape[1]
    hist, edges = y
    return _Histogram(
        columns,
        edges,
        _per_dimension(bins, d),
        _per_dimension(ranges, d),
        _ravel(weights),
        bool(density),
        hist,
    )


def _sequence_tangent(dx: Any, d: int) -> list[Any]:
    """Per-dimension tangents of a `bins` or `range` argument given as a sequence."""
    dx = unthunk(dx)
    if is_zero(dx) or not isinstance(dx, (list, tuple)):
        return [None] * d
    return [None if is_zero(unthunk(di)) else unthunk(di) for di in dx]


def _sample_cotangent(gcolumns: Any, sample: Any) -> Any:
    if isinstance(sample, np.ndarray):
        return np.reshape(gcolumns, np.shape(sample))
    return [np.reshape(gcolumns[:, i], np.shape(s)) for i, s in enumerate(sample)]


def _bins_cotangent(gbins: list[Any], bins: Any) -> Any:
    return gbins if isinstance(bins, (list, tuple)) else NoTangent()


def _ranges_cotangent(granges: list[Any], ranges: Any) -> Any:
    if not isinstance(ranges, (list, tuple)):
        return NoTangent()
    return [NoTangent() if r is None else g for r, g in zip(ranges, granges, strict=True)]


@rrule.register(np.histogramdd)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.histogramdd, args, kwargs)
    names = ("sample", "bins", "range", "weights")
    sample, bins, ranges, weights = (call.get(n) for n in names)
    y = np.histogramdd(*args, **kwargs)
    rule = _histogramdd(sample, bins, ranges, weights, call.get("density"), y)
    projectors = {n: project_to(call.get(n)) for n in names}

    def histogramdd_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        gedges = unthunk(dy[1]) if isinstance(dy, (tuple, list)) else ZeroTangent()
        gedges = [_part(gedges, i) for i in range(len(rule.dims))]
        gcolumns, gbins, granges, gweights = rule.cotangents(_part(dy, 0), gedges)
        found = {
            "sample": _sample_cotangent(gcolumns, sample),
            "bins": _bins_cotangent(gbins, bins),
            "range": _ranges_cotangent(granges, ranges),
            "weights": _shaped(gweights, weights) if weights is not None else NoTangent(),
        }
        return call.cotangents(**{n: projectors[n](found[n]) for n in names})

    return y, histogramdd_pullback


@frule.register(np.histogramdd)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(np.histogramdd, args, kwargs)
    names = ("sample", "bins", "range", "weights")
    sample, bins, ranges, weights = (call.get(n) for n in names)
    y = np.histogramdd(*args, **kwargs)
    dsample, dbins, dranges, dweights = (call.tangent(tangents, n) for n in names)
    if all(is_zero(d) for d in (dsample, dbins, dranges, dweights)):
        return zero_output(y)
    rule = _histogramdd(sample, bins, ranges, weights, call.get("density"), y)
    d = len(rule.dims)
    dcolumns = None if is_zero(dsample) else _columns(_dense_sequence(dsample, sample))
    dweights = None if is_zero(dweights) else _ravel(dense(dweights, weights))
    dhist, dedges = rule.tangent(
        dcolumns, _sequence_tangent(dbins, d), _sequence_tangent(dranges, d), dweights
    )
    dedges = [ZeroTangent() if de is None else de for de in dedges]
    return y, ProjectTo(y)((ZeroTangent() if dhist is None else dhist, dedges))


def _histogram2d_bins(bins: Any) -> tuple[list[Any], bool]:
    """Per-dimension bins of `histogram2d` and whether one array serves both dimensions."""
    try:
        n = len(bins)
    except TypeError:
        return [bins, bins], False
    if n not in (1, 2):
        return [bins, bins], True
    return list(bins), False


@rrule.register(np.histogram2d)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.histogram2d, args, kwargs)
    names = ("x", "y", "bins", "range", "weights")
    x, y_, bins, ranges, weights = (call.get(n) for n in names)
    out = np.histogram2d(*args, **kwargs)
    per_dim, shared = _histogram2d_bins(bins)
    rule = _histogramdd([x, y_], per_dim, ranges, weights, call.get("density"), (out[0], out[1:]))
    projectors = {n: project_to(call.get(n)) for n in names}

    def histogram2d_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        gcolumns, gbins, granges, gweights = rule.cotangents(
            _part(dy, 0), [_part(dy, 1), _part(dy, 2)]
        )
        if shared:
            gb: Any = gbins[0] + gbins[1]
        else:
            gb = _bins_cotangent(gbins, bins)
        found = {
            "x": np.reshape(gcolumns[:, 0], np.shape(x)),
            "y": np.reshape(gcolumns[:, 1], np.shape(y_)),
            "bins": gb,
            "range": _ranges_cotangent(granges, ranges),
            "weights": _shaped(gweights, weights) if weights is not None else NoTangent(),
        }
        return call.cotangents(**{n: projectors[n](found[n]) for n in names})

    return out, histogram2d_pullback


@frule.register(np.histogram2d)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(np.histogram2d, args, kwargs)
    names = ("x", "y", "bins", "range", "weights")
    x, y_, bins, ranges, weights = (call.get(n) for n in names)
    out = np.histogram2d(*args, **kwargs)
    dx, dy_, dbins, dranges, dweights = (call.tangent(tangents, n) for n in names)
    if all(is_zero(d) for d in (dx, dy_, dbins, dranges, dweights)):
        return zero_output(out)
    per_dim, shared = _histogram2d_bins(bins)
    rule = _histogramdd([x, y_], per_dim, ranges, weights, call.get("density"), (out[0], out[1:]))
    dcolumns = None
    if not (is_zero(dx) and is_zero(dy_)):
        dcolumns = np.stack([np.ravel(dense(dx, x)), np.ravel(dense(dy_, y_))], axis=1)
    dper_dim = [_value(dbins)] * 2 if shared else _sequence_tangent(dbins, 2)
    dweights = None if is_zero(dweights) else _ravel(dense(dweights, weights))
    dhist, dedges = rule.tangent(dcolumns, dper_dim, _sequence_tangent(dranges, 2), dweights)
    dedges = [ZeroTangent() if de is None else de for de in dedges]
    return out, ProjectTo(out)((ZeroTangent() if dhist is None else dhist, *dedges))
