"""Rules for Python itself: the `operator` module, builtins, `math` and `cmath`."""

from rules.python import builtins, cmath, math, operators

__all__ = ["builtins", "cmath", "math", "operators"]
