"""The main job: derivatives of plain Python/NumPy code, checked against finite differences.

`engine.gradient` differentiates ordinary code (loops, branches, a user's helpers) from its
source; NumPy calls go through the rule library, and two rules of its own (`softplus`,
`affine`) are picked up as soon as they are registered. Forward mode (`jvp`) and the
Hessian (forward over reverse) run on the same code. The harness then checks those rules.
Run it with `python3 dev.py demo`.
"""

from __future__ import annotations

import numpy as np

import engine
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
    h = x
    for _ in range(3):  # a small recurrent model: control flow is differentiated as written
        h = np.tanh(affine(w, h, b))
        if np.max(h) > 0.9:
            h = 0.5 * h
    return float(np.sum(softplus(h)))


def main() -> None:
    rng = np.random.default_rng(0)
    w, b, x = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)

    y, (dw, db, dx) = engine.withgradient(loss, w, b, x)
    fd = grad(loss, w, b, x).value
    worst = max(np.abs(g - f).max() for g, f in zip((dw, db, dx), fd, strict=True))
    print(f"loss = {y:.6f}")
    print(f"d loss / d b, engine.gradient:          {np.array2string(db, precision=6)}")
    print(f"d loss / d b, finite differences:       {np.array2string(fd[1], precision=6)}")
    print(f"max |engine - FD| over w, b and x: {worst:.2e}")

    direction = rng.standard_normal(4)
    _, slope = engine.jvp(loss, (w, b, x), (np.zeros((4, 4)), direction, np.zeros(4)))
    print(
        f"forward mode, d loss along a direction of b: {slope:.6f} (gradient: {db @ direction:.6f})"
    )
    hessian = engine.hessian(lambda b: loss(w, b, x), b)  # forward over reverse
    fd_hessian = np.stack(
        [
            (
                engine.gradient(loss, w, b + 1e-6 * e, x)[1]
                - engine.gradient(loss, w, b - 1e-6 * e, x)[1]
            )
            / 2e-6
            for e in np.eye(4)
        ],
        axis=1,
    )
    print(
        f"hessian in b, max |engine - FD of the gradient|: {np.abs(hessian - fd_hessian).max():.2e}"
    )

    f = lambda x: 5 * x + 3  # noqa: E731  (the seed's example)
    print(f"\nf(10) = {f(10)}, derivative(f)(10) = {engine.derivative(f)(10)}, and the code:")
    print("  " + engine.show_code(f).replace("\n", "\n  "))

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
