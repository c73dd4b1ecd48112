"""Tests of rules/scipy/sparse/linalg.py: `spsolve` in the stored values of `A` (through a
function of the values, see conftest.py) and in `b`, and its lazy registration."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest
import scipy.sparse as sps
import scipy.sparse.linalg as spla

import rules.scipy.sparse  # noqa: F401  (registers the rules, and announces rules for linalg)
from rulescore import NotImplementedTangent, rrule
from rulescore.testing import constant, test_frule, test_rrule


def _dominant(structure, data):
    """`data` with 3 added on the diagonal entries: a well-conditioned matrix."""
    rows = np.repeat(np.arange(len(structure.indptr) - 1), np.diff(structure.indptr))
    return data + 3.0 * (rows == structure.indices)


@pytest.mark.parametrize("cls", [sps.csc_array, sps.csr_array, sps.csr_matrix])
@pytest.mark.parametrize("dtype", [np.float64, np.complex128])
@pytest.mark.parametrize("b_shape", [(4,), (4, 2), (4, 1)])
def test_spsolve(cls, dtype, b_shape, rng, compose, from_values, values):
    structure = cls(sps.random_array((4, 4), density=0.4, rng=rng) + sps.eye_array(4))
    build = from_values(cls, (structure.indices, structure.indptr), (4, 4))
    data = _dominant(structure, 0.2 * values(structure.data.shape, dtype))
    solve = compose(spla.spsolve, build)
    b = values(b_shape, dtype)
    test_rrule(solve, data, b, rng=rng)
    test_frule(solve, data, b, rng=rng)


def test_spsolve_with_sparse_b_has_no_rule():
    a = sps.csc_array(np.eye(2))
    assert rrule(spla.spsolve, a, a) is None


def test_linalg_rules_wait_for_scipy_sparse_linalg():
    script = textwrap.dedent("""
        import sys
        import scipy.sparse
        from rulescore import NotImplementedTangent, rrule
        import rules
        rrule.has_rule(len)  # a lookup loads the rules of imported subpackages
        assert "rules.scipy.sparse" in sys.modules
        assert "scipy.sparse.linalg" not in sys.modules
        assert "rules.scipy.sparse.linalg" not in sys.modules
        import scipy.sparse.linalg
        assert rrule.has_rule(scipy.sparse.linalg.spsolve)
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_spsolve_with_duplicates(rng, compose, from_values, values):
    """SciPy sums duplicates in place: the rules solve with a copy, so the layout stays."""
    indices, indptr = np.array([0, 1, 0, 1, 2, 2, 2]), np.array([0, 3, 5, 7])
    build = from_values(sps.csr_array, (indices, indptr), (3, 3))
    data = 0.2 * values(7) + np.array([3.0, 0, 0, 3.0, 0, 3.0, 0])  # (0, 0), (2, 2) repeat
    solve = compose(spla.spsolve, build)
    test_rrule(solve, data, values(3), rng=rng)
    test_frule(solve, data, values(3), rng=rng)
    a = build(data)
    rrule(spla.spsolve, a, np.ones(3))
    assert a.data.shape == (7,)  # not canonicalized in place


GRIDS = [
    {},
    {"start": 0.0, "stop": 1.5, "num": 4},
    {"start": 0.5, "stop": 1.0, "num": 3, "endpoint": False},
]


@pytest.mark.parametrize(
    ("cls", "dtype", "b_shape"),
    [
        (sps.csr_array, np.float64, (4,)),
        (sps.csc_matrix, np.complex128, (4, 2)),
        (sps.coo_array, np.float64, (4, 2)),
        (sps.csr_matrix, np.complex128, (4,)),
    ],
)
@pytest.mark.parametrize("grid", GRIDS)
def test_expm_multiply(cls, dtype, b_shape, grid, rng, compose, from_values, pattern, values):
    """The frule in A's values and B; the rrule in B (A's cotangent is not_implemented)."""
    rows, cols = pattern((4, 4), 7)
    build = from_values(cls, ((rows, cols),), (4, 4))
    data, b = 0.5 * values(7, dtype), values(b_shape, dtype)
    test_frule(compose(spla.expm_multiply, build), data, b, fkwargs=grid, rng=rng)
    test_rrule(spla.expm_multiply, constant(build(data)), b, fkwargs=grid, rng=rng)
    _, back = rrule(spla.expm_multiply, build(data), b, **grid)
    assert isinstance(back(spla.expm_multiply(build(data), b, **grid))[1], NotImplementedTangent)
