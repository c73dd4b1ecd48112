"""Rules for NumPy's calculus-like routines: differences, integrals, interpolation,
convolutions, covariances, polynomials and a few special functions.

Covered, with an rrule and an frule each:

- differences: `diff` (`n`, `axis`; `prepend`/`append` differentiable), `ediff1d`
  (`to_end`/`to_begin` differentiable), `gradient` (spacing scalars differentiable, one
  for all axes or one per axis; coordinate arrays supported in `f`, see below; `axis`,
  `edge_order` 1 and 2; a tuple of outputs for several axes), `unwrap`;
- integrals and sums: `trapezoid` (`y`, `x` or `dx`, `axis`), `cumulative_sum`,
  `cumulative_prod` (NumPy >= 2.1; correct where entries are zero);
- `interp` (`x`, `xp`, `fp`, `left`, `right`; with `period`: `x`, `xp` and `fp`);
- `convolve`, `correlate` (modes "full", "same", "valid", real or complex; `correlate`
  conjugates its second argument, and so does its derivative);
- `cov` (`m`, `y`, `aweights`), `corrcoef` (`x`, `y`);
- polynomials: `polyval` (`p`, `x`), `polyder`, `polyint` (`p`, `k`), `polyadd`, `polysub`,
  `polymul`;
- elementwise: `sinc` (a series near 0), `i0` (`i0' = i1`, from `scipy.special`, imported
  when the rule runs).

Conventions:

- Only positional arguments are differentiated (the rulescore contract): `np.diff(a,
  prepend=p)` or `np.trapezoid(y, dx=0.5)` hold `p` and `0.5` constant. Integer options
  (`n`, `axis`, `m`, `edge_order`, `fweights`) get `NoTangent()`.
- `interp`: inside `[xp[0], xp[-1]]` the derivative in `x` is the slope of the segment
  `xp[j] <= x < xp[j+1]` (the right derivative at a knot, the left one at `xp[-1]`); outside,
  the constant `left`/`right` (default `fp[0]`/`fp[-1]`) gets the cotangent and `x` none.
  `xp` must increase strictly. Its `period` argument gets `NotImplemented`.
- `unwrap` adds multiples of the period that are constant away from the jumps it removes, so
  its derivative is the identity (and zero in `discont`).
- `gradient` with coordinate arrays: `f` is differentiated (the operator is linear in `f`
  for any spacing), the coordinates get `NotImplemented`.
- `cov`: the cotangent of `m` is `(G + Gᴴ) Xc W / fact` (`Xc` centred, `W` the weights): the
  weighted mean's derivative drops out. `aweights` (when positional) are differentiated,
  `fweights` are integers. `corrcoef` ignores NumPy's final clip to [-1, 1] (it only
  absorbs rounding).
- `cumulative_prod`: the derivative in an entry is the product of the others, found by
  division before the first zero of a lane and by a second product at that zero (zero after
  it).

Left out: `polyfit`, `polydiv`, `roots`, `poly` (solves and eigenproblems: linalg-based rules
would be needed), `piecewise` (calls user functions), `histogram` & co (piecewise constant).

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.diff, np.array([1.0, 4.0, 9.0]))
>>> back(np.array([1.0, 1.0]))[1]
array([-1.,  0.,  1.])
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
    scalar_rule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# Call plumbing: arguments by name, cotangents in the order they were given


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


class _Call:
    """The arguments of `f(*args, **kwargs)` by name (`call.get("axis", default)`) and the
    names of the positional ones, in order: a pullback returns one cotangent for each."""

    def __init__(self, f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]):
        signature = _signature(f)
        self.arguments = signature.bind(*args, **kwargs).arguments
        self.positional = tuple(signature.parameters)[: len(args)]

    def get(self, name: str, default: Any = None) -> Any:
        return self.arguments.get(name, default)

    def tangent(self, tangents: tuple[Any, ...], name: str) -> Any:
        """The tangent given to argument `name` (zero for a keyword argument)."""
        if name in self.positional:
            return unthunk(tangents[1 + self.positional.index(name)])
        return ZeroTangent()

    def cotangents(self, **values: Any) -> tuple[Any, ...]:
        """`(NoTangent(), ...)`, one per positional argument; unnamed ones get NoTangent."""
        return (NoTangent(), *(values.get(name, NoTangent()) for name in self.positional))


class _ProjectArrayLike:
    """`ProjectTo(x)` for an array-like `x` written as a (nested) list or tuple: an array
    tangent is handed over as the nested lists that `ProjectTo` expects of a container."""

    def __init__(self, x: Any) -> None:
        self.project = ProjectTo(x)

    def __call__(self, dx: Any) -> Any:
        return self.project(dx.tolist() if isinstance(dx, np.ndarray) else dx)


def _project_to(x: Any) -> Any:
    """`ProjectTo(x)`, also for array-likes given as lists (`np.polyval([1.0, 2.0], x)`)."""
    return _ProjectArrayLike(x) if isinstance(x, (list, tuple)) else ProjectTo(x)


def _is_zero(dx: Any) -> bool:
    return isinstance(dx, AbstractZero)


def _dense(dx: Any, x: Any) -> Any:
    """The tangent `dx` of `x` as an array: zeros of `x`'s shape for a zero tangent, an
    array for the (nested) list tangent of an array-like list."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return np.zeros(np.shape(x), dtype=np.result_type(np.asarray(x), 0.0))
    return np.asarray(dx) if isinstance(dx, (list, tuple)) else dx


def _zero_output(y: Any) -> tuple[Any, Any]:
    return y, ProjectTo(y)(ZeroTangent())


def _along(axis: int, ndim: int, index: Any) -> tuple[Any, ...]:
    """The index `index` along `axis` of an `ndim`-dimensional array."""
    return (slice(None),) * (axis % ndim) + (index,)


def _diff_adjoint(dy: Any, n: int, axis: int) -> Any:
    """The adjoint of `np.diff(., n, axis)`: `y[i] = x[i+1] - x[i]` gives back
    `dx[i] = dy[i-1] - dy[i]`, a negated difference of the zero-padded seed."""
    for _ in range(n):
        dy = -np.diff(dy, axis=axis, prepend=0, append=0)
    return dy


def _reverse_cumsum(a: Any, axis: int) -> Any:
    return np.flip(np.cumsum(np.flip(a, axis), axis), axis)


# ---------------------------------------------------------------------------------------------
# diff, ediff1d


def _extension_length(extension: Any, ndim: int, axis: int) -> int:
    """How many entries `diff` adds along `axis` for a `prepend`/`append` value."""
    if extension is None:
        return 0
    return 1 if np.ndim(extension) == 0 else int(np.shape(extension)[axis % ndim])


@rrule.register(np.diff)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.diff, args, kwargs)
    a, n, axis = call.get("a"), call.get("n", 1), call.get("axis", -1)
    prepend, append = call.get("prepend"), call.get("append")
    project_a, project_prepend, project_append = (
        _project_to(a),
        _project_to(prepend),
        _project_to(append),
    )
    y = np.diff(*args, **kwargs)
    ndim = np.ndim(a)
    before = _extension_length(prepend, ndim, axis) if n else 0
    after = _extension_length(append, ndim, axis) if n else 0

    def diff_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return call.cotangents(
                a=project_a(dy), prepend=project_prepend(dy), append=project_append(dy)
            )
        dfull = _diff_adjoint(np.asarray(dy), n, axis)
        head, body, tail = np.split(dfull, [before, dfull.shape[axis] - after], axis=axis)
        return call.cotangents(
            a=project_a(body),
            prepend=project_prepend(head if before else ZeroTangent()),
            append=project_append(tail if after else ZeroTangent()),
        )

    return y, diff_pullback


@frule.register(np.diff)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.diff, args, kwargs)
    y = np.diff(*args, **kwargs)
    names = ("a", "prepend", "append")
    dargs = {name: call.tangent(tangents, name) for name in names}
    if all(_is_zero(dargs[name]) for name in names):
        return _zero_output(y)
    extensions = {
        name: _dense(dargs[name], call.get(name)) for name in names[1:] if name in call.arguments
    }
    da = _dense(dargs["a"], call.get("a"))
    dy = np.diff(da, call.get("n", 1), call.get("axis", -1), **extensions)
    return y, ProjectTo(y)(dy)


@rrule.register(np.ediff1d)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.ediff1d, args, kwargs)
    ary, to_end, to_begin = call.get("ary"), call.get("to_end"), call.get("to_begin")
    project_ary, project_end, project_begin = (
        _project_to(ary),
        _project_to(to_end),
        _project_to(to_begin),
    )
    y = np.ediff1d(*args, **kwargs)
    before = 0 if to_begin is None else np.size(to_begin)
    after = 0 if to_end is None else np.size(to_end)

    def ediff1d_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return call.cotangents(
                ary=project_ary(dy), to_end=project_end(dy), to_begin=project_begin(dy)
            )
        dy = np.asarray(dy)
        dary = np.reshape(_diff_adjoint(dy[before : dy.size - after], 1, 0), np.shape(ary))
        dbegin = None if to_begin is None else np.reshape(dy[:before], np.shape(to_begin))
        dend = None if to_end is None else np.reshape(dy[dy.size - after :], np.shape(to_end))
        return call.cotangents(
            ary=project_ary(dary), to_begin=project_begin(dbegin), to_end=project_end(dend)
        )

    return y, ediff1d_pullback


@frule.register(np.ediff1d)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.ediff1d, args, kwargs)
    y = np.ediff1d(*args, **kwargs)
    names = ("ary", "to_end", "to_begin")
    dargs = {name: call.tangent(tangents, name) for name in names}
    if all(_is_zero(dargs[name]) for name in names):
        return _zero_output(y)
    ends = {
        name: None if call.get(name) is None else _dense(dargs[name], call.get(name))
        for name in names[1:]
    }
    dy = np.ediff1d(_dense(dargs["ary"], call.get("ary")), **ends)
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# gradient


def _gradient_setup(f: Any, varargs: tuple[Any, ...], axis: Any) -> tuple[list[int], list[Any]]:
    """The axes `gradient` differentiates along and the spacing of each (a scalar or a
    coordinate array), as NumPy reads its `varargs`."""
    ndim = np.ndim(f)
    axes = list(range(ndim)) if axis is None else [a % ndim for a in np.atleast_1d(axis)]
    if not varargs:
        return axes, [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return axes, [varargs[0]] * len(axes)
    return axes, list(varargs)


def _gradient_adjoint(g: Any, spacing: Any, axis: int, edge_order: int) -> Any:
    """The adjoint of `np.gradient(., spacing, axis=axis, edge_order=edge_order)`.

    Row `i` of that banded operator reads the columns `start(i) .. start(i) + 2` (an
    interior point its neighbours, an edge point the first or last three), which differ
    modulo 3: applying NumPy's own `gradient` to the three combs `j % 3 == k` finds every
    coefficient, for uniform and non-uniform spacing and both edge orders alike.
    """
    g = np.moveaxis(np.asarray(g), axis, 0)
    n = g.shape[0]
    combs = (np.arange(n) % 3 == np.arange(3)[:, None]).astype(float)
    coefficients = np.gradient(combs, spacing, axis=1, edge_order=edge_order)
    start = np.clip(np.arange(n) - 1, 0, max(n - 3, 0))
    columns = start + (np.arange(3)[:, None] - start) % 3
    df = np.zeros(g.shape, dtype=np.result_type(g, coefficients))
    expand = (slice(None),) + (None,) * (g.ndim - 1)
    for k in range(3):
        rows = columns[k] < n
        np.add.at(df, columns[k][rows], (coefficients[k][rows])[expand] * g[rows])
    return np.moveaxis(df, 0, axis)


@rrule.register(np.gradient)
def _(f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    project_f = _project_to(f)
    out = np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    axes, spacings = _gradient_setup(f, varargs, axis)
    outs = (out,) if len(axes) == 1 else out
    project_spacing = [_project_to(h) for h in varargs]

    def gradient_pullback(dout: Any) -> tuple[Any, ...]:
        dout = unthunk(dout)
        douts = [unthunk(d) for d in ((dout,) if len(axes) == 1 or _is_zero(dout) else dout)]
        if len(douts) != len(axes):
            douts = douts * len(axes)
        df: Any = ZeroTangent()
        dspacings: list[Any] = [ZeroTangent()] * len(axes)
        for k, (ax, h, g, y) in enumerate(zip(axes, spacings, douts, outs, strict=True)):
            if _is_zero(g):
                continue
            df = df + _gradient_adjoint(g, h, ax, edge_order)
            if np.ndim(h) == 0:  # out ∝ 1/h
                dspacings[k] = -np.sum(np.conj(y) * g) / np.conj(h)
            else:
                dspacings[k] = not_implemented("np.gradient: the derivative in coordinates")
        if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
            dspacings = [sum(dspacings, ZeroTangent())]
        dvarargs = [p(d) for p, d in zip(project_spacing, dspacings[: len(varargs)], strict=True)]
        return NoTangent(), project_f(df), *dvarargs

    return out, gradient_pullback


@frule.register(np.gradient)
def _(tangents: Any, f: Any, *varargs: Any, axis: Any = None, edge_order: int = 1) -> Any:
    out = np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    axes, spacings = _gradient_setup(f, varargs, axis)
    df = unthunk(tangents[1])
    dvarargs = [unthunk(t) for t in tangents[2:]]
    if _is_zero(df) and all(_is_zero(d) for d in dvarargs):
        return _zero_output(out)
    if any(np.ndim(h) > 0 and not _is_zero(d) for h, d in zip(varargs, dvarargs, strict=True)):
        return out, not_implemented("np.gradient: the derivative in coordinates")
    if len(dvarargs) == 1 and len(axes) > 1:
        dvarargs = dvarargs * len(axes)
    douts = np.gradient(_dense(df, f), *varargs, axis=axis, edge_order=edge_order)
    douts = [douts] if len(axes) == 1 else list(douts)
    outs = [out] if len(axes) == 1 else list(out)
    for k, dh in enumerate(dvarargs):
        if not _is_zero(dh):
            douts[k] = douts[k] - outs[k] * (dh / spacings[k])
    dout = douts[0] if len(axes) == 1 else tuple(douts)
    return out, ProjectTo(out)(dout)


# ---------------------------------------------------------------------------------------------
# unwrap: the identity away from the jumps


@rrule.register(np.unwrap)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.unwrap, args, kwargs)
    project_p, project_discont = _project_to(call.get("p")), _project_to(call.get("discont"))

    def unwrap_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        return call.cotangents(p=project_p(dy), discont=project_discont(ZeroTangent()))

    return np.unwrap(*args, **kwargs), unwrap_pullback


@frule.register(np.unwrap)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    y = np.unwrap(*args, **kwargs)
    return y, ProjectTo(y)(unthunk(tangents[1]))


# ---------------------------------------------------------------------------------------------
# trapezoid


def _trapezoid_widths(x: Any, dx: Any, ndim: int, axis: int) -> Any:
    """The widths `d` in `trapezoid = sum(d * (y[1:] + y[:-1]) / 2, axis)`, as NumPy
    shapes them; linear in `x` and `dx`, so tangents go through it too."""
    if x is None:
        return dx
    x = np.asarray(x)
    if x.ndim == 1:
        shape = [1] * ndim
        shape[axis] = x.shape[0] - 1
        return np.reshape(np.diff(x), shape)
    return np.diff(x, axis=axis)


def _trapezoid_means(y: Any, axis: int) -> Any:
    y = np.asarray(y)
    return (y[_along(axis, y.ndim, slice(1, None))] + y[_along(axis, y.ndim, slice(None, -1))]) / 2


if hasattr(np, "trapezoid"):  # NumPy >= 2.0

    @rrule.register(np.trapezoid)
    def _(*args: Any, **kwargs: Any) -> Any:
        call = _Call(np.trapezoid, args, kwargs)
        y, x, dx, axis = call.get("y"), call.get("x"), call.get("dx", 1.0), call.get("axis", -1)
        project_y, project_x, project_dx = _project_to(y), _project_to(x), _project_to(dx)
        integral = np.trapezoid(*args, **kwargs)
        ndim = np.ndim(y)
        widths, means = _trapezoid_widths(x, dx, ndim, axis), _trapezoid_means(y, axis)

        def trapezoid_pullback(dintegral: Any) -> tuple[Any, ...]:
            dintegral = unthunk(dintegral)
            if _is_zero(dintegral):
                zero = ZeroTangent()
                return call.cotangents(y=project_y(zero), x=project_x(zero), dx=project_dx(zero))
            seed = np.expand_dims(np.asarray(dintegral), axis)
            full = np.broadcast_shapes(np.shape(means), np.shape(widths), seed.shape)
            dmeans = np.broadcast_to(np.conj(widths) * seed, full)
            dmeans = np.asarray(unbroadcast(means, dmeans)) / 2
            dy = np.zeros(np.shape(y), dtype=dmeans.dtype)
            dy[_along(axis, ndim, slice(1, None))] += dmeans
            dy[_along(axis, ndim, slice(None, -1))] += dmeans
            dwidths = np.broadcast_to(np.conj(means) * seed, full)
            if x is None:
                return call.cotangents(y=project_y(dy), dx=project_dx(np.sum(dwidths)))
            dwidths = unbroadcast(widths, dwidths)
            x_axis = 0 if np.ndim(x) == 1 else axis
            dx_ = _diff_adjoint(np.reshape(dwidths, np.shape(np.diff(x, axis=x_axis))), 1, x_axis)
            return call.cotangents(y=project_y(dy), x=project_x(dx_), dx=project_dx(ZeroTangent()))

        return integral, trapezoid_pullback

    @frule.register(np.trapezoid)
    def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
        call = _Call(np.trapezoid, args, kwargs)
        y, x, dx, axis = call.get("y"), call.get("x"), call.get("dx", 1.0), call.get("axis", -1)
        integral = np.trapezoid(*args, **kwargs)
        dy, dx_, ddx = (call.tangent(tangents, name) for name in ("y", "x", "dx"))
        ndim = np.ndim(y)
        dintegral: Any = ZeroTangent()
        if not _is_zero(dy):
            dintegral = np.sum(
                _trapezoid_widths(x, dx, ndim, axis) * _trapezoid_means(dy, axis), axis
            )
        dwidths = ddx if x is None or _is_zero(dx_) else _trapezoid_widths(dx_, None, ndim, axis)
        if x is not None and _is_zero(dx_):
            dwidths = dx_
        if not _is_zero(dwidths):
            dintegral = dintegral + np.sum(dwidths * _trapezoid_means(y, axis), axis)
        return integral, ProjectTo(integral)(dintegral)


# ---------------------------------------------------------------------------------------------
# cumulative_sum, cumulative_prod


def _cumulative_setup(x: Any, kwargs: dict[str, Any]) -> tuple[int, bool]:
    axis = kwargs.get("axis")
    return (0 if axis is None else axis % np.ndim(x)), bool(kwargs.get("include_initial"))


if hasattr(np, "cumulative_sum"):  # NumPy >= 2.1

    @rrule.register(np.cumulative_sum)
    def _(x: Any, **kwargs: Any) -> Any:
        project_x = _project_to(x)
        y = np.cumulative_sum(x, **kwargs)
        axis, initial = _cumulative_setup(x, kwargs)

        def cumulative_sum_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if _is_zero(dy):
                return NoTangent(), project_x(dy)
            if initial:
                dy = dy[_along(axis, dy.ndim, slice(1, None))]
            return NoTangent(), project_x(_reverse_cumsum(dy, axis))

        return y, cumulative_sum_pullback

    @frule.register(np.cumulative_sum)
    def _(tangents: Any, x: Any, **kwargs: Any) -> Any:
        y = np.cumulative_sum(x, **kwargs)
        dx = unthunk(tangents[1])
        if _is_zero(dx):
            return _zero_output(y)
        options = {name: value for name, value in kwargs.items() if name != "out"}
        return y, ProjectTo(y)(np.cumulative_sum(dx, **options))

    def _cumprod_parts(x: Any, axis: int) -> tuple[Any, Any, Any, Any]:
        """Along `axis`: the index of each entry, of its lane's first zero (the length if none),
        `x` with its entries from the first zero on set to 1, and the running product that
        skips the first zero (the product of the others, at that zero)."""
        x = np.moveaxis(x, axis, -1)
        n = x.shape[-1]
        index = np.arange(n)
        zero = x == 0
        first = np.where(np.any(zero, axis=-1), np.argmax(zero, axis=-1), n)[..., None]
        safe = np.where(index < first, x, 1)
        skipping = np.cumprod(np.where(index == first, 1, x), axis=-1)
        return index, first, safe, skipping

    @rrule.register(np.cumulative_prod)
    def _(x: Any, **kwargs: Any) -> Any:
        project_x = _project_to(x)
        y = np.cumulative_prod(x, **kwargs)
        axis, initial = _cumulative_setup(x, kwargs)
        products = y[_along(axis, y.ndim, slice(1, None))] if initial else y
        x_ = np.asarray(x, dtype=products.dtype)
        index, first, safe, skipping = _cumprod_parts(x_, axis)
        products = np.moveaxis(products, axis, -1)

        def cumulative_prod_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if _is_zero(dy):
                return NoTangent(), project_x(dy)
            if initial:
                dy = dy[_along(axis, dy.ndim, slice(1, None))]
            dy = np.moveaxis(dy, axis, -1)
            # before the first zero: sum_{i >= j} dy_i conj(y_i / x_j)
            dx = _reverse_cumsum(dy * np.conj(products), -1) / np.conj(safe)
            at_zero = _reverse_cumsum(np.where(index >= first, dy * np.conj(skipping), 0), -1)
            dx = np.where(index < first, dx, np.where(index == first, at_zero, 0))
            return NoTangent(), project_x(np.moveaxis(dx, -1, axis))

        return y, cumulative_prod_pullback

    @frule.register(np.cumulative_prod)
    def _(tangents: Any, x: Any, **kwargs: Any) -> Any:
        y = np.cumulative_prod(x, **kwargs)
        dx = unthunk(tangents[1])
        if _is_zero(dx):
            return _zero_output(y)
        axis, initial = _cumulative_setup(x, kwargs)
        products = y[_along(axis, y.ndim, slice(1, None))] if initial else y
        index, first, safe, skipping = _cumprod_parts(np.asarray(x, dtype=products.dtype), axis)
        dx = np.moveaxis(np.asarray(dx), axis, -1)
        products = np.moveaxis(products, axis, -1)
        before = index < first
        dx_first = np.take_along_axis(dx, np.minimum(first, dx.shape[-1] - 1), axis=-1)
        dy = np.where(
            before,
            products * np.cumsum(np.where(before, dx / safe, 0), axis=-1),
            dx_first * skipping,
        )
        dy = np.moveaxis(dy, -1, axis)
        if initial:
            dy = np.concatenate([np.zeros_like(dy[_along(axis, dy.ndim, slice(0, 1))]), dy], axis)
        return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# interp


class _Interpolation:
    """Where each `x` falls among the knots `xp` of `interp(x, xp, fp, left, right)`: the
    segment `j` (`xp[j] <= x < xp[j+1]`, clipped to the first and last), the fraction `t`
    along it, its slope, and the masks of the points left of, right of and inside the knots."""

    def __init__(self, x: Any, xp: Any, fp: Any) -> None:
        x, xp, fp = np.asarray(x), np.asarray(xp), np.asarray(fp)
        n = xp.shape[0]
        self.j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, max(n - 2, 0))
        self.j1 = np.minimum(self.j + 1, n - 1)
        width = xp[self.j1] - xp[self.j]
        with np.errstate(divide="ignore", invalid="ignore"):  # a single knot: no segment
            self.t = np.where(width == 0, 0.0, (x - xp[self.j]) / width)
            self.slope = np.where(width == 0, 0.0, (fp[self.j1] - fp[self.j]) / width)
        self.below, self.above = x < xp[0], x > xp[-1]
        self.inside = ~(self.below | self.above)
        self.n = n

    def pullback(self, dy: Any, left: Any, right: Any) -> dict[str, Any]:
        """Cotangents of `x`, `xp`, `fp`, `left`, `right` (for the real part where real)."""
        dy = np.asarray(dy)
        inside = np.where(self.inside, dy, 0)
        slope = np.conj(self.slope)
        dfp = np.zeros(self.n, dtype=np.result_type(dy, self.t))
        np.add.at(dfp, self.j, (1 - self.t) * inside)
        np.add.at(dfp, self.j1, self.t * inside)
        dxp = np.zeros(self.n, dtype=np.result_type(dy, slope))
        np.add.at(dxp, self.j, slope * (self.t - 1) * inside)
        np.add.at(dxp, self.j1, -slope * self.t * inside)
        dleft, dright = np.sum(np.where(self.below, dy, 0)), np.sum(np.where(self.above, dy, 0))
        if left is None:
            dfp[0] += dleft
        if right is None:
            dfp[-1] += dright
        return {"x": slope * inside, "xp": dxp, "fp": dfp, "left": dleft, "right": dright}

    def pushforward(self, dx: Any, dxp: Any, dfp: Any, dleft: Any, dright: Any) -> Any:
        j, j1, t, slope = self.j, self.j1, self.t, self.slope
        inside = (
            slope * dx + (1 - t) * dfp[j] + t * dfp[j1] + slope * ((t - 1) * dxp[j] - t * dxp[j1])
        )
        return np.where(
            self.inside, inside, np.where(self.below, dleft, 0) + np.where(self.above, dright, 0)
        )


def _periodic(x: Any, xp: Any, fp: Any, period: float) -> tuple[Any, Any, Any, Any]:
    """NumPy's reduction of a periodic `interp` to a plain one: `x` and `xp` modulo the
    period, the knots sorted and extended by one period-shifted knot at each end; `source`
    maps each extended knot to the original one."""
    period = abs(period)
    xp = np.mod(xp, period)
    order = np.argsort(xp)
    source = np.concatenate([order[-1:], order, order[:1]])
    xp_ext = np.concatenate([xp[order[-1:]] - period, xp[order], xp[order[:1]] + period])
    return np.mod(x, period), xp_ext, np.asarray(fp)[source], source


@rrule.register(np.interp)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.interp, args, kwargs)
    x, xp, fp = call.get("x"), call.get("xp"), call.get("fp")
    left, right, period = call.get("left"), call.get("right"), call.get("period")
    projects = {name: _project_to(call.get(name)) for name in ("x", "xp", "fp", "left", "right")}
    y = np.interp(*args, **kwargs)
    if period is None:
        parts, source = _Interpolation(x, xp, fp), None
    else:
        left = right = None
        x_mod, xp_ext, fp_ext, source = _periodic(x, xp, fp, period)
        parts = _Interpolation(x_mod, xp_ext, fp_ext)

    def interp_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return call.cotangents(**{name: p(dy) for name, p in projects.items()})
        cotangents = parts.pullback(dy, left, right)
        if source is not None:
            for name in ("xp", "fp"):
                folded = np.zeros(np.shape(call.get(name)), dtype=cotangents[name].dtype)
                np.add.at(folded, source, cotangents[name])
                cotangents[name] = folded
            cotangents["period"] = not_implemented("np.interp: the derivative in period")
        projected = {name: p(cotangents[name]) for name, p in projects.items()}
        return call.cotangents(**projected, period=cotangents.get("period"))

    return y, interp_pullback


@frule.register(np.interp)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.interp, args, kwargs)
    x, xp, fp = call.get("x"), call.get("xp"), call.get("fp")
    left, right, period = call.get("left"), call.get("right"), call.get("period")
    y = np.interp(*args, **kwargs)
    names = ("x", "xp", "fp", "left", "right", "period")
    d = {name: call.tangent(tangents, name) for name in names}
    if all(_is_zero(d[name]) for name in names):
        return _zero_output(y)
    if not _is_zero(d["period"]):
        return y, not_implemented("np.interp: the derivative in period")
    dx, dxp, dfp = _dense(d["x"], x), _dense(d["xp"], xp), _dense(d["fp"], fp)
    if period is None:
        parts = _Interpolation(x, xp, fp)
    else:
        x_mod, xp_ext, fp_ext, source = _periodic(x, xp, fp, period)
        parts, dxp, dfp = _Interpolation(x_mod, xp_ext, fp_ext), dxp[source], dfp[source]
        left = right = None
    dleft = dfp[0] if left is None else _dense(d["left"], left)
    dright = dfp[-1] if right is None else _dense(d["right"], right)
    return y, ProjectTo(y)(parts.pushforward(dx, dxp, dfp, dleft, dright))


# ---------------------------------------------------------------------------------------------
# convolve, correlate, polymul: crops of a full convolution


def _mode_name(mode: Any) -> str:
    return {0: "valid", 1: "same", 2: "full"}[mode] if isinstance(mode, int) else str(mode)


def _full_offset(m: int, n: int, mode: str, reversed_when_shorter: bool) -> int:
    """Where NumPy's `mode` output starts in the full convolution of lengths `m` and `n`.

    NumPy swaps the operands when the first is the shorter; `correlate` then reverses its
    result, which moves the centre of an even-length "same" window by one.
    """
    short = min(m, n)
    if mode.startswith("f"):
        return 0
    if mode.startswith("v"):
        return short - 1
    return short // 2 if reversed_when_shorter and m < n else short - 1 - short // 2


def _full_seed(dy: Any, m: int, n: int, offset: int) -> Any:
    dy = np.atleast_1d(dy)
    full = np.zeros(m + n - 1, dtype=dy.dtype)
    full[offset : offset + dy.shape[0]] = dy
    return full


def _convolution_rrule(f: Callable[..., Any], a: Any, v: Any, mode: str, correlate: bool) -> Any:
    project_a, project_v = _project_to(a), _project_to(v)
    y = f(a, v, mode)
    a1, v1 = np.atleast_1d(a), np.atleast_1d(v)
    m, n = a1.shape[0], v1.shape[0]
    offset = _full_offset(m, n, mode, reversed_when_shorter=correlate)
    # correlate(a, v) is the convolution of a with conj(v) reversed
    kernel = np.conj(v1[::-1]) if correlate else v1

    def convolution_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return NoTangent(), project_a(dy), project_v(dy)
        full = _full_seed(dy, m, n, offset)
        # the adjoint of a full convolution in each operand is a valid correlation
        da = np.correlate(full, kernel, "valid")
        dkernel = np.correlate(full, a1, "valid")
        dv = np.conj(dkernel[::-1]) if correlate else dkernel
        return (
            NoTangent(),
            project_a(np.reshape(da, np.shape(a))),
            project_v(np.reshape(dv, np.shape(v))),
        )

    name = f"{f.__name__.strip('_')}_pullback"
    convolution_pullback.__name__ = convolution_pullback.__qualname__ = name
    return y, convolution_pullback


def _convolution_frule(f: Callable[..., Any], tangents: Any, a: Any, v: Any, mode: str) -> Any:
    y = f(a, v, mode)
    da, dv = unthunk(tangents[1]), unthunk(tangents[2])
    dy: Any = ZeroTangent()
    if not _is_zero(da):
        dy = f(da, v, mode)
    if not _is_zero(dv):
        dy = dy + f(a, dv, mode)
    return y, ProjectTo(y)(dy)


def _convolution_arguments(f: Callable[..., Any], args: Any, kwargs: Any) -> tuple[Any, ...]:
    call = _Call(f, args, kwargs)
    default = "full" if f is np.convolve else "valid"
    return call.get("a"), call.get("v"), _mode_name(call.get("mode", default)), len(args)


@rrule.register(np.convolve)
def _(*args: Any, **kwargs: Any) -> Any:
    a, v, mode, nargs = _convolution_arguments(np.convolve, args, kwargs)
    y, pullback = _convolution_rrule(np.convolve, a, v, mode, correlate=False)
    return y, _with_trailing(pullback, nargs - 2)


@frule.register(np.convolve)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    a, v, mode, _ = _convolution_arguments(np.convolve, args, kwargs)
    return _convolution_frule(np.convolve, tangents, a, v, mode)


@rrule.register(np.correlate)
def _(*args: Any, **kwargs: Any) -> Any:
    a, v, mode, nargs = _convolution_arguments(np.correlate, args, kwargs)
    y, pullback = _convolution_rrule(np.correlate, a, v, mode, correlate=True)
    return y, _with_trailing(pullback, nargs - 2)


@frule.register(np.correlate)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    a, v, mode, _ = _convolution_arguments(np.correlate, args, kwargs)
    return _convolution_frule(np.correlate, tangents, a, v, mode)


def _with_trailing(pullback: Callable[[Any], tuple[Any, ...]], extra: int) -> Any:
    """`pullback` with `NoTangent()` appended for `extra` positional options (a mode)."""
    if not extra:
        return pullback

    def with_options_pullback(dy: Any) -> tuple[Any, ...]:
        return (*pullback(dy), *(NoTangent(),) * extra)

    with_options_pullback.__name__ = with_options_pullback.__qualname__ = pullback.__name__
    return with_options_pullback


def _polymul(a1: Any, a2: Any, mode: str) -> Any:
    return np.convolve(np.atleast_1d(a1), np.atleast_1d(a2), mode)


@rrule.register(np.polymul)
def _(a1: Any, a2: Any) -> Any:
    _, pullback = _convolution_rrule(_polymul, a1, a2, "full", correlate=False)
    return np.polymul(a1, a2), pullback


@frule.register(np.polymul)
def _(tangents: Any, a1: Any, a2: Any) -> Any:
    _, dy = _convolution_frule(_polymul, tangents, a1, a2, "full")
    y = np.polymul(a1, a2)
    return y, ProjectTo(y)(dy)


# ---------------------------------------------------------------------------------------------
# cov, corrcoef


class _Covariance:
    """`cov(m, y, rowvar, bias, ddof, fweights, aweights)` as `C = Xc W Xcᴴ / fact`: the
    variables of `m` and `y` stacked one per row (`X`) and centred on their weighted mean
    (`Xc`), the weights `w` (`fweights * aweights`, ones without them) and `fact`."""

    def __init__(
        self, m: Any, y: Any, rowvar: bool, bias: bool, ddof: Any, fweights: Any, aweights: Any
    ):
        self.rowvar = rowvar
        self.blocks, self.transposed = [], []
        for x in [m] if y is None else [m, y]:
            rows = np.array(x, ndmin=2)
            self.transposed.append(not rowvar and rows.shape[0] != 1)
            self.blocks.append(rows.T if self.transposed[-1] else rows)
        stacked = np.concatenate(self.blocks, axis=0)
        n = stacked.shape[1]
        self.f = np.ones(n) if fweights is None else np.asarray(fweights, dtype=float)
        self.a = None if aweights is None else np.asarray(aweights, dtype=float)
        self.w = self.f if self.a is None else self.f * self.a
        self.ddof = (0 if bias else 1) if ddof is None else ddof
        v1 = np.sum(self.w)
        self.centred = stacked - (stacked @ self.w / v1)[:, None]
        if fweights is None and aweights is None:
            self.fact = n - self.ddof
        elif self.ddof == 0:
            self.fact = v1
        elif self.a is None:
            self.fact = v1 - self.ddof
        else:
            self.fact = v1 - self.ddof * np.sum(self.w * self.a) / v1
        self.cov = (self.centred * self.w) @ np.conj(self.centred).T / self.fact
        self.v1 = v1

    def _fact_derivative(self) -> Any:
        """The derivative of `fact` in each of the `aweights`."""
        if self.ddof == 0:
            return self.f
        sum_wa = np.sum(self.w * self.a)
        return self.f - self.ddof * (2 * self.f * self.a * self.v1 - sum_wa * self.f) / self.v1**2

    def split(self, dstacked: Any, inputs: list[Any]) -> list[Any]:
        """The cotangent of `X` cut back into those of `m` and `y`."""
        out, start = [], 0
        for block, transposed, x in zip(self.blocks, self.transposed, inputs, strict=False):
            part = dstacked[start : start + block.shape[0]]
            start += block.shape[0]
            out.append(np.reshape(part.T if transposed else part, np.shape(x)))
        return out

    def stack(self, tangents: list[Any], inputs: list[Any]) -> Any:
        """The tangent of `X` from those of `m` and `y`."""
        rows = []
        for t, x, transposed in zip(tangents, inputs, self.transposed, strict=False):
            t = np.array(_dense(t, x), ndmin=2)
            rows.append(t.T if transposed else t)
        return np.concatenate(rows, axis=0)

    def pullback(self, seed: Any) -> tuple[Any, Any]:
        """Cotangents of `X` and of `aweights` from that of `C` (of any shape with `C.size`
        entries: NumPy squeezes `C`)."""
        seed = np.reshape(seed, self.cov.shape)
        # dC = (dX W Xcᴴ + Xc W dXᴴ) / fact: the mean's derivative cancels (Xc w = 0), and
        # the seed G pulls back to (G + Gᴴ) Xc W / fact
        dstacked = (seed + np.conj(seed).T) @ self.centred * self.w / self.fact
        if self.a is None:
            return dstacked, None
        # dC/dw_j = xc_j xc_jᴴ / fact - C dfact/dw_j / fact, and Re <G, xc xcᴴ> = Re xcᴴ G xc
        outer = np.real(np.sum(np.conj(self.centred) * (seed @ self.centred), axis=0))
        dfact = np.real(np.sum(np.conj(seed) * self.cov)) / self.fact
        return dstacked, (self.f * outer / self.fact - dfact * self._fact_derivative())

    def pushforward(self, dstacked: Any, daweights: Any) -> Any:
        dcov = (dstacked * self.w) @ np.conj(self.centred).T
        dcov = (dcov + np.conj(dcov).T) / self.fact
        if self.a is not None and not _is_zero(daweights):
            dw = self.f * daweights
            dcov = (
                dcov
                + (
                    (self.centred * dw) @ np.conj(self.centred).T
                    - self.cov * np.sum(self._fact_derivative() * daweights)
                )
                / self.fact
            )
        return dcov


def _covariance_of(call: _Call, first: str) -> _Covariance:
    return _Covariance(
        call.get(first),
        call.get("y"),
        call.get("rowvar", True),
        call.get("bias", False),
        call.get("ddof"),
        call.get("fweights"),
        call.get("aweights"),
    )


@rrule.register(np.cov)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.cov, args, kwargs)
    m, y, aweights = call.get("m"), call.get("y"), call.get("aweights")
    project_m, project_y, project_aweights = _project_to(m), _project_to(y), _project_to(aweights)
    c = np.cov(*args, **kwargs)
    covariance = _covariance_of(call, "m")

    def cov_pullback(dc: Any) -> tuple[Any, ...]:
        dc = unthunk(dc)
        if _is_zero(dc):
            return call.cotangents(m=project_m(dc), y=project_y(dc), aweights=project_aweights(dc))
        dstacked, daweights = covariance.pullback(dc)
        parts = [*covariance.split(dstacked, [m, y]), None]
        return call.cotangents(
            m=project_m(parts[0]),
            y=project_y(parts[1]),
            aweights=project_aweights(daweights),
        )

    return c, cov_pullback


@frule.register(np.cov)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.cov, args, kwargs)
    c = np.cov(*args, **kwargs)
    names = ("m", "y", "aweights")
    d = {name: call.tangent(tangents, name) for name in names}
    if all(_is_zero(d[name]) for name in names):
        return _zero_output(c)
    covariance = _covariance_of(call, "m")
    dstacked = covariance.stack([d["m"], d["y"]], [call.get("m"), call.get("y")])
    return c, ProjectTo(c)(covariance.pushforward(dstacked, d["aweights"]))


def _correlation(covariance: _Covariance) -> tuple[Any, Any]:
    """The correlations `R = C / (s sᵀ)` and the standard deviations `s`."""
    s = np.sqrt(np.real(np.diag(covariance.cov)))
    return covariance.cov / np.outer(s, s), s


@rrule.register(np.corrcoef)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.corrcoef, args, kwargs)
    x, y = call.get("x"), call.get("y")
    project_x, project_y = _project_to(x), _project_to(y)
    r = np.corrcoef(*args, **kwargs)
    covariance = _covariance_of(call, "x")
    corr, s = _correlation(covariance)

    def corrcoef_pullback(dr: Any) -> tuple[Any, ...]:
        dr = unthunk(dr)
        if _is_zero(dr):
            return call.cotangents(x=project_x(dr), y=project_y(dr))
        seed = np.reshape(dr, corr.shape)
        # R_ij = C_ij / (s_i s_j) with s_i = sqrt(Re C_ii)
        weighted = np.real(np.conj(seed) * corr)
        ds = -(np.sum(weighted, axis=0) + np.sum(weighted, axis=1)) / s
        dcov = seed / np.outer(s, s) + np.diag(ds / (2 * s))
        parts = [*covariance.split(covariance.pullback(dcov)[0], [x, y]), None]
        return call.cotangents(x=project_x(parts[0]), y=project_y(parts[1]))

    return r, corrcoef_pullback


@frule.register(np.corrcoef)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.corrcoef, args, kwargs)
    r = np.corrcoef(*args, **kwargs)
    dx, dy = call.tangent(tangents, "x"), call.tangent(tangents, "y")
    if _is_zero(dx) and _is_zero(dy):
        return _zero_output(r)
    covariance = _covariance_of(call, "x")
    corr, s = _correlation(covariance)
    dcov = covariance.pushforward(covariance.stack([dx, dy], [call.get("x"), call.get("y")]), None)
    relative = np.real(np.diag(dcov)) / (2 * s**2)  # ds / s
    dcorr = dcov / np.outer(s, s) - corr * (relative[:, None] + relative[None, :])
    return r, ProjectTo(r)(dcorr)


# ---------------------------------------------------------------------------------------------
# Polynomials (coefficients highest degree first)


@rrule.register(np.polyval)
def _(p: Any, x: Any) -> Any:
    project_p, project_x = _project_to(p), _project_to(x)
    y = np.polyval(p, x)
    p_, x_ = np.asarray(p), np.asarray(x)

    def polyval_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return NoTangent(), project_p(dy), project_x(dy)
        dy = np.asarray(dy)
        powers = x_[..., None] ** np.arange(p_.shape[0] - 1, -1, -1)
        dp = np.sum(np.conj(powers) * dy[..., None], axis=tuple(range(x_.ndim)))
        dx = np.conj(np.polyval(np.polyder(p_), x_)) * dy
        return NoTangent(), project_p(dp), project_x(dx)

    return y, polyval_pullback


@frule.register(np.polyval)
def _(tangents: Any, p: Any, x: Any) -> Any:
    y = np.polyval(p, x)
    dp, dx = unthunk(tangents[1]), unthunk(tangents[2])
    dy: Any = ZeroTangent()
    if not _is_zero(dp):
        dy = np.polyval(dp, x)
    if not _is_zero(dx):
        dy = dy + np.polyval(np.polyder(np.asarray(p)), x) * dx
    return y, ProjectTo(y)(dy)


@rrule.register(np.polyder)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.polyder, args, kwargs)
    p = call.get("p")
    project_p = _project_to(p)
    y = np.polyder(*args, **kwargs)
    # polyder scales the leading coefficients: y = p[:len(y)] * scale
    scale = np.polyder(np.ones(np.shape(p)[0]), call.get("m", 1))

    def polyder_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return call.cotangents(p=project_p(dy))
        dp = np.zeros(np.shape(p), dtype=np.result_type(dy, scale))
        dp[: scale.shape[0]] = scale * dy
        return call.cotangents(p=project_p(dp))

    return y, polyder_pullback


@frule.register(np.polyder)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.polyder, args, kwargs)
    y = np.polyder(*args, **kwargs)
    dp = unthunk(tangents[1])
    if _is_zero(dp):
        return _zero_output(y)
    return y, ProjectTo(y)(np.polyder(dp, call.get("m", 1)))


@rrule.register(np.polyint)
def _(*args: Any, **kwargs: Any) -> Any:
    call = _Call(np.polyint, args, kwargs)
    p, m, k = call.get("p"), int(call.get("m", 1)), call.get("k")
    project_p, project_k = _project_to(p), _project_to(k)
    y = np.polyint(*args, **kwargs)
    n = np.shape(p)[0]

    def polyint_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if _is_zero(dy):
            return call.cotangents(p=project_p(dy), k=project_k(dy))
        # each of the m steps is p -> concatenate(p / [len(p), ..., 1], [k_i])
        dk = np.zeros(m, dtype=np.result_type(dy, float))
        for i in reversed(range(m)):
            dk[i] = dy[-1]
            dy = dy[:-1] / np.arange(n + i, 0, -1)
        if k is None:
            return call.cotangents(p=project_p(dy))
        if np.size(k) == 1:  # one constant for every step
            dk = np.reshape(np.sum(dk), np.shape(k))
        else:
            dk = np.concatenate([dk, np.zeros(np.size(k) - m, dtype=dk.dtype)])
        return call.cotangents(p=project_p(dy), k=project_k(dk))

    return y, polyint_pullback


@frule.register(np.polyint)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = _Call(np.polyint, args, kwargs)
    p, k = call.get("p"), call.get("k")
    y = np.polyint(*args, **kwargs)
    dp, dk = call.tangent(tangents, "p"), call.tangent(tangents, "k")
    if _is_zero(dp) and _is_zero(dk):
        return _zero_output(y)
    dk = None if k is None else _dense(dk, k)
    return y, ProjectTo(y)(np.polyint(_dense(dp, p), call.get("m", 1), dk))


def _trailing(dy: Any, a: Any) -> Any:
    """The entries of `dy` that line up with the coefficients of `a` (NumPy pads the shorter
    polynomial with leading zeros)."""
    n = np.atleast_1d(a).shape[0]
    return np.reshape(dy[dy.shape[0] - n :], np.shape(a))


def _polyadd_rule(f: Callable[..., Any], sign: int) -> None:
    @rrule.register(f)
    def _(a1: Any, a2: Any) -> Any:
        project_a1, project_a2 = _project_to(a1), _project_to(a2)

        def polyadd_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if _is_zero(dy):
                return NoTangent(), project_a1(dy), project_a2(dy)
            dy = np.atleast_1d(dy)
            return NoTangent(), project_a1(_trailing(dy, a1)), project_a2(sign * _trailing(dy, a2))

        polyadd_pullback.__name__ = polyadd_pullback.__qualname__ = f"{f.__name__}_pullback"
        return f(a1, a2), polyadd_pullback

    @frule.register(f)
    def _(tangents: Any, a1: Any, a2: Any) -> Any:
        y = f(a1, a2)
        da1, da2 = unthunk(tangents[1]), unthunk(tangents[2])
        if _is_zero(da1) and _is_zero(da2):
            return _zero_output(y)
        return y, ProjectTo(y)(f(_dense(da1, a1), _dense(da2, a2)))


_polyadd_rule(np.polyadd, 1)
_polyadd_rule(np.polysub, -1)


# ---------------------------------------------------------------------------------------------
# Elementwise


def _sinc_derivative(x: Any, y: Any) -> Any:
    """`(cos(πx) - sinc(x)) / x`; below |x| = 1e-2 that difference cancels, so the series
    `-(π²x/3)(1 - u/10 + u²/280)`, `u = (πx)²`, is used (its next term is ~1e-13 there)."""
    x = np.asarray(x)
    small = np.abs(x) < 1e-2
    u = (np.pi * x) ** 2
    series = -(np.pi**2) * x / 3 * (1 - u / 10 + u**2 / 280)
    safe = np.where(small, 1.0, x)
    return np.where(small, series, (np.cos(np.pi * safe) - y) / safe)


def _i0_derivative(x: Any, y: Any) -> Any:
    from scipy.special import i1  # SciPy is imported when the rule runs

    return i1(x)


scalar_rule(np.sinc, _sinc_derivative)
scalar_rule(np.i0, _i0_derivative)
