"""Fixtures of the `numpy.linalg` rule tests: random inputs drawn from the test's `rng`,
`check` (both rules through the harness), and `composite`.

Rules whose input is read as Hermitian (`eigh`, `eigvalsh`, `cholesky`, `hermitian=True`) and
rules whose outputs have a gauge freedom (complex eigen/singular vectors, repeated values, the
completion of `qr`'s and `svd`'s full bases) are checked through a composite `g = post o f`
whose own rules are built from `f`'s: `post` keeps only what is gauge invariant, and with
`symmetric=True` `g` reads its input's Hermitian part, so that finite differences of `g` in
every entry check the symmetrized cotangent and the frule's use of the Hermitian part.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from rulescore import AbstractZero, NoTangent, ZeroTangent, frule, rrule, unthunk
from rulescore.testing import test_frule, test_rrule


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def _herm(x: Any) -> Any:
    return (x + _mH(x)) / 2


def _random(rng: np.random.Generator, shape: Any, dtype: Any = np.float64) -> Any:
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def _unitary(rng: np.random.Generator, batch: tuple[int, ...], n: int, dtype: Any) -> Any:
    return np.linalg.qr(
        _random(rng, (*batch, n, n), np.complex128 if dtype == np.complex128 else None)
    )[0]


def _with_values(
    rng: np.random.Generator, shape: Any, dtype: Any = np.float64, values: Any = None
) -> Any:
    *batch, m, n = shape
    k = min(m, n)
    s = rng.uniform(1, 3, (*batch, k)) if values is None else np.broadcast_to(values, (*batch, k))
    u = _unitary(rng, tuple(batch), m, dtype)[..., :, :k]
    v = _unitary(rng, tuple(batch), n, dtype)[..., :, :k]
    return np.asarray((u * s[..., None, :]) @ _mH(v), dtype=dtype)


def _hermitian(
    rng: np.random.Generator, shape: Any, dtype: Any = np.float64, values: Any = None
) -> Any:
    *batch, n, _ = shape
    lam = rng.uniform(1, 3, (*batch, n)) if values is None else np.broadcast_to(values, (*batch, n))
    q = _unitary(rng, tuple(batch), n, dtype)
    return np.asarray(_herm((q * lam[..., None, :]) @ _mH(q)), dtype=dtype)


@pytest.fixture
def random(rng: np.random.Generator) -> Callable[..., Any]:
    """`random(shape, dtype=np.float64)`: standard normal entries (in both parts if complex)."""
    return functools.partial(_random, rng)


@pytest.fixture
def with_values(rng: np.random.Generator) -> Callable[..., Any]:
    """`with_values(shape, dtype=np.float64, values=None)`: `U diag(values) V^H` for random
    unitary `U`, `V` (singular values in [1, 3] by default)."""
    return functools.partial(_with_values, rng)


@pytest.fixture
def hermitian(rng: np.random.Generator) -> Callable[..., Any]:
    """`hermitian(shape, dtype=np.float64, values=None)`: `Q diag(values) Q^H`: eigenvalues in
    [1, 3] by default (positive definite)."""
    return functools.partial(_hermitian, rng)


@pytest.fixture
def check(rng: np.random.Generator) -> Callable[..., None]:
    """`check(f, *args, **fkwargs)`: `test_rrule` and `test_frule` of `f(*args, **fkwargs)`."""

    def check(f: Any, *args: Any, **fkwargs: Any) -> None:
        test_rrule(f, *args, fkwargs=fkwargs, rng=rng)
        test_frule(f, *args, fkwargs=fkwargs, rng=rng)

    return check


# ---------------------------------------------------------------------------------------------
# composites g = post o f (of the Hermitian part when symmetric=True), with rules from f's


def _identity(y: Any) -> Any:
    return y


def _identity_jvp(y: Any, dy: Any) -> Any:
    return dy


def _identity_vjp(y: Any, dz: Any) -> Any:
    return dz


def _composite(
    f: Callable[..., Any],
    post: Callable[[Any], Any] = _identity,
    post_jvp: Callable[[Any, Any], Any] = _identity_jvp,
    post_vjp: Callable[[Any, Any], Any] = _identity_vjp,
    *,
    symmetric: bool = False,
    **kwargs: Any,
) -> Callable[[Any], Any]:
    def inner(a: Any) -> Any:
        return _herm(a) if symmetric else a

    def g(a: Any) -> Any:
        return post(f(inner(a), **kwargs))

    g.__name__ = g.__qualname__ = f"{f.__name__}_then_{post.__name__}"

    @rrule.register(g)
    def _(a: Any) -> Any:
        y, back = rrule(f, inner(a), **kwargs)

        def composite_pullback(dz: Any) -> Any:
            dz = unthunk(dz)
            if isinstance(dz, AbstractZero):
                return NoTangent(), ZeroTangent()
            return NoTangent(), back(post_vjp(y, dz))[1]  # not symmetrized here: the rule's

        return post(y), composite_pullback

    @frule.register(g)
    def _(tangents: Any, a: Any) -> Any:
        da = unthunk(tangents[1])
        y, dy = frule((NoTangent(), da), f, inner(a), **kwargs)  # da as it is: not symmetrized
        if isinstance(da, AbstractZero):
            return post(y), ZeroTangent()
        return post(y), post_jvp(y, dy)

    return g


@pytest.fixture
def composite() -> Callable[..., Callable[[Any], Any]]:
    """`composite(f, post=identity, post_jvp=..., post_vjp=..., *, symmetric=False, **kwargs)`:
    `g(a) = post(f(a, **kwargs))` (of `(a + a^H) / 2` when `symmetric`), with an rrule and an
    frule made from `f`'s and the given tangent maps of `post`."""
    return _composite
