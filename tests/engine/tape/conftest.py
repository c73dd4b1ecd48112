"""Fixtures of the tape-engine tests: `check(f, *args)` runs `engine.withgradient(f, *args,
backend="tape")` and asserts that the value is `f(*args)`, that each gradient has its
argument's type and shape, that the gradients equal the finite-difference ones
(`rulescore.testing.grad`), and that the arguments are not mutated. It returns the gradients.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from rulescore.testing import flatten, flatten_tangent
from rulescore.testing import grad as fd_grad


def check_impl(f: Callable[..., Any], *args: Any, rtol: float = 1e-7) -> tuple[Any, ...]:
    """See the module docstring."""
    before = copy.deepcopy(args)
    value, grads = engine.withgradient(f, *args, backend="tape")
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    assert len(grads) == len(args)
    for x, g in zip(args, grads, strict=True):
        if isinstance(x, np.ndarray):
            assert type(g) is np.ndarray and g.shape == x.shape and g.dtype == x.dtype
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            assert type(g) is float, type(g)
        else:
            assert type(g) is type(x), (type(g), type(x))
    reference = fd_grad(f, *args)
    got = flatten_tangent(args, grads)
    want = flatten_tangent(args, reference.value)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=1e-9 + 10 * reference.error)
    np.testing.assert_array_equal(flatten(args)[0], flatten(before)[0])
    return grads


@pytest.fixture
def check() -> Callable[..., tuple[Any, ...]]:
    return check_impl
