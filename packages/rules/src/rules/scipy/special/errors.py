"""Rules for the error functions and the normal distribution functions of `scipy.special`.

Both rules (frule and rrule) for:

- `erf`, `erfc`, `erfcx`, `erfi`, `dawsn`, `ndtr`, `log_ndtr`: real and complex
  (holomorphic);
- `wofz` (the Faddeeva function, complex: `w'(z) = -2 z w(z) + 2i/√π`; a real argument gets
  the real part of the cotangent);
- `erfinv`, `erfcinv`, `ndtri` (real), from the output: `(f⁻¹)'(p) = 1 / f'(f⁻¹(p))`.

Conventions: `log_ndtr`'s derivative `φ(x)/Φ(x)` is computed as `√(2/π) / erfcx(-x/√2)`,
which neither overflows nor cancels for very negative `x` (where it grows like `-x`) and tends
to 0 for large `x`. The inverses have infinite derivatives at the ends of their domains
(`erfinv(±1)`, `ndtri(0)`, `ndtri(1)`), as the functions have infinite slopes there.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import (
    dawsn,
    erf,
    erfc,
    erfcinv,
    erfcx,
    erfi,
    erfinv,
    log_ndtr,
    ndtr,
    ndtri,
    wofz,
)

from rulescore import scalar_rule

__all__: list[str] = []

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_HALF_SQRT_PI = math.sqrt(math.pi) / 2
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2 = 1 / math.sqrt(2)

# np.square, not x**2: a Python float argument would raise OverflowError.
scalar_rule(erf, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(-np.square(x)))
scalar_rule(erfc, lambda x, y: -_TWO_OVER_SQRT_PI * np.exp(-np.square(x)))
scalar_rule(erfcx, lambda x, y: 2 * np.multiply(x, y) - _TWO_OVER_SQRT_PI)
scalar_rule(erfi, lambda x, y: _TWO_OVER_SQRT_PI * np.exp(np.square(x)))
scalar_rule(dawsn, lambda x, y: 1 - 2 * np.multiply(x, y))
scalar_rule(wofz, lambda z, y: _TWO_OVER_SQRT_PI * 1j - 2 * np.multiply(z, y))
scalar_rule(erfinv, lambda y, x: _HALF_SQRT_PI * np.exp(np.square(x)))
scalar_rule(erfcinv, lambda y, x: -_HALF_SQRT_PI * np.exp(np.square(x)))
scalar_rule(ndtr, lambda x, y: _INV_SQRT_2PI * np.exp(-np.square(x) / 2))
scalar_rule(ndtri, lambda p, x: _SQRT_2PI * np.exp(np.square(x) / 2))
# φ(x)/Φ(x) with Φ(x) = exp(-x²/2) erfcx(-x/√2) / 2: the Gaussian factors cancel exactly.
scalar_rule(log_ndtr, lambda x, y: _SQRT_2_OVER_PI / erfcx(np.multiply(x, -_INV_SQRT_2)))
