"""Rules for NumPy, one module per topic."""

from rules.numpy import (
    calculus,
    construction,
    fft,
    indexing,
    linalg,
    methods,
    nondifferentiable,
    products,
    reductions,
    rounding,
    shapes,
    sorting,
    ufuncs,
)

__all__ = [
    "calculus",
    "construction",
    "fft",
    "indexing",
    "linalg",
    "methods",
    "nondifferentiable",
    "products",
    "reductions",
    "rounding",
    "shapes",
    "sorting",
    "ufuncs",
]
