"""How accurate are rulescore's finite differences, and are their error bounds honest?

For ten smooth functions at 20 random points each, compares `jvp` (central, 5 points) with
the exact derivative, for float64 and float32 inputs, and prints per function and precision
the worst relative error and the largest ratio of actual error to the error bound (the
bound held everywhere when that ratio is <= 1). Points are drawn where |f'| is not small, so
that a relative error means something.

    .venv/bin/python examples/fd_accuracy.py [--seed N] [--points N]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

import numpy as np

from rulescore.testing._finite_differences import jvp

Function = Callable[[np.ndarray], np.ndarray]

# name: (f, exact f', interval of the points)
FUNCTIONS: dict[str, tuple[Function, Function, tuple[float, float]]] = {
    "sin": (np.sin, np.cos, (-1.2, 1.2)),
    "cos": (np.cos, lambda x: -np.sin(x), (0.3, 2.8)),
    "exp": (np.exp, np.exp, (-2.0, 3.0)),
    "log": (np.log, lambda x: 1 / x, (0.3, 5.0)),
    "sqrt": (np.sqrt, lambda x: 0.5 / np.sqrt(x), (0.3, 5.0)),
    "tanh": (np.tanh, lambda x: 1 / np.cosh(x) ** 2, (-2.0, 2.0)),
    "atan": (np.arctan, lambda x: 1 / (1 + x**2), (-3.0, 3.0)),
    "1/(1+x^2)": (lambda x: 1 / (1 + x**2), lambda x: -2 * x / (1 + x**2) ** 2, (0.3, 3.0)),
    "x**5": (lambda x: x**5, lambda x: 5 * x**4, (0.3, 2.0)),
    "exp(sin(x))": (
        lambda x: np.exp(np.sin(x)),
        lambda x: np.cos(x) * np.exp(np.sin(x)),
        (-1.2, 1.2),
    ),
}
DTYPES = (np.float64, np.float32)


def measure(
    f: Function, df: Function, points: np.ndarray, dtype: type[np.floating]
) -> tuple[float, float]:
    """The worst relative error of `jvp` at `points` and the worst ratio of error to bound."""
    worst_error = worst_ratio = 0.0
    for point in points.astype(dtype):
        result = jvp(f, (point,), (1.0,))
        exact = df(np.float64(point))
        error = abs(float(result.value) - exact)
        worst_error = max(worst_error, error / abs(exact))
        worst_ratio = max(worst_ratio, error / result.error if result.error else np.inf)
    return worst_error, worst_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--points", type=int, default=20)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)

    header = f"{'function':<12}" + "".join(
        f" | {np.dtype(t).name + ' rel. error':>18} {'err/bound':>9}" for t in DTYPES
    )
    print(header)
    print("-" * len(header))
    held = True
    for name, (f, df, (low, high)) in FUNCTIONS.items():
        points = rng.uniform(low, high, args.points)
        row = f"{name:<12}"
        for dtype in DTYPES:
            error, ratio = measure(f, df, points, dtype)
            held &= ratio <= 1.0
            row += f" | {error:>18.2e} {ratio:>9.2f}"
        print(row)
    print(f"\nthe error bound held at every point: {'yes' if held else 'NO'}")


if __name__ == "__main__":
    main()
