"""The tangent of a derivative that a rule does not implement (yet), and its constructor."""

from __future__ import annotations

import sys
from typing import Any

from rulescore._tangent_types.base import AbstractTangent
from rulescore._tangent_types.zero import AbstractZero

__all__ = ["NotImplementedTangent", "not_implemented"]


class NotImplementedTangent(AbstractTangent):
    """A derivative that exists but that a rule does not compute, with the reason and place.

    It wins `+` (adding a known part to an unknown one stays unknown) and loses `*` to the
    zeros (an unknown times zero is zero). Engines raise it to the user only if it reaches an
    input's gradient. Build it with `not_implemented`, which records where.

    >>> from rulescore import ZeroTangent
    >>> ni = NotImplementedTangent("derivative in the order `v`", "bessel.py:12")
    >>> ni + 1.0 is ni, ni * ZeroTangent(), ni * 2.0 is ni
    (True, ZeroTangent(), True)
    """

    __slots__ = ("info", "location")

    def __init__(self, info: str, location: str = "<unknown>") -> None:
        self.info = info
        self.location = location

    def __repr__(self) -> str:
        return f"NotImplementedTangent({self.info!r}, {self.location!r})"

    def __add__(self, other: Any) -> NotImplementedTangent:
        return self

    __radd__ = __add__
    __sub__ = __add__
    __rsub__ = __add__

    def __neg__(self) -> NotImplementedTangent:
        return self

    def __mul__(self, other: Any) -> Any:
        return other if isinstance(other, AbstractZero) else self

    __rmul__ = __mul__
    __matmul__ = __mul__
    __rmatmul__ = __mul__
    __truediv__ = __mul__

    def conjugate(self) -> NotImplementedTangent:
        return self


def not_implemented(info: str) -> NotImplementedTangent:
    """`not_implemented(info)`: a `NotImplementedTangent` that records the caller's file:line.

    Return it from a pullback for an argument whose derivative the rule does not compute, so
    that engines and the harness can tell "unknown" from "zero".

    >>> t = not_implemented("derivative in `a` of gammainc")
    >>> t.info, t.location.endswith(":1")
    ('derivative in `a` of gammainc', True)
    """
    frame = sys._getframe(1)
    return NotImplementedTangent(info, f"{frame.f_code.co_filename}:{frame.f_lineno}")
