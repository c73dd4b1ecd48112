"""Rules for NumPy's finite differences, integrals and interpolation: `diff`, `ediff1d`,
`gradient`, `unwrap`, `trapezoid`, `cumulative_sum`, `cumulative_prod`, `interp`.

Covered, with an rrule and an frule each:

- differences: `diff` (`n`, `axis`; `prepend`/`append` differentiable), `ediff1d`
  (`to_end`/`to_begin` differentiable), `gradient` (spacing scalars differentiable, one
  for all axes or one per axis; coordinate arrays supported in `f`, see below; `axis`,
  `edge_order` 1 and 2; a tuple of outputs for several axes), `unwrap`;
- integrals and sums: `trapezoid` (`y`, `x` or `dx`, `axis`), `cumulative_sum`,
  `cumulative_prod` (NumPy >= 2.1; correct where entries are zero);
- `interp` (`x`, `xp`, `fp`, `left`, `right`; with `period`: `x`, `xp` and `fp`).

Conventions:

- Only positional arguments are differentiated (the rulescore contract): `np.diff(a,
  prepend=p)` or `np.trapezoid(y, dx=0.5)` hold `p` and `0.5` constant. Integer options
  (`n`, `axis`, `edge_order`) get `NoTangent()`.
- `interp`: inside `[xp[0], xp[-1]]` the derivative in `x` is the slope of the segment
  `xp[j] <= x < xp[j+1]` (the right derivative at a knot, the left one at `xp[-1]`); outside,
  the constant `left`/`right` (default `fp[0]`/`fp[-1]`) gets the cotangent and `x` none.
  `xp` must increase strictly. Its `period` argument gets `NotImplemented`.
- `unwrap` adds multiples of the period that are constant away from the jumps it removes, so
  its derivative is the identity (and zero in `discont`).
- `gradient` with coordinate arrays: `f` is differentiated (the operator is linear in `f`
  for any spacing), the coordinates get `NotImplemented`.
- `cumulative_prod`: the derivative in an entry is the product of the others, found by
  division before the first zero of a lane and by a second product at that zero (zero after
  it).

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.diff, np.array([1.0, 4.0, 9.0]))
>>> back(np.array([1.0, 1.0]))[1]
array([-1.,  0.,  1.])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to, zero_output
from rulescore import (
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# Helpers: indices along an axis, the adjoints of diff and cumsum


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
    call = Call(np.diff, args, kwargs)
    a, n, axis = call.get("a"), call.get("n", 1), call.get("axis", -1)
    prepend, append = call.get("prepend"), call.get("append")
    project_a, project_prepend, project_append = (
        project_to(a),
        project_to(prepend),
        project_to(append),
    )
    y = np.diff(*args, **kwargs)
    ndim = np.ndim(a)
    before = _extension_length(prepend, ndim, axis) if n else 0
    after = _extension_length(append, ndim, axis) if n else 0

    def diff_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
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
    call = Call(np.diff, args, kwargs)
    y = np.diff(*args, **kwargs)
    names = ("a", "prepend", "append")
    dargs = {name: call.tangent(tangents, name) for name in names}
    if all(is_zero(dargs[name]) for name in names):
        return zero_output(y)
    extensions = {
        name: dense(dargs[name], call.get(name)) for name in names[1:] if name in call.arguments
    }
    da = dense(dargs["a"], call.get("a"))
    dy = np.diff(da, call.get("n", 1), call.get("axis", -1), **extensions)
    return y, ProjectTo(y)(dy)


@rrule.register(np.ediff1d)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.ediff1d, args, kwargs)
    ary, to_end, to_begin = call.get("ary"), call.get("to_end"), call.get("to_begin")
    project_ary, project_end, project_begin = (
        project_to(ary),
        project_to(to_end),
        project_to(to_begin),
    )
    y = np.ediff1d(*args, **kwargs)
    before = 0 if to_begin is None else np.size(to_begin)
    after = 0 if to_end is None else np.size(to_end)

    def ediff1d_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
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
    call = Call(np.ediff1d, args, kwargs)
    y = np.ediff1d(*args, **kwargs)
    names = ("ary", "to_end", "to_begin")
    dargs = {name: call.tangent(tangents, name) for name in names}
    if all(is_zero(dargs[name]) for name in names):
        return zero_output(y)
    ends = {
        name: None if call.get(name) is None else dense(dargs[name], call.get(name))
        for name in names[1:]
    }
    dy = np.ediff1d(dense(dargs["ary"], call.get("ary")), **ends)
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
    project_f = project_to(f)
    out = np.gradient(f, *varargs, axis=axis, edge_order=edge_order)
    axes, spacings = _gradient_setup(f, varargs, axis)
    outs = (out,) if len(axes) == 1 else out
    project_spacing = [project_to(h) for h in varargs]

    def gradient_pullback(dout: Any) -> tuple[Any, ...]:
        dout = unthunk(dout)
        douts = [unthunk(d) for d in ((dout,) if len(axes) == 1 or is_zero(dout) else dout)]
        if len(douts) != len(axes):
            douts = douts * len(axes)
        df: Any = ZeroTangent()
        dspacings: list[Any] = [ZeroTangent()] * len(axes)
        for k, (ax, h, g, y) in enumerate(zip(axes, spacings, douts, outs, strict=True)):
            if is_zero(g):
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
    if is_zero(df) and all(is_zero(d) for d in dvarargs):
        return zero_output(out)
    if any(np.ndim(h) > 0 and not is_zero(d) for h, d in zip(varargs, dvarargs, strict=True)):
        return out, not_implemented("np.gradient: the derivative in coordinates")
    if len(dvarargs) == 1 and len(axes) > 1:
        dvarargs = dvarargs * len(axes)
    douts = np.gradient(dense(df, f), *varargs, axis=axis, edge_order=edge_order)
    douts = [douts] if len(axes) == 1 else list(douts)
    outs = [out] if len(axes) == 1 else list(out)
    for k, dh in enumerate(dvarargs):
        if not is_zero(dh):
            douts[k] = douts[k] - outs[k] * (dh / spacings[k])
    dout = douts[0] if len(axes) == 1 else tuple(douts)
    return out, ProjectTo(out)(dout)


# ---------------------------------------------------------------------------------------------
# unwrap: the identity away from the jumps


@rrule.register(np.unwrap)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.unwrap, args, kwargs)
    project_p, project_discont = project_to(call.get("p")), project_to(call.get("discont"))

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
        call = Call(np.trapezoid, args, kwargs)
        y, x, dx, axis = call.get("y"), call.get("x"), call.get("dx", 1.0), call.get("axis", -1)
        project_y, project_x, project_dx = project_to(y), project_to(x), project_to(dx)
        integral = np.trapezoid(*args, **kwargs)
        ndim = np.ndim(y)
        widths, means = _trapezoid_widths(x, dx, ndim, axis), _trapezoid_means(y, axis)

        def trapezoid_pullback(dintegral: Any) -> tuple[Any, ...]:
            dintegral = unthunk(dintegral)
            if is_zero(dintegral):
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
        call = Call(np.trapezoid, args, kwargs)
        y, x, dx, axis = call.get("y"), call.get("x"), call.get("dx", 1.0), call.get("axis", -1)
        integral = np.trapezoid(*args, **kwargs)
        dy, dx_, ddx = (call.tangent(tangents, name) for name in ("y", "x", "dx"))
        ndim = np.ndim(y)
        dintegral: Any = ZeroTangent()
        if not is_zero(dy):
            dintegral = np.sum(
                _trapezoid_widths(x, dx, ndim, axis) * _trapezoid_means(dy, axis), axis
            )
        dwidths = ddx if x is None or is_zero(dx_) else _trapezoid_widths(dx_, None, ndim, axis)
        if x is not None and is_zero(dx_):
            dwidths = dx_
        if not is_zero(dwidths):
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
        project_x = project_to(x)
        y = np.cumulative_sum(x, **kwargs)
        axis, initial = _cumulative_setup(x, kwargs)

        def cumulative_sum_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if is_zero(dy):
                return NoTangent(), project_x(dy)
            if initial:
                dy = dy[_along(axis, dy.ndim, slice(1, None))]
            return NoTangent(), project_x(_reverse_cumsum(dy, axis))

        return y, cumulative_sum_pullback

    @frule.register(np.cumulative_sum)
    def _(tangents: Any, x: Any, **kwargs: Any) -> Any:
        y = np.cumulative_sum(x, **kwargs)
        dx = unthunk(tangents[1])
        if is_zero(dx):
            return zero_output(y)
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
        project_x = project_to(x)
        y = np.cumulative_prod(x, **kwargs)
        axis, initial = _cumulative_setup(x, kwargs)
        products = y[_along(axis, y.ndim, slice(1, None))] if initial else y
        x_ = np.asarray(x, dtype=products.dtype)
        index, first, safe, skipping = _cumprod_parts(x_, axis)
        products = np.moveaxis(products, axis, -1)

        def cumulative_prod_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if is_zero(dy):
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
        if is_zero(dx):
            return zero_output(y)
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
    call = Call(np.interp, args, kwargs)
    x, xp, fp = call.get("x"), call.get("xp"), call.get("fp")
    left, right, period = call.get("left"), call.get("right"), call.get("period")
    projects = {name: project_to(call.get(name)) for name in ("x", "xp", "fp", "left", "right")}
    y = np.interp(*args, **kwargs)
    if period is None:
        parts, source = _Interpolation(x, xp, fp), None
    else:
        left = right = None
        x_mod, xp_ext, fp_ext, source = _periodic(x, xp, fp, period)
        parts = _Interpolation(x_mod, xp_ext, fp_ext)

    def interp_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
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
    call = Call(np.interp, args, kwargs)
    x, xp, fp = call.get("x"), call.get("xp"), call.get("fp")
    left, right, period = call.get("left"), call.get("right"), call.get("period")
    y = np.interp(*args, **kwargs)
    names = ("x", "xp", "fp", "left", "right", "period")
    d = {name: call.tangent(tangents, name) for name in names}
    if all(is_zero(d[name]) for name in names):
        return zero_output(y)
    if not is_zero(d["period"]):
        return y, not_implemented("np.interp: the derivative in period")
    dx, dxp, dfp = dense(d["x"], x), dense(d["xp"], xp), dense(d["fp"], fp)
    if period is None:
        parts = _Interpolation(x, xp, fp)
    else:
        x_mod, xp_ext, fp_ext, source = _periodic(x, xp, fp, period)
        parts, dxp, dfp = _Interpolation(x_mod, xp_ext, fp_ext), dxp[source], dfp[source]
        left = right = None
    dleft = dfp[0] if left is None else dense(d["left"], left)
    dright = dfp[-1] if right is None else dense(d["right"], right)
    return y, ProjectTo(y)(parts.pushforward(dx, dxp, dfp, dleft, dright))
