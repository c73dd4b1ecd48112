"""Tests of engine/_hook.py: the identity forward, `fn` applied to the cotangent backward,
checked by hand and against finite differences; recording, printing, loops, forward mode."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import engine
from engine import hook
from rulescore import NoTangent, TangentShapeError, ZeroTangent, frule, rrule
from rulescore.testing import grad as fd_grad


def clip(dx: Any) -> Any:
    return np.clip(dx, -1.0, 1.0)


def double(dx: Any) -> Any:
    return 2 * dx


def test_forward_is_the_identity() -> None:
    x = np.array([1.0, 2.0])
    assert hook(clip, x) is x
    assert hook(clip, 3.0) == 3.0


def test_gradient_clipping_by_hand() -> None:
    x = np.array([0.25, 3.0, -2.0])
    (dx,) = engine.gradient(lambda x: np.sum(hook(clip, x) ** 2), x)
    np.testing.assert_array_equal(dx, [0.5, 1.0, -1.0])  # 2x, clipped
    assert dx.dtype == x.dtype


def test_hook_changes_only_the_path_through_it() -> None:
    def loss(x: float, y: float) -> float:
        return hook(double, x * y) + x

    assert engine.gradient(loss, 3.0, 5.0) == (2 * 5.0 + 1.0, 2 * 3.0)


def test_identity_hook_matches_finite_differences() -> None:
    def identity(dx: Any) -> Any:
        return dx

    def loss(w: np.ndarray, x: np.ndarray) -> Any:
        hidden = hook(identity, np.tanh(w @ x))
        return np.sum(np.sin(hidden) * hidden)

    rng = np.random.default_rng(3)
    w, x = rng.standard_normal((3, 2)), rng.standard_normal(2)
    reference = fd_grad(loss, w, x)
    for got, want in zip(engine.gradient(loss, w, x), reference.value, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-7, atol=1e-9 + 10 * reference.error)


def test_scaling_hook_scales_the_finite_difference_gradient() -> None:
    def loss(x: np.ndarray) -> Any:
        return np.sum(np.exp(hook(double, x)))

    x = np.array([0.1, -0.4])
    reference = fd_grad(lambda x: np.sum(np.exp(x)), x)
    np.testing.assert_allclose(engine.gradient(loss, x)[0], 2 * reference.value[0], rtol=1e-7)


def test_hook_records_the_cotangent() -> None:
    seen: list[Any] = []

    def record(dx: Any) -> Any:
        seen.append(dx)
        return dx

    x = np.array([1.0, 2.0])
    w = np.array([3.0, -4.0])
    (dx,) = engine.gradient(lambda x: np.sum(w * hook(record, x**2)), x)
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], w)
    np.testing.assert_array_equal(dx, 2 * x * w)


def test_hook_prints_the_cotangent(capsys: pytest.CaptureFixture[str]) -> None:
    def show(dx: Any) -> Any:
        print(f"cotangent: {dx}")
        return dx

    engine.gradient(lambda x: 3.0 * hook(show, x), 2.0)
    assert capsys.readouterr().out == "cotangent: 3.0\n"


def test_hook_gets_materialized_zeros() -> None:
    seen: list[Any] = []

    def record(dx: Any) -> Any:
        seen.append(dx)
        return dx

    x = np.ones(2, dtype=np.float32)
    _, back = rrule(hook, record, x)
    d_hook, d_fn, dx = back(ZeroTangent())
    assert seen[0].dtype == np.float32 and seen[0].shape == (2,)
    np.testing.assert_array_equal(seen[0], 0.0)
    assert (d_hook, d_fn) == (NoTangent(), NoTangent())
    np.testing.assert_array_equal(dx, 0.0)


def test_hook_result_must_fit_the_input() -> None:
    def wrong_shape(dx: Any) -> Any:
        return np.ones(3)

    with pytest.raises(TangentShapeError):
        engine.gradient(lambda x: np.sum(hook(wrong_shape, x)), np.ones(2))


def test_hook_inside_a_loop_runs_once_per_iteration() -> None:
    seen: list[float] = []

    def record_and_double(dx: float) -> float:
        seen.append(dx)
        return 2 * dx

    def loop(x: float, a: float) -> float:
        for _ in range(3):
            x = hook(record_and_double, a * x)
        return x

    # y = a^3 x; each hook doubles the cotangent that passes it: dx = 8 a^3.
    assert engine.gradient(loop, 1.5, 0.5)[0] == pytest.approx(8 * 0.5**3, rel=1e-12)
    # Backward from the last iteration: 1, then 2a, then (2a)^2.
    assert seen == pytest.approx([1.0, 2 * 0.5, (2 * 0.5) ** 2], rel=1e-12)


def test_hook_on_clipped_steps_of_a_loop() -> None:
    def loss(x: np.ndarray) -> Any:
        for _ in range(2):
            x = hook(clip, 3.0 * x)
        return np.sum(x)

    # Each step multiplies the cotangent by 3, then the hook clips it to [-1, 1].
    (dx,) = engine.gradient(loss, np.array([1.0, -2.0]))
    np.testing.assert_array_equal(dx, [3.0, 3.0])


def test_frule_passes_the_tangent_unchanged() -> None:
    called: list[Any] = []

    def never(dx: Any) -> Any:
        called.append(dx)
        return dx

    assert frule((NoTangent(), NoTangent(), 0.5), hook, never, 2.0) == (2.0, 0.5)
    assert called == []


def test_hook_in_a_checkpointed_function() -> None:
    def block(x: float) -> float:
        return hook(double, x * x)

    assert engine.gradient(lambda x: engine.checkpointed(block, x), 3.0) == (12.0,)


def test_lambda_hook() -> None:
    assert engine.gradient(lambda x: hook(lambda dx: 0.5 * dx, x) * 4.0, 1.0) == (2.0,)
