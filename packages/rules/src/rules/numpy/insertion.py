"""Rules for NumPy's insertion and deletion routines: `insert`, `delete`, `trim_zeros`.

Covered, with an rrule and an frule each (through `rules.numpy._linear.linear_rule`):

- `insert(arr, obj, values, axis)`: linear in `arr` and `values` together; every entry of
  the output is an entry of `arr` or of the (broadcast) `values`, so the pullback gathers
  the seed back, summing over the places a broadcast value was copied to;
- `delete(arr, obj, axis)`: linear in `arr`, a selection; deleted entries get zero;
- `trim_zeros(filt, trim, axis)`: a slice of `filt`; the trimmed entries get zero.

How the entries move is found by applying the function itself to integer labels (the
positions of `arr`'s and `values`' entries), so that every form of `obj` (an int, a slice,
a sequence, a mask), broadcasting and `axis=None` flattening follow NumPy exactly.

Conventions:

- `obj`, `axis` and `trim` get `NoTangent()`; only positional arguments are differentiated.
- `insert` casts `values` to `arr`'s dtype: complex `values` inserted into a real array
  get the real part of the seed (their imaginary part is dropped, so its derivative is 0).
  An integer `arr` makes an integer output, which has no tangent space.
- `trim_zeros`: the bounding box of the non-zero entries depends on which entries are
  exactly zero, so the output is discontinuous in the trimmed zeros (a perturbed zero stops
  being trimmed); their cotangent is zero, the derivative along tangents that keep them zero.
  A list input (1-D) gives a list output with a list tangent.

`append` is with the joining functions in `rules.numpy.shapes`.

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.insert, np.array([1.0, 2.0]), 1, 5.0)
>>> y, back(np.array([10.0, 20.0, 30.0]))[1:]
(array([1., 5., 2.]), (array([10., 30.]), NoTangent(), 20.0))
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy._linear import linear_rule

__all__: list[str] = []


def _labels(x: Any, start: int = 0) -> Any:
    """Integer labels `start, start + 1, ...` laid out in `x`'s shape."""
    shape = np.shape(x)
    return np.arange(start, start + int(np.prod(shape, dtype=np.intp))).reshape(shape)


# ---------------------------------------------------------------------------------------------
# insert: the output's entries are labelled 0..n-1 (from arr) and n.. (from values)


def _insert_labels(arr: Any, obj: Any, values: Any, axis: Any) -> tuple[Any, int]:
    labels = _labels(arr)
    return np.insert(labels, obj, _labels(values, labels.size), axis=axis), labels.size


def insert_adjoint(
    dy: Any, arr: Any, obj: Any, values: Any, axis: Any = None, **kwargs: Any
) -> tuple[Any, Any]:
    where, n = _insert_labels(arr, obj, values, axis)
    where, dy = np.ravel(where), np.ravel(dy)
    from_arr = where < n
    darr = np.zeros(n, dtype=dy.dtype)
    darr[where[from_arr]] = dy[from_arr]  # each entry of arr appears once
    dvalues = np.zeros(np.size(values), dtype=dy.dtype)
    np.add.at(dvalues, where[~from_arr] - n, dy[~from_arr])  # a broadcast value: many times
    return np.reshape(darr, np.shape(arr)), np.reshape(dvalues, np.shape(values))


def insert_tangent(
    dx: tuple[Any, Any], arr: Any, obj: Any, values: Any, axis: Any = None, **kwargs: Any
) -> Any:
    where, _ = _insert_labels(arr, obj, values, axis)
    darr, dvalues = (np.ravel(np.asarray(d)) for d in dx)
    return np.concatenate([darr, dvalues])[where]


linear_rule(np.insert, insert_adjoint, insert_tangent, linear=(0, 2))


# ---------------------------------------------------------------------------------------------
# delete: the labels of the entries that remain


def delete_adjoint(dy: Any, arr: Any, obj: Any, axis: Any = None, **kwargs: Any) -> Any:
    kept = np.ravel(np.delete(_labels(arr), obj, axis=axis))
    darr = np.zeros(np.size(arr), dtype=np.result_type(dy))
    darr[kept] = np.ravel(dy)
    return np.reshape(darr, np.shape(arr))


def delete_tangent(darr: Any, arr: Any, obj: Any, axis: Any = None, **kwargs: Any) -> Any:
    return np.ravel(np.asarray(darr))[np.delete(_labels(arr), obj, axis=axis)]


linear_rule(np.delete, delete_adjoint, delete_tangent)


# ---------------------------------------------------------------------------------------------
# trim_zeros: the bounding box of the non-zero entries, along the trimmed axes


def _trim_box(filt: Any, trim: str = "fb", axis: Any = None) -> tuple[slice, ...] | None:
    """The slices `trim_zeros` takes of `filt` (as NumPy computes them); `None` where it
    returns `filt` itself (no axis to trim)."""
    values = np.asarray(filt)
    axes = range(values.ndim) if axis is None else np.atleast_1d(axis)
    axes = {int(ax) % values.ndim for ax in axes} if values.ndim else set()
    if not axes:
        return None
    nonzero = np.argwhere(values)
    if nonzero.size == 0:
        start = stop = [0] * values.ndim
    else:
        start, stop = list(nonzero.min(axis=0)), list(nonzero.max(axis=0) + 1)
        if "f" not in trim.lower():
            start = [None] * values.ndim
        if "b" not in trim.lower():
            stop = [None] * values.ndim
    return tuple(
        slice(start[ax], stop[ax]) if ax in axes else slice(None) for ax in range(values.ndim)
    )


def trim_zeros_adjoint(dy: Any, filt: Any, *args: Any, **kwargs: Any) -> Any:
    box = _trim_box(filt, *args, **kwargs)
    if box is None:
        return dy
    dfilt = np.zeros(np.shape(filt), dtype=np.result_type(np.asarray(dy)))
    dfilt[box] = dy
    return dfilt


def trim_zeros_tangent(dfilt: Any, filt: Any, *args: Any, **kwargs: Any) -> Any:
    box = _trim_box(filt, *args, **kwargs)
    return dfilt if box is None else np.asarray(dfilt)[box]


linear_rule(np.trim_zeros, trim_zeros_adjoint, trim_zeros_tangent)
