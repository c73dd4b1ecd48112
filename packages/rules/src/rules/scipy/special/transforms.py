"""Rules for the Box-Cox transforms of `scipy.special`.

Both rules (frule and rrule) for, in both arguments (real):

- `boxcox(x, lmbda) = (x**lmbda - 1) / lmbda` (`log(x)` at `lmbda == 0`) and
  `boxcox1p(x, lmbda)` (the same of `1 + x`);
- `inv_boxcox(y, lmbda) = (1 + lmbda y)**(1/lmbda)` (`exp(y)` at `lmbda == 0`) and
  `inv_boxcox1p(y, lmbda)` (the same minus 1).

The derivatives in `lmbda` are differences of nearly equal terms when `lmbda` is small; they
are written as `L² g(lmbda L)` (with `L = log(x)`) and `x y² h(lmbda y)` where `g` and `h`
are evaluated by their Taylor series near 0, so that they are accurate for every `lmbda`,
`lmbda == 0` included (`d/dlmbda boxcox(x, 0) == log(x)² / 2`,
`d/dlmbda inv_boxcox(y, 0) == -exp(y) y² / 2`). Outside the domain (`x <= 0`,
`1 + lmbda y <= 0`) the derivatives are whatever the formulas give (inf or NaN), without
warnings.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy.special import boxcox, boxcox1p, inv_boxcox, inv_boxcox1p

from rulescore import scalar_rule

__all__: list[str] = []


def _quiet() -> Any:
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _horner(coefficients: tuple[float, ...], t: Any) -> Any:
    total = np.zeros_like(t)
    for c in reversed(coefficients):
        total = total * t + c
    return total


# g(t) = (t e^t - expm1(t)) / t² = Σ_{n>=2} (n - 1)/n! t^(n-2)
_G_SERIES = tuple((n - 1) / math.factorial(n) for n in range(2, 14))
# h(s) = (s/(1 + s) - log1p(s)) / s² = Σ_{n>=2} (-1)^(n+1) (n - 1)/n s^(n-2)
_H_SERIES = tuple((-1) ** (n + 1) * (n - 1) / n for n in range(2, 16))
_SMALL = 0.05


def _g(t: Any) -> Any:
    t = np.asarray(t)
    small = np.abs(t) < _SMALL
    safe = np.where(small, 1.0, t)
    with _quiet():
        direct = (safe * np.exp(safe) - np.expm1(safe)) / np.square(safe)
    return np.where(small, _horner(_G_SERIES, np.where(small, t, 0.0)), direct)


def _h(s: Any) -> Any:
    s = np.asarray(s)
    small = np.abs(s) < _SMALL
    safe = np.where(small, 1.0, s)
    with _quiet():
        direct = (safe / (1 + safe) - np.log1p(safe)) / np.square(safe)
    return np.where(small, _horner(_H_SERIES, np.where(small, s, 0.0)), direct)


# ---------------------------------------------------------------------------------------------
# boxcox, boxcox1p: y = (exp(lmbda L) - 1) / lmbda with L = log(x), log1p(x)


def _boxcox_dlmbda(log_x: Any, lmbda: Any) -> Any:
    # d/dlmbda (e^(lmbda L) - 1)/lmbda = L² g(lmbda L)
    with _quiet():
        return np.square(log_x) * _g(np.multiply(lmbda, log_x))


def _boxcox_dx(x: Any, lmbda: Any, y: Any) -> Any:
    with _quiet():
        return np.float_power(x, np.subtract(lmbda, 1))


def _boxcox1p_dx(x: Any, lmbda: Any, y: Any) -> Any:
    with _quiet():
        return np.exp(np.subtract(lmbda, 1) * np.log1p(x))


def _log(x: Any) -> Any:
    with _quiet():
        return np.log(x)


def _log1p(x: Any) -> Any:
    with _quiet():
        return np.log1p(x)


scalar_rule(boxcox, _boxcox_dx, lambda x, lmbda, y: _boxcox_dlmbda(_log(x), lmbda))
scalar_rule(boxcox1p, _boxcox1p_dx, lambda x, lmbda, y: _boxcox_dlmbda(_log1p(x), lmbda))


# ---------------------------------------------------------------------------------------------
# inv_boxcox, inv_boxcox1p: u = exp(log1p(lmbda y) / lmbda), x = u (inv_boxcox), u - 1


def _inv_boxcox_dy(u: Any, y: Any, lmbda: Any) -> Any:
    # du/dy = (1 + lmbda y)**(1/lmbda - 1) = u / (1 + lmbda y)
    with _quiet():
        return u / (1 + np.multiply(lmbda, y))


def _inv_boxcox_dlmbda(u: Any, y: Any, lmbda: Any) -> Any:
    # du/dlmbda = u (lmbda y/(1 + lmbda y) - log1p(lmbda y)) / lmbda² = u y² h(lmbda y)
    with _quiet():
        return u * np.square(y) * _h(np.multiply(lmbda, y))


scalar_rule(
    inv_boxcox,
    lambda y, lmbda, x: _inv_boxcox_dy(x, y, lmbda),
    lambda y, lmbda, x: _inv_boxcox_dlmbda(x, y, lmbda),
)
scalar_rule(
    inv_boxcox1p,
    lambda y, lmbda, x: _inv_boxcox_dy(x + 1, y, lmbda),
    lambda y, lmbda, x: _inv_boxcox_dlmbda(x + 1, y, lmbda),
)
