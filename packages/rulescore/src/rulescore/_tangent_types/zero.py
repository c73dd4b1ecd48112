"""The two zero tangents: `ZeroTangent` (the derivative is zero) and `NoTangent` (none exists).

Both are identities for `+` and absorbing for `*`. Where they meet, `NoTangent` wins `+` and
`ZeroTangent` wins `*`, as in ChainRulesCore.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rulescore._tangent_types.base import AbstractTangent

__all__ = ["AbstractZero", "NoTangent", "ZeroTangent"]


class AbstractZero(AbstractTangent):
    """Base of the zero tangents: `x + zero == x`, `x * zero == zero`, `-zero == zero`.

    Each subclass has a single instance: `ZeroTangent() is ZeroTangent()`.

    >>> import numpy as np
    >>> x = np.ones(2)
    >>> (x + ZeroTangent()) is x, ZeroTangent() * x, 3.0 - NoTangent()
    (True, ZeroTangent(), 3.0)
    """

    __slots__ = ()
    _instance: ClassVar[AbstractZero | None] = None

    def __new__(cls) -> Any:
        if cls is AbstractZero:
            raise TypeError("AbstractZero is abstract: use ZeroTangent() or NoTangent()")
        if cls.__dict__.get("_instance") is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"

    def __reduce__(self) -> tuple[type, tuple[()]]:
        return (type(self), ())

    def __copy__(self) -> AbstractZero:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> AbstractZero:
        return self

    def __add__(self, other: Any) -> Any:
        return other

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return -other

    def __rsub__(self, other: Any) -> Any:
        return other

    def __neg__(self) -> AbstractZero:
        return self

    __pos__ = __neg__

    def __mul__(self, other: Any) -> AbstractZero:
        return self

    __rmul__ = __mul__
    __matmul__ = __mul__
    __rmatmul__ = __mul__
    __truediv__ = __mul__

    def __getitem__(self, key: Any) -> AbstractZero:
        return self

    def conjugate(self) -> AbstractZero:
        return self

    @property
    def real(self) -> AbstractZero:
        return self

    @property
    def imag(self) -> AbstractZero:
        return self


class ZeroTangent(AbstractZero):
    """The tangent of a value whose derivative is zero; costs nothing to add or multiply.

    Use it where a derivative exists and happens to be zero (`floor`, an unused input, the
    cotangent of an output that was not used). `NoTangent` wins `+`:

    >>> ZeroTangent() + 2.5, ZeroTangent() + NoTangent(), ZeroTangent() * NoTangent()
    (2.5, NoTangent(), ZeroTangent())

    See also: `NoTangent`, `ProjectTo`.
    """

    __slots__ = ()


class NoTangent(AbstractZero):
    """The tangent of a value that has no tangent space: bool, str, an index, a function.

    Rules return it for arguments that cannot be differentiated; it says "there is nothing
    here", not "the derivative is zero". It wins `+` against `ZeroTangent` and loses `*`:

    >>> NoTangent() + ZeroTangent(), NoTangent() * ZeroTangent(), NoTangent() + 1.0
    (NoTangent(), ZeroTangent(), 1.0)

    See also: `ZeroTangent`, `non_differentiable`.
    """

    __slots__ = ()

    def __add__(self, other: Any) -> Any:
        return self if isinstance(other, ZeroTangent) else other

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return self if isinstance(other, ZeroTangent) else -other

    def __mul__(self, other: Any) -> AbstractZero:
        return other if isinstance(other, ZeroTangent) else self

    __rmul__ = __mul__
    __matmul__ = __mul__
    __rmatmul__ = __mul__
