"""Rules for `scipy.sparse.linalg`: an frule and an rrule for `spsolve(A, b)` and
`expm_multiply(A, B, start=None, stop=None, num=None, endpoint=None, traceA=None)`, with `A`
sparse (CSR, CSC, COO, BSR or DIA; array or matrix) and `b`, `B` dense (1-D or 2-D).

Imported once the user's code imported `scipy.sparse.linalg` (announced with `lazy_rules` by
`rules.scipy.sparse`).

Conventions (with those of `rules.scipy.sparse`):

- `A`'s cotangent is `Tangent[type(A)](data=d)`: for `x = A^{-1} b` and the seed `dx`,
  `db = A^{-H} dx` (one more sparse solve, with `A^H` in CSC format) and the stored value at
  `(i, j)` gets `-sum_k db[i, k] conj(x[j, k])`; duplicates each get it.
- `b` of shape `(n, 1)` gives a 1-D `x`, as in SciPy; its cotangent keeps `b`'s shape.
- SciPy sums duplicates of `A` in place; the rules solve with a copy of such an `A`, so that
  its layout (to which its tangent refers) stays as it was.
- `permc_spec` and `use_umfpack` are options (`NoTangent()` by position). A sparse `b` (a
  sparse `x`) is not covered: the rules opt out.
- `expm_multiply`: `B`'s cotangent is `expm_multiply(A^H, dy)` (one call per time point on
  a grid of `start`, `stop`, `num`, `endpoint`, summed). In `A` the frule is exact, by the
  block identity `expm([[A, dA], [0, A]]) = [[expm(A), L(A, dA)], [0, expm(A)]]` applied to
  `[0; B]` (a sparse matrix of twice the size); the rrule's cotangent of `A`'s values, the
  entries of the adjoint Fréchet derivative `L(A^H, dy B^H)` at `A`'s positions, is
  `not_implemented` (exactly, it costs a matrix exponential action per column of `A`).
  `traceA` only speeds SciPy up and is not differentiated; the time-grid options neither.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sps
import scipy.sparse.linalg as spla

from rules.scipy.sparse._entries import (
    SPARSE,
    STORED,
    data_tangent,
    entries,
    project_to,
    tangent_of,
    value,
    with_data,
)
from rulescore import (
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
)

__all__: list[str] = []

_COMPRESSED = (sps.csr_array, sps.csr_matrix, sps.csc_array, sps.csc_matrix)


def _as_columns(v: Any) -> Any:
    v = np.asarray(v)
    return v[:, None] if v.ndim == 1 else v


def _solve(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    """`spsolve`, on a copy of a compressed `a` with duplicates or unsorted indices (which
    SciPy would canonicalize in place, changing the layout that `a`'s tangent refers to)."""
    if isinstance(a, _COMPRESSED) and not a.has_canonical_format:
        a = a.copy()
    return spla.spsolve(a, b, *args, **kwargs)


@rrule.register(spla.spsolve, STORED, object)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    x = _solve(a, b, *args, **kwargs)
    project_b = project_to(b)
    options = (NoTangent(),) * len(args)

    def spsolve_pullback(dx: Any) -> tuple[Any, ...]:
        g = value(dx)
        if g is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *options
        db = np.reshape(_solve(a.conj().T.tocsc(), np.asarray(g), *args, **kwargs), np.shape(g))

        def da() -> Any:
            rows, cols, valid = entries(a)
            values = -np.einsum("kj,kj->k", _as_columns(db)[rows], np.conj(_as_columns(x)[cols]))
            return tangent_of(a, np.where(valid, values, 0))

        return NoTangent(), Thunk(da), project_b(np.reshape(db, np.shape(b))), *options

    return x, spsolve_pullback


@frule.register(spla.spsolve, STORED, object)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    x = _solve(a, b, *args, **kwargs)
    d = data_tangent(tangents[1])
    if isinstance(d, NotImplementedTangent):
        return x, d
    db = value(tangents[2])
    if d is None and db is None:
        return x, ProjectTo(x)(ZeroTangent())
    rhs: Any = 0
    if db is not None:
        rhs = np.reshape(np.asarray(db), np.shape(x))
    if d is not None:
        rhs = rhs - np.reshape(with_data(a, d) @ x, np.shape(x))
    return x, ProjectTo(x)(np.reshape(_solve(a, rhs, *args, **kwargs), np.shape(x)))


for _table in (rrule, frule):
    _table.opt_out(spla.spsolve, STORED, SPARSE)


# ---------------------------------------------------------------------------------------------
# expm_multiply

_EXPM_OPTIONS = ("start", "stop", "num", "endpoint", "traceA")


def _expm_options(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    return {**dict(zip(_EXPM_OPTIONS, args, strict=False)), **kwargs}


def _times(options: dict[str, Any]) -> Any:
    """The time points of the grid, `None` for the single time 1."""
    if all(options.get(k) is None for k in ("start", "stop", "num", "endpoint")):
        return None
    grid = {k: options[k] for k in ("num", "endpoint") if options.get(k) is not None}
    return np.linspace(options["start"], options["stop"], **grid)


@rrule.register(spla.expm_multiply, STORED, object)
def _(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    y = spla.expm_multiply(a, b, *args, **kwargs)
    options = _expm_options(args, kwargs)
    times = _times(options)
    project_b = project_to(b)
    adjoint = a.conj().T.tocsr()
    trailing = (NoTangent(),) * len(args)

    def expm_multiply_pullback(dy: Any) -> tuple[Any, ...]:
        g = value(dy)
        if g is None:
            return NoTangent(), ZeroTangent(), ZeroTangent(), *trailing

        def db() -> Any:
            g_arr = np.asarray(g)
            if times is None:
                return project_b(spla.expm_multiply(adjoint, g_arr))
            total = sum(
                spla.expm_multiply(t * adjoint, gt) for t, gt in zip(times, g_arr, strict=True)
            )
            return project_b(total)

        da = not_implemented("expm_multiply: the cotangent of A (an adjoint Fréchet derivative)")
        return NoTangent(), da, Thunk(db), *trailing

    return y, expm_multiply_pullback


@frule.register(spla.expm_multiply, STORED, object)
def _(tangents: tuple[Any, ...], a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
    y = spla.expm_multiply(a, b, *args, **kwargs)
    options = {k: v for k, v in _expm_options(args, kwargs).items() if k != "traceA"}
    d = data_tangent(tangents[1])
    if isinstance(d, NotImplementedTangent):
        return y, d
    db = value(tangents[2])
    dy: Any = ZeroTangent()
    if db is not None:
        dy = dy + spla.expm_multiply(a, np.asarray(db), **options)
    if d is not None:
        n = a.shape[0]
        block = sps.block_array([[a, with_data(a, d)], [None, a]], format="csr")
        b_arr = np.asarray(b)
        start = np.concatenate([np.zeros_like(b_arr), b_arr], axis=0)
        top = spla.expm_multiply(block, start, **options)
        dy = dy + (top[..., :n] if b_arr.ndim == 1 else top[..., :n, :])
    return y, ProjectTo(y)(dy)
