"""`Tracer`: a value followed by one tape, and `trace_call`, the one way its operations go.

A tracer holds a primal (a float, complex, int, NumPy scalar or ndarray), the tape that
made it and its node on that tape. Python's operators map to the `operator` module's
functions, NumPy's ufuncs and functions reach it through `__array_ufunc__` and
`__array_function__`, and the ndarray methods and attributes to the NumPy function of the
same name; all of them end in `trace_call`, which hands the call to the tracer's tape.
Comparisons, `bool`, `len` and `index` read the primal (they have no derivative); `float`,
`int`, `complex` and `np.asarray` would drop the derivative, so they raise.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from rulescore import MissingCapabilityError, TangentTypeError

if TYPE_CHECKING:
    from engine._tape._tape import Tape

__all__ = ["Tracer", "plain", "trace_call"]

_CONVERSION = (
    "{what} on a traced value would drop its derivative: use numpy (np.sin, not math.sin; "
    "np.stack, not np.array of traced values; np.where, not item assignment), or "
    "backend='reverse'"
)


class Tracer:
    """A value traced by a tape: behaves like its primal, records what is done with it.

    Made by the `tape` engine for the arguments of the function it differentiates (and for
    the results of every operation on them); user code never builds one.

    >>> from engine._tape import TapeEngine
    >>> def f(x):
    ...     print(type(x).__name__, x.shape, x > 0)
    ...     return (x * x).sum()
    >>> y, back = TapeEngine().rrule_via_ad(f, np.array([1.0, -2.0]))
    Tracer (2,) [ True False]
    >>> back(1.0)[1]
    array([ 2., -4.])
    """

    __slots__ = ("node", "primal", "tape")
    __hash__ = None  # type: ignore[assignment]  # compares by value, as arrays do

    def __init__(self, primal: Any, tape: Tape, node: int) -> None:
        self.primal = primal
        self.tape = tape
        self.node = node

    def __repr__(self) -> str:
        return f"Tracer({self.primal!r})"

    # -- NumPy's protocols -----------------------------------------------------------------

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        f = ufunc if method == "__call__" else getattr(ufunc, method)
        return trace_call(f, inputs, kwargs)

    def __array_function__(
        self, func: Callable[..., Any], types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        return trace_call(func, args, kwargs)

    def __rulescore_function__(
        self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        # A Python function whose rule must be applied, not its body (`rulescore.overloadable`).
        return trace_call(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray[Any, Any]:
        raise TangentTypeError(_CONVERSION.format(what="np.asarray (or a conversion to an array)"))

    def __float__(self) -> float:
        raise TangentTypeError(_CONVERSION.format(what="math.sin or float()"))

    def __int__(self) -> int:
        raise TangentTypeError(_CONVERSION.format(what="int()"))

    def __complex__(self) -> complex:
        raise TangentTypeError(_CONVERSION.format(what="cmath or complex()"))

    def __setitem__(self, key: Any, value: Any) -> None:
        raise TangentTypeError(_CONVERSION.format(what="item assignment"))

    # -- what has no derivative: read from the primal --------------------------------------

    def __bool__(self) -> bool:
        return bool(self.primal)

    def __index__(self) -> int:
        return operator.index(self.primal)

    def __len__(self) -> int:
        return len(self.primal)

    def __iter__(self) -> Iterator[Any]:
        if np.ndim(self.primal) == 0:
            raise TypeError("iteration over a 0-d traced value")
        for i in range(len(self.primal)):
            yield self[i]

    def __lt__(self, other: Any) -> Any:
        return plain(self) < plain(other)

    def __le__(self, other: Any) -> Any:
        return plain(self) <= plain(other)

    def __gt__(self, other: Any) -> Any:
        return plain(self) > plain(other)

    def __ge__(self, other: Any) -> Any:
        return plain(self) >= plain(other)

    def __eq__(self, other: object) -> Any:
        return plain(self) == plain(other)

    def __ne__(self, other: object) -> Any:
        return plain(self) != plain(other)

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.primal)

    @property
    def ndim(self) -> int:
        return np.ndim(self.primal)

    @property
    def size(self) -> int:
        return int(np.size(self.primal))

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.asarray(self.primal).dtype

    # -- operators ---------------------------------------------------------------------------

    def __getitem__(self, key: Any) -> Any:
        return trace_call(operator.getitem, (self, plain(key)), {})

    def __neg__(self) -> Any:
        return trace_call(operator.neg, (self,), {})

    def __pos__(self) -> Any:
        return trace_call(operator.pos, (self,), {})

    def __abs__(self) -> Any:
        return trace_call(operator.abs, (self,), {})

    def __add__(self, other: Any) -> Any:
        return trace_call(operator.add, (self, other), {})

    def __radd__(self, other: Any) -> Any:
        return trace_call(operator.add, (other, self), {})

    def __sub__(self, other: Any) -> Any:
        return trace_call(operator.sub, (self, other), {})

    def __rsub__(self, other: Any) -> Any:
        return trace_call(operator.sub, (other, self), {})

    def __mul__(self, other: Any) -> Any:
        return trace_call(operator.mul, (self, other), {})

    def __rmul__(self, other: Any) -> Any:
        return trace_call(operator.mul, (other, self), {})

    def __truediv__(self, other: Any) -> Any:
        return trace_call(operator.truediv, (self, other), {})

    def __rtruediv__(self, other: Any) -> Any:
        return trace_call(operator.truediv, (other, self), {})

    def __floordiv__(self, other: Any) -> Any:
        return trace_call(operator.floordiv, (self, other), {})

    def __rfloordiv__(self, other: Any) -> Any:
        return trace_call(operator.floordiv, (other, self), {})

    def __mod__(self, other: Any) -> Any:
        return trace_call(operator.mod, (self, other), {})

    def __rmod__(self, other: Any) -> Any:
        return trace_call(operator.mod, (other, self), {})

    def __divmod__(self, other: Any) -> Any:
        return trace_call(divmod, (self, other), {})

    def __rdivmod__(self, other: Any) -> Any:
        return trace_call(divmod, (other, self), {})

    def __pow__(self, other: Any) -> Any:
        return trace_call(operator.pow, (self, other), {})

    def __rpow__(self, other: Any) -> Any:
        return trace_call(operator.pow, (other, self), {})

    def __matmul__(self, other: Any) -> Any:
        return trace_call(operator.matmul, (self, other), {})

    def __rmatmul__(self, other: Any) -> Any:
        return trace_call(operator.matmul, (other, self), {})

    # -- ndarray attributes and methods, as the NumPy functions that have rules --------------

    @property
    def T(self) -> Any:
        return trace_call(np.transpose, (self,), {})

    @property
    def real(self) -> Any:
        return trace_call(np.real, (self,), {})

    @property
    def imag(self) -> Any:
        return trace_call(np.imag, (self,), {})

    def conj(self) -> Any:
        return trace_call(np.conjugate, (self,), {})

    conjugate = conj

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.sum, (self, *args), kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.mean, (self, *args), kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.prod, (self, *args), kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.std, (self, *args), kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.var, (self, *args), kwargs)

    def max(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.max, (self, *args), kwargs)

    def min(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.min, (self, *args), kwargs)

    def cumsum(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.cumsum, (self, *args), kwargs)

    def cumprod(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.cumprod, (self, *args), kwargs)

    def clip(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.clip, (self, *args), kwargs)

    def trace(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.trace, (self, *args), kwargs)

    def diagonal(self, *args: Any, **kwargs: Any) -> Any:
        return trace_call(np.diagonal, (self, *args), kwargs)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        return trace_call(np.swapaxes, (self, axis1, axis2), {})

    def dot(self, b: Any) -> Any:
        return trace_call(np.dot, (self, b), {})

    def round(self, decimals: int = 0) -> Any:
        return trace_call(np.round, (self, decimals), {})

    def copy(self) -> Any:
        return trace_call(np.copy, (self,), {})

    def argmax(self, *args: Any, **kwargs: Any) -> Any:
        return np.argmax(self.primal, *args, **kwargs)

    def argmin(self, *args: Any, **kwargs: Any) -> Any:
        return np.argmin(self.primal, *args, **kwargs)

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        new_shape = shape[0] if len(shape) == 1 else shape
        return trace_call(np.reshape, (self, new_shape), {"order": order})

    def transpose(self, *axes: Any) -> Any:
        chosen = axes[0] if len(axes) == 1 else (axes or None)
        return trace_call(np.transpose, (self, chosen), {})

    def ravel(self, order: str = "C") -> Any:
        return trace_call(np.ravel, (self,), {"order": order})

    flatten = ravel

    def squeeze(self, axis: Any = None) -> Any:
        return trace_call(np.squeeze, (self, axis), {})

    def astype(self, dtype: Any, **kwargs: Any) -> Any:
        if isinstance(self.primal, np.ndarray):
            return trace_call(np.ndarray.astype, (self, dtype), kwargs)
        return trace_call(np.asarray, (self, dtype), {})[()]

    def item(self, *args: Any) -> Any:
        array = self if isinstance(self.primal, np.ndarray) else trace_call(np.asarray, (self,), {})
        return trace_call(np.ndarray.item, (array, *args), {})

    def tolist(self) -> Any:
        return trace_call(np.ndarray.tolist, (self,), {})


def trace_call(f: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`f(*args, **kwargs)` recorded on the tape of the tracers among the arguments.

    Called plainly when none is traced; refused when tracers of several tapes meet (nested
    differentiation with this engine), or when their tape has finished recording.
    """
    tapes = {id(t.tape): t.tape for t in _tracers((args, kwargs))}
    if not tapes:
        return f(*args, **kwargs)
    if len(tapes) > 1:
        raise MissingCapabilityError(
            "values traced by two tapes meet in one operation (nested differentiation with "
            "the tape engine, or a closure over an outer traced value): the tape engine "
            "differentiates one level only; use backend='reverse' for higher order"
        )
    (tape,) = tapes.values()
    if not tape.recording:
        raise TangentTypeError(
            "a traced value was used after its differentiation ended (it escaped through a "
            "global, a closure or an attribute): return it from the function instead"
        )
    return tape.apply(f, args, kwargs)


def plain(value: Any) -> Any:
    """`value` with every tracer (in tuples, lists, dicts and slices too) replaced by its
    primal; containers without tracers are returned as they are."""
    if isinstance(value, Tracer):
        return value.primal
    if not any(True for _ in _tracers(value)) and not isinstance(value, slice):
        return value
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(type(value), "_fields"):
        return type(value)(*map(plain, value))
    if isinstance(value, (tuple, list)):
        return type(value)(map(plain, value))
    if isinstance(value, slice):
        return slice(plain(value.start), plain(value.stop), plain(value.step))
    return value


def _tracers(value: Any) -> Iterator[Tracer]:
    if isinstance(value, Tracer):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tracers(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tracers(item)
