"""Fixtures of the reverse-engine tests: every gradient is checked against finite differences
(`rulescore.testing.grad`) and against the structure of its input.

- `check(f, *args)` runs `engine.withgradient(f, *args)` and asserts: the value is
  `f(*args)`; there is one gradient per argument, each shaped like its input (see
  `assert_like`); the gradients equal the finite-difference ones entry by entry; the
  arguments are not mutated. It returns the gradients.
- `assert_like(x, g)` asserts that `g` has the structure a user gets for input `x`: a float
  for a Python float or int, an array of the same shape and dtype for a floating array, the
  same NumPy scalar type, a dict with the same keys, a list or tuple of the same type and
  length, a `Tangent[type(x)]` for a dataclass, namedtuple or plain object, and
  `NoTangent()` for bool, str, None and integer arrays.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from rulescore import NoTangent, Tangent, backing
from rulescore.testing import flatten, flatten_tangent
from rulescore.testing import grad as fd_grad


def _has_no_tangent_space(x: Any) -> bool:
    return (
        x is None
        or isinstance(x, (bool, np.bool_, str, bytes, np.integer))
        or (isinstance(x, np.ndarray) and x.dtype.kind not in "fc")
    )


def _is_object(x: Any) -> bool:
    return (
        dataclasses.is_dataclass(x)
        or (isinstance(x, tuple) and hasattr(type(x), "_fields"))
        or (
            hasattr(x, "__dict__")
            and not isinstance(x, (type, dict, list, tuple, types.ModuleType))
            and not isinstance(x, (types.FunctionType, types.BuiltinFunctionType))
            and not isinstance(x, (types.MethodType, functools.partial))
        )
    )


def assert_like_impl(x: Any, g: Any, where: str = "gradient") -> None:
    """See the module docstring."""
    if _has_no_tangent_space(x):
        assert isinstance(g, NoTangent), f"{where}: expected NoTangent() for {x!r}, got {g!r}"
    elif isinstance(x, np.ndarray):
        assert type(g) is np.ndarray, f"{where}: expected an ndarray, got {type(g).__name__}"
        assert g.shape == x.shape, f"{where}: shape {g.shape} != {x.shape}"
        assert g.dtype == x.dtype, f"{where}: dtype {g.dtype} != {x.dtype}"
    elif isinstance(x, np.generic):
        assert type(g) is type(x), f"{where}: {type(g).__name__} != {type(x).__name__}"
    elif isinstance(x, complex):
        assert type(g) is complex, f"{where}: expected a complex, got {type(g).__name__}"
    elif isinstance(x, (int, float)):
        assert type(g) is float, f"{where}: expected a float, got {type(g).__name__} {g!r}"
    elif isinstance(x, dict):
        assert type(g) is dict, f"{where}: expected a dict, got {type(g).__name__}"
        assert list(g) == list(x), f"{where}: keys {list(g)} != {list(x)}"
        for key in x:
            assert_like_impl(x[key], g[key], f"{where}[{key!r}]")
    elif isinstance(x, (types.FunctionType, types.BuiltinFunctionType, functools.partial)):
        assert isinstance(g, (NoTangent, Tangent)), f"{where}: {g!r} for a function"
    elif _is_object(x):
        assert isinstance(g, Tangent), f"{where}: expected a Tangent, got {type(g).__name__}"
        assert type(g).primal_type is type(x), f"{where}: {type(g).__name__} for {type(x)}"
        for name, value in backing(g).items():
            assert_like_impl(getattr(x, name), value, f"{where}.{name}")
    elif isinstance(x, (list, tuple)):
        assert type(g) is type(x), f"{where}: {type(g).__name__} != {type(x).__name__}"
        assert len(g) == len(x), f"{where}: length {len(g)} != {len(x)}"
        for i, (xi, gi) in enumerate(zip(x, g, strict=True)):
            assert_like_impl(xi, gi, f"{where}[{i}]")
    else:  # pragma: no cover - a test passed an input kind this helper does not know
        raise AssertionError(f"{where}: no structure check for {type(x).__name__}")


def check_impl(
    f: Callable[..., Any],
    *args: Any,
    rtol: float = 1e-7,
    atol: float | None = None,
    fixed: tuple[int, ...] = (),
    **options: Any,
) -> tuple[Any, ...]:
    """See the module docstring; the arguments at the positions `fixed` (counts, sizes) are
    held constant by the finite differences (their gradients are only checked for structure).
    """
    before = copy.deepcopy(args)
    value, grads = engine.withgradient(f, *args, **options)
    np.testing.assert_allclose(value, f(*args), rtol=1e-12)
    assert isinstance(grads, tuple), type(grads)
    assert len(grads) == len(args)
    for i, (x, g) in enumerate(zip(args, grads, strict=True)):
        assert_like_impl(x, g, f"gradient {i}")
    varied = [i for i in range(len(args)) if i not in fixed]

    def of_varied(*values: Any) -> Any:
        full = list(args)
        for i, v in zip(varied, values, strict=True):
            full[i] = v
        return f(*full)

    moving = tuple(args[i] for i in varied)
    reference = fd_grad(of_varied, *moving)
    got = flatten_tangent(moving, tuple(grads[i] for i in varied))
    want = flatten_tangent(moving, reference.value)
    tolerance = 1e-9 + 10 * reference.error if atol is None else atol
    np.testing.assert_allclose(got, want, rtol=rtol, atol=tolerance)
    np.testing.assert_array_equal(flatten(args)[0], flatten(before)[0])
    return grads


@pytest.fixture
def check() -> Callable[..., tuple[Any, ...]]:
    return check_impl


@pytest.fixture
def assert_like() -> Callable[..., None]:
    return assert_like_impl
