"""Code written the way people write models: classes with properties, static methods,
class constants, constructors unpacking tuples, layers in lists, loops over rows, asserts
with f-strings, a random generator, dict lookups; checked against finite differences."""

from __future__ import annotations

import math

import numpy as np

import engine
from rulescore.testing._finite_differences import grad as fd_grad

RNG = np.random.default_rng(0)


class Dense:
    def __init__(self, w, b, act="tanh"):
        self.w, self.b, self.act = w, b, act

    @property
    def shape(self):
        return self.w.shape

    @staticmethod
    def activation(name):
        return {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}[name]

    def __call__(self, x):
        return self.activation(self.act)(x @ self.w + self.b)


class MLP:
    depth_scale = 0.5

    def __init__(self, layers):
        self.layers = layers

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            x = layer(x) * (self.depth_scale**i)
        return x


def loss(w1, w2, x, y):
    model = MLP([Dense(w1, np.zeros(w1.shape[1])), Dense(w2, 0.1, act="relu")])
    out = model(x)
    n = x.shape[0]
    assert out.shape == (n, model.layers[1].shape[1]), f"unexpected shape {out.shape}"
    err = out - y
    total = 0.0
    for row in err:
        total += float(np.dot(row, row)) / n
    reg = sum(np.sum(layer.w**2) for layer in model.layers)
    noise = RNG.normal(size=3).sum() * 0.0
    stats = {"mean": np.mean(out), "max": np.max(out)}
    return total + 1e-3 * reg + math.sqrt(stats.get("mean", 0.0) ** 2 + 1.0) + noise


def test_a_small_model_written_with_classes() -> None:
    rng = np.random.default_rng(1)
    args = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((4, 2)),
        rng.standard_normal((5, 3)),
        rng.standard_normal((5, 2)),
    )
    grads = engine.gradient(loss, *args)
    expected = fd_grad(loss, *args).value
    for g, e, a in zip(grads, expected, args, strict=True):
        assert g.shape == a.shape
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-9)
