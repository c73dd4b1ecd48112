"""Rules for NumPy's elementwise functions that are not ufuncs: `sinc` and `i0`.

They act entry by entry like ufuncs but are plain Python functions (no `np.ufunc` methods,
so `rules.numpy.ufuncs` does not cover them). Each is one `scalar_rule` line, its derivative
in terms of the input `x` and the output `y`:

- `sinc`: `(cos(πx) - sinc(x)) / x`, a series near 0 where that difference cancels;
- `i0`: `i0' = i1`, from `scipy.special`, imported when the rule runs.

Left out: `piecewise` (calls user functions).

>>> import numpy as np
>>> from rulescore import rrule, unthunk
>>> y, back = rrule(np.sinc, np.array([0.5, 1.0]))
>>> unthunk(back(np.ones(2))[1])  # -4/π at 1/2, -1 at 1
array([-1.27323954, -1.        ])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rulescore import scalar_rule

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# sinc, i0: derivatives in the input `x` and the output `y`


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
