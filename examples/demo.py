"""The main job: derivatives from rules, by hand, checked against finite differences.

It uses the rule library (`rules`) and two rules of its own. Until the engine lands, it plays
the engine's part: it runs a small model forward through `rrule`, keeps the pullbacks, and
runs them backward to get the gradient, the way the source-to-source engine's generated code
will. Run it with `python3 dev.py demo`.
"""

from __future__ import annotations

import numpy as np

import rules  # noqa: F401  (registers the library's rules: np.tanh, np.sum, ...)
from rulescore import NoTangent, ProjectTo, rrule, scalar_rule, unbroadcast
from rulescore.testing import RuleTestFailure, grad, test_frule, test_rrule, test_scalar


def softplus(x: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, x)


def affine(w: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    return w @ x + b


# Elementwise calculus, one line per function: the partials in terms of inputs and output.
scalar_rule(softplus, lambda x, y: 1 / (1 + np.exp(-x)))


@rrule.register(affine)
def _(w: np.ndarray, x: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, object]:
    project_w, project_x, project_b = ProjectTo(w), ProjectTo(x), ProjectTo(b)

    def affine_pullback(dy: np.ndarray) -> tuple[object, ...]:
        return (
            NoTangent(),
            project_w(np.outer(dy, x)),
            project_x(w.T @ dy),
            project_b(unbroadcast(b, dy)),
        )

    return affine(w, x, b), affine_pullback


def loss(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> float:
    return float(np.sum(softplus(np.tanh(affine(w, x, b)))))


def gradient_by_rules(w: np.ndarray, b: np.ndarray, x: np.ndarray) -> tuple[float, tuple]:
    """What an engine does: the forward pass records pullbacks, the backward pass replays them."""
    h, back_affine = rrule(affine, w, x, b)
    a, back_tanh = rrule(np.tanh, h)
    s, back_softplus = rrule(softplus, a)
    y = float(np.sum(s))
    ds = np.ones_like(s)  # the pullback of sum
    _, da = back_softplus(ds)
    _, dh = back_tanh(da)
    _, dw, _, db = back_affine(dh)
    return y, (dw, db)


def main() -> None:
    rng = np.random.default_rng(0)
    w, b, x = rng.standard_normal((3, 4)), rng.standard_normal(3), rng.standard_normal(4)

    y, (dw, db) = gradient_by_rules(w, b, x)
    fd = grad(loss, w, b, x).value
    worst = max(np.abs(dw - fd[0]).max(), np.abs(db - fd[1]).max())
    print(f"loss = {y:.6f}")
    print(f"d loss / d b, from rules:               {np.array2string(db, precision=6)}")
    print(f"d loss / d b, from finite differences:  {np.array2string(fd[1], precision=6)}")
    print(f"max |rules - FD| over w and b: {worst:.2e}")

    print("\nThe harness checks each rule against finite differences, in both modes:")
    test_rrule(affine, w, x, b)
    test_rrule(affine, w.astype(np.float32), x.astype(np.float32), b.astype(np.float32))
    test_scalar(softplus, 0.3)
    test_frule(np.tanh, rng.standard_normal((2, 3)))  # the library's rule
    print("  rrule(affine) float64 and float32, softplus (both modes), frule(np.tanh): all pass")

    print("\n...and catches a wrong rule (tanh' written as 1 - y instead of 1 - y**2):")

    def my_tanh(x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    scalar_rule(my_tanh, lambda x, y: 1 - y)
    try:
        test_rrule(my_tanh, rng.standard_normal(3))
    except RuleTestFailure as failure:
        print("  " + str(failure).replace("\n", "\n  "))
    else:
        raise SystemExit("the harness missed a wrong rule")


if __name__ == "__main__":
    main()
