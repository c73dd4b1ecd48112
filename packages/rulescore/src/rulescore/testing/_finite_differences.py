"""Finite differences with an error bound: the reference that rules are checked against.

`central_fdm(order)` builds a `FiniteDifferenceMethod`, which differentiates a function of
one real variable with an adaptive step and Richardson extrapolation and says how far off
the estimate may be. `jvp`, `vjp`, `grad` and `jacobian` apply it to functions of any
primals, through the vectors of `flatten`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from rulescore.testing._flatten import (
    Vector,
    flatten,
    flatten_tangent,
    unflatten_tangent,
    working_eps,
)

__all__ = [
    "Estimate",
    "FiniteDifferenceMethod",
    "Result",
    "central_fdm",
    "grad",
    "jacobian",
    "jvp",
    "vjp",
]

_EPS64 = float(np.finfo(np.float64).eps)
Matrix = npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Estimate:
    """`Estimate(value, error)`: a derivative and a bound on its absolute error, entry by entry.

    `error` has `value`'s shape and is >= 0; it bounds the error as long as the function is
    smooth at the scale of the steps and computed to about its working precision.

    >>> import numpy as np
    >>> Estimate(np.array([1.0]), np.array([1e-12])).error
    array([1.e-12])
    """

    value: npt.NDArray[np.float64]
    error: npt.NDArray[np.float64]


@dataclasses.dataclass(frozen=True)
class Result:
    """`Result(value, error)`: a derivative of any structure and a bound on its error.

    `value` is a tangent (`jvp`), a tuple of cotangents (`vjp`, `grad`) or a tuple of
    matrices (`jacobian`); `error` bounds the absolute error of every entry of its flattened
    form (`flatten_tangent`).

    >>> Result((2.0,), 1e-12).value
    (2.0,)
    """

    value: Any
    error: float


@dataclasses.dataclass(frozen=True)
class FiniteDifferenceMethod:
    """`FiniteDifferenceMethod(grid, factor=1.0, max_step=0.1)`: first derivatives on a grid.

    Calling `method(g, t0, eps=...)` estimates `g'(t0)` for `g`, a function from a float to
    a real vector (or a number), from values of `g` at `t0 + j*h` for `j` in `grid`, with
    weights found in exact arithmetic. The step `h` balances the truncation error
    `C * M * h**(p-1)` (`p = len(grid)`, `M` bounds `|g^(p)|` near `t0`, estimated with a
    difference of order `p` at a coarser step) against the round-off error `W * noise / h`
    (`W` the sum of the absolute weights, `noise = factor * eps * (|g| + input_scale * |g'|)`,
    so `factor` is how many units of `eps` each value of `g` is off by, and `input_scale`, by
    default `|t0|`, counts the rounding of the inputs that `g` perturbs), capped at
    `max_step`. Richardson extrapolation then combines the estimates at `h` and `h/2`; the
    error bound is the distance from the extrapolation to the finer estimate plus the
    round-off bound of the extrapolation. `eps` is the machine epsilon of the precision `g`
    computes in (pass float32's for a float32 function). One call evaluates `g`
    `len(grid) + 4` times for the step and up to `2 * len(grid) - 2` times for the estimate,
    all within `max(|j|) * max_step` of `t0`, so `g` must be defined and smooth there.

    >>> import numpy as np
    >>> estimate = central_fdm(5)(np.exp, 1.0)
    >>> bool(abs(estimate.value - np.e) <= estimate.error < 1e-11)
    True

    See also: `central_fdm`, `jvp`, `vjp`.
    """

    grid: tuple[int, ...]
    factor: float = 1.0
    max_step: float = 0.1

    def __post_init__(self) -> None:
        p = len(self.grid)
        if p < 2 or len(set(self.grid)) != p:
            raise ValueError(f"the grid needs at least 2 distinct points, got {self.grid}")
        if not (self.factor > 0 and self.max_step > 0):
            raise ValueError("factor and max_step must be positive")

    def __call__(
        self,
        g: Callable[[float], Any],
        t0: float = 0.0,
        *,
        eps: float = _EPS64,
        input_scale: float | None = None,
    ) -> Estimate:
        p = len(self.grid)
        plan = _plan(self.grid)
        scale = abs(t0) if input_scale is None else input_scale
        # The coarse step balances the O(H^2) truncation of the `g^(p)` estimates with their
        # noise/H^p, and keeps the wider coarse window within the reach of the finest grid.
        coarse_step = min(
            self.max_step * plan.reach / plan.coarse_reach,
            (eps * max(1.0, scale)) ** (1 / (p + 2)),
        )
        shape, coarse = _evaluate(g, t0, coarse_step * plan.coarse_points)
        magnitude = np.max(np.abs(coarse), axis=0)
        slope = np.abs(plan.coarse_slope @ coarse) / coarse_step
        bound = np.abs(plan.coarse_bound @ coarse).max(axis=0, initial=0.0) / coarse_step**p
        noise = self.factor * eps * (magnitude + scale * slope)

        step = self._step(float(bound.max(initial=0.0)), float(noise.max(initial=0.0)), coarse_step)
        _, fine = _evaluate(g, t0, (step / 2) * plan.fine_points)
        magnitude = np.maximum(magnitude, np.max(np.abs(fine), axis=0))
        # Differences from g(t0) make the derivative of a constant entry exactly zero.
        fine -= coarse[plan.centre]
        value = plan.extrapolated @ fine / step
        finer = plan.halved @ fine / step
        slope = np.maximum(slope, np.abs(value))
        noise = self.factor * eps * (magnitude + scale * slope)
        error = np.abs(value - finer) + plan.extrapolated_norm * noise / step
        return Estimate(value.reshape(shape), error.reshape(shape))

    def _step(self, bound: float, noise: float, fallback: float) -> float:
        """The step minimising `C * bound * h**(p-1) + W * noise / h`, at most `max_step`."""
        p = len(self.grid)
        plan = _plan(self.grid)
        if not (math.isfinite(bound) and math.isfinite(noise)):
            return fallback
        if bound == 0.0 or noise == 0.0:
            # A polynomial of degree < p (any step is exact) or a function that is zero.
            return self.max_step
        step = float((plan.norm * noise / ((p - 1) * plan.truncation * bound)) ** (1 / p))
        return min(step, self.max_step)


def central_fdm(
    order: int = 5, *, factor: float = 1.0, max_step: float = 0.1
) -> FiniteDifferenceMethod:
    """`central_fdm(order=5, *, factor=1.0, max_step=0.1)`: the central method on `order` points.

    `order` is the number of grid points `-k..k` (odd, >= 3); the truncation error of one
    difference is `O(h**(order-1))`, `O(h**(order+1))` after extrapolation. See
    `FiniteDifferenceMethod` for `factor` and `max_step`.

    >>> method = central_fdm(3)
    >>> method.grid
    (-1, 0, 1)
    >>> float(method(lambda t: t**3, 2.0).value)
    12.0
    """
    if order < 3 or order % 2 == 0:
        raise ValueError(f"a central method needs an odd order >= 3, got {order}")
    k = order // 2
    return FiniteDifferenceMethod(tuple(range(-k, k + 1)), factor=factor, max_step=max_step)


_DEFAULT_METHOD = central_fdm(5)


def jvp(
    f: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    *,
    method: FiniteDifferenceMethod | None = None,
    eps: float | None = None,
) -> Result:
    """`jvp(f, primals, tangents, *, method=None, eps=None)`: the derivative of `f` along them.

    `value` is the tangent of `y = f(*primals)` in direction `tangents` (one per primal,
    zeros allowed), structured as `unflatten_tangent(y, ...)`; `error` bounds its entries'
    error. `f` is called on rebuilt copies of the primals, whose dtypes are kept. `eps`
    defaults to the `working_eps` of the primals or of the output, whichever is larger. The
    input rounding is counted as for an elementwise `f`; a function whose partials cancel
    along the tangent may get a looser bound.

    >>> import numpy as np
    >>> result = jvp(np.multiply, (2.0, np.array([1.0, 3.0])), (1.0, np.zeros(2)))
    >>> np.round(result.value, 9), result.error < 1e-10
    (array([1., 3.]), True)

    See also: `vjp`, `central_fdm`.
    """
    method = method or _DEFAULT_METHOD
    primals = tuple(primals)
    x, unflatten = flatten(primals)
    dx = flatten_tangent(primals, tuple(tangents))
    y = f(*unflatten(x))
    # The least precise of inputs and output limits the differences.
    eps = max(working_eps(primals), working_eps(y)) if eps is None else eps
    size = float(np.max(np.abs(dx), initial=0.0))
    if size == 0.0:
        return Result(unflatten_tangent(y, np.zeros_like(flatten(y)[0])), 0.0)
    # A unit-size direction keeps the step choice independent of the tangent's magnitude.
    direction = dx / size
    moved = direction != 0
    ratios = np.abs(x[moved]) / np.abs(direction[moved])
    # A nan or infinite input entry says nothing about the step: leave it out of the scale.
    input_scale = float(np.max(ratios, where=np.isfinite(ratios), initial=0.0))

    def along(t: float) -> Vector:
        return flatten(f(*unflatten(x + t * direction)))[0]

    estimate = method(along, 0.0, eps=eps, input_scale=input_scale)
    error = size * float(estimate.error.max(initial=0.0))
    return Result(unflatten_tangent(y, size * estimate.value), error)


def vjp(
    f: Callable[..., Any],
    dy: Any,
    primals: Sequence[Any],
    *,
    method: FiniteDifferenceMethod | None = None,
    eps: float | None = None,
) -> Result:
    """`vjp(f, dy, primals, *, method=None, eps=None)`: the cotangents of `primals` for `dy`.

    `value` is a tuple with one cotangent per primal (`NoTangent()` for one without
    differentiable entries), `J.T @ flatten_tangent(y, dy)` where `J` is the real Jacobian of
    the flattened `f`, found column by column; for complex numbers this is the convention
    `dL/dRe + i dL/dIm` (`conj(f'(z)) * dy` for a holomorphic `f`). `error` bounds each
    entry's error by `|J_error|.T @ |dy|`. `eps` is as for `jvp`.

    >>> result = vjp(lambda z: z**2, 1.0, (1.0 + 2.0j,))
    >>> complex(round(result.value[0].real, 9), round(result.value[0].imag, 9))
    (2-4j)

    See also: `jvp`, `grad`, `jacobian`.
    """
    primals = tuple(primals)
    y, columns, column_errors = _jacobian(f, primals, method, eps)
    dy_vector = flatten_tangent(y, dy)
    cotangent = columns.T @ dy_vector
    error = np.abs(column_errors).T @ np.abs(dy_vector)
    return Result(_split(primals, cotangent), float(error.max(initial=0.0)))


def grad(
    f: Callable[..., Any],
    *primals: Any,
    method: FiniteDifferenceMethod | None = None,
    eps: float | None = None,
) -> Result:
    """`grad(f, *primals, method=None, eps=None)`: the gradients of a real-valued `f`.

    `f(*primals)` must have exactly one real entry (a float, a real NumPy scalar, a size-1
    real array); `value` is a tuple with one gradient per primal, as `vjp` with `dy = 1`.

    >>> import numpy as np
    >>> result = grad(lambda x, a: np.sum(a * x**2), np.array([1.0, 2.0]), 3.0)
    >>> [np.round(g, 8) for g in result.value]
    [array([ 6., 12.]), np.float64(5.0)]
    """
    primals = tuple(primals)
    y, columns, column_errors = _jacobian(f, primals, method, eps)
    if columns.shape[0] != 1 or np.iscomplexobj(y):
        raise ValueError(f"grad needs f to return one real number, got {type(y).__name__}")
    return Result(_split(primals, columns[0]), float(column_errors.max(initial=0.0)))


def jacobian(
    f: Callable[..., Any],
    *primals: Any,
    method: FiniteDifferenceMethod | None = None,
    eps: float | None = None,
) -> Result:
    """`jacobian(f, *primals, method=None, eps=None)`: the Jacobians of the flattened `f`.

    `value` has one float64 matrix per primal, of shape `(size of flatten(y), size of
    flatten(primal))`: entry `[i, j]` is the derivative of output entry `i` in input entry
    `j`. `error` bounds every entry's error.

    >>> import numpy as np
    >>> result = jacobian(lambda x: x**2, np.array([1.0, 2.0]))
    >>> np.round(result.value[0], 8)
    array([[2., 0.],
           [0., 4.]])
    """
    primals = tuple(primals)
    _, columns, column_errors = _jacobian(f, primals, method, eps)
    sizes = [flatten(primal)[0].size for primal in primals]
    blocks = np.split(columns, np.cumsum(sizes)[:-1], axis=1)
    return Result(tuple(blocks), float(column_errors.max(initial=0.0)))


def _jacobian(
    f: Callable[..., Any],
    primals: tuple[Any, ...],
    method: FiniteDifferenceMethod | None,
    eps: float | None,
) -> tuple[Any, Matrix, Matrix]:
    """`y = f(*primals)`, the Jacobian of the flattened `f` and its error bound."""
    method = method or _DEFAULT_METHOD
    x, unflatten = flatten(primals)
    y = f(*unflatten(x))
    eps = max(working_eps(primals), working_eps(y)) if eps is None else eps
    columns = np.empty((flatten(y)[0].size, x.size))
    column_errors = np.empty_like(columns)
    for j in range(x.size):

        def along_entry(t: float, j: int = j) -> Vector:
            moved = x.copy()
            moved[j] += t
            return flatten(f(*unflatten(moved)))[0]

        scale = abs(float(x[j])) if np.isfinite(x[j]) else 0.0
        estimate = method(along_entry, 0.0, eps=eps, input_scale=scale)
        columns[:, j], column_errors[:, j] = estimate.value, estimate.error
    return y, columns, column_errors


def _split(primals: tuple[Any, ...], v: Vector) -> tuple[Any, ...]:
    """The cotangents of `primals` from one vector of all their entries."""
    cotangents = []
    start = 0
    for primal in primals:
        stop = start + flatten(primal)[0].size
        cotangents.append(unflatten_tangent(primal, v[start:stop]))
        start = stop
    return tuple(cotangents)


def _evaluate(
    g: Callable[[float], Any], t0: float, offsets: Vector
) -> tuple[tuple[int, ...], Matrix]:
    """The shape of `g`'s output and its values at `t0 + offsets`, one row per offset."""
    rows: list[Vector] = []
    shape: tuple[int, ...] = ()
    for offset in offsets:
        out = np.asarray(g(t0 + float(offset)))
        if out.dtype.kind == "c":
            raise TypeError("g must return real numbers: flatten complex outputs first")
        if rows and out.size != rows[0].size:
            raise ValueError(
                f"the function's output changed structure between evaluations ({rows[0].size} "
                f"numbers, then {out.size}): finite differences need an output whose shape "
                "does not depend on the input's values near the point"
            )
        shape = out.shape
        rows.append(out.astype(np.float64).ravel())
    return shape, np.stack(rows)


@dataclasses.dataclass(frozen=True)
class _Plan:
    """What a method needs of its grid, as float64 arrays of exactly computed weights.

    `coarse_points`: the window `min-2 .. max+2` where `g` is sampled to choose the step,
    `centre` the index of `t0` there; `reach`, `coarse_reach`: the largest `|j|` of the grid
    and of the window;
    `coarse_slope`, `coarse_bound`: the first derivative there (times the step) and the
    `p`-th derivative at three shifted centres (times the step ** p). `fine_points`: where
    `g` is sampled at half the step; `extrapolated`, `halved`: the Richardson-extrapolated
    and the half-step first derivative there (times the step). `norm`, `truncation`: `W`
    and `C` of the step formula; `extrapolated_norm`: the round-off factor of the result.
    """

    coarse_points: Vector
    centre: int
    reach: int
    coarse_reach: int
    coarse_slope: Vector
    coarse_bound: Matrix
    fine_points: Vector
    extrapolated: Vector
    halved: Vector
    norm: float
    truncation: float
    extrapolated_norm: float


@functools.cache
def _plan(grid: tuple[int, ...]) -> _Plan:
    p = len(grid)
    coefs = _weights(grid, 1)
    window = list(range(min(grid) - 2, max(grid) + 3))
    wide = tuple(range(min(grid) - 1, max(grid) + 2))
    wide_coefs = _weights(wide, p)
    bound_rows = []
    for shift in (-1, 0, 1):
        row = dict.fromkeys(window, Fraction(0))
        for j, w in zip(wide, wide_coefs, strict=True):
            row[j + shift] += w
        bound_rows.append([row[j] for j in window])
    slope = dict.fromkeys(window, Fraction(0))
    slope.update(zip(grid, coefs, strict=True))

    # Half-step points m * h/2: the step-h difference uses m = 2j, the step-h/2 one m = j.
    # Richardson: (2**(p-1) * D(h/2) - D(h)) / (2**(p-1) - 1) cancels the h**(p-1) term.
    coarse = dict.fromkeys(range(2 * min(grid), 2 * max(grid) + 1), Fraction(0))
    halved = dict(coarse)
    for j, w in zip(grid, coefs, strict=True):
        coarse[2 * j] += w
        halved[j] += 2 * w
    gain = Fraction(2) ** (p - 1)
    extrapolated = {m: (gain * halved[m] - coarse[m]) / (gain - 1) for m in coarse}
    used = [m for m in coarse if extrapolated[m] != 0 or halved[m] != 0]
    return _Plan(
        coarse_points=np.array(window, dtype=np.float64),
        centre=window.index(0),
        reach=max(abs(j) for j in grid),
        coarse_reach=max(abs(j) for j in window),
        coarse_slope=np.array([float(slope[j]) for j in window]),
        coarse_bound=np.array(bound_rows, dtype=np.float64),
        fine_points=np.array(used, dtype=np.float64),
        extrapolated=np.array([float(extrapolated[m]) for m in used]),
        halved=np.array([float(halved[m]) for m in used]),
        norm=float(sum(abs(w) for w in coefs)),
        truncation=float(abs(sum(w * j**p for j, w in zip(grid, coefs, strict=True))))
        / math.factorial(p),
        extrapolated_norm=float(sum(abs(w) for w in extrapolated.values())),
    )


@functools.cache
def _weights(grid: tuple[int, ...], order: int) -> tuple[Fraction, ...]:
    """Exact weights `w` with `sum(w[j] * g(j*h)) / h**order -> g^(order)(0)` on `grid`.

    `w[j]` is the `order`-th derivative at 0 of the Lagrange polynomial that is 1 at `j` and
    0 at the other points, which solves the Vandermonde system of the grid exactly.
    """
    weights = []
    for j in grid:
        poly = [Fraction(1)]  # coefficients of prod((t - i) / (j - i)), lowest power first
        for i in grid:
            if i != j:
                shifted = [Fraction(0), *poly]
                poly = [
                    (a - i * b) / (j - i)
                    for a, b in zip(shifted, [*poly, Fraction(0)], strict=True)
                ]
        weights.append(math.factorial(order) * poly[order] if order < len(poly) else Fraction(0))
    return tuple(weights)
