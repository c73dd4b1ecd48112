"""What the rules of NumPy's reductions, scans and quantiles share (`rules.numpy.reductions`,
`rules.numpy.scans`, `rules.numpy.quantiles`): a call's options by name, its inputs as arrays
with their projectors, the reduced axes, re-expanding a reduced cotangent over them and summing
a tangent into the reduced shape, and the masks of `where=` and of the nan-functions.

Options are honoured, never differentiated: `_options` names the positional ones after NumPy's
signature (their cotangents are `NoTangent()`, `_rest`), and gives `None`, so that the rule
returns `None` (no rule applies), for a call with an option the rule does not list (an `out=`
array, `var(mean=...)`, `quantile(weights=...)`): an engine then differentiates NumPy's own
code or says that it cannot. Lists, tuples and Python numbers are arrays (`_prepare`), their
cotangents lists, tuples and numbers again; Python ints are differentiated as reals, integer
arrays have no tangent space.

Nothing here is public: the rule modules import these helpers by name.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_tuple

from rulescore import AbstractZero, NoTangent, ProjectTo, ZeroTangent, non_differentiable, unthunk

__all__: list[str] = []

Options = dict[str, Any]


@functools.cache
def _positional_names(f: Any) -> tuple[str, ...]:
    """NumPy's names of `f`'s positional parameters after the array (methods: their twin's)."""
    twin = getattr(np, f.__name__) if isinstance(f, type(np.ndarray.sum)) else f
    parameters = list(inspect.signature(twin).parameters.values())[1:]
    return tuple(p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD)


def _options(f: Any, args: tuple[Any, ...], kwargs: Options, supported: set[str]) -> Options | None:
    """The call's options by name; `None` when the rule does not cover the call."""
    names = _positional_names(f)
    if len(args) > len(names) or kwargs.keys() & set(names[: len(args)]):
        return None  # NumPy raises its own TypeError when the engine runs the call
    given = dict(zip(names, args, strict=False)) | kwargs
    # `out=None` and `weights=None` are the defaults: as if not given.
    options = {k: v for k, v in given.items() if not (k in ("out", "weights") and v is None)}
    return options if options.keys() <= supported else None


def _prepare(a: Any) -> tuple[Any, Callable[[Any], Any], bool]:
    """`(x, project, active)`: `a` as an array, the projector of its cotangents (lists and
    tuples get theirs back as lists and tuples), and whether `a` has a tangent space."""
    project = ProjectTo(a)
    active = not isinstance(project(ZeroTangent()), NoTangent)
    if not isinstance(a, (list, tuple, int, float, complex)):
        return a, project, active
    x = np.asarray(a)
    if x.dtype.kind in "biu":  # Python ints are differentiated as reals
        x = x.astype(float)
    if isinstance(a, (list, tuple)):

        def project_sequence(dx: Any) -> Any:
            return project(_like(a, dx))

        return x, project_sequence, active
    return x, project, active


def _like(a: Any, dx: Any) -> Any:
    if isinstance(dx, AbstractZero) or not isinstance(a, (list, tuple)):
        return dx
    return type(a)(_like(ai, dx[i]) for i, ai in enumerate(a))


def _tangent(dx: Any) -> Any:
    dx = unthunk(dx)
    return np.asarray(dx) if isinstance(dx, (list, tuple)) else dx


def _rest(args: tuple[Any, ...]) -> tuple[NoTangent, ...]:
    """The cotangents of positional options: they have no tangent space."""
    return (NoTangent(),) * len(args)


def _named(pullback: Callable[[Any], Any], f: Any) -> Callable[[Any], Any]:
    pullback.__name__ = pullback.__qualname__ = f"{f.__name__}_pullback"
    return pullback


def _axes(options: Options, ndim: int) -> tuple[int, ...]:
    axis = options.get("axis")
    return tuple(range(ndim)) if axis is None else normalize_axis_tuple(axis, ndim)


def _kept(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# Questions about shapes, met again when a pullback is differentiated (higher order).
non_differentiable(_axes, _kept)


def _expand(dy: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
    """A reduced cotangent (with or without `keepdims`) broadcast back over the reduced axes."""
    return np.broadcast_to(np.reshape(dy, _kept(shape, axes)), shape)


def _reduce(dx: Any, axes: tuple[int, ...], y: Any) -> Any:
    """Sum a full-shape tangent over the reduced axes into the output's shape."""
    return np.reshape(np.sum(dx, axis=axes, keepdims=True), np.shape(y))


def _mask(x: Any, options: Options, nan: bool) -> Any:
    """Which entries take part: `where=` and, for the nan-functions, the non-NaN entries."""
    where = options.get("where", True)
    mask = None if where is True else np.broadcast_to(where, np.shape(x))
    if nan:
        valid = ~np.isnan(x)
        mask = valid if mask is None else mask & valid
    return mask


def _masked(x: Any, mask: Any, fill: Any = 0) -> Any:
    return x if mask is None else np.where(mask, x, fill)


def _count(shape: tuple[int, ...], axes: tuple[int, ...], mask: Any) -> Any:
    """Entries per reduced slice (at least 1, so that empty slices divide safely)."""
    if mask is None:
        return max(math.prod(shape[i] for i in axes), 1)
    return np.maximum(np.sum(mask, axis=axes, keepdims=True), 1)
