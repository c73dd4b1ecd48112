"""What rulescore knows about arrays without importing NumPy.

An array reaches rulescore only from code that already imported its library, so the module
is taken from `sys.modules`. Arrays of other libraries that implement NumPy's dispatch
protocols (`__array_function__`) go through the same NumPy functions.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

__all__ = ["is_array", "is_numpy_scalar", "is_ufunc", "numpy"]


def numpy() -> ModuleType:
    """The already-imported NumPy module."""
    return sys.modules["numpy"]


def is_array(x: Any) -> bool:
    """True for an ndarray, or an array of a library that dispatches through NumPy."""
    np = sys.modules.get("numpy")
    if np is None:
        return False
    return isinstance(x, np.ndarray) or (
        hasattr(x, "__array_function__")
        and hasattr(x, "shape")
        and hasattr(x, "dtype")
        and not isinstance(x, np.generic)
    )


def is_numpy_scalar(x: Any) -> bool:
    """True for a NumPy scalar (`np.float32(1)`, `np.int64(2)`, ...)."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.generic)


def is_ufunc(x: Any) -> bool:
    """True for a NumPy ufunc (`np.sin`), a function object with no tangent space."""
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ufunc)
