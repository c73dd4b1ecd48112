from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from rulescore import Tangent, Thunk, ZeroTangent
from rulescore.testing import RuleTestFailure
from rulescore.testing._comparison import (
    Tolerances,
    assert_close,
    assert_projected,
    assert_same_primal,
    deep_unthunk,
    default_tolerances,
    snapshot,
)


def test_default_tolerances_follow_the_least_precise_float():
    assert default_tolerances([np.ones(2), 1.0], None, None).rtol == 1e-9
    assert default_tolerances([np.ones(2, np.float32), 1.0], None, None).rtol == 1e-3
    assert default_tolerances([(np.ones(1, np.float16),)], None, None).rtol == 3e-2
    assert default_tolerances([np.ones(1, np.complex64)], None, None).rtol == 1e-3
    assert default_tolerances([np.ones(1)], 0.5, None).rtol == 0.5


def test_assert_close_message_names_worst_entry_and_fd_error():
    tol = Tolerances(1e-9, 1e-9)
    assert_close("ok", np.array([1.0, 2.0]), np.array([1.0, 2.0 + 1e-12]), tol)
    with pytest.raises(RuleTestFailure, match=r"worst at flat index 1: got 2.5, expected 2") as e:
        assert_close("what", np.array([1.0, 2.5]), np.array([1.0, 2.0]), tol, fd_error=1e-3)
    assert "finite-difference error estimate 0.001" in str(e.value)
    assert_close("fd error widens", np.array([1.0]), np.array([1.0 + 1e-4]), tol, fd_error=1e-4)


def test_assert_close_catches_nan():
    with pytest.raises(RuleTestFailure):
        assert_close("nan", np.array([np.nan]), np.array([1.0]), Tolerances(1, 1))


def test_assert_projected():
    @dataclass
    class P:
        w: np.ndarray

    assert_projected("ok", np.ones(2, np.float32), np.ones(2, np.float32))
    assert_projected("zero", np.ones(2), ZeroTangent())
    assert_projected("tangent", P(np.ones(2)), Tangent[P](w=np.ones(2)))
    with pytest.raises(RuleTestFailure, match="float32"):
        assert_projected("dtype", np.ones(2, np.float32), np.ones(2))
    with pytest.raises(RuleTestFailure, match=r"field 'w'"):
        assert_projected("field", P(np.ones(2)), Tangent[P](w=np.ones(3)))
    with pytest.raises(RuleTestFailure, match="tuple of 2"):
        assert_projected("tuple", (1.0, 2.0), [1.0, 2.0])


def test_assert_same_primal_compares_structure_types_and_values():
    tol = Tolerances(1e-9, 1e-9)
    assert_same_primal("ok", (1.0, "a", np.ones(2)), (1.0, "a", np.ones(2)), tol)
    with pytest.raises(RuleTestFailure, match=r"at \[1\]"):
        assert_same_primal("label", (1.0, "a"), (1.0, "b"), tol)
    with pytest.raises(RuleTestFailure, match="dtype float32"):
        assert_same_primal("dtype", np.ones(2, np.float32), np.ones(2), tol)


def test_snapshot_reports_mutated_paths():
    data = {"a": np.ones(2), "b": [1.0, np.zeros(1)]}
    changed = snapshot(data)
    assert changed() == []
    data["b"][1][0] = 5.0
    assert changed() == ["['b'][1]"]


def test_snapshot_accepts_nan_unchanged():
    x = np.array([np.nan])
    assert snapshot(x)() == []


def test_deep_unthunk():
    value = deep_unthunk(Thunk(lambda: (Thunk(lambda: 1.0), {"k": Thunk(lambda: 2.0)})))
    assert value == (1.0, {"k": 2.0})


def test_the_same_nan_or_infinity_on_both_sides_agrees():
    tol = Tolerances(1e-9, 1e-9)
    assert_close("same", np.array([np.nan, np.inf, 1.0]), np.array([np.nan, np.inf, 1.0]), tol)
    assert_same_primal("primal", np.array([np.nan, 2.0]), np.array([np.nan, 2.0]), tol)
    with pytest.raises(RuleTestFailure):
        assert_close("opposite", np.array([np.inf]), np.array([-np.inf]), tol)


def test_snapshot_of_a_bound_method_is_unchanged():
    class Distribution:
        def logpdf(self, x):
            return -x * x

    method = Distribution().logpdf
    assert snapshot([method, np.ones(2)])() == []
