"""The two zero tangents: `ZeroTangent` (the derivative is zero) and `NoTangent` (none exists).

Both are identities for `+` and absorbing for `*`. Where they meet, `NoTangent` wins `+` and
`ZeroTangent` wins `*`, as in ChainRulesCore. They also pass through the linear NumPy functions
a pullback applies to its seed (`np.sum`, `np.outer`, `np.add.at`, ...), so that a pullback
written for arrays accepts a zero seed as it is.
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

    def __array_ufunc__(  # type: ignore[override]  # the base opts out with None; zeros opt in
        self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any
    ) -> Any:
        """NumPy ufuncs on a zero: the linear ones give the other operand or the zero."""
        out = kwargs.pop("out", None)
        if kwargs.keys() - {"where", "axis", "keepdims", "dtype", "casting"}:
            return NotImplemented
        if method == "at":  # np.add.at(buffer, index, zero) adds nothing
            adds_nothing = ufunc.__name__ in ("add", "subtract") and inputs[0] is not self
            return None if adds_nothing else NotImplemented
        result = _zero_ufunc(ufunc.__name__, method, inputs)
        if result is NotImplemented or out is None:
            return result
        target = out[0]
        target[...] = 0 if isinstance(result, AbstractZero) else result
        return target

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        """NumPy functions linear in every array argument (`sum`, `outer`, `reshape`, ...) of a
        zero give the zero; `np.where(mask, zero, 0)` too; anything else is refused."""
        name = getattr(func, "__name__", "")
        if name in _LINEAR_FUNCTIONS and getattr(func, "__module__", "").startswith("numpy"):
            return self
        if name == "where" and len(args) == 3 and all(_is_zero(a) for a in args[1:]):
            return self
        return NotImplemented

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


# NumPy functions that are linear in each of their array arguments: a zero in gives a zero out.
_LINEAR_FUNCTIONS = frozenset(
    "sum mean nansum cumsum conj conjugate real imag copy reshape ravel transpose swapaxes "
    "moveaxis squeeze expand_dims broadcast_to atleast_1d atleast_2d atleast_3d flip fliplr "
    "flipud roll rot90 diff trace diagonal diag diagflat tril triu take take_along_axis repeat "
    "tile outer inner dot vdot matmul tensordot einsum kron cross negative".split()
)


def _zero_ufunc(name: str, method: str, inputs: tuple[Any, ...]) -> Any:
    zeros = [i for i, x in enumerate(inputs) if isinstance(x, AbstractZero)]
    if method == "reduce" and name == "add":
        return inputs[0]
    if method != "__call__":
        return NotImplemented
    if name == "add":
        return inputs[0] + inputs[1] if len(zeros) == 2 else inputs[1 - zeros[0]]
    if name == "subtract":
        return inputs[0] - inputs[1] if zeros[0] == 0 else inputs[0]
    if name in ("multiply", "matmul") or (name in ("true_divide", "divide") and zeros == [0]):
        return inputs[0] * inputs[1] if len(zeros) == 2 else inputs[zeros[0]]
    if name in ("negative", "positive", "conjugate"):
        return inputs[0]
    return NotImplemented


def _is_zero(x: Any) -> bool:
    return isinstance(x, AbstractZero) or (isinstance(x, (int, float)) and x == 0)
