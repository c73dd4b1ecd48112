"""Rules for `numpy.linalg`, one module per topic, with an frule and an rrule for each of

- `dense`: inverses and solves (`inv`, `pinv`, `solve`, `lstsq`, `tensorinv`, `tensorsolve`),
  determinants (`det`, `slogdet`), products and shapes (`matrix_power`, `multi_dot`,
  `matmul`, `matrix_transpose`, `diagonal`); `matrix_rank` is non-differentiable;
- `factorizations`: `cholesky`, `qr`, `eigh`, `eigvalsh`, `eig`, `eigvals`, `svd`, `svdvals`;
- `norms`: `norm`, `vector_norm`, `matrix_norm`, `cond`.

Importing the package registers them all. Conventions shared by the modules (each module's
docstring gives its own, at its singular points):

- Stacked (batched) matrices work wherever NumPy accepts them. Array arguments are arrays
  (nested lists are not supported: their tangent would be a list). Options given positionally
  (`ord`, `mode`, `n`, `rcond`, ...) get `NoTangent()`.
- Symmetric/Hermitian input: `eigh`, `eigvalsh`, `cholesky`, `svd(hermitian=True)` and
  `pinv(hermitian=True)` read one triangle; their pullbacks return the Hermitian part of the
  cotangent and their frules use the Hermitian part of the tangent (as JAX and PyTorch), i.e.
  they differentiate `f((a + a^H) / 2)`.
"""

from rules.numpy.linalg import dense, factorizations, norms

__all__ = ["dense", "factorizations", "norms"]
