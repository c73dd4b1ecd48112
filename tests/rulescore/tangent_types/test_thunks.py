"""Tests of rulescore/_tangent_types/thunks.py: `Thunk`, `InplaceableThunk`, `unthunk`."""

import threading
import time

import numpy as np
import pytest

from rulescore import AbstractTangent, InplaceableThunk, Thunk, ZeroTangent, unthunk


class Counter:
    """A thunk body that counts its calls."""

    def __init__(self, value):
        self.value = value
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.value


def test_a_thunk_is_a_tangent_and_lazy():
    body = Counter(2.0)
    t = Thunk(body)
    assert isinstance(t, AbstractTangent)
    assert body.calls == 0


def test_unthunk_runs_the_body_once_and_keeps_the_value():
    body = Counter(np.arange(3.0))
    t = Thunk(body)
    first = unthunk(t)
    assert unthunk(t) is first
    assert t.unthunk() is first
    assert body.calls == 1


@pytest.mark.parametrize("value", [1.0, "text", None, (1.0, 2.0), ZeroTangent()], ids=repr)
def test_unthunk_leaves_other_values_unchanged(value):
    assert unthunk(value) is value


def test_unthunk_does_not_search_containers():
    t = Thunk(lambda: 1.0)
    assert unthunk([t])[0] is t


def test_nested_thunks_unthunk_fully():
    inner = Counter(3.0)
    t = Thunk(lambda: Thunk(lambda: Thunk(inner)))
    assert unthunk(t) == 3.0
    assert not isinstance(unthunk(t), Thunk)
    assert inner.calls == 1


def test_a_body_that_raises_is_run_again_next_time():
    attempts = []

    def flaky():
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first try fails")
        return 1.0

    t = Thunk(flaky)
    with pytest.raises(RuntimeError, match="first try fails"):
        unthunk(t)
    assert unthunk(t) == 1.0


def test_the_body_runs_once_when_many_threads_unthunk_at_once():
    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.02)
        return np.ones(2)

    t = Thunk(slow)
    start = threading.Barrier(8)
    results = []

    def worker():
        start.wait()
        results.append(unthunk(t))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert len(results) == 8
    assert all(r is results[0] for r in results)


def test_repr_does_not_force_the_thunk():
    body = Counter(2.5)
    t = Thunk(body)
    assert "pending" in repr(t)
    assert body.calls == 0
    unthunk(t)
    assert repr(t) == "Thunk(Counter: 2.5)"


def test_repr_names_the_body():
    def expensive_cotangent():
        return 1.0

    assert "expensive_cotangent" in repr(Thunk(expensive_cotangent))


# --- implicit unthunking ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        (lambda t: t + 1.0, 3.0),
        (lambda t: 1.0 + t, 3.0),
        (lambda t: t - 1.0, 1.0),
        (lambda t: 1.0 - t, -1.0),
        (lambda t: t * 3.0, 6.0),
        (lambda t: 3.0 * t, 6.0),
        (lambda t: t / 4.0, 0.5),
        (lambda t: -t, -2.0),
        (lambda t: t + Thunk(lambda: 1.0), 3.0),
        (lambda t: t.conjugate(), 2.0),
    ],
    ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "neg", "thunk+thunk", "conj"],
)
def test_arithmetic_unthunks(operation, expected):
    body = Counter(2.0)
    assert operation(Thunk(body)) == expected
    assert body.calls == 1


def test_conjugate_of_a_complex_value():
    assert Thunk(lambda: 1.0 + 2.0j).conjugate() == 1.0 - 2.0j


def test_indexing_unthunks():
    t = Thunk(lambda: (1.0, 2.0))
    assert t[1] == 2.0


def test_adding_a_zero_to_a_thunk_keeps_it_lazy():
    body = Counter(1.0)
    t = Thunk(body)
    assert (ZeroTangent() + t) is t
    assert body.calls == 0


def test_matrix_multiplication_unthunks_on_either_side():
    a = np.array([[1.0, 2.0], [3.0, 4.0]])
    t = Thunk(lambda: np.eye(2))
    np.testing.assert_array_equal(t @ a, a)
    np.testing.assert_array_equal(a @ t, a)


def test_array_plus_thunk_is_an_array():
    x = np.ones(3)
    t = Thunk(lambda: np.arange(3.0))
    for total in (x + t, t + x):
        assert isinstance(total, np.ndarray)
        assert total.dtype == np.float64
        np.testing.assert_array_equal(total, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(x * t, [0.0, 1.0, 2.0])


def test_np_asarray_of_a_thunk():
    value = np.arange(3.0)
    converted = np.asarray(Thunk(lambda: value))
    assert converted is value
    assert np.asarray(Thunk(lambda: 2.0)).shape == ()
    assert np.asarray(Thunk(lambda: value), dtype=np.float32).dtype == np.float32


def test_np_array_of_a_thunk_copies_so_the_cached_value_is_safe():
    value = np.arange(3.0)
    t = Thunk(lambda: value)
    copied = np.array(t)
    copied[0] = 10.0
    np.testing.assert_array_equal(unthunk(t), [0.0, 1.0, 2.0])


# --- InplaceableThunk ---------------------------------------------------------------------


def make_inplaceable(dy):
    body = Counter(dy)
    added = []

    def add_dy(acc):
        added.append(acc)
        acc += dy
        return acc

    return InplaceableThunk(add_dy, Thunk(body)), body, added


def test_inplaceable_add_fn_adds_into_the_accumulator_without_unthunking():
    t, body, added = make_inplaceable(np.array([1.0, 2.0]))
    acc = np.ones(2)
    assert t.add_fn(acc) is acc
    np.testing.assert_array_equal(acc, [2.0, 3.0])
    assert added == [acc]
    assert body.calls == 0


def test_inplaceable_unthunks_to_the_thunks_value():
    t, body, _ = make_inplaceable(np.array([1.0, 2.0]))
    assert isinstance(t, Thunk)
    np.testing.assert_array_equal(unthunk(t), [1.0, 2.0])
    unthunk(t)
    assert body.calls == 1


def test_inplaceable_accepts_a_plain_callable_for_the_value():
    body = Counter(4.0)
    t = InplaceableThunk(lambda acc: acc, body)
    assert body.calls == 0
    assert unthunk(t) == 4.0
    assert t + 1.0 == 5.0
    assert body.calls == 1


def test_inplaceable_arithmetic_unthunks():
    t, _, added = make_inplaceable(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(np.ones(2) + t, [2.0, 3.0])
    assert added == []


def test_a_thunk_that_unthunks_itself_fails_instead_of_hanging():
    holder = []
    thunk = Thunk(lambda: unthunk(holder[0]) + 1)
    holder.append(thunk)
    with pytest.raises(RecursionError):
        unthunk(thunk)
