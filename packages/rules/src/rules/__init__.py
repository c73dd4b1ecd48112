"""rules: derivative rules for Python operators and builtins, `math`, NumPy and SciPy.

Importing this package registers its rules with `rulescore.rrule` / `rulescore.frule`;
engines import it through the `rulescore.rules` entry point. One module per namespace and
topic, each saying in its docstring what it covers:

- `rules.python`: `operator`, builtins, `math`, `cmath`;
- `rules.numpy`: ufuncs, reductions, ... (see the subpackage);
- `rules.scipy`: one subpackage per SciPy subpackage, imported only once SciPy's is.

`rules.coverage` reports, per namespace, what has rules, what is declared
non-differentiable and what is missing.
"""

from rules import numpy as numpy
from rules import python as python
from rules import scipy as scipy

__all__ = ["numpy", "python", "scipy"]
