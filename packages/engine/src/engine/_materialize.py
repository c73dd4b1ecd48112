"""Gradients as users get them: projected onto each input, thunks run, and typed zeros
turned into zeros of the input's shape and dtype (`0.0` for a float), so that
`w - lr * g` just works. Inputs without a tangent space (bool, str, None) get `NoTangent()`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    MissingRuleError,
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Tangent,
    backing,
    has_tangent_space,
    unthunk,
)
from rulescore._projection import object_fields

__all__ = ["materialize"]


def materialize(x: Any, dx: Any) -> Any:
    """The gradient of input `x` from the cotangent `dx`, as a concrete value.

    >>> import numpy as np
    >>> from rulescore import ZeroTangent
    >>> materialize(2.0, ZeroTangent()), materialize(np.ones(2, np.float32), ZeroTangent())
    (0.0, array([0., 0.], dtype=float32))
    >>> materialize({"w": 1.0, "n": True}, {"w": 3})
    {'w': 3.0, 'n': NoTangent()}
    """
    dx = unthunk(dx)
    if not has_tangent_space(x):
        return NoTangent()
    if isinstance(dx, AbstractZero):
        return _zeros(x)
    dx = ProjectTo(x)(dx)
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return _zeros(x)
    if isinstance(dx, NotImplementedTangent):
        raise MissingRuleError(
            f"a rule does not implement a derivative this gradient needs: {dx.info} "
            f"(at {dx.location})"
        )
    if isinstance(x, dict):
        return {
            k: materialize(v, dx.get(k, NoTangent()) if isinstance(dx, dict) else dx)
            for k, v in x.items()
        }
    if isinstance(x, (tuple, list)) and not hasattr(type(x), "_fields"):
        return type(x)(materialize(xi, di) for xi, di in zip(x, dx, strict=True))
    if isinstance(dx, Tangent):
        fields = object_fields(x) or {}
        given = backing(dx)
        return type(dx)(**{k: materialize(v, given.get(k, NoTangent())) for k, v in fields.items()})
    if isinstance(dx, np.ndarray) and not dx.flags.writeable:
        return dx.copy()  # a broadcast view from a rule: the user gets an array of their own
    return dx


def _zeros(x: Any) -> Any:
    if isinstance(x, (bool, np.bool_)) or not has_tangent_space(x):
        return NoTangent()
    if isinstance(x, (int, float)) and not isinstance(x, np.generic):
        return 0.0
    if isinstance(x, complex):
        return 0j
    if isinstance(x, np.generic):
        return type(x)(0)
    if isinstance(x, np.ndarray):
        return np.zeros_like(x)
    if isinstance(x, dict):
        return {k: _zeros(v) for k, v in x.items()}
    if isinstance(x, (tuple, list)) and not hasattr(type(x), "_fields"):
        return type(x)(_zeros(v) for v in x)
    fields = object_fields(x)
    if fields is not None:
        return Tangent[type(x)](**{k: _zeros(v) for k, v in fields.items()})  # type: ignore[misc]
    return np.zeros_like(x)
