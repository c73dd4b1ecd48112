"""The stored entries of sparse matrices, shared by the rule modules of `rules.scipy.sparse`.

The tangent of a sparse matrix `A` is `Tangent[type(A)](data=d)`: `d` has the shape and
dtype of `A.data` and holds one tangent per stored value (explicit zeros and duplicates
included, each a variable of its own); the structure (`indices`, `indptr`, `coords`,
`offsets`, the shape) has no tangent. `ProjectTo(A)` accepts such tangents as they are.

- `STORED`: the formats whose values are a `data` array (CSR, CSC, COO, BSR, DIA; arrays and
  matrices); `SPARSE`: every sparse type;
- `entries(A)`: the row, column and validity of each entry of `A.data` (flattened): DIA
  storage holds slots outside the matrix, and compressed storage may hold unused values
  (invalid entries get row and column 0, so that indexing with them is safe);
- `with_data(A, d)`: `A` with its stored values replaced (sharing the structure);
- `data_tangent(dA)`: the `data` of a tangent as an array, `None` for a zero (a
  `NotImplementedTangent` is returned as it is: callers pass it on);
- `tangent_of(A, d)`: `Tangent[type(A)](data=d)`, projected;
- `value(t)`: a tangent unthunked, `None` for a zero; `project_to(x)`: `ProjectTo(x)`, also
  for array-likes written as lists.

Nothing here is public: the rule modules of this package import these names.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import scipy.sparse as sps

from rulescore import (
    AbstractZero,
    NotImplementedTangent,
    ProjectTo,
    Tangent,
    TangentTypeError,
    ZeroTangent,
    unthunk,
)

__all__: list[str] = []

_COMPRESSED = (sps.csr_array, sps.csr_matrix, sps.csc_array, sps.csc_matrix)
_COO = (sps.coo_array, sps.coo_matrix)
_BSR = (sps.bsr_array, sps.bsr_matrix)
_DIA = (sps.dia_array, sps.dia_matrix)
STORED = (*_COMPRESSED, *_COO, *_BSR, *_DIA)
SPARSE = (sps.sparray, sps.spmatrix)


def entries(a: Any) -> tuple[Any, Any, Any]:
    """`(rows, cols, valid)`, one entry per value of `a.data.ravel()`."""
    size = np.size(a.data)
    if isinstance(a, _COO):
        if a.ndim != 2:
            raise NotImplementedError("sparse rules cover 2-D COO arrays only")
        rows, cols = (np.asarray(c) for c in a.coords)
        return rows, cols, np.ones(size, dtype=bool)
    if isinstance(a, _DIA):
        width = a.data.shape[1]
        cols = np.broadcast_to(np.arange(width), a.data.shape)
        rows = cols - np.asarray(a.offsets)[:, None]
        valid = (rows >= 0) & (rows < a.shape[0]) & (cols < a.shape[1])
        rows, cols = np.where(valid, rows, 0), np.where(valid, cols, 0)  # safe to index with
        return rows.ravel(), cols.ravel(), valid.ravel()
    indptr = np.asarray(a.indptr)
    used = int(indptr[-1])
    major = np.repeat(np.arange(len(indptr) - 1), np.diff(indptr))
    minor = np.asarray(a.indices)[:used]
    if isinstance(a, _BSR):
        r, c = a.blocksize
        inner_r, inner_c = np.divmod(np.arange(r * c), c)
        rows = (major[:, None] * r + inner_r).ravel()
        cols = (minor[:, None] * c + inner_c).ravel()
        used = used * r * c
    elif isinstance(a, (sps.csc_array, sps.csc_matrix)):
        rows, cols = minor, major
    else:
        rows, cols = major, minor
    pad = size - used  # values stored past the last used one
    valid = np.concatenate([np.ones(used, dtype=bool), np.zeros(pad, dtype=bool)])
    zeros = np.zeros(pad, dtype=np.intp)
    return np.concatenate([rows, zeros]), np.concatenate([cols, zeros]), valid


def with_data(a: Any, d: Any) -> Any:
    """`a` with the stored values `d` (the same structure, shared)."""
    out = copy.copy(a)
    out.data = np.reshape(np.asarray(d), np.shape(a.data))
    return out


def data_tangent(da: Any) -> Any:
    """The `data` field of the tangent `da` of a sparse matrix, `None` for a zero."""
    da = unthunk(da)
    if isinstance(da, AbstractZero):
        return None
    if isinstance(da, NotImplementedTangent):  # passed on: the caller's result is unknown too
        return da
    if isinstance(da, (Tangent, dict)):
        d = unthunk(da.data if isinstance(da, Tangent) else da.get("data", ZeroTangent()))
        return None if isinstance(d, AbstractZero) else np.asarray(d)
    raise TangentTypeError(
        "the tangent of a sparse matrix must be a Tangent with a `data` field "
        f"(one entry per stored value), got {type(da).__name__}"
    )


def tangent_of(a: Any, d: Any) -> Any:
    """`Tangent[type(a)](data=d)`, projected onto `a` (zeros pass through)."""
    if isinstance(d, AbstractZero):
        return d
    return ProjectTo(a)({"data": np.reshape(d, np.shape(a.data))})


def value(t: Any) -> Any:
    """A tangent unthunked, or `None` for a zero."""
    t = unthunk(t)
    return None if isinstance(t, AbstractZero) else t


class _ProjectArrayLike:
    def __init__(self, x: Any) -> None:
        self.project = ProjectTo(x)

    def __call__(self, dx: Any) -> Any:
        return self.project(dx.tolist() if isinstance(dx, np.ndarray) else dx)


def project_to(x: Any) -> Any:
    """`ProjectTo(x)`, also for array-likes given as lists or tuples (cotangents as lists)."""
    return _ProjectArrayLike(x) if isinstance(x, (list, tuple)) else ProjectTo(x)
