"""Rules for the special matrices of `scipy.linalg`: an frule and an rrule for each of
`block_diag` (scalars, vectors, matrices, stacks that broadcast), `toeplitz` (`r=None`: the
Hermitian Toeplitz matrix of `c`; stacked `c`, `r`), `circulant` (stacked `c`) and `hankel`
(`r=None`: zeros after the anti-diagonal). `r` given by keyword is held constant.

All are linear in their arguments (`toeplitz(c)` is real-linear: its upper triangle holds
`conj(c)`). Entries a constructor ignores get zero cotangent: `r[0]` of `toeplitz` and of
`hankel` (the diagonal comes from `c`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sl

from rules.scipy.linalg._common import Rrule, _value
from rulescore import NoTangent, ProjectTo, Thunk, ZeroTangent, frule, rrule

__all__: list[str] = []


def _diagonal_sums(g: Any, index: Any, size: int) -> Any:
    """`out[..., k] = sum of g[..., i, j] over index[i, j] == k`."""
    g = np.asarray(g)
    moved = np.moveaxis(g, (-2, -1), (0, 1))
    out = np.zeros((size, *moved.shape[2:]), dtype=g.dtype)
    np.add.at(out, index, moved)
    return np.moveaxis(out, 0, -1)


def _tangent_or_zeros(t: Any, x: Any) -> Any:
    t = _value(t)
    return np.zeros(np.shape(x)) if t is None else t


# ---------------------------------------------------------------------------------------------
# block_diag


@frule.register(sl.block_diag)
def _(tangents: tuple[Any, ...], *arrs: Any) -> Any:
    y = sl.block_diag(*arrs)
    if all(_value(t) is None for t in tangents[1:]):
        return y, ZeroTangent()
    dy = sl.block_diag(*(_tangent_or_zeros(t, x) for t, x in zip(tangents[1:], arrs, strict=True)))
    return y, ProjectTo(y)(np.broadcast_to(dy, y.shape))


@rrule.register(sl.block_diag)
def _(*arrs: Any) -> Rrule:
    projections = [ProjectTo(x) for x in arrs]
    y = sl.block_diag(*arrs)
    shapes = [np.shape(np.atleast_2d(np.asarray(x)))[-2:] for x in arrs]
    corners = np.cumsum([(0, 0), *shapes], axis=0)

    def block_diag_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return (NoTangent(), *(ZeroTangent() for _ in arrs))
        blocks = [
            project(dy[..., r : r + rows, c : c + cols])
            for project, (r, c), (rows, cols) in zip(projections, corners, shapes, strict=False)
        ]
        return (NoTangent(), *blocks)

    return y, block_diag_pullback


# ---------------------------------------------------------------------------------------------
# toeplitz: T[..., i, j] = v[..., n - 1 + i - j] for v = [r[n-1], ..., r[1], c[0], ..., c[m-1]]


def _toeplitz_index(m: int, n: int) -> Any:
    return n - 1 + np.arange(m)[:, None] - np.arange(n)[None, :]


@frule.register(sl.toeplitz)
def _(tangents: tuple[Any, ...], c: Any, r: Any = None) -> Any:
    y = sl.toeplitz(c, r)
    dc = _value(tangents[1])
    dr = _value(tangents[2]) if len(tangents) > 2 and r is not None else None
    if dc is None and dr is None:
        return y, ZeroTangent()
    dc = np.zeros(np.shape(c)) if dc is None else dc
    dy = sl.toeplitz(dc) if r is None else sl.toeplitz(dc, _tangent_or_zeros(dr, r))
    return y, ProjectTo(y)(dy)


@rrule.register(sl.toeplitz)
def _(c: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_c, project_args = ProjectTo(c), ProjectTo(args)
    r = args[0] if args else kwargs.get("r")
    y = sl.toeplitz(c, r)
    m, n = y.shape[-2:]

    def toeplitz_cotangents(dy: Any) -> tuple[Any, Any]:
        sums = _diagonal_sums(dy, _toeplitz_index(m, n), m + n - 1)
        dc, upper = sums[..., n - 1 :], np.flip(sums[..., : n - 1], axis=-1)  # upper[d - 1]: r[d]
        if r is None:  # the upper triangle holds conj(c)
            dc = dc.astype(np.result_type(dc, 1.0))
            dc[..., 1:] += np.conj(upper)
            return dc, NoTangent()
        zero = np.zeros_like(sums[..., :1])
        return dc, np.concatenate([zero, upper], axis=-1)

    def toeplitz_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *project_args((ZeroTangent(),) * len(args))
        cotangents: list[Any] = []

        def cached() -> tuple[Any, Any]:
            if not cotangents:
                cotangents.append(toeplitz_cotangents(dy))
            return cotangents[0]  # type: ignore[no-any-return]

        dc = project_c(Thunk(lambda: cached()[0]))
        if not args:  # r, if given by keyword, is not differentiated
            return NoTangent(), dc
        return NoTangent(), dc, *project_args((Thunk(lambda: cached()[1]),))

    return y, toeplitz_pullback


# ---------------------------------------------------------------------------------------------
# circulant: C[..., i, j] = c[..., (i - j) mod n]


@frule.register(sl.circulant)
def _(tangents: tuple[Any, ...], c: Any) -> Any:
    y = sl.circulant(c)
    dc = _value(tangents[1])
    return y, ZeroTangent() if dc is None else ProjectTo(y)(sl.circulant(dc))


@rrule.register(sl.circulant)
def _(c: Any) -> Rrule:
    project_c = ProjectTo(c)
    y = sl.circulant(c)
    n = y.shape[-1]

    def circulant_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent()
        index = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n
        return NoTangent(), project_c(Thunk(lambda: _diagonal_sums(dy, index, n)))

    return y, circulant_pullback


# ---------------------------------------------------------------------------------------------
# hankel: H[i, j] = v[i + j] for v = [c[0], ..., c[m-1], r[1], ..., r[n-1]]


@frule.register(sl.hankel)
def _(tangents: tuple[Any, ...], c: Any, r: Any = None) -> Any:
    y = sl.hankel(c, r)
    dc = _value(tangents[1])
    dr = _value(tangents[2]) if len(tangents) > 2 and r is not None else None
    if dc is None and dr is None:
        return y, ZeroTangent()
    dc = np.zeros(np.shape(c)) if dc is None else dc
    return y, ProjectTo(y)(sl.hankel(dc, None if r is None else _tangent_or_zeros(dr, r)))


@rrule.register(sl.hankel)
def _(c: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_c, project_args = ProjectTo(c), ProjectTo(args)
    r = args[0] if args else kwargs.get("r")
    y = sl.hankel(c, r)
    m, n = y.shape

    def hankel_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *project_args((ZeroTangent(),) * len(args))
        index = np.arange(m)[:, None] + np.arange(n)[None, :]
        sums = _diagonal_sums(dy, index, m + n - 1)
        dc = project_c(np.reshape(sums[:m], np.shape(c)))
        if not args:  # r, if given by keyword, is not differentiated
            return NoTangent(), dc
        if r is None:
            return NoTangent(), dc, NoTangent()
        dr = np.concatenate([np.zeros_like(sums[:1]), sums[m:]])
        return NoTangent(), dc, *project_args((np.reshape(dr, np.shape(r)),))

    return y, hankel_pullback
