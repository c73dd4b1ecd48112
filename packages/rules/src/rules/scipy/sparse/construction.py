"""Rules for building sparse matrices from their values: an frule and an rrule for each of

- the constructors `csr_array`, `csr_matrix`, `csc_array`, `csc_matrix`, `coo_array`,
  `coo_matrix`, `bsr_array`, `bsr_matrix`, `dia_array`, `dia_matrix`, called on
  `(data, (row, col))`, `(data, indices, indptr)`, `(data, offsets)` or on another sparse
  matrix (a conversion);
- `diags(diagonals, offsets=0, ...)` and `diags_array(diagonals, offsets=0, ...)`.

Conventions (with those of `rules.scipy.sparse`):

- Only the values are differentiated: `data` inside the tuple (its cotangent is the tuple
  `(d_data, NoTangent(), ...)`), the stored values of a sparse input
  (`Tangent[type(A)](data=...)`), the diagonals. Indices, offsets, `shape`, `dtype`, `copy`,
  `format` get `NoTangent()`.
- Each output value is the sum of the input values stored at its `(row, column)` (SciPy
  sums duplicates when it converts to a compressed format) or a copy of one: the rules map
  input entries to output entries by position, so the cotangent of an input value is that of
  the output value it went to, and the tangent of an output value sums those of its inputs.
  Input values that the matrix does not hold (DIA padding, values past `indptr[-1]`) get zero.
- A sparse input is converted from a copy: SciPy's COO to DIA conversion sums duplicates in
  place, which would change the layout that the input's tangent refers to.
- A conversion that drops stored values (DIA to another format drops explicit zeros, which
  the output's tangent could then not represent), a dense input (whose zeros are not stored),
  and an output with duplicate positions that is not a copy of its input give
  `not_implemented`: the derivative exists but cannot be expressed on the output's entries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sps

from rules.scipy.sparse._entries import (
    STORED,
    data_tangent,
    entries,
    project_to,
    tangent_of,
    value,
)
from rulescore import (
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
)

__all__: list[str] = []


class _Mapping:
    """Where each input value (flattened, with its `(row, col)` and validity) went in the
    stored values of the output `y`; `complete` is False if a valid input has no place."""

    def __init__(self, rows: Any, cols: Any, valid: Any, y: Any) -> None:
        self.size_out = np.size(y.data)
        out_rows, out_cols, out_valid = entries(y)
        self.target = np.full(np.size(valid), -1)
        if self._copies(rows, cols, valid, (out_rows, out_cols, out_valid)):
            # the input's layout, padding slots included (values past the output's dropped)
            self.target[: self.size_out] = np.arange(self.size_out)
            self.complete = True
            return
        ncols = y.shape[1]
        where = np.flatnonzero(out_valid)
        keys = out_rows[where] * ncols + out_cols[where]
        order = np.argsort(keys, kind="stable")
        keys, where = keys[order], where[order]
        self.complete = bool(np.all(np.diff(keys) > 0))  # positions must identify entries
        if not self.complete:
            return
        wanted = rows[valid] * ncols + cols[valid]
        pos = np.minimum(np.searchsorted(keys, wanted), max(len(keys) - 1, 0))
        found = keys[pos] == wanted if len(keys) else np.zeros(len(wanted), dtype=bool)
        self.complete = bool(np.all(found))
        self.target[np.flatnonzero(valid)[found]] = where[pos[found]]

    def _copies(self, rows: Any, cols: Any, valid: Any, out: tuple[Any, Any, Any]) -> bool:
        """Whether the output stores the input's values in the input's order."""
        n = self.size_out
        out_rows, out_cols, out_valid = out
        if np.size(valid) < n or np.any(valid[n:]) or not np.array_equal(valid[:n], out_valid):
            return False
        used = out_valid
        return np.array_equal(rows[:n][used], out_rows[used]) and np.array_equal(
            cols[:n][used], out_cols[used]
        )

    def pull(self, g: Any) -> Any:
        """Input cotangents (flat) from the output's stored values' cotangents."""
        g = np.ravel(g)
        hit = self.target >= 0
        out = np.zeros(self.target.shape, dtype=g.dtype)
        out[hit] = g[self.target[hit]]
        return out

    def push(self, d: Any) -> Any:
        """The output's stored values' tangents (flat) from the input tangents (flat)."""
        d = np.ravel(d)
        hit = self.target >= 0
        out = np.zeros(self.size_out, dtype=d.dtype)
        np.add.at(out, self.target[hit], d[hit])
        return out


_LOST = "the output does not store every input value (or a dense input's zeros)"


# ---------------------------------------------------------------------------------------------
# constructors


def _source(cls: type, arg1: Any, y: Any) -> tuple[Any, Any, Any] | None:
    """`(data, input mapping, cotangent builder)`, or `None` where the values cannot be
    mapped (a dense input, a sparse format without a `data` array)."""
    if isinstance(arg1, STORED):
        mapping = _Mapping(*entries(arg1), y)
        return arg1.data, mapping, lambda d: tangent_of(arg1, d)
    if not isinstance(arg1, tuple) or len(arg1) not in (2, 3) or _is_shape(arg1):
        return None
    data = arg1[0]
    project = project_to(data)
    rest = (NoTangent(),) * (len(arg1) - 1)

    def build(d: Any) -> Any:
        return (project(np.reshape(d, np.shape(data))), *rest)

    if len(arg1) == 2 and not issubclass(cls, (sps.dia_array, sps.dia_matrix)):
        rows, cols = (np.asarray(c) for c in arg1[1])
        valid = np.ones(np.size(rows), dtype=bool)
        return data, _Mapping(rows.ravel(), cols.ravel(), valid, y), build
    # (data, indices, indptr) and (data, offsets) keep their layout
    out_rows, out_cols, out_valid = entries(y)
    size = np.size(data)
    if size < np.size(y.data):
        return None
    pad = size - np.size(y.data)  # values past the used ones are dropped
    valid = np.concatenate([out_valid, np.zeros(pad, dtype=bool)])
    rows = np.concatenate([out_rows, np.zeros(pad, dtype=np.intp)])
    cols = np.concatenate([out_cols, np.zeros(pad, dtype=np.intp)])
    return data, _Mapping(rows, cols, valid, y), build


def _is_shape(arg1: Any) -> bool:
    """Whether `arg1` is a shape (an empty matrix: nothing to differentiate)."""
    return isinstance(arg1, tuple) and all(isinstance(n, (int, np.integer)) for n in arg1)


def _unshared(arg1: Any) -> Any:
    """A copy of a sparse input: some conversions (COO to DIA) sum its duplicates in place,
    which would change the layout its tangent refers to."""
    return arg1.copy() if sps.issparse(arg1) else arg1


def _constructor_rrule(cls: type) -> Any:
    def rule(arg1: Any, *args: Any, **kwargs: Any) -> Any:
        y = cls(_unshared(arg1), *args, **kwargs)
        source = _source(cls, arg1, y)
        options = (NoTangent(),) * len(args)
        shape_only = _is_shape(arg1)

        def constructor_pullback(dy: Any) -> tuple[Any, ...]:
            g = data_tangent(dy)
            if g is None or shape_only:
                return NoTangent(), ZeroTangent(), *options
            if isinstance(g, NotImplementedTangent):
                return NoTangent(), g, *options
            if source is None or not source[1].complete:
                return NoTangent(), not_implemented(_LOST), *options
            return NoTangent(), source[2](source[1].pull(g)), *options

        constructor_pullback.__name__ = f"{cls.__name__}_pullback"
        constructor_pullback.__qualname__ = constructor_pullback.__name__
        return y, constructor_pullback

    return rule


def _constructor_frule(cls: type) -> Any:
    def rule(tangents: tuple[Any, ...], arg1: Any, *args: Any, **kwargs: Any) -> Any:
        y = cls(_unshared(arg1), *args, **kwargs)
        d = None if _is_shape(arg1) else _input_tangent(arg1, tangents[1])
        if d is None:
            return y, ZeroTangent()
        if isinstance(d, NotImplementedTangent):
            return y, d
        source = _source(cls, arg1, y)
        if source is None or not source[1].complete:
            return y, not_implemented(_LOST)
        return y, tangent_of(y, source[1].push(d))

    return rule


def _input_tangent(arg1: Any, darg: Any) -> Any:
    """The tangent of the values in `arg1` (flattened array), `None` for a zero."""
    if isinstance(arg1, STORED):
        return data_tangent(darg)
    darg = value(darg)
    if darg is None:
        return None
    if isinstance(arg1, tuple):
        d = value(darg[0]) if isinstance(darg, (tuple, list)) else None
        return None if d is None else np.ravel(np.asarray(d))
    return np.ravel(np.asarray(darg))


for _cls in STORED:
    rrule.register(_cls)(_constructor_rrule(_cls))
    frule.register(_cls)(_constructor_frule(_cls))


# ---------------------------------------------------------------------------------------------
# diags, diags_array


class _Diagonals:
    """The diagonals of a `diags` call as a list of arrays, with the position of each value
    in the matrix of shape `shape` (a diagonal of one value is broadcast along it)."""

    def __init__(self, diagonals: Any, offsets: Any, shape: tuple[int, int]) -> None:
        self.single = np.ndim(offsets) == 0 and (len(diagonals) == 0 or np.ndim(diagonals[0]) == 0)
        self.original = diagonals
        parts = [diagonals] if self.single else list(diagonals)
        self.parts = [np.atleast_1d(np.asarray(p)) for p in parts]
        m, n = shape
        rows, cols, source = [], [], []
        start = 0
        for part, offset in zip(self.parts, np.atleast_1d(offsets), strict=True):
            length = max(min(m + offset, n - offset, min(m, n)), 0)
            i = np.arange(length)
            k = max(0, offset)
            rows.append(k + i - offset)
            cols.append(k + i)
            source.append(start + (i if len(part) > 1 else np.zeros_like(i)))
            start += len(part)
        self.rows, self.cols = np.concatenate(rows), np.concatenate(cols)
        self.source, self.size = np.concatenate(source), start

    def gather(self, d: Any) -> Any:
        """The tangent of each matrix position from the diagonals' tangents."""
        flat = np.concatenate([np.ravel(np.asarray(p)) for p in d])
        return flat[self.source]

    def scatter(self, g: Any) -> Any:
        """The diagonals' cotangents (same container) from each position's cotangent."""
        flat = np.zeros(self.size, dtype=g.dtype)
        np.add.at(flat, self.source, g)
        bounds = np.cumsum([len(p) for p in self.parts])[:-1]
        pieces = [
            np.reshape(piece, np.shape(orig))
            for piece, orig in zip(np.split(flat, bounds), self._originals(), strict=True)
        ]
        if self.single:
            return project_to(self.original)(pieces[0])
        if isinstance(self.original, np.ndarray):
            return ProjectTo(self.original)(np.stack(pieces))
        return project_to(self.original)(type(self.original)(pieces))

    def _originals(self) -> list[Any]:
        return [self.original] if self.single else list(self.original)


def _diags_setup(diagonals: Any, kwargs: dict[str, Any], y: Any) -> tuple[_Diagonals, _Mapping]:
    diag = _Diagonals(diagonals, kwargs.get("offsets", 0), y.shape)
    valid = np.ones(len(diag.rows), dtype=bool)
    return diag, _Mapping(diag.rows, diag.cols, valid, y)


def _diags_rrule(f: Any) -> Any:
    def rule(diagonals: Any, *args: Any, **kwargs: Any) -> Any:
        options = dict(zip(("offsets", "shape", "format", "dtype"), args, strict=False))
        y = f(diagonals, *args, **kwargs)
        diag, mapping = _diags_setup(diagonals, {**options, **kwargs}, y)
        trailing = (NoTangent(),) * len(args)

        def diags_pullback(dy: Any) -> tuple[Any, ...]:
            g = data_tangent(dy)
            if g is None:
                return NoTangent(), ZeroTangent(), *trailing
            if isinstance(g, NotImplementedTangent):
                return NoTangent(), g, *trailing
            if not mapping.complete:
                return NoTangent(), not_implemented(_LOST), *trailing
            return NoTangent(), diag.scatter(mapping.pull(g)), *trailing

        diags_pullback.__name__ = diags_pullback.__qualname__ = f"{f.__name__}_pullback"
        return y, diags_pullback

    return rule


def _diags_frule(f: Any) -> Any:
    def rule(tangents: tuple[Any, ...], diagonals: Any, *args: Any, **kwargs: Any) -> Any:
        options = dict(zip(("offsets", "shape", "format", "dtype"), args, strict=False))
        y = f(diagonals, *args, **kwargs)
        d = value(tangents[1])
        if d is None:
            return y, ZeroTangent()
        diag, mapping = _diags_setup(diagonals, {**options, **kwargs}, y)
        if not mapping.complete:
            return y, not_implemented(_LOST)
        parts = [d] if diag.single else list(d)
        parts = [
            np.zeros_like(p) if value(t) is None else value(t)
            for p, t in zip(diag.parts, parts, strict=True)
        ]
        return y, tangent_of(y, mapping.push(diag.gather(parts)))

    return rule


for _f in (sps.diags, sps.diags_array):
    rrule.register(_f)(_diags_rrule(_f))
    frule.register(_f)(_diags_frule(_f))
