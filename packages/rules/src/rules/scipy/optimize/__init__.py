"""Rules for scipy.optimize, by the implicit function theorem (registered when SciPy's
`scipy.optimize` is imported; see `rules.scipy`).

- `scalar_roots`: `brentq`, `brenth`, `ridder`, `bisect`, `toms748`, `newton`, `root_scalar`;
- `roots`: `root`, `fixed_point`;
- `minimizers`: `minimize`, `minimize_scalar`, `least_squares`;
- `results`: reading an `OptimizeResult`'s fields as attributes.
"""

from rules.scipy.optimize import minimizers, results, roots, scalar_roots

__all__ = ["minimizers", "results", "roots", "scalar_roots"]
