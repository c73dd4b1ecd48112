"""Rules for NumPy's window functions with a differentiable shape parameter: `kaiser`.

Covered, with an rrule and an frule: `kaiser(M, beta)`, in `beta`. With `s_n = sqrt(1 -
((n - α) / α)²)`, `α = (M - 1) / 2`, the window is `w_n = I0(β s_n) / I0(β)`, so

    dw_n / dβ = s_n I1(β s_n) / I0(β) - w_n I1(β) / I0(β),

evaluated with the exponentially scaled `i0e`, `i1e` of `scipy.special` (imported when the
rule runs), so that no ratio of large Bessel values is formed. `M` is a length (`NoTangent()`);
`M == 1` gives `[1.0]`, whose derivative is zero.

The other windows (`bartlett`, `blackman`, `hamming`, `hanning`) depend on their length
only and are declared non-differentiable in `rules.numpy.nondifferentiable`.

>>> import numpy as np
>>> from rulescore import rrule
>>> y, back = rrule(np.kaiser, 3, 2.0)
>>> float(back(np.array([0.0, 1.0, 0.0]))[2])  # the centre is always 1
0.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy._arguments import is_zero, zero_output
from rulescore import NoTangent, ProjectTo, frule, rrule, unthunk

__all__: list[str] = []


def _kaiser_derivative(m: Any, beta: Any, y: Any) -> Any:
    """`dw / dβ` for `w = kaiser(M, β)`; `y` is the window."""
    from scipy.special import i0e, i1e  # SciPy is imported when the rule runs

    m, beta = float(m), float(beta)
    if m == 1:
        return np.zeros(1)
    alpha = (m - 1) / 2
    s = np.sqrt(1 - ((np.arange(0, m) - alpha) / alpha) ** 2)
    # I1(βs)/I0(β) = i1e(βs)/i0e(β) exp(|β|(s - 1)), with i·e(x) = i·(x) exp(-|x|)
    return (s * i1e(beta * s) * np.exp(abs(beta) * (s - 1)) - y * i1e(beta)) / i0e(beta)


@rrule.register(np.kaiser)
def _(m: Any, beta: Any) -> Any:
    project_beta = ProjectTo(beta)
    y = np.kaiser(m, beta)

    def kaiser_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return NoTangent(), NoTangent(), project_beta(dy)
        dbeta = np.sum(_kaiser_derivative(m, beta, y) * np.asarray(dy).real)
        return NoTangent(), NoTangent(), project_beta(dbeta)

    return y, kaiser_pullback


@frule.register(np.kaiser)
def _(tangents: Any, m: Any, beta: Any) -> Any:
    y = np.kaiser(m, beta)
    dbeta = unthunk(tangents[2])
    if is_zero(dbeta):
        return zero_output(y)
    return y, ProjectTo(y)(_kaiser_derivative(m, beta, y) * dbeta)
