"""Rules for `scipy.sparse`, one module per topic, with an frule and an rrule for each of

- `products`: `A @ x`, `x @ A` (`operator.matmul`), `A.dot(x)` for a sparse `A` and a dense
  `x`; `A.toarray()`, `A.todense()`;
- `construction`: the constructors of the CSR, CSC, COO, BSR and DIA arrays and matrices
  from their values, and `diags`, `diags_array`;
- `linalg` (imported once `scipy.sparse.linalg` is): `spsolve`, `expm_multiply`.

SciPy is slow to import, so `rules.scipy` announces this package with `lazy_rules`: it is
imported (and registers its rules) at the first rule lookup after the user's code imported
`scipy.sparse`; it announces `linalg` the same way for `scipy.sparse.linalg`.

The tangent of a sparse matrix `A` is `Tangent[type(A)](data=d)`, where `d` has the shape
and dtype of `A.data`: one tangent per stored value (explicit zeros and duplicates included,
each a variable of its own). The structure (indices, offsets, shape) has no tangent, and
`ProjectTo(A)` accepts such tangents as they are. Formats without a `data` array of values
(LIL, DOK) have no rules.

>>> import operator
>>> import numpy as np
>>> import scipy.sparse
>>> from rulescore import rrule, unthunk
>>> a = scipy.sparse.csr_array((np.array([2.0, 3.0]), np.array([1, 0]), np.array([0, 1, 2])))
>>> y, back = rrule(operator.matmul, a, np.array([1.0, 10.0]))
>>> y
array([20.,  3.])
>>> unthunk(back(np.array([1.0, 0.0]))[1])
Tangent[csr_array](data=array([10.,  0.]))
"""

from rules.scipy.sparse import construction, products
from rulescore import lazy_rules

lazy_rules("scipy.sparse.linalg", "rules.scipy.sparse.linalg")

__all__ = ["construction", "products"]
