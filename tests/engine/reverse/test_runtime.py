"""The runtime helpers of generated code: accumulation of adjoints, in place only when safe."""

from __future__ import annotations

import numpy as np

import engine
from engine._reverse._runtime import Z, acc


def test_acc_adds_into_an_array_only_the_adjoint_holds() -> None:
    total = np.ones(3) + 1.0  # held by this variable only
    result = acc(total, np.ones(3))
    assert result is total
    np.testing.assert_array_equal(total, [3.0, 3.0, 3.0])


def test_acc_leaves_an_array_held_elsewhere_alone() -> None:
    total = np.ones(3) + 1.0
    alias = total
    result = acc(total, np.ones(3))
    assert result is not total
    np.testing.assert_array_equal(alias, [2.0, 2.0, 2.0])


def test_acc_never_writes_into_a_view() -> None:
    base = np.ones(4)
    view = base[:2]
    del base
    result = acc(view, np.ones(2))
    assert result is not view


def test_acc_treats_every_zero_as_the_identity() -> None:
    assert acc(Z, Z) is Z
    assert acc(2.0, Z) == 2.0
    assert acc(Z, 1.5) == 1.5


def test_repeated_uses_of_an_array_accumulate_correctly() -> None:
    x = np.arange(3.0)

    def f(x):
        return np.sum(x * 1.0) + np.sum(x * 2.0) + np.sum(x * 3.0) + np.sum(x[1:])

    (g,) = engine.gradient(f, x)
    np.testing.assert_array_equal(g, [6.0, 7.0, 7.0])
    np.testing.assert_array_equal(x, [0.0, 1.0, 2.0])  # the input is untouched


def test_debug_switch_prints_the_code_after_each_pass(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ENGINE_DEBUG_PASSES", "1")

    def branchy(x):
        if x > 0:
            x = x * x
        for _ in range(2):
            x = x + 1.0
        return x

    assert engine.gradient(branchy, 2.0) == (4.0,)
    printed = capsys.readouterr().out
    for name in ("== flatten", "== remove_jumps", "== generate", "primal(x > 0)"):
        assert name in printed


def test_gradients_are_arrays_the_user_owns() -> None:
    # np.sum's pullback broadcasts the seed (a read-only view); the user gets a copy.
    (g,) = engine.gradient(np.sum, np.ones((2, 3)))
    assert g.flags.writeable and g.base is None
    g += 1.0
    np.testing.assert_array_equal(g, np.full((2, 3), 2.0))


def test_acc_adds_an_inplaceable_thunk_into_a_fresh_partner() -> None:
    from rulescore import InplaceableThunk, Thunk

    def add_first(buffer):
        buffer[0] += 10.0
        return buffer

    total = InplaceableThunk(add_first, Thunk(lambda: np.array([10.0, 0.0])))
    result = acc(total, Thunk(lambda: np.ones(2) * 2.0))
    np.testing.assert_array_equal(result, [12.0, 2.0])
    shared = np.ones(2)  # a partner someone else holds is never written into
    total = InplaceableThunk(add_first, Thunk(lambda: np.array([10.0, 0.0])))
    result = acc(total, Thunk(lambda: shared))
    np.testing.assert_array_equal(result, [11.0, 1.0])
    np.testing.assert_array_equal(shared, [1.0, 1.0])


def test_acc_adds_a_sparse_total_into_a_dense_partner_when_it_is_needed() -> None:
    from rulescore import InplaceableThunk, Thunk, unthunk

    def add_first(buffer):
        buffer[0] += 10.0
        return buffer

    def sparse():
        return InplaceableThunk(add_first, Thunk(lambda: np.array([10.0, 0.0])))

    # The partner is still held (as by a sibling cotangent's thunk): the sum waits, then
    # writes into the partner once nothing else holds it.
    partner = np.ones(2) * 2.0
    address = partner.ctypes.data
    result = acc(sparse(), partner)
    del partner
    value = unthunk(result)
    np.testing.assert_array_equal(value, [12.0, 2.0])
    assert value.ctypes.data == address
    # Still held when the sum is needed: a copy is written, the partner left alone.
    shared = np.ones(2)
    np.testing.assert_array_equal(unthunk(acc(sparse(), shared)), [11.0, 1.0])
    np.testing.assert_array_equal(shared, [1.0, 1.0])
    # A dense total held elsewhere too (`alias`), a sparse part: the same.
    alias = shared
    np.testing.assert_array_equal(unthunk(acc(shared, sparse())), [11.0, 1.0])
    np.testing.assert_array_equal(alias, [1.0, 1.0])


def test_sparse_cotangents_of_max_and_indexing_add_into_one_array() -> None:
    z = np.array([[1.0, 4.0, 2.0], [3.0, -1.0, 0.5]])
    labels = np.array([2, 0])

    def loss(z):  # the shape of a softmax cross-entropy
        m = np.max(z, axis=1, keepdims=True)
        lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
        return np.mean(lse - z[np.arange(2), labels])

    (g,) = engine.gradient(loss, z)
    p = np.exp(z) / np.sum(np.exp(z), axis=1, keepdims=True)
    p[np.arange(2), labels] -= 1.0
    np.testing.assert_allclose(g, p / 2, rtol=1e-14, atol=1e-16)


def test_the_dispatch_cache_keeps_no_instance_alive() -> None:
    import gc
    import weakref

    class Scale:
        def __init__(self, w):
            self.w = w

        def __call__(self, x):
            return self.w * x

        def twice(self, x):
            return 2.0 * self(x)

    model = Scale(3.0)
    assert engine.gradient(lambda m, x: m(x) + m.twice(x), model, 2.0)[1] == 9.0
    alive = weakref.ref(model)
    del model
    gc.collect()
    assert alive() is None
