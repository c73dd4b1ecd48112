"""Tests of rules/scipy/stats/multivariate.py: multivariate_normal and dirichlet through the
harness; cov is perturbed symmetrically (`on_subspace`), dirichlet's x stays on the simplex."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from rulescore import NotImplementedTangent, frule, rrule, unthunk
from rulescore.testing import constant, on_subspace, test_frule, test_rrule, with_tangent

# Points of the simplex, one per column, no entry near 0 (finite differences move them).
POINTS = np.array([[0.2, 0.35, 0.1], [0.3, 0.15, 0.3], [0.1, 0.3, 0.45], [0.4, 0.2, 0.15]])
MVN = [stats.multivariate_normal.logpdf, stats.multivariate_normal.pdf]
DIRICHLET = [stats.dirichlet.logpdf, stats.dirichlet.pdf]


def symmetric(a):
    return (a + np.swapaxes(a, -1, -2)) / 2


def spd(rng, n):
    a = rng.standard_normal((n, n))
    return a @ a.T + n * np.eye(n)


@pytest.mark.parametrize("f", MVN)
@pytest.mark.parametrize("x_shape", [(3,), (4, 3), (2, 2, 3)])
def test_multivariate_normal(f, x_shape, rng):
    x, mean, cov = rng.standard_normal(x_shape), rng.standard_normal(3), spd(rng, 3)
    test_rrule(f, x, mean, on_subspace(cov, symmetric), rng=rng)
    test_frule(f, x, mean, on_subspace(cov, symmetric), rng=rng)


@pytest.mark.parametrize("f", MVN)
def test_multivariate_normal_covariance_forms(f, rng):
    x, mean = rng.standard_normal((4, 3)), rng.standard_normal(3)
    test_rrule(f, x, mean, 2.5, rng=rng)  # cov * I
    test_frule(f, x, mean, 2.5, rng=rng)
    test_rrule(f, x, mean, np.array([1.5, 2.0, 3.0]), rng=rng)  # the diagonal
    test_frule(f, x, mean, np.array([1.5, 2.0, 3.0]), rng=rng)
    test_rrule(f, x, mean, on_subspace(spd(rng, 3), symmetric), constant(True), rng=rng)


@pytest.mark.parametrize("f", MVN)
def test_multivariate_normal_one_dimensional(f, rng):
    test_rrule(f, rng.standard_normal(5), 0.3, 2.0, rng=rng)  # five points
    test_frule(f, rng.standard_normal(5), 0.3, 2.0, rng=rng)
    test_rrule(f, 0.7, np.array([0.3]), np.array([[2.0]]), rng=rng)
    test_rrule(f, rng.standard_normal(3), rng=rng)  # mean 0, cov 1 by default
    test_rrule(f, rng.standard_normal((2, 3)), rng.standard_normal(3), rng=rng)


def test_multivariate_normal_float32(rng):
    x = rng.standard_normal((4, 2)).astype(np.float32)
    cov = spd(rng, 2).astype(np.float32)
    test_rrule(MVN[0], x, np.zeros(2, np.float32), on_subspace(cov, symmetric), rng=rng)


def test_multivariate_normal_keywords_are_constants(rng):
    x, mean, cov = rng.standard_normal((4, 3)), rng.standard_normal(3), spd(rng, 3)
    test_rrule(MVN[0], x, mean, fkwargs={"cov": cov}, rng=rng)
    test_frule(MVN[0], x, fkwargs={"mean": mean, "cov": cov}, rng=rng)


def test_multivariate_normal_singular_covariance_is_not_implemented():
    cov = np.array([[1.0, 1.0], [1.0, 1.0]])
    _, back = rrule(MVN[0], np.array([0.5, 0.5]), np.zeros(2), cov, True)
    cotangents = back(1.0)
    assert all(isinstance(unthunk(c), NotImplementedTangent) for c in cotangents[1:4])
    tangents = (None, np.ones(2), np.zeros(2), cov, None)
    _, dy = frule(tangents, MVN[0], np.array([0.5, 0.5]), np.zeros(2), cov, True)
    assert isinstance(dy, NotImplementedTangent)


@pytest.mark.parametrize("f", DIRICHLET)
def test_dirichlet_with_k_minus_one_entries(f, rng):
    alpha = np.array([1.5, 2.0, 0.7, 3.0])
    test_rrule(f, np.array([0.2, 0.3, 0.1]), alpha, rng=rng)
    test_frule(f, np.array([0.2, 0.3, 0.1]), alpha, rng=rng)
    test_rrule(f, POINTS[:3], alpha, rng=rng)
    test_frule(f, POINTS[:3], alpha, rng=rng)


@pytest.mark.parametrize("f", DIRICHLET)
def test_dirichlet_on_the_simplex(f, rng):
    # Finite differences can only move x within the simplex: tangents summing to zero.
    alpha = np.array([1.5, 2.0, 0.7, 3.0])
    x = np.array([0.2, 0.3, 0.1, 0.4])
    test_rrule(f, constant(x), alpha, rng=rng)
    tangent = rng.standard_normal(4)
    test_frule(f, with_tangent(x, tangent - tangent.mean()), alpha, rng=rng)
    tangents = rng.standard_normal(POINTS.shape)
    test_frule(f, with_tangent(POINTS, tangents - tangents.mean(axis=0)), alpha, rng=rng)
    # The pullback agrees with the frule along the simplex.
    _, back = rrule(f, x, alpha)
    _, dy = frule((None, tangent - tangent.mean(), np.zeros(4)), f, x, alpha)
    assert unthunk(back(1.0)[1]) @ (tangent - tangent.mean()) == pytest.approx(dy)
