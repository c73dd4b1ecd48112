"""Rules for `scipy.special`, one module per family of functions."""

from rules.scipy.special import (
    bessel,
    errors,
    gamma,
    hypergeometric,
    incomplete,
    information,
    integrals,
    logistic,
    transforms,
)

__all__ = [
    "bessel",
    "errors",
    "gamma",
    "hypergeometric",
    "incomplete",
    "information",
    "integrals",
    "logistic",
    "transforms",
]
