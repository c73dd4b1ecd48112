"""Tests of engine/_checkpointed.py: the same gradients as without checkpointing, `f` run again
in the backward pass, nesting, keyword arguments, the forward rule, and the memory saved."""

from __future__ import annotations

import gc
import itertools
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import engine
from engine import checkpointed
from rulescore import (
    HasForwardMode,
    NoTangent,
    RuleConfig,
    UnsupportedConstructError,
    ZeroTangent,
    frule,
    rrule,
)
from rulescore.testing import flatten_tangent
from rulescore.testing import grad as fd_grad

RNG = np.random.default_rng(5)
W1, B1 = RNG.standard_normal((4, 3)), RNG.standard_normal(4)
W2, B2 = RNG.standard_normal((2, 4)), RNG.standard_normal(2)
X = RNG.standard_normal(3)


def assert_gradient_matches_fd(f: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    grads = engine.gradient(f, *args)
    reference = fd_grad(f, *args)
    np.testing.assert_allclose(
        flatten_tangent(args, grads),
        flatten_tangent(args, reference.value),
        rtol=1e-7,
        atol=1e-9 + 10 * reference.error,
    )
    return tuple(grads)


def dense(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> np.ndarray:
    return np.tanh(w @ x + b)


def mlp(w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, x: np.ndarray) -> Any:
    return np.sum(dense(w2, b2, dense(w1, b1, x)) ** 2)


def checkpointed_mlp(
    w1: np.ndarray, b1: np.ndarray, w2: np.ndarray, b2: np.ndarray, x: np.ndarray
) -> Any:
    hidden = checkpointed(dense, w1, b1, x)
    return np.sum(checkpointed(dense, w2, b2, hidden) ** 2)


# -- the same gradient -----------------------------------------------------------------------


def test_value_is_f_of_the_arguments() -> None:
    assert checkpointed(dense, W1, B1, X) == pytest.approx(dense(W1, B1, X))
    assert checkpointed(divmod, 7, 2) == (3, 1)


def test_mlp_gradient_equals_the_plain_one_and_finite_differences() -> None:
    args = (W1, B1, W2, B2, X)
    grads = assert_gradient_matches_fd(checkpointed_mlp, *args)
    for got, want in zip(grads, engine.gradient(mlp, *args), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)
        assert got.shape == want.shape and got.dtype == want.dtype


def test_scalar_loop() -> None:
    def step(x: float, a: float) -> float:
        return np.sin(a * x) + x

    def loop(x: float, a: float) -> float:
        for _ in range(4):
            x = checkpointed(step, x, a)
        return x

    def plain_loop(x: float, a: float) -> float:
        for _ in range(4):
            x = step(x, a)
        return x

    grads = assert_gradient_matches_fd(loop, 0.3, 1.7)
    assert grads == pytest.approx(engine.gradient(plain_loop, 0.3, 1.7), rel=1e-12)
    assert all(type(g) is float for g in grads)


def test_closure_parameters_get_their_gradient() -> None:
    def loss() -> Any:
        return np.sum(checkpointed(lambda x: dense(W1, B1, x), X) ** 2)

    grads = engine.gradient(loss, engine.Params([W1, B1]))
    want = engine.gradient(lambda w, b: np.sum(dense(w, b, X) ** 2), W1, B1)
    np.testing.assert_allclose(grads[W1], want[0], rtol=1e-12)
    np.testing.assert_allclose(grads[B1], want[1], rtol=1e-12)


def test_unused_output_skips_the_recomputation() -> None:
    counter = itertools.count()

    def counted(x: float) -> float:
        next(counter)
        return x * x

    _, back = rrule(engine.get_engine(), checkpointed, counted, 2.0)
    assert next(counter) == 1
    assert back(ZeroTangent()) == (NoTangent(), ZeroTangent(), ZeroTangent())
    assert next(counter) == 2  # not called again


# -- f runs again in the backward pass -------------------------------------------------------


def test_f_runs_once_forward_and_once_more_backward() -> None:
    counter = itertools.count()

    def counted(x: float) -> float:
        next(counter)
        return np.sin(x) * x

    _, back = engine.pullback(lambda x: checkpointed(counted, x), 0.5)
    assert next(counter) == 1  # the forward pass
    (dx,) = back(1.0)
    assert next(counter) == 3  # the recomputation in the backward pass
    assert dx == pytest.approx(np.cos(0.5) * 0.5 + np.sin(0.5), rel=1e-12)
    back(1.0)
    assert next(counter) == 5  # and again for each backward pass


def test_without_checkpointing_f_runs_once() -> None:
    counter = itertools.count()

    def counted(x: float) -> float:
        next(counter)
        return np.sin(x) * x

    _, back = engine.pullback(counted, 0.5)
    back(1.0)
    assert next(counter) == 1


# -- nesting ---------------------------------------------------------------------------------


def test_nested_checkpoints_inside_a_loop() -> None:
    counter = itertools.count()

    def inner(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        next(counter)
        return np.tanh(w * x) + 0.5 * x

    def block(x: np.ndarray, w: np.ndarray) -> np.ndarray:
        return checkpointed(inner, checkpointed(inner, x, w), w)

    def loss(x: np.ndarray, w: np.ndarray) -> Any:
        for _ in range(3):
            x = checkpointed(block, x, w)
        return np.sum(x**2)

    def plain_loss(x: np.ndarray, w: np.ndarray) -> Any:
        for _ in range(6):
            x = np.tanh(w * x) + 0.5 * x
        return np.sum(x**2)

    x, w = RNG.standard_normal(3), RNG.standard_normal(3)
    grads = assert_gradient_matches_fd(loss, x, w)
    for got, want in zip(grads, engine.gradient(plain_loss, x, w), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12)

    start = next(counter)
    engine.gradient(loss, x, w)
    # 6 calls forward; each block recomputed once (6 more) and, inside its recomputation,
    # each of its two inner calls once more (6 more).
    assert next(counter) - start - 1 == 18


def test_second_order_through_a_checkpoint() -> None:
    def cube(x: np.ndarray) -> np.ndarray:
        return x**3

    x = np.array([0.5, -1.5])
    hessian = engine.hessian(lambda v: np.sum(checkpointed(cube, v)), x)
    np.testing.assert_allclose(hessian, np.diag(6 * x), rtol=1e-12)


# -- keyword arguments -----------------------------------------------------------------------


def scaled(x: float, *, times: int, mode: str = "sin") -> float:
    return times * (np.sin(x) if mode == "sin" else np.cos(x))


def test_keywords_without_derivatives_pass_through() -> None:
    assert checkpointed(scaled, 0.3, times=2, mode="cos") == 2 * np.cos(0.3)
    (dx,) = engine.gradient(lambda x: checkpointed(scaled, x, times=2, mode="cos"), 0.3)
    assert dx == pytest.approx(-2 * np.sin(0.3), rel=1e-12)


def test_keyword_carrying_a_derivative_is_refused() -> None:
    def loss(x: float) -> float:
        return checkpointed(scaled, 0.3, times=x)

    with pytest.raises(UnsupportedConstructError, match=r"`times=` .*pass it positionally"):
        engine.gradient(loss, 2.0)


# -- the forward rule ------------------------------------------------------------------------


class RecordingForward(RuleConfig, HasForwardMode):
    """A forward engine that records what the rule asks of it and answers with `f`'s value
    and the sum of the argument tangents."""

    def __init__(self) -> None:
        self.asked: list[tuple[Any, ...]] = []

    def frule_via_ad(
        self, tangents: tuple[Any, ...], f: Callable[..., Any], /, *args: Any, **kwargs: Any
    ) -> Any:
        self.asked.append((tangents, f, args, kwargs))
        return f(*args, **kwargs), sum(tangents[1:])


def test_frule_hands_f_and_its_tangents_to_the_engine() -> None:
    config = RecordingForward()
    y, dy = frule(config, (NoTangent(), NoTangent(), 1.0), checkpointed, scaled, 0.3, times=2)
    assert (y, dy) == (scaled(0.3, times=2), 1.0)
    assert config.asked == [((NoTangent(), 1.0), scaled, (0.3,), {"times": 2})]


def test_frule_needs_a_forward_engine() -> None:
    assert frule((NoTangent(), NoTangent(), 1.0), checkpointed, scaled, 0.3, times=2) is None


# -- memory ----------------------------------------------------------------------------------


def elementwise_chain(x: np.ndarray) -> np.ndarray:
    h = np.tanh(x)
    h = np.sin(h) * h
    h = np.exp(-h * h)
    return h * x


def held_after_forward(loss: Callable[[np.ndarray], Any], x: np.ndarray) -> int:
    """The bytes allocated by the forward pass that are still alive when it returns."""
    engine.gradient(loss, x)  # the first call transforms the code: not counted
    gc.collect()
    tracemalloc.start()
    try:
        _, back = engine.pullback(loss, x)
        gc.collect()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    (dx,) = back(1.0)
    assert dx.shape == x.shape
    return held


def test_checkpointing_keeps_no_intermediates_between_the_passes() -> None:
    x = np.linspace(-1.0, 1.0, 500_000)
    plain = held_after_forward(lambda v: np.sum(elementwise_chain(v)), x)
    saved = held_after_forward(lambda v: np.sum(checkpointed(elementwise_chain, v)), x)
    # The plain pullbacks hold several arrays of x's size (tanh, sin, the products, ...);
    # the checkpointed one at most the output of `f`.
    assert plain > 4 * x.nbytes
    assert saved < 1.5 * x.nbytes
    assert saved < plain / 3
