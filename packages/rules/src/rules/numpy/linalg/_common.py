"""Helpers shared by the rule modules of `rules.numpy.linalg`: the matrix transposes and
diagonals of stacked matrices, reading tangents (zeros as `None`, fields of tuple outputs),
binding a call's options by name, and a guarded reciprocal.

Nothing here is public: the rule modules import these helpers by name.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import AbstractZero, NoTangent, ZeroTangent, unthunk

__all__: list[str] = []

Pullback = Callable[[Any], tuple[Any, ...]]
Rrule = tuple[Any, Pullback]

LinAlgError = np.linalg.LinAlgError


def _mH(x: Any) -> Any:
    return np.conj(np.swapaxes(x, -1, -2))


def _herm(x: Any) -> Any:
    return (x + _mH(x)) / 2


def _diag(x: Any) -> Any:
    return np.diagonal(x, axis1=-2, axis2=-1)


def _value(t: Any) -> Any:
    """A tangent unthunked, or `None` for a zero."""
    t = unthunk(t)
    return None if isinstance(t, AbstractZero) else t


def _field(dy: Any, i: int, name: str) -> Any:
    """Field `i` (`name`) of the tangent of a tuple or namedtuple output, `None` for a zero."""
    if isinstance(dy, dict):
        return _value(dy.get(name, ZeroTangent()))
    return _value(dy[i])


def _options(args: tuple[Any, ...]) -> tuple[NoTangent, ...]:
    return (NoTangent(),) * len(args)


@functools.cache
def _signature(f: Callable[..., Any]) -> inspect.Signature:
    return inspect.signature(f)


def _bind(f: Callable[..., Any], *args: Any, **kwargs: Any) -> dict[str, Any]:
    """`f`'s arguments by name, defaults filled in."""
    bound = _signature(f).bind(*args, **kwargs)
    bound.apply_defaults()
    return bound.arguments


def _safe_inverse(s: Any) -> Any:
    return np.where(s == 0, 0, 1 / np.where(s == 0, 1, s))
