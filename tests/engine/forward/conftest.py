"""Fixtures of the forward-engine tests: every push forward is checked against finite
differences (`rulescore.testing.jvp`) and against the structure of the output.

- `check(f, *args, tangents=None, fixed=())` runs `engine.jvp(f, args, tangents)` (random
  tangents by default, seeded; zero for the arguments at the positions `fixed`, counts and
  sizes that finite differences must not move) and asserts: the value is `f(*args)`; the
  output tangent has the structure of the output (see `assert_like`); it equals the
  finite-difference one entry by entry; the arguments are not mutated. It returns `(y, dy)`.
- `assert_like(y, dy)` asserts that `dy` is a tangent a user gets for output `y`: a float
  for a Python float, the same NumPy scalar type, an array of the same shape and dtype, the
  same kind of container (a `Tangent[type(y)]` for a namedtuple, dataclass or object), a
  float for an int (ints are reals, as for inputs), and `NoTangent()` for values without a
  tangent space (bool, str, None, integer arrays).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from rulescore import NoTangent, Tangent, ZeroTangent, backing
from rulescore.testing import flatten, flatten_tangent, rand_tangent
from rulescore.testing import jvp as fd_jvp


def assert_like_impl(y: Any, dy: Any, where: str = "tangent") -> None:
    """See the module docstring."""
    if (
        y is None
        or isinstance(y, (bool, np.bool_, np.integer, str))
        or (isinstance(y, np.ndarray) and y.dtype.kind not in "fc")
    ):
        assert isinstance(dy, NoTangent), f"{where}: expected NoTangent() for {y!r}, got {dy!r}"
    elif isinstance(y, np.ndarray):
        assert type(dy) is np.ndarray, f"{where}: expected an ndarray, got {type(dy).__name__}"
        assert dy.shape == y.shape, f"{where}: shape {dy.shape} != {y.shape}"
        assert dy.dtype == y.dtype, f"{where}: dtype {dy.dtype} != {y.dtype}"
    elif isinstance(y, np.generic):
        assert type(dy) is type(y), f"{where}: {type(dy).__name__} != {type(y).__name__}"
    elif isinstance(y, (int, float)):
        assert type(dy) is float, f"{where}: expected a float, got {type(dy).__name__}"
    elif isinstance(y, complex):
        assert type(dy) is complex, f"{where}: expected a complex, got {type(dy).__name__}"
    elif isinstance(y, dict):
        assert type(dy) is dict and list(dy) == list(y), f"{where}: {dy!r} for {y!r}"
        for key in y:
            assert_like_impl(y[key], dy[key], f"{where}[{key!r}]")
    elif dataclasses.is_dataclass(y) or hasattr(type(y), "_fields") or hasattr(y, "__dict__"):
        assert isinstance(dy, Tangent), f"{where}: expected a Tangent, got {dy!r}"
        assert type(dy).primal_type is type(y), f"{where}: {type(dy).__name__} for {type(y)}"
        for name, value in backing(dy).items():
            assert_like_impl(getattr(y, name), value, f"{where}.{name}")
    elif isinstance(y, (list, tuple)):
        assert type(dy) is type(y), f"{where}: {type(dy).__name__} != {type(y).__name__}"
        assert len(dy) == len(y), f"{where}: length {len(dy)} != {len(y)}"
        for i, (yi, di) in enumerate(zip(y, dy, strict=True)):
            assert_like_impl(yi, di, f"{where}[{i}]")
    else:  # pragma: no cover - a test made an output kind this helper does not know
        raise AssertionError(f"{where}: no structure check for {type(y).__name__}")


def check_impl(
    f: Callable[..., Any],
    *args: Any,
    tangents: tuple[Any, ...] | None = None,
    rtol: float = 1e-7,
    atol: float | None = None,
    seed: int = 0,
    fixed: tuple[int, ...] = (),
) -> tuple[Any, Any]:
    """See the module docstring."""
    if tangents is None:
        rng = np.random.default_rng(seed)
        tangents = tuple(rand_tangent(a, rng) for a in args)
    tangents = tuple(ZeroTangent() if i in fixed else t for i, t in enumerate(tangents))
    before = copy.deepcopy(args)
    y, dy = engine.jvp(f, args, tangents)
    np.testing.assert_allclose(flatten(y)[0], flatten(f(*args))[0], rtol=1e-12)
    assert_like_impl(y, dy)
    varied = [i for i in range(len(args)) if i not in fixed]

    def of_varied(*values: Any) -> Any:
        full = list(args)
        for i, v in zip(varied, values, strict=True):
            full[i] = v
        return f(*full)

    reference = fd_jvp(of_varied, [args[i] for i in varied], [tangents[i] for i in varied])
    got = flatten_tangent(y, dy)
    want = flatten_tangent(y, reference.value)
    tolerance = 1e-9 + 10 * reference.error if atol is None else atol
    np.testing.assert_allclose(got, want, rtol=rtol, atol=tolerance)
    np.testing.assert_array_equal(flatten(args)[0], flatten(before)[0])
    return y, dy


@pytest.fixture
def check() -> Callable[..., tuple[Any, Any]]:
    return check_impl


@pytest.fixture
def assert_like() -> Callable[..., None]:
    return assert_like_impl
