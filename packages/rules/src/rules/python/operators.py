"""Rules for Python's `operator` module: the functions engines map `a + b`, `a @ b`, `a[i]` to.

Covered, with an frule and an rrule each:

- arithmetic on numbers and arrays (`Numeric`: Python and NumPy numbers, ndarrays and arrays
  that dispatch through NumPy), elementwise with broadcasting: `add`, `sub`, `mul`, `truediv`,
  `floordiv`, `mod`, `pow`, `neg`, `pos`, `abs`;
- `matmul` on arrays: matrix @ matrix, 1-D operands (vector @ matrix, matrix @ vector,
  vector @ vector) and broadcast stacks of matrices;
- `getitem` on tuples, lists and namedtuples (int or slice), dicts (any key) and arrays
  (basic indexing, integer arrays with repeated entries accumulated, boolean masks); the
  index always gets `NoTangent()`;
- sequence arithmetic: `add`/`concat` of two tuples or two lists, `mul` of a tuple or list
  and an int (repetition; the count gets `NoTangent()`).

Conventions at singular points:

- `floordiv`: derivative zero (`ZeroTangent()`) in both arguments; `mod(a, b)`: 1 in `a`,
  `-floor(a / b)` in `b`. At the jumps (`a / b` an integer) these are the one-sided values.
- `pow(a, b)`: in `a`, `b * a**(b - 1)` (computed as `b * y / a`), with its limit at
  `a == 0`: 1 for `b == 1`, 0 for `b == 0` (`y` is 1 whatever `a`) and `b > 1`, inf for
  `0 < b < 1`. In `b`, `y * log(a)`, taken as 0 where `a == 0` (the limit for `b > 0`, a
  convention otherwise, as in JAX); for a real negative base and a real result (an integer
  exponent), `y * log|a|`: the real part of the complex derivative, as ChainRules and
  `ProjectTo` onto a real exponent give. Python floats follow Python (a negative base with a
  fractional exponent gives a complex result, differentiated along the principal branch);
  NumPy floats follow NumPy (NaN there).
- `abs`: `sign(x)` with `sign(0) = 0` (a subgradient); complex `z`: `conj(z) / |z|` (the
  pullback gives `dy * z / |z|`), 0 at `z == 0`.

Sequences, strings and other objects are not `Numeric`, so `add` of two strings, `mod` as
string formatting, `mul` of np.matrix (a matrix product) or of a user's class find no
arithmetic rule: an engine differentiates their code or reports a missing rule, never a
silently wrong gradient.

Non-differentiable: comparisons (`lt`, `le`, `eq`, `ne`, `ge`, `gt`), `not_`, `truth`, `is_`,
`is_not`, `contains`, `countOf`, `indexOf`, `length_hint`, `index`, the bitwise and shift
operators (`and_`, `or_`, `xor`, `invert`, `inv`, `lshift`, `rshift`) and `getitem` on
strings, bytes and ranges.

Not covered: the in-place operators (`iadd`, `imul`, ..., `setitem`, `delitem`): engines
refuse mutation; `attrgetter`, `itemgetter`, `methodcaller` and `call`, whose callables engines
differentiate by what they call.
"""

from __future__ import annotations

import abc
import numbers
import operator
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    InplaceableThunk,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    add_tangents,
    frule,
    non_differentiable,
    rrule,
    scalar_rule,
    unbroadcast,
    unthunk,
)

__all__ = ["Numeric", "scattered"]


class Numeric(metaclass=abc.ABCMeta):  # noqa: B024 (membership by __subclasshook__)
    """Numbers and arrays: what the arithmetic rules accept (not sequences, strings, objects).

    Python and NumPy numbers (`numbers.Number`, `np.bool_`), ndarrays, and array types that
    dispatch through NumPy (`__array_function__`, `__array_ufunc__`, `shape`, `dtype`). Not
    `np.matrix`, whose `*` is a matrix product.

    >>> isinstance(2, Numeric), isinstance(np.ones(2), Numeric), isinstance((1.0,), Numeric)
    (True, True, False)
    """

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        if cls is not Numeric:
            return NotImplemented
        if issubclass(other, np.matrix):
            return False
        if issubclass(other, (numbers.Number, np.bool_, np.ndarray)):
            return True
        duck = ("__array_function__", "__array_ufunc__", "shape", "dtype")
        return all(hasattr(other, name) for name in duck) or NotImplemented


_N = (Numeric, Numeric)
_SEQUENCE = (tuple, list)


def _zero(*args: Any) -> ZeroTangent:
    return ZeroTangent()


def _pow_da(a: Any, b: Any, y: Any) -> Any:
    if isinstance(b, (int, float)) and float(b).is_integer() and b >= 1:
        # An integer exponent (`x ** 2`): b * a**(b - 1) directly, exact at a == 0 too.
        return 1 if b == 1 else 2 * a if b == 2 else b * a ** (b - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        da = np.divide(np.multiply(b, y), a)  # b * a**(b - 1), from y
        zero = np.equal(a, 0)
        if np.any(zero):  # the limit of b * a**(b - 1) there, with 0 for b == 0 (y == 1)
            limit = np.where(np.equal(b, 0), 0, np.multiply(b, np.power(0.0, np.subtract(b, 1))))
            da = np.where(zero, limit, da)
        return da


def _pow_db(a: Any, b: Any, y: Any) -> Any:
    # y * log(a); with a real result, only the real part log|a| of the log can matter.
    with np.errstate(divide="ignore", invalid="ignore"):
        log_a = np.log(np.add(a, 0j)) if np.iscomplexobj(y) else np.log(np.abs(a))
        return np.where(np.equal(a, 0), 0, np.multiply(y, log_a))


def _abs_dx(x: Any, y: Any) -> Any:
    if np.iscomplexobj(x):
        return np.divide(np.conj(x), np.where(np.equal(y, 0), 1, y))
    return np.sign(x)


scalar_rule(operator.add, lambda a, b, y: 1, lambda a, b, y: 1, types=_N)
scalar_rule(operator.sub, lambda a, b, y: 1, lambda a, b, y: -1, types=_N)
scalar_rule(operator.mul, lambda a, b, y: b, lambda a, b, y: a, types=_N)
scalar_rule(operator.truediv, lambda a, b, y: 1 / b, lambda a, b, y: -y / b, types=_N)
scalar_rule(operator.floordiv, _zero, _zero, types=_N)
scalar_rule(operator.mod, lambda a, b, y: 1, lambda a, b, y: -(a // b), types=_N)
scalar_rule(operator.pow, _pow_da, _pow_db, types=_N)


def _int_pow_da(a: Any, b: int, y: Any) -> Any:
    # b * a**(b - 1), from a and b only: the pullback need not keep `y` (see scalar_rule).
    return 0 if b == 0 else 1 if b == 1 else 2 * a if b == 2 else b * a ** (b - 1)


def _int_pow_db(a: Any, b: int, y: Any) -> Any:
    return _pow_db(a, b, a**b)  # y recomputed: kept by nobody until it is needed


# A Python int exponent (`x ** 2`, the common case) keeps only the base alive.
scalar_rule(operator.pow, _int_pow_da, _int_pow_db, types=(Numeric, int))
scalar_rule(operator.neg, lambda x, y: -1, types=(Numeric,))
scalar_rule(operator.pos, lambda x, y: 1, types=(Numeric,))
scalar_rule(operator.abs, _abs_dx, types=(Numeric,))


# ---------------------------------------------------------------------------------------
# matmul


def _as_matrices(a: Any, b: Any, dy: Any) -> tuple[Any, Any, Any]:
    """`a`, `b` and `dy` with 1-D operands promoted as matmul does: `a` to a row, `b` to a
    column, and `dy` given the axes that their promotion dropped from the result."""
    if np.ndim(b) == 1:
        b, dy = np.expand_dims(b, -1), np.expand_dims(dy, -1)
    if np.ndim(a) == 1:
        a, dy = np.expand_dims(a, -2), np.expand_dims(dy, -2)
    return a, b, dy


def _matmul_da(a: Any, b: Any, dy: Any) -> Any:
    _, b2, dy2 = _as_matrices(a, b, dy)
    da = dy2 @ np.swapaxes(np.conj(b2), -1, -2)
    return unbroadcast(a, da[..., 0, :] if np.ndim(a) == 1 else da)


def _matmul_db(a: Any, b: Any, dy: Any) -> Any:
    a2, _, dy2 = _as_matrices(a, b, dy)
    db = np.swapaxes(np.conj(a2), -1, -2) @ dy2
    return unbroadcast(b, db[..., :, 0] if np.ndim(b) == 1 else db)


@rrule.register(operator.matmul, Numeric, Numeric)
def _matmul_rrule(a: Any, b: Any) -> Any:
    project_a, project_b = ProjectTo(a), ProjectTo(b)

    def matmul_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        return (
            NoTangent(),
            Thunk(lambda: project_a(_matmul_da(a, b, dy))),
            Thunk(lambda: project_b(_matmul_db(a, b, dy))),
        )

    return a @ b, matmul_pullback


@frule.register(operator.matmul, Numeric, Numeric)
def _matmul_frule(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    _, da, db = map(unthunk, tangents)
    y = a @ b
    return y, ProjectTo(y)(da @ b + a @ db)


# ---------------------------------------------------------------------------------------
# getitem


def _sequence_tangent(x: Any, entries: list[Any]) -> Any:
    """The tangent of the tuple, list or namedtuple `x` with these entries, projected."""
    if hasattr(type(x), "_fields"):
        return ProjectTo(x)(dict(zip(type(x)._fields, entries, strict=True)))
    return ProjectTo(x)(type(x)(entries))


def _zero_cotangent(x: Any) -> Any:
    """`ZeroTangent()`, or `NoTangent()` where `x` has no tangent space (for zero seeds)."""
    return ProjectTo(x)(ZeroTangent())


def _entries(x: Any, dx: Any) -> list[Any]:
    """The tangents of the entries of the tuple, list or namedtuple `x`, from its tangent."""
    dx = unthunk(dx)
    if isinstance(dx, AbstractZero):
        return [dx] * len(x)
    return [unthunk(dx[i]) for i in range(len(x))]


@rrule.register(operator.getitem, _SEQUENCE)
def _getitem_sequence_rrule(x: Any, key: Any) -> Any:
    def getitem_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), _zero_cotangent(x), NoTangent()
        # Built without mutation, so that engines can differentiate this pullback again.
        if isinstance(key, slice):
            given = dict(zip(range(len(x))[key], dy, strict=True))
        else:
            given = {range(len(x))[key]: dy}
        dx = [given.get(i, ZeroTangent()) for i in range(len(x))]
        return NoTangent(), _sequence_tangent(x, dx), NoTangent()

    return x[key], getitem_pullback


@frule.register(operator.getitem, _SEQUENCE)
def _getitem_sequence_frule(tangents: tuple[Any, ...], x: Any, key: Any) -> Any:
    y = x[key]
    entries = _entries(x, tangents[1])
    dy = type(y)(entries[key]) if isinstance(key, slice) else entries[key]
    return y, ProjectTo(y)(dy)


@rrule.register(operator.getitem, dict)
def _getitem_dict_rrule(x: dict[Any, Any], key: Any) -> Any:
    project_x = ProjectTo(x)

    def getitem_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), _zero_cotangent(x), NoTangent()
        dx = {k: dy if k == key else ZeroTangent() for k in x}
        return NoTangent(), project_x(dx), NoTangent()

    return x[key], getitem_pullback


@frule.register(operator.getitem, dict)
def _getitem_dict_frule(tangents: tuple[Any, ...], x: dict[Any, Any], key: Any) -> Any:
    dx = unthunk(tangents[1])
    y = x[key]
    dy = dx if isinstance(dx, AbstractZero) else dx.get(key, ZeroTangent())
    return y, ProjectTo(y)(dy)


def _selects_distinct(key: Any, shape: tuple[int, ...]) -> bool:
    """Whether the index `key` reads each entry of an array of `shape` at most once: then
    cotangents are scattered by plain assignment instead of `np.add.at`. True for basic and
    boolean indexing; for integer arrays (alone, or a tuple of them and ints) when the
    positions they pick are all different."""
    parts = key if isinstance(key, tuple) else (key,)
    basic = (int, np.integer, slice, type(None), type(Ellipsis))
    if all(isinstance(p, basic) or getattr(p, "dtype", None) == np.bool_ for p in parts):
        return True
    integers = [np.asarray(p) for p in parts]
    if len(parts) > len(shape) or any(i.dtype.kind not in "iu" for i in integers):
        return False  # slices mixed with integer arrays: left to np.add.at
    picked = np.broadcast_arrays(*integers)
    flat = np.ravel_multi_index(
        [np.mod(i, n) for i, n in zip(picked, shape, strict=False)], shape[: len(parts)]
    )
    return bool(np.unique(flat).size == flat.size)


def scattered(shape: tuple[int, ...], dtype: Any, key: Any, dy: Any, distinct: bool) -> Any:
    """Zeros of `shape` and `dtype` with `dy` added at `key` (the adjoint of `x[key]`);
    `distinct` says that `key` picks each entry once, so plain assignment will do."""
    dx = np.zeros(shape, dtype=dtype)
    if distinct:
        dx[key] = dy
    else:
        np.add.at(dx, key, dy)  # accumulates repeated integer indices
    return dx


# Linear in `dy`, its adjoint is the read `x[key]`: rules for engines that differentiate
# a pullback (higher order).
@rrule.register(scattered)
def _scattered_rrule(shape: Any, dtype: Any, key: Any, dy: Any, distinct: bool) -> Any:
    project_dy = ProjectTo(dy)

    def scattered_pullback(ddx: Any) -> tuple[Any, ...]:
        ddx = unthunk(ddx)
        part = ZeroTangent() if isinstance(ddx, AbstractZero) else project_dy(ddx[key])
        return NoTangent(), NoTangent(), NoTangent(), NoTangent(), part, NoTangent()

    return scattered(shape, dtype, key, dy, distinct), scattered_pullback


@frule.register(scattered)
def _scattered_frule(
    tangents: tuple[Any, ...], shape: Any, dtype: Any, key: Any, dy: Any, distinct: bool
) -> Any:
    ddy = unthunk(tangents[4])
    y = scattered(shape, dtype, key, dy, distinct)
    if isinstance(ddy, AbstractZero):
        return y, ZeroTangent()
    return y, scattered(shape, dtype, key, ddy, distinct)


@rrule.register(operator.getitem, Numeric)
def _getitem_array_rrule(x: Any, key: Any) -> Any:
    project_x = ProjectTo(x)
    distinct = _selects_distinct(key, np.shape(x))

    def getitem_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), project_x(ZeroTangent()), NoTangent()

        def scatter() -> Any:
            return project_x(scattered(np.shape(x), np.result_type(x, dy), key, dy, distinct))

        def add_into(acc: Any) -> Any:
            part = dy if np.iscomplexobj(acc) else np.real(dy)
            if distinct:
                acc[key] += part
            else:
                np.add.at(acc, key, part)
            return acc

        return NoTangent(), InplaceableThunk(add_into, Thunk(scatter)), NoTangent()

    return x[key], getitem_pullback


@frule.register(operator.getitem, Numeric)
def _getitem_array_frule(tangents: tuple[Any, ...], x: Any, key: Any) -> Any:
    y = x[key]
    return y, ProjectTo(y)(unthunk(tangents[1])[key])


# ---------------------------------------------------------------------------------------
# sequence concatenation and repetition


def _concat_rrule(a: Any, b: Any) -> Any:
    def concat_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            return NoTangent(), _zero_cotangent(a), _zero_cotangent(b)
        entries = list(dy)
        return (
            NoTangent(),
            _sequence_tangent(a, entries[: len(a)]),
            _sequence_tangent(b, entries[len(a) :]),
        )

    return a + b, concat_pullback


def _concat_frule(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    y = a + b
    return y, ProjectTo(y)(type(y)(_entries(a, tangents[1]) + _entries(b, tangents[2])))


def _repeat_rrule(a: Any, b: Any) -> Any:
    seq_first = isinstance(a, _SEQUENCE)
    x = a if seq_first else b

    def repeat_pullback(dy: Any) -> tuple[Any, Any, Any]:
        dy = unthunk(dy)
        if isinstance(dy, AbstractZero):
            dx = _zero_cotangent(x)
        else:
            entries = list(dy)
            n = len(x)
            sums: list[Any] = [ZeroTangent()] * n
            for j, d in enumerate(entries):
                sums[j % n] = add_tangents(sums[j % n], d)
            dx = _sequence_tangent(x, sums)
        return (NoTangent(), dx, NoTangent()) if seq_first else (NoTangent(), NoTangent(), dx)

    return a * b, repeat_pullback


def _repeat_frule(tangents: tuple[Any, ...], a: Any, b: Any) -> Any:
    seq_first = isinstance(a, _SEQUENCE)
    x, dx = (a, tangents[1]) if seq_first else (b, tangents[2])
    y = a * b
    return y, ProjectTo(y)(type(y)(_entries(x, dx) * (len(y) // max(len(x), 1))))


for _f, _types in [
    (operator.add, (tuple, tuple)),
    (operator.add, (list, list)),
    (operator.concat, (tuple, tuple)),
    (operator.concat, (list, list)),
]:
    rrule.register(_f, *_types)(_concat_rrule)
    frule.register(_f, *_types)(_concat_frule)
for _types in [(_SEQUENCE, int), (int, _SEQUENCE)]:
    rrule.register(operator.mul, *_types)(_repeat_rrule)
    frule.register(operator.mul, *_types)(_repeat_frule)


# ---------------------------------------------------------------------------------------
# no derivative

non_differentiable(
    operator.lt,
    operator.le,
    operator.eq,
    operator.ne,
    operator.ge,
    operator.gt,
    operator.not_,
    operator.truth,
    operator.is_,
    operator.is_not,
    operator.contains,
    operator.countOf,
    operator.indexOf,
    operator.length_hint,
    operator.index,
    operator.and_,
    operator.or_,
    operator.xor,
    operator.invert,
    operator.inv,
    operator.lshift,
    operator.rshift,
)
non_differentiable(operator.getitem, types=((str, bytes, bytearray, range),))
