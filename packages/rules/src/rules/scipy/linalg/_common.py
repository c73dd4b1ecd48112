"""Helpers shared by the rule modules of `rules.scipy.linalg`: conjugate transposes of stacked
matrices, reading tangents (zeros as `None`, entries of tuple outputs), binding a call's
options by name, calling SciPy without letting it overwrite an input, and the structure
projections of `assume_a=`.

Nothing here is public: the rule modules of this package import these helpers by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import AbstractZero, NoTangent, unthunk

__all__: list[str] = []

Pullback = Callable[[Any], tuple[Any, ...]]
Rrule = tuple[Any, Pullback]


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def _mT(x: Any) -> Any:
    return np.swapaxes(x, -1, -2)


def _herm(x: Any) -> Any:
    return (x + _mH(x)) / 2


def _sym(x: Any) -> Any:
    return (x + _mT(x)) / 2


def _diag(x: Any) -> Any:
    return np.diagonal(x, axis1=-2, axis2=-1)


def _diag_embed(v: Any) -> Any:
    return v[..., None, :] * np.eye(v.shape[-1], dtype=v.dtype)


def _value(t: Any) -> Any:
    """A tangent unthunked, or `None` for a zero."""
    t = unthunk(t)
    return None if isinstance(t, AbstractZero) else t


def _entry(dy: Any, i: int) -> Any:
    """Entry `i` of the tangent of a tuple (or list) output, `None` for a zero."""
    dy = unthunk(dy)
    if isinstance(dy, AbstractZero):
        return None
    return _value(dy[i])


def _options(args: tuple[Any, ...]) -> tuple[NoTangent, ...]:
    """The cotangents of options given positionally."""
    return (NoTangent(),) * len(args)


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


def _bind(f: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """`f`'s arguments by name, defaults filled in."""
    bound = _signature(f).bind(*args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


def _call(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """`f(*args, **kwargs)` with every `overwrite_*` option off: a rule never lets SciPy
    overwrite an input (the harness, an engine and the pullback still need it)."""
    bound = _signature(f).bind(*args, **kwargs)
    for name in bound.arguments:
        if name.startswith("overwrite_"):
            bound.arguments[name] = False
    return f(*bound.args, **bound.kwargs)


def _batched(f: Any, *arrays: Any) -> Any:
    """`f` applied to each matrix of stacked arrays (`None` passes through), results stacked."""
    shape = next(np.shape(x) for x in arrays if x is not None)[:-2]
    if not shape:
        return f(*arrays)
    results = [f(*(None if x is None else x[i] for x in arrays)) for i in np.ndindex(shape)]
    if isinstance(results[0], tuple):
        parts = zip(*results, strict=True)
        return tuple(np.reshape(np.stack(r), (*shape, *r[0].shape)) for r in parts)
    return np.reshape(np.stack(results), (*shape, *results[0].shape))


def _safe_inverse(s: Any) -> Any:
    return np.where(s == 0, 0, 1 / np.where(s == 0, 1, s))


def _flag(value: Any) -> bool:
    """A boolean option that a batched SciPy call returns as an array of equal flags."""
    flags = np.asarray(value)
    if flags.size and not (np.all(flags) or not np.any(flags)):
        raise NotImplementedError("differentiating factors of mixed `lower` flags")
    return bool(flags.flat[0]) if flags.size else False


# ---------------------------------------------------------------------------------------------
# The part of a matrix that a solver reads (`assume_a=`): the tangents of the effective matrix
# are `project(da)`, and since each projection below is self-adjoint for the real inner
# product `Re tr(x^H y)`, the cotangent of `a` is `project` of the effective matrix's.

# `assume_a` -> kind: banded and general both read every entry (SciPy finds the band).
_STRUCTURES = {
    None: "general",
    "general": "general",
    "gen": "general",
    "banded": "general",
    "diagonal": "diagonal",
    "tridiagonal": "tridiagonal",
    "upper triangular": "upper",
    "lower triangular": "lower",
    "sym": "symmetric",
    "symmetric": "symmetric",
    "her": "hermitian",
    "hermitian": "hermitian",
    "pos": "hermitian",
    "positive definite": "hermitian",
}


def _structure(assume_a: Any, dtype: Any) -> str:
    kind = _STRUCTURES.get(assume_a)
    if kind is None:
        raise ValueError(f"{assume_a} is not a recognized matrix structure")
    if kind == "symmetric" and np.dtype(dtype).kind != "c":
        return "hermitian"
    return kind


def _band(x: Any, below: int, above: int) -> Any:
    n, m = np.shape(x)[-2:]
    i, j = np.arange(n)[:, None], np.arange(m)[None, :]
    return np.where((i - j <= below) & (j - i <= above), x, 0)


def _project_structure(kind: str, x: Any) -> Any:
    """The part of `x` that a solver of structure `kind` reads, as a full matrix (symmetric
    kinds: the symmetric or Hermitian part, the convention of the package)."""
    if kind == "general":
        return x
    if kind == "diagonal":
        return _band(x, 0, 0)
    if kind == "tridiagonal":
        return _band(x, 1, 1)
    if kind == "upper":
        return np.triu(x)
    if kind == "lower":
        return np.tril(x)
    if kind == "symmetric":
        return _sym(x)
    return _herm(x)


# ---------------------------------------------------------------------------------------------
# LU factors in LAPACK's packed form (`lu_factor`): a[perm] = L U


def _permutation(piv: Any, m: int) -> Any:
    """The rows `perm` (of `m`) with `a[perm] = L U`, from LAPACK's 0-based row interchanges
    `piv` (row `i` swapped with row `piv[i]`, in order)."""
    piv = np.asarray(piv)
    perm = np.broadcast_to(np.arange(m), (*piv.shape[:-1], m)).copy()
    rows = tuple(np.indices(piv.shape[:-1]))
    for i in range(piv.shape[-1]):
        p, here = piv[..., i], np.full(piv.shape[:-1], i)
        first, second = perm[(*rows, here)], perm[(*rows, p)]
        perm[(*rows, p)] = first
        perm[(*rows, here)] = second
    return perm


def _lu_unpack(lu: Any) -> tuple[Any, Any]:
    """`(L, U)` from the packed `lu`: `L` unit lower trapezoidal, `U` upper trapezoidal."""
    lu = np.asarray(lu)
    m, n = lu.shape[-2:]
    k = min(m, n)
    return np.tril(lu[..., :, :k], -1) + np.eye(m, k, dtype=lu.dtype), np.triu(lu[..., :k, :])


def _lu_pack(dl: Any, du: Any, shape: tuple[int, ...]) -> Any:
    """The packed tangent of `(dL, dU)` (the unit diagonal of `L` has none)."""
    m, n = shape[-2:]
    k = min(m, n)
    packed = np.zeros((*np.broadcast_shapes(dl.shape[:-2], du.shape[:-2]), m, n), dl.dtype)
    packed = packed.astype(np.result_type(dl, du))
    packed[..., :, :k] += np.tril(dl, -1)
    packed[..., :k, :] += np.triu(du)
    return packed


def _unpermute_rows(perm: Any, x: Any) -> Any:
    """`y` with `y[perm] = x` (rows of stacked matrices)."""
    return np.take_along_axis(x, np.argsort(perm, axis=-1)[..., :, None], axis=-2)


def _permute_rows(perm: Any, x: Any) -> Any:
    """`x[perm]` (rows of stacked matrices)."""
    return np.take_along_axis(x, perm[..., :, None], axis=-2)
