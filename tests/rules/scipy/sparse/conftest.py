"""Fixtures for the sparse rule tests: functions of a sparse matrix's stored values.

The harness perturbs every number of an argument, and a sparse matrix's fields include its
integer shape, which cannot move: a rule whose input is a sparse matrix is tested through
`from_values(structure)(data, ...)`, which builds the matrix from a dense vector of values
with its constructor and hands it on. The composite's rules are chained from the registered
rules of the constructor and of the function under test, so that the harness checks both
against finite differences of the composite. The fixtures `compose`, `from_values`,
`values` (random values of a dtype) and `pattern` (random positions) hand these out.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rulescore import NoTangent, frule, rrule, unthunk


def compose(outer: Callable[..., Any], inner: Callable[..., Any], at: int = 0) -> Any:
    """`h(x, *rest, **kw) = outer(*rest[:at], inner(x), *rest[at:], **kw)`, with an rrule and
    an frule made of `inner`'s and `outer`'s registered rules."""

    def h(x: Any, *rest: Any, **kwargs: Any) -> Any:
        return outer(*rest[:at], inner(x), *rest[at:], **kwargs)

    h.__name__ = h.__qualname__ = f"{getattr(outer, '__name__', 'outer')}_of_values"

    @rrule.register(h)
    def _(x: Any, *rest: Any, **kwargs: Any) -> Any:
        mid, back_inner = rrule(inner, x)
        y, back_outer = rrule(outer, *rest[:at], mid, *rest[at:], **kwargs)

        def composed_pullback(dy: Any) -> tuple[Any, ...]:
            cotangents = back_outer(dy)[1:]
            dmid = cotangents[at]
            others = cotangents[:at] + cotangents[at + 1 :]
            return (NoTangent(), back_inner(dmid)[1], *others)

        return y, composed_pullback

    @frule.register(h)
    def _(tangents: tuple[Any, ...], x: Any, *rest: Any, **kwargs: Any) -> Any:
        dx, drest = tangents[1], tangents[2:]
        mid, dmid = frule((NoTangent(), dx), inner, x)
        args = (*rest[:at], mid, *rest[at:])
        dargs = (*drest[:at], dmid, *drest[at:])
        return frule((NoTangent(), *dargs), outer, *args, **kwargs)

    return h


def from_values(cls: type, structure: tuple[Any, ...], shape: tuple[int, int]) -> Any:
    """`build(data) = cls((data, *structure), shape=shape)`, with rules from the
    constructor's: the tangent of `data` is a dense array."""

    def build(data: Any) -> Any:
        # a fresh structure each time: SciPy canonicalizes some matrices in place
        return cls((data, *copy.deepcopy(structure)), shape=shape)

    build.__name__ = build.__qualname__ = f"{cls.__name__}_from_values"

    @rrule.register(build)
    def _(data: Any) -> Any:
        a, back = rrule(cls, (data, *structure), shape=shape)

        def build_pullback(da: Any) -> tuple[Any, ...]:
            darg = unthunk(back(da)[1])  # (d_data, NoTangent(), ...), or a zero
            return NoTangent(), darg[0] if isinstance(darg, tuple) else darg

        return a, build_pullback

    @frule.register(build)
    def _(tangents: tuple[Any, ...], data: Any) -> Any:
        rest = (NoTangent(),) * len(structure)
        return frule((NoTangent(), (tangents[1], *rest)), cls, (data, *structure), shape=shape)

    return build


def _pattern(rng: np.random.Generator, shape: tuple[int, int], nnz: int) -> Any:
    """Random `(row, col)` positions, with a repeated one (duplicates are summed or kept)."""
    rows = rng.integers(0, shape[0], nnz)
    cols = rng.integers(0, shape[1], nnz)
    rows[-1], cols[-1] = rows[0], cols[0]
    return rows, cols


def _values(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


@pytest.fixture(name="compose")
def compose_fixture() -> Any:
    return compose


@pytest.fixture(name="from_values")
def from_values_fixture() -> Any:
    return from_values


@pytest.fixture
def values(rng: np.random.Generator) -> Any:
    def make(shape: Any, dtype: Any = np.float64) -> Any:
        return _values(rng, shape, dtype)

    return make


@pytest.fixture
def pattern(rng: np.random.Generator) -> Any:
    def make(shape: tuple[int, int], nnz: int) -> Any:
        return _pattern(rng, shape, nnz)

    return make
