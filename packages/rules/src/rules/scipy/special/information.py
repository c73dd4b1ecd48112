"""Rules for the information-theory and robust-loss functions of `scipy.special`.

Both rules (frule and rrule) for, in every argument:

- `xlogy(x, y) = x log(y)`, `xlog1py(x, y) = x log1p(y)`: real and complex (holomorphic);
- `entr(x) = -x log(x)`, `rel_entr(x, y) = x log(x/y)`, `kl_div(x, y) = x log(x/y) - x + y`:
  real;
- `huber(delta, r)`, `pseudo_huber(delta, r)`: real, in `delta` too.

Conventions at singular points (no warnings are raised there):

- `xlogy`, `xlog1py` at `x == 0` (where SciPy returns 0 whatever `y`): `d/dx` is `log(y)`
  (`log1p(y)`), `-inf` if `y == 0` (`-1`); `d/dy` is 0.
- `entr` at 0: `+inf` (the one-sided derivative); `rel_entr` and `kl_div` at `x == 0 < y`:
  `d/dx == -inf` (one-sided), `d/dy` is that of the value there (`0` and `1`); outside their
  domains (where the value is `±inf`: `x < 0`, or `x > 0 >= y`) the derivatives are NaN.
- `huber` is continuously differentiable (its pieces meet with equal slopes at
  `|r| == delta`); `pseudo_huber` uses `d/ddelta = (h - delta)² / h`, `h = hypot(delta, r)`,
  written without cancellation; both derivatives are 0 at `delta == r == 0`. For
  `delta < 0` (value `inf`) the derivatives are NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import entr, huber, kl_div, pseudo_huber, rel_entr, xlog1py, xlogy

from rulescore import scalar_rule

__all__: list[str] = []


def _quiet() -> Any:
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _times_zero_at_zero(x: Any, t: Any) -> Any:
    """`x * t`, 0 where `x == 0` (even where `t` is infinite or NaN)."""
    return np.where(np.equal(x, 0), 0, np.multiply(x, t))


# ---------------------------------------------------------------------------------------------
# xlogy, xlog1py


def _xlogy_dx(x: Any, y: Any, z: Any) -> Any:
    with _quiet():
        return np.log(y)


def _xlogy_dy(x: Any, y: Any, z: Any) -> Any:
    with _quiet():
        return _times_zero_at_zero(x, np.reciprocal(y))


def _xlog1py_dx(x: Any, y: Any, z: Any) -> Any:
    with _quiet():
        return np.log1p(y)


def _xlog1py_dy(x: Any, y: Any, z: Any) -> Any:
    with _quiet():
        return _times_zero_at_zero(x, np.reciprocal(np.add(y, 1)))


scalar_rule(xlogy, _xlogy_dx, _xlogy_dy)
scalar_rule(xlog1py, _xlog1py_dx, _xlog1py_dy)


# ---------------------------------------------------------------------------------------------
# entr, rel_entr, kl_div


def _entr_dx(x: Any, y: Any) -> Any:
    with _quiet():
        inside = -(np.log(x) + 1)
    return np.where(np.greater(x, 0), inside, np.where(np.equal(x, 0), np.inf, np.nan))


def _relative(x: Any, y: Any) -> tuple[Any, Any, Any]:
    """(inside the domain, at `x == 0`, `x / y`) for rel_entr and kl_div."""
    inside = np.greater(x, 0) & np.greater(y, 0)
    at_zero = np.equal(x, 0) & np.greater_equal(y, 0)
    with _quiet():
        ratio = np.divide(x, y)
    return inside, at_zero, ratio


def _log_ratio_dx(x: Any, y: Any, offset: float) -> Any:
    inside, at_zero, ratio = _relative(x, y)
    with _quiet():
        log_ratio = np.log(ratio) + offset
    edge = np.where(np.greater(y, 0), -np.inf, np.nan)
    return np.where(inside, log_ratio, np.where(at_zero, edge, np.nan))


def _rel_entr_dy(x: Any, y: Any, z: Any) -> Any:
    inside, at_zero, ratio = _relative(x, y)
    return np.where(inside, -ratio, np.where(at_zero, 0.0, np.nan))


def _kl_div_dy(x: Any, y: Any, z: Any) -> Any:
    inside, at_zero, ratio = _relative(x, y)
    return np.where(inside, 1 - ratio, np.where(at_zero, 1.0, np.nan))


scalar_rule(entr, _entr_dx)
scalar_rule(rel_entr, lambda x, y, z: _log_ratio_dx(x, y, 1.0), _rel_entr_dy)
scalar_rule(kl_div, lambda x, y, z: _log_ratio_dx(x, y, 0.0), _kl_div_dy)


# ---------------------------------------------------------------------------------------------
# huber, pseudo_huber


def _huber_ddelta(delta: Any, r: Any, y: Any) -> Any:
    # delta (|r| - delta/2) outside the quadratic piece
    outside = np.abs(r) - delta
    return np.where(np.less(delta, 0), np.nan, np.where(outside > 0, outside, 0.0))


def _huber_dr(delta: Any, r: Any, y: Any) -> Any:
    outside = np.abs(r) > delta
    slope = np.where(outside, np.multiply(delta, np.sign(r)), r)
    return np.where(np.less(delta, 0), np.nan, slope)


def _pseudo_huber_parts(delta: Any, r: Any) -> tuple[Any, Any, Any]:
    """(`h = hypot(delta, r)` with 1 where it is 0, `t = r / (h + delta)`, delta < 0)."""
    h = np.hypot(delta, r)
    safe_h = np.where(h == 0, 1.0, h)
    with _quiet():
        t = np.where(h == 0, 0.0, r / (safe_h + delta))
    return safe_h, t, np.less(delta, 0)


def _pseudo_huber_ddelta(delta: Any, r: Any, y: Any) -> Any:
    # y = delta (h - delta) with h = hypot(delta, r): dy/ddelta = (h - delta)² / h, where
    # h - delta = r² / (h + delta) = r t.
    safe_h, t, negative = _pseudo_huber_parts(delta, r)
    return np.where(negative, np.nan, (r * t) * (t * (r / safe_h)))


def _pseudo_huber_dr(delta: Any, r: Any, y: Any) -> Any:
    safe_h, _, negative = _pseudo_huber_parts(delta, r)
    return np.where(negative, np.nan, np.multiply(delta, r / safe_h))


scalar_rule(huber, _huber_ddelta, _huber_dr)
scalar_rule(pseudo_huber, _pseudo_huber_ddelta, _pseudo_huber_dr)
