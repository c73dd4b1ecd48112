"""Rules for the norms of `numpy.linalg`: an frule and an rrule for each of `norm` (every
vector and matrix `ord`, `axis=`, `keepdims=`), `vector_norm`, `matrix_norm`, `cond` (every
`p`).

Conventions (with those of the package, `rules.numpy.linalg`: stacked matrices, positional
options):

- Non-smooth norms get a subgradient: ties of a max/min (`ord=inf`, matrix `1`, `2`, ...)
  share it equally, `|x|` has 0 at 0, and the 2-norm of a zero vector has gradient 0.
  `ord=0` (a count) has derivative `ZeroTangent()`.
- Singular inputs: `cond`'s derivative (of an infinite value) raises `LinAlgError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rules.numpy.linalg._common import (
    LinAlgError,
    Rrule,
    _bind,
    _mH,
    _options,
    _safe_inverse,
    _value,
)
from rulescore import (
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    rrule,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# norms: each rule finds the gradient `g` of the norm (a subgradient where it is not smooth);
# then dy = Re sum(conj(g) dx) over the reduced axes, and dx = dy * g.


def _sign(x: Any) -> Any:
    """`x / |x|`, 0 at 0."""
    if not np.iscomplexobj(x):
        return np.sign(x)
    a = np.abs(x)
    return np.where(a == 0, 0, x / np.where(a == 0, 1, a))


def _vector_norm_gradient(x: Any, ord: Any, axes: Any, y: Any) -> Any:
    """The gradient of the `ord`-norm of `x` over `axes`, given the norm `y` (kept dims)."""
    a = np.abs(x)
    if ord in (np.inf, -np.inf):
        extreme = np.max if ord > 0 else np.min
        hit = a == extreme(a, axis=axes, keepdims=True)
        return _sign(x) * hit / np.sum(hit, axis=axes, keepdims=True)
    p = 2 if ord is None else ord
    if p == 1:
        return _sign(x)
    if p == 2:
        return x * _safe_inverse(y)
    nonzero = (a != 0) & (y != 0)
    ratio = np.where(nonzero, a / np.where(y == 0, 1, y), 1)
    return np.where(nonzero, _sign(x) * ratio ** (p - 1), 0)


def _matrix_norm_gradient(x: Any, ord: Any, axes: tuple[int, int], y: Any) -> Any:
    """The gradient of the `ord` matrix norm of `x` over `axes` (rows, columns)."""
    row, col = axes
    if ord in (None, "fro", "f"):
        return x * _safe_inverse(y)
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = np.sum(np.abs(x), axis=summed, keepdims=True)
        extreme = np.max if ord in (1, np.inf) else np.min
        hit = sums == extreme(sums, axis=other, keepdims=True)
        return _sign(x) * hit / np.sum(hit, axis=other, keepdims=True)
    moved = np.moveaxis(x, (row, col), (-2, -1))
    u, s, vh = np.linalg.svd(moved, full_matrices=False)
    if ord == "nuc":
        weights = (s > 0).astype(s.dtype)
    else:  # 2, -2: the largest (smallest) singular value; ties share
        hit = s == (np.max(s, axis=-1, keepdims=True) if ord == 2 else s[..., -1:])
        weights = hit / np.sum(hit, axis=-1, keepdims=True)
    return np.moveaxis((u * weights[..., None, :]) @ vh, (-2, -1), (row, col))


def _norm_layout(x: Any, ord: Any, axis: Any) -> tuple[str, Any]:
    """`('vector', axes)` or `('matrix', (row, col))` for `np.linalg.norm`'s arguments."""
    ndim = np.ndim(x)
    if axis is None:
        if ord is None or ndim == 1:
            return "vector", None
        return "matrix", (0, 1)
    if isinstance(axis, (int, np.integer)):
        return "vector", int(axis) % ndim
    if len(axis) == 1:
        return "vector", int(axis[0]) % ndim
    return "matrix", (int(axis[0]) % ndim, int(axis[1]) % ndim)


def _norm_gradient(x: Any, kind: str, ord: Any, axes: Any, y_kept: Any) -> Any:
    if kind == "matrix":
        return _matrix_norm_gradient(x, ord, axes, y_kept)
    if ord == 0:
        return None
    return _vector_norm_gradient(x, ord, axes, y_kept)


def _register_norm(
    norm: Callable[..., Any], layout: Callable[..., tuple[str, Any, Any, dict[str, Any]]]
) -> None:
    """Rules for a norm; `layout(x, *args, **kwargs)` gives its kind, axes, `ord`, and the
    keyword arguments that compute it with kept dimensions."""

    def gradient(x: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
        kind, axes, ord, kept = layout(x, *args, **kwargs)
        x = np.asarray(x)
        x = x if x.dtype.kind in "fc" else x.astype(float)
        y_kept = norm(x, **kept)
        return _norm_gradient(x, kind, ord, axes, y_kept), y_kept

    @frule.register(norm)
    def _(tangents: tuple[Any, ...], x: Any, *args: Any, **kwargs: Any) -> Any:
        y = norm(x, *args, **kwargs)
        dx = _value(tangents[1])
        if dx is None:
            return y, ZeroTangent()
        g, y_kept = gradient(x, args, kwargs)
        if g is None:
            return y, ZeroTangent()
        reduced = tuple(i for i in range(g.ndim) if y_kept.shape[i] == 1)
        dy = np.sum((np.conj(g) * dx).real, axis=reduced)
        return y, ProjectTo(y)(np.reshape(dy, np.shape(y)))

    @rrule.register(norm)
    def _(x: Any, *args: Any, **kwargs: Any) -> Rrule:
        project_x = ProjectTo(x)
        y = norm(x, *args, **kwargs)

        def norm_dx(dy: Any) -> Any:
            g, y_kept = gradient(x, args, kwargs)
            return ZeroTangent() if g is None else np.reshape(dy, y_kept.shape) * g

        def norm_pullback(dy: Any) -> tuple[Any, ...]:
            dy = _value(dy)
            if dy is None:
                return NoTangent(), ZeroTangent(), *_options(args)
            return NoTangent(), project_x(Thunk(lambda: norm_dx(dy))), *_options(args)

        norm_pullback.__name__ = norm_pullback.__qualname__ = f"{norm.__name__}_pullback"
        return y, norm_pullback


def _norm_options(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    kind, axes = _norm_layout(x, ord, axis)
    if kind == "vector" and axis is None and np.ndim(x) != 1:
        axes = None  # the whole array, flattened
    return kind, axes, ord, {"ord": ord, "axis": axis, "keepdims": True}


def _vector_norm_options(x: Any, *, axis: Any = None, keepdims: bool = False, ord: Any = 2) -> Any:
    return "vector", axis, ord, {"ord": ord, "axis": axis, "keepdims": True}


def _matrix_norm_options(x: Any, *, keepdims: bool = False, ord: Any = "fro") -> Any:
    ndim = np.ndim(x)
    return "matrix", (ndim - 2, ndim - 1), ord, {"ord": ord, "keepdims": True}


_register_norm(np.linalg.norm, _norm_options)
_register_norm(np.linalg.vector_norm, _vector_norm_options)
_register_norm(np.linalg.matrix_norm, _matrix_norm_options)


def _cond_gradient(x: Any, p: Any) -> Any:
    """The gradient of `cond(x, p)`."""
    if p in (None, 2, -2):
        u, s, vh = np.linalg.svd(x, full_matrices=False)
        if np.any(s[..., -1] == 0):
            raise LinAlgError("cond is infinite at a singular matrix: no derivative")
        big, small = s[..., :1, None], s[..., -1:, None]
        top, bottom = u[..., :, :1] @ vh[..., :1, :], u[..., :, -1:] @ vh[..., -1:, :]
        if p == -2:
            return bottom / big - (small / big**2) * top
        return top / small - (big / small**2) * bottom
    inverse = np.linalg.inv(x)
    axes = (x.ndim - 2, x.ndim - 1)
    n_x = np.linalg.norm(x, p, axis=(-2, -1), keepdims=True)
    n_inv = np.linalg.norm(inverse, p, axis=(-2, -1), keepdims=True)
    g_x = _matrix_norm_gradient(x, p, axes, n_x)
    g_inv = _matrix_norm_gradient(inverse, p, axes, n_inv)
    return n_inv * g_x - n_x * (_mH(inverse) @ g_inv @ _mH(inverse))


@frule.register(np.linalg.cond)
def _(tangents: tuple[Any, ...], x: Any, *args: Any, **kwargs: Any) -> Any:
    p = _bind(np.linalg.cond, x, *args, **kwargs)["p"]
    y = np.linalg.cond(x, *args, **kwargs)
    dx = _value(tangents[1])
    if dx is None:
        return y, ZeroTangent()
    g = _cond_gradient(np.asarray(x), p)
    return y, ProjectTo(y)(np.sum((np.conj(g) * dx).real, axis=(-2, -1)))


@rrule.register(np.linalg.cond)
def _(x: Any, *args: Any, **kwargs: Any) -> Rrule:
    project_x = ProjectTo(x)
    p = _bind(np.linalg.cond, x, *args, **kwargs)["p"]
    y = np.linalg.cond(x, *args, **kwargs)

    def cond_pullback(dy: Any) -> tuple[Any, ...]:
        dy = _value(dy)
        if dy is None:
            return NoTangent(), ZeroTangent(), *_options(args)
        dx = Thunk(lambda: np.asarray(dy)[..., None, None] * _cond_gradient(np.asarray(x), p))
        return NoTangent(), project_x(dx), *_options(args)

    return y, cond_pullback
