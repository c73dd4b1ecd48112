"""Rules for NumPy, one module per topic."""

from rules.numpy import reductions, ufuncs

__all__ = ["reductions", "ufuncs"]
