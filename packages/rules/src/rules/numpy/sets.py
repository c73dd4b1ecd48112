"""Rules for NumPy's set routines: `unique` and its Array API forms, and the set operations
on 1-D arrays.

Covered, with an rrule and an frule each, in their array arguments:

- `unique(ar, return_index, return_inverse, return_counts, axis)` (and the keywords
  `equal_nan`, `sorted`); `unique_values`, `unique_counts`, `unique_inverse`, `unique_all`;
- `intersect1d(ar1, ar2, assume_unique, return_indices)`, `union1d(ar1, ar2)`,
  `setdiff1d(ar1, ar2, assume_unique)`, `setxor1d(ar1, ar2, assume_unique)`.

Each output value is a selection of input entries: the derivative moves tangents from the
entries (or, with `axis`, the slices) equal to a value to that value. The indices, inverse
indices and counts are integers (`NoTangent()`), as are the flags and `axis`.

Convention where entries merge: equal entries (in one array, or in both for `union1d` and
`intersect1d`) give one output value, which is differentiable only along tangents that keep
them equal; there its tangent is the **mean** of theirs, and the pullback **splits a
value's cotangent equally** among the entries equal to it (the smallest cotangent that is
exact along those tangents; it does not depend on the order of the entries). Every value of
`intersect1d` merges an entry of `ar1` with one of `ar2`, so its derivative exists only
along tangents that move them together. Entries that no output value equals (those
`setdiff1d` removes, `ar2` of `setdiff1d`, the shared ones of `setxor1d`) get zero: the
output does not change until an entry crosses another. NaN: NaNs count as equal to each
other when values are matched to entries, whatever `equal_nan` says; with `axis`, a slice
holding a NaN matches nothing and gets zero.

Values are matched to entries by value, so NumPy's own order of the output is kept, sorted
or not: `sorted=False` and `unique_values` may return complex (and integer) values in hash
order, which changes with the values themselves; the rules are then exact for the order
NumPy returned at the point (finite differences across a reordering are meaningless).

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.unique, np.array([3.0, 1.0, 3.0]))
>>> y, back(np.array([10.0, 20.0]))[1]
(array([1., 3.]), array([10., 10., 10.]))
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to
from rulescore import NoTangent, ProjectTo, Tangent, ZeroTangent, frule, rrule, unthunk

__all__: list[str] = []


class _Groups:
    """Output values and the input entries equal to them: `tangent` averages the entries'
    tangents into each value's, `cotangent` splits each value's cotangent over its entries.

    `values` and `entries` are arrays; with an `axis`, their slices along it are the items
    that are matched (`unique(..., axis=...)`), otherwise their single entries.
    """

    def __init__(self, values: Any, entries: Any, axis: int | None) -> None:
        self.axis = axis
        self.values_shape, self.entries_shape = np.shape(values), np.shape(entries)
        value_rows, entry_rows = self._rows(values), self._rows(entries)
        both = np.concatenate([value_rows, entry_rows])
        if axis is None:
            labels = np.unique(both[:, 0], return_inverse=True, equal_nan=True)[1]
        else:
            labels = np.unique(both, return_inverse=True, axis=0)[1]
        labels = np.ravel(labels)
        self.value_labels, self.entry_labels = labels[: len(value_rows)], labels[len(value_rows) :]
        self.count = int(labels.max(initial=-1)) + 1
        self.sizes = np.maximum(np.bincount(self.entry_labels, minlength=self.count), 1)

    def _rows(self, x: Any) -> Any:
        x = np.asarray(x)
        if self.axis is None:
            return np.reshape(x, (-1, 1))
        x = np.moveaxis(x, self.axis, 0)
        return np.reshape(x, (x.shape[0], -1))

    def _unrows(self, rows: Any, shape: tuple[int, ...]) -> Any:
        if self.axis is None:
            return np.reshape(rows, shape)
        axis = self.axis % len(shape)
        moved = (shape[axis], *(n for i, n in enumerate(shape) if i != axis))
        return np.moveaxis(np.reshape(rows, moved), 0, axis)

    def _sums(self, dx: Any, labels: Any) -> Any:
        """The rows of `dx` summed by label: one row per distinct value."""
        rows = self._rows(dx)
        total = np.zeros((self.count, rows.shape[1]), dtype=np.result_type(rows, 0.0))
        np.add.at(total, labels, rows)
        return total

    def tangent(self, dentries: Any) -> Any:
        mean = self._sums(dentries, self.entry_labels) / self.sizes[:, None]
        return self._unrows(mean[self.value_labels], self.values_shape)

    def cotangent(self, dvalues: Any) -> Any:
        total = self._sums(dvalues, self.value_labels)
        share = total[self.entry_labels] / self.sizes[self.entry_labels, None]
        return self._unrows(share, self.entries_shape)


# ---------------------------------------------------------------------------------------------
# Outputs: an array of values, or a tuple / namedtuple whose first field holds them


def _values(y: Any) -> Any:
    return y if isinstance(y, np.ndarray) else y[0]


def _output_tangent(y: Any, dvalues: Any) -> Any:
    if isinstance(y, np.ndarray):
        return ProjectTo(y)(dvalues)
    if hasattr(y, "_fields"):
        return ProjectTo(y)({y._fields[0]: dvalues})
    return ProjectTo(y)((dvalues, *(NoTangent() for _ in y[1:])))


def _seed_values(dy: Any) -> Any:
    """The part of an output cotangent that belongs to the values."""
    dy = unthunk(dy)
    if is_zero(dy):
        return dy
    if isinstance(dy, dict):
        return unthunk(dy.get("values", ZeroTangent()))
    if isinstance(dy, (tuple, list, Tangent)):
        return unthunk(dy[0])
    return dy


# ---------------------------------------------------------------------------------------------
# The rules: `names` are the array arguments, whose entries are concatenated (flattened
# when there are two) before they are matched to the values.


class _SetCall:
    def __init__(self, f: Callable[..., Any], names: Sequence[str], args: Any, kwargs: Any):
        self.call = Call(f, args, kwargs)
        self.names = names
        self.arrays = [self.call.get(name) for name in names]
        self.y = f(*args, **kwargs)
        self.axis = self.call.get("axis") if f is np.unique else None

    def entries(self, arrays: Sequence[Any]) -> Any:
        if len(arrays) == 1:
            return np.asarray(arrays[0])
        return np.concatenate([np.ravel(np.asarray(a)) for a in arrays])

    @functools.cached_property
    def groups(self) -> _Groups:
        return _Groups(_values(self.y), self.entries(self.arrays), self.axis)

    def split(self, dentries: Any) -> list[Any]:
        """The cotangent of the concatenated entries, cut back into one per array."""
        if len(self.arrays) == 1:
            return [dentries]
        sizes = np.cumsum([np.size(a) for a in self.arrays])[:-1]
        parts = np.split(dentries, sizes)
        return [np.reshape(p, np.shape(a)) for p, a in zip(parts, self.arrays, strict=True)]


def _set_rules(f: Callable[..., Any], names: Sequence[str]) -> None:
    name = f.__name__

    def set_rrule(*args: Any, **kwargs: Any) -> Any:
        rule = _SetCall(f, names, args, kwargs)
        projectors = [project_to(a) for a in rule.arrays]

        def set_pullback(dy: Any) -> tuple[Any, ...]:
            dvalues = _seed_values(dy)
            if is_zero(dvalues):
                found = [ZeroTangent()] * len(names)
            else:
                found = rule.split(rule.groups.cotangent(dvalues))
            cotangents = {n: p(d) for n, p, d in zip(names, projectors, found, strict=True)}
            return rule.call.cotangents(**cotangents)

        set_pullback.__name__ = set_pullback.__qualname__ = f"{name}_pullback"
        return rule.y, set_pullback

    def set_frule(tangents: Any, *args: Any, **kwargs: Any) -> Any:
        rule = _SetCall(f, names, args, kwargs)
        dx = [rule.call.tangent(tangents, n) for n in names]
        if all(is_zero(d) for d in dx):
            return rule.y, _output_tangent(rule.y, ZeroTangent())
        dentries = rule.entries([dense(d, a) for d, a in zip(dx, rule.arrays, strict=True)])
        return rule.y, _output_tangent(rule.y, rule.groups.tangent(dentries))

    rrule.register(f)(set_rrule)
    frule.register(f)(set_frule)


_set_rules(np.unique, ("ar",))
for _unique in (np.unique_values, np.unique_counts, np.unique_inverse, np.unique_all):
    _set_rules(_unique, ("x",))
for _operation in (np.intersect1d, np.union1d, np.setdiff1d, np.setxor1d):
    _set_rules(_operation, ("ar1", "ar2"))
