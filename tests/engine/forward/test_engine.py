"""`ForwardEngine`: `frule_via_ad`, `rrule_via_ad` (a Jacobian by pushes forward), `show`,
user rules, and several threads differentiating at once."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import engine
from engine._forward import ForwardEngine
from rulescore import NoTangent, Tangent, ZeroTangent, frule

FORWARD = ForwardEngine()


def test_frule_via_ad_takes_and_returns_tangents() -> None:
    y, dy = FORWARD.frule_via_ad((NoTangent(), 1.0, ZeroTangent()), lambda x, c: c * x**2, 3.0, 2.0)
    assert (y, dy) == (18.0, 12.0)
    y, dy = FORWARD.frule_via_ad((NoTangent(), 1.0), lambda x, *, p: x**p, 2.0, p=3)
    assert (y, dy) == (8.0, 12.0)
    y, dy = FORWARD.frule_via_ad((NoTangent(), 1.0), lambda x: "label", 2.0)
    assert y == "label" and isinstance(dy, ZeroTangent)


def test_frule_via_ad_refuses_a_tangent_of_the_function() -> None:
    with pytest.raises(NotImplementedError, match="pass the values it closes over"):
        FORWARD.frule_via_ad((Tangent[object](), 1.0), lambda x: x, 1.0)


def test_rrule_via_ad_from_the_jacobian() -> None:
    y, back = FORWARD.rrule_via_ad(lambda x, n, s: np.sin(x) * n, np.array([0.5, 1.0]), 2, "s")
    np.testing.assert_allclose(y, 2 * np.sin([0.5, 1.0]))
    grads = back(np.array([1.0, -1.0]))
    np.testing.assert_allclose(grads[1], 2 * np.cos([0.5, 1.0]) * [1.0, -1.0])
    assert grads[2] == pytest.approx(np.sin(0.5) - np.sin(1.0))
    assert grads[0] == NoTangent() and grads[3] == NoTangent()


def test_show_returns_the_rewritten_code() -> None:
    def f(x, xs):
        y = x.sum() if x.ndim else x * x
        xs[0] = y
        y += xs[1]
        return -y @ xs

    code = engine.get_engine("forward").show(f)
    assert code.startswith("def forward")
    for text in ("call_method(x, 'sum')", "get_attr(x, 'ndim')", "set_item(xs, 0, y)"):
        assert text in code
    assert "update('add', y, get_item(xs, 1))" in code
    assert "call(neg, y)" in code and "call(matmul" in code
    with pytest.raises(TypeError, match="show needs a Python function"):
        engine.get_engine("forward").show(np.sin)


def test_show_keeps_helpers_apart_from_user_names() -> None:
    def f(x):
        call = 2.0
        return call * x

    code = engine.get_engine("forward").show(f)
    assert "call = 2.0" in code and "call_1(mul, call, x)" in code
    assert engine.jvp(f, (3.0,), (1.0,)) == (6.0, 2.0)


# -- user rules ------------------------------------------------------------------------------


def clipped_square(x):
    return min(x * x, 4.0)


@frule.register(clipped_square)
def _clipped_square_frule(tangents, x):
    y = clipped_square(x)
    return y, (2 * x * tangents[1] if y < 4.0 else 0.0) + 100.0  # marked, to see it is used


def late(x):
    return x * 3.0


def test_a_user_frule_is_used_also_inside_user_code() -> None:
    assert engine.jvp(clipped_square, (1.0,), (1.0,)) == (1.0, 102.0)
    assert engine.jvp(lambda x: clipped_square(x) * 2.0, (1.0,), (1.0,)) == (2.0, 204.0)


def test_a_rule_registered_after_the_first_call_is_used() -> None:
    f = lambda x: late(x) + 1.0  # noqa: E731
    assert engine.jvp(f, (1.0,), (1.0,)) == (4.0, 3.0)

    @frule.register(late)
    def _late_frule(tangents, x):
        return late(x), 7.0 * tangents[1]

    assert engine.jvp(f, (1.0,), (1.0,)) == (4.0, 7.0)


# -- threads ---------------------------------------------------------------------------------


def model(w, x):
    h = x
    for _ in range(3):
        h = np.tanh(w @ h)
    return np.sum(h**2)


def test_several_threads_differentiate_at_once() -> None:
    rng = np.random.default_rng(5)
    cases = [(rng.standard_normal((3, 3)), rng.standard_normal(3)) for _ in range(8)]
    expected = [engine.jvp(model, case, (np.ones((3, 3)), np.ones(3))) for case in cases]
    results: dict[int, tuple] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(cases))

    def work(i: int) -> None:
        try:
            barrier.wait()
            for _ in range(5):
                results[i] = engine.jvp(model, cases[i], (np.ones((3, 3)), np.ones(3)))
                results[i] = (
                    results[i],
                    engine.hvp(lambda v: model(cases[i][0], v), cases[i][1], np.ones(3)),
                )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(cases))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for i, (y, dy) in enumerate(expected):
        (got_y, got_dy), hvp = results[i]
        assert got_y == y and got_dy == dy
        reference = engine.hvp(lambda v, i=i: model(cases[i][0], v), cases[i][1], np.ones(3))
        np.testing.assert_array_equal(hvp, reference)
