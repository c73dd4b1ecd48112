"""Rules for `scipy.stats`, one module per kind of distribution.

- `continuous`: `logpdf`, `pdf`, `logcdf`, `cdf`, `sf`, `logsf` of `norm`, `t`, `gamma`,
  `beta`, `chi2`, `expon`, `laplace`, `logistic`, `cauchy`, `lognorm`, `uniform`;
- `discrete`: `logpmf`, `pmf`, `logcdf`, `cdf`, `sf`, `logsf` of `poisson`, `binom`, `nbinom`;
- `multivariate`: `logpdf`, `pdf` of `multivariate_normal` and `dirichlet`.

Imported lazily, once the user's code imported `scipy.stats` (see `rules.scipy`).
"""

from rules.scipy.stats import continuous, discrete, frozen, multivariate

__all__ = ["continuous", "discrete", "frozen", "multivariate"]
