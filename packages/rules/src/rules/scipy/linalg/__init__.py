"""Rules for `scipy.linalg`, one module per topic, with an frule and an rrule for each of

- `solves`: `solve` (every `assume_a`), `solve_triangular`, `solve_banded`, `solveh_banded`,
  `cho_solve`, `lu_solve`;
- `basic`: `inv`, `pinv`, `pinvh`, `lstsq`, `det`, `norm`; `bandwidth`, `issymmetric`,
  `ishermitian` are non-differentiable;
- `factorizations`: `cholesky`, `cho_factor`, `lu`, `lu_factor`, `qr`, `rq`;
- `decompositions`: `eigh`, `eigvalsh`, `svd`, `svdvals`, `schur`, `polar`;
- `matrix_functions`: `expm`, `expm_frechet`, `logm`, `sqrtm`, `cosm`, `sinm`, `tanm`,
  `coshm`, `sinhm`, `tanhm`, `fractional_matrix_power`, `funm` (`not_implemented`);
- `equations`: `solve_sylvester`, `solve_continuous_lyapunov`, `solve_discrete_lyapunov`;
- `special_matrices`: `block_diag`, `toeplitz`, `circulant`, `hankel`.

SciPy is slow to import, so `rules.scipy` announces this package with `lazy_rules`: it is
imported (and registers its rules) at the first rule lookup after the user's code imported
`scipy.linalg`. Conventions shared by the modules (each module's docstring adds its own):

- Options (`lower=`, `assume_a=`, `check_finite=`, `mode=`, ...) are never differentiated;
  given positionally they get `NoTangent()`. `overwrite_a=True` (and the other `overwrite_*`)
  is honoured by never letting SciPy overwrite an input: the rules pass `False`.
- Stacked (batched) matrices and broadcasting work wherever SciPy accepts them; tuple and list
  outputs get tangents of the same container.
- Symmetric/Hermitian input: functions that read one triangle of a matrix they assume
  symmetric or Hermitian (`eigh`, `cholesky`, `cho_factor`, `solve(assume_a="sym"/"her"/
  "pos")`, `inv(assume_a=...)`, `pinvh`) return the symmetric (Hermitian) part of the
  cotangent and use that part of the tangent, as `numpy.linalg`'s rules, JAX and PyTorch do.
  Entries a function ignores otherwise (the other triangle of `solve_triangular`, the band
  outside `assume_a="tridiagonal"`) get a zero cotangent.
- Factors with a gauge freedom (eigen/singular/Schur vectors, the completion of full `Q`
  factors) get the tangent with no motion along the gauge: exact for gauge-invariant losses.
"""

from rules.scipy.linalg import (
    basic,
    decompositions,
    equations,
    factorizations,
    matrix_functions,
    solves,
    special_matrices,
)

__all__ = [
    "basic",
    "decompositions",
    "equations",
    "factorizations",
    "matrix_functions",
    "solves",
    "special_matrices",
]
