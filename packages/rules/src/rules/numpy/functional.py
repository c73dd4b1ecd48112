"""Rules for NumPy's higher-order functions, which differentiate the user's function through
the calling engine: `apply_along_axis`, and calls of `vectorize` objects.

Covered, with an rrule (`config=HasReverseMode`, calling `rrule_via_ad`) and an frule
(`config=HasForwardMode`, calling `frule_via_ad`) each:

- `np.apply_along_axis(func1d, axis, arr, *args, **kwargs)`: `func1d` is differentiated once
  per 1-d slice of `arr` along `axis` (the views NumPy passes), with the extra `args` and
  `kwargs`. The output is laid out as NumPy lays it out: `func1d`'s result (a scalar or an
  array) replaces the axis, with the dtype of the first slice's result. Cotangents: `arr`'s
  slice by slice; the extra positional `args` (every slice reads them) and `func1d` itself
  (what its closure captures, as the engine reports it) summed over the slices.
- `vec(*args)` for `vec = np.vectorize(pyfunc, otypes=..., cache=...)`, which Python runs as
  `np.vectorize.__call__(vec, *args)`: `pyfunc` is differentiated once per element of the
  broadcast arguments, called with what NumPy's `vectorize` passes it (Python numbers, the
  elements of `dtype=object` arrays; without `otypes`, first the leading elements as NumPy
  scalars to find the output types, a call that stands for element 0 with `cache=True`).
  The output takes `otypes` (or the types found), a tuple of arrays when `pyfunc` returns a
  tuple. Each argument's cotangent is summed back to its shape (`unbroadcast`); `vec`'s is
  `Tangent[vectorize](pyfunc=...)`, `pyfunc`'s summed over the elements (a closure's
  captured values), or `NoTangent()` when that is zero.
- `np.vectorize(pyfunc, ...)`, the construction (an rrule only): the object's tangent goes
  back to `pyfunc`, so that a closure's captured values get their gradient, without an
  engine running NumPy's constructor (which parses `signature` with `re`).

Conventions:

- Keyword arguments are not differentiated (the rulescore contract): `apply_along_axis` hands
  its `kwargs` to `func1d` as constants.
- `vectorize` with `signature=` or `excluded=`, called with keyword arguments or without
  arguments: the value is NumPy's; the rrule's derivatives are `not_implemented` (an engine
  raises `MissingRuleError` when a gradient needs them, never a silent zero), the frule
  raises `MissingRuleError` when a non-zero tangent reaches it.
- `np.vectorize(otypes=...)` used as a decorator (its call with the function to wrap) returns
  the object, and hands its tangent's `pyfunc` back to that function.

>>> import numpy as np
>>> from rulescore import rrule
>>> from rulescore.testing import FiniteDifferenceConfig
>>> def norm2(v):
...     return v @ v
>>> x = np.array([[1.0, 2.0], [3.0, 4.0]])
>>> y, back = rrule(FiniteDifferenceConfig(), np.apply_along_axis, norm2, 1, x)
>>> y
array([ 5., 25.])
>>> np.round(back(np.array([1.0, 0.5]))[3], 6)
array([[2., 4.],
       [3., 4.]])
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from rules.numpy._arguments import dense, is_zero, project_to
from rulescore import (
    HasForwardMode,
    HasReverseMode,
    MissingRuleError,
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Tangent,
    ZeroTangent,
    add_tangents,
    frule,
    frule_via_ad,
    not_implemented,
    rrule,
    rrule_via_ad,
    unbroadcast,
    unthunk,
)

__all__: list[str] = []


def _sum(tangents: list[Any]) -> Any:
    total: Any = ZeroTangent()
    for tangent in tangents:
        total = add_tangents(total, tangent)
    return total


def _stacked(parts: list[Any], likes: list[Any], shape: tuple[int, ...]) -> Any:
    """The tangents `parts` (of the values `likes`, zeros allowed) as one array of `shape`;
    `ZeroTangent()` when all are zero, a `NotImplementedTangent` when one is."""
    parts = [unthunk(p) for p in parts]
    for part in parts:
        if isinstance(part, NotImplementedTangent):
            return part
    if all(is_zero(p) for p in parts):
        return ZeroTangent()
    dense_parts = [np.asarray(dense(p, x)) for p, x in zip(parts, likes, strict=True)]
    return np.reshape(np.stack(dense_parts), shape)


# ---------------------------------------------------------------------------------------------
# apply_along_axis
# ---------------------------------------------------------------------------------------------


class _AlongAxis:
    """One `apply_along_axis` call: the 1-d slices it hands to `func1d`, and where their
    results go in the output (NumPy's own layout, see `numpy.apply_along_axis`)."""

    def __init__(self, arr: Any, axis: Any) -> None:
        self.arr = arr
        array = np.asanyarray(arr)
        self.axis = normalize_axis_index(axis, array.ndim)
        self.view = np.moveaxis(array, self.axis, -1)
        self.batch = self.view.shape[:-1]
        # A trailing ellipsis keeps 0-d results arrays (NumPy's gh-8642).
        self.indices = [(*index, Ellipsis) for index in np.ndindex(self.batch)]
        if not self.indices:
            raise ValueError("Cannot apply_along_axis when any iteration dimensions are 0")

    def slices(self) -> list[Any]:
        return [self.view[index] for index in self.indices]

    def _order(self, ndim: int) -> list[int]:
        """The axes of the output in the buffer `batch + result.shape`."""
        dims = list(range(len(self.batch) + ndim))
        return dims[: self.axis] + dims[len(self.batch) :] + dims[self.axis : len(self.batch)]

    def assemble(self, results: list[Any]) -> Any:
        """The output from each slice's result, typed like the first (as NumPy does)."""
        first = np.asanyarray(results[0])
        shape, dtype = np.shape(first), first.dtype
        # NumPy writes each result into a buffer: broadcast to the first's shape, cast to its
        # dtype. Stacked here, without item assignment, so that an engine can run this code
        # on values carrying derivatives (a closure over a differentiated value).
        parts = [r if np.shape(r) == shape else np.broadcast_to(r, shape) for r in results]
        buffer = np.reshape(np.stack(parts), self.batch + shape)
        if buffer.dtype != dtype:
            buffer = buffer.astype(dtype)
        return np.transpose(buffer, self._order(len(shape)))

    def assemble_tangent(self, y: Any, tangents: list[Any], results: list[Any]) -> Any:
        """The output's tangent from each slice's."""
        shape = np.shape(results[0])
        likes = [r if np.shape(r) == shape else np.broadcast_to(r, shape) for r in results]
        stacked = _stacked(tangents, likes, self.batch + shape)
        if isinstance(stacked, NotImplementedTangent):
            return stacked
        if isinstance(stacked, ZeroTangent):
            return ProjectTo(y)(stacked)
        return ProjectTo(y)(np.transpose(stacked, self._order(len(shape))))

    def split(self, dy: Any, results: list[Any]) -> list[Any]:
        """The output's cotangent cut into each slice's result's."""
        ndim = np.ndim(results[0])
        dy = np.transpose(np.asarray(dy), np.argsort(self._order(ndim)))
        return [ProjectTo(r)(dy[index]) for index, r in zip(self.indices, results, strict=True)]

    def slice_tangents(self, darr: Any) -> list[Any]:
        if is_zero(darr):
            return [ZeroTangent()] * len(self.indices)
        view = np.moveaxis(np.asarray(dense(darr, self.arr)), self.axis, -1)
        return [view[index] for index in self.indices]

    def arr_cotangent(self, parts: list[Any]) -> Any:
        slices = self.slices()
        stacked = _stacked(parts, slices, self.view.shape)
        if isinstance(stacked, NotImplementedTangent):
            return stacked
        if isinstance(stacked, ZeroTangent):
            return project_to(self.arr)(stacked)
        return project_to(self.arr)(np.moveaxis(stacked, -1, self.axis))


@frule.register(np.apply_along_axis, config=HasForwardMode)
def _(
    config: Any,
    tangents: tuple[Any, ...],
    func1d: Callable[..., Any],
    axis: Any,
    arr: Any,
    *args: Any,
    **kwargs: Any,
) -> Any:
    along = _AlongAxis(arr, axis)
    dfunc, darr, dargs = tangents[1], unthunk(tangents[3]), tangents[4:]
    results, slice_tangents = [], []
    for piece, dpiece in zip(along.slices(), along.slice_tangents(darr), strict=True):
        result, dresult = frule_via_ad(
            config, (dfunc, dpiece, *dargs), func1d, piece, *args, **kwargs
        )
        results.append(result)
        slice_tangents.append(dresult)
    y = along.assemble(results)
    return y, along.assemble_tangent(y, slice_tangents, results)


@rrule.register(np.apply_along_axis, config=HasReverseMode)
def _(
    config: Any, func1d: Callable[..., Any], axis: Any, arr: Any, *args: Any, **kwargs: Any
) -> Any:
    along = _AlongAxis(arr, axis)
    calls = [rrule_via_ad(config, func1d, piece, *args, **kwargs) for piece in along.slices()]
    results = [result for result, _ in calls]
    y = along.assemble(results)
    project_func, project_args = ProjectTo(func1d), [ProjectTo(a) for a in args]

    def apply_along_axis_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            zeros = [p(ZeroTangent()) for p in project_args]
            return NoTangent(), NoTangent(), NoTangent(), project_to(arr)(ZeroTangent()), *zeros
        parts = along.split(dy, results)
        grads = [back(part) for (_, back), part in zip(calls, parts, strict=True)]
        dfunc = project_func(_sum([g[0] for g in grads]))
        dargs = [p(_sum([g[2 + i] for g in grads])) for i, p in enumerate(project_args)]
        darr = along.arr_cotangent([g[1] for g in grads])
        return NoTangent(), dfunc, NoTangent(), darr, *dargs

    return y, apply_along_axis_pullback


# ---------------------------------------------------------------------------------------------
# vectorize(pyfunc, ...): an object whose tangent is its function's
# ---------------------------------------------------------------------------------------------


def _pyfunc_tangent(dvec: Any) -> Any:
    """The tangent of `vec.pyfunc` in the tangent `dvec` of a `vectorize` object."""
    dvec = unthunk(dvec)
    return getattr(dvec, "pyfunc", NoTangent()) if isinstance(dvec, Tangent) else NoTangent()


def _vectorize_tangent(dpyfunc: Any) -> Any:
    dpyfunc = unthunk(dpyfunc)
    return Tangent[np.vectorize](pyfunc=dpyfunc) if isinstance(dpyfunc, Tangent) else NoTangent()


@rrule.register(np.vectorize)
def _(*args: Any, **kwargs: Any) -> Any:
    # A rule rather than NumPy's `__init__` run by the engine: that code parses `signature`
    # with `re`, and only `pyfunc` (a closure's captured values) carries derivatives. (No
    # frule: forward mode keeps the duals a closure captures inside it.)
    project_pyfunc = ProjectTo(args[0]) if args else None

    def vectorize_pullback(dy: Any) -> tuple[Any, ...]:
        if project_pyfunc is None:
            return (NoTangent(),)
        rest = (NoTangent() for _ in args[1:])
        return NoTangent(), project_pyfunc(_pyfunc_tangent(dy)), *rest

    return np.vectorize(*args, **kwargs), vectorize_pullback


# ---------------------------------------------------------------------------------------------
# vectorize calls: `vec(*args)` is `np.vectorize.__call__(vec, *args)`
# ---------------------------------------------------------------------------------------------


def _unsupported(vec: np.vectorize, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """Why the rules do not differentiate this call of `vec`, if they do not."""
    if vec.signature is not None:
        return "derivative of np.vectorize with signature= (generalized ufunc loops)"
    if vec.excluded:
        return "derivative of np.vectorize with excluded="
    if kwargs:
        return "derivative of a np.vectorize object called with keyword arguments"
    if not args:
        return "derivative of a np.vectorize object called without arguments"
    return None


def _elements(arg: Any, shape: tuple[int, ...]) -> list[Any]:
    """The elements of `arg` broadcast to `shape`, in C order, as NumPy's `vectorize` passes
    them: the entries of `np.asanyarray(arg, dtype=object)` (Python numbers for a numeric
    array, a scalar argument itself). `tolist` converts an array as that would, and keeps the
    derivatives an engine may be carrying through this code (higher order)."""
    if isinstance(arg, np.ndarray):
        return list(np.ravel(np.broadcast_to(arg, shape)).tolist())
    if np.ndim(arg) == 0:
        return [arg] * math.prod(shape)
    return list(np.ravel(np.broadcast_to(np.asanyarray(arg, dtype=object), shape)).tolist())


class _Elementwise:
    """One call `vec(*args)`: the elements `pyfunc` is called with, as NumPy's `vectorize`
    calls it, and the output types."""

    def __init__(self, vec: np.vectorize, args: tuple[Any, ...]) -> None:
        self.vec, self.args = vec, args
        self.shape = np.broadcast_shapes(*(np.shape(a) for a in args))
        columns = [_elements(a, self.shape) for a in args]
        self.elements = list(zip(*columns, strict=True))
        self.otypes = vec.otypes
        # Without `otypes`, NumPy first calls `pyfunc` on the leading elements as NumPy
        # scalars to find the output types (with `cache=True` that call is element 0's).
        self.probe: tuple[Any, ...] | None = None
        if self.otypes is None:
            if any(np.size(a) == 0 for a in args):
                raise ValueError("cannot call `vectorize` on size 0 inputs unless `otypes` is set")
            self.probe = tuple(np.ravel(a)[0] for a in args)

    def found_otypes(self, probed: Any) -> None:
        outputs = probed if isinstance(probed, tuple) else (probed,)
        self.otypes = "".join(np.asarray(o).dtype.char for o in outputs)

    def assemble(self, results: list[Any]) -> Any:
        """The outputs from each element's, as NumPy's `vectorize` converts them."""
        assert self.otypes is not None
        if len(self.otypes) == 1:
            return self._array(results, self.otypes[0])
        return tuple(
            self._array([r[k] for r in results], otype) for k, otype in enumerate(self.otypes)
        )

    def _array(self, values: list[Any], otype: Any) -> Any:
        """`values` converted to `otype` one by one, as NumPy converts the object array of
        results; stacked, so that an engine can run this code on values carrying
        derivatives (a closure over a differentiated value)."""
        if not values:
            return np.empty(self.shape, dtype=otype)
        for value in values:
            if np.ndim(value) != 0:
                raise ValueError("setting an array element with a sequence.")
        return np.reshape(np.stack([np.asarray(v, dtype=otype) for v in values]), self.shape)

    def output_tangent(self, y: Any, tangents: list[Any], results: list[Any]) -> Any:
        if not isinstance(y, tuple):
            return self._output_part(y, tangents, results)
        return tuple(
            self._output_part(yk, [t[k] for t in tangents], [r[k] for r in results])
            for k, yk in enumerate(y)
        )

    def _output_part(self, y: np.ndarray, tangents: list[Any], results: list[Any]) -> Any:
        stacked = _stacked(tangents, results, self.shape)
        if isinstance(stacked, NotImplementedTangent):
            return stacked
        return ProjectTo(y)(stacked)

    def element_cotangents(self, y: Any, dy: Any, results: list[Any]) -> list[Any]:
        """The output's cotangent at each element, as a cotangent of that element's result."""
        if not isinstance(y, tuple):
            parts = np.broadcast_to(np.asarray(dy), self.shape)
            indices = np.ndindex(self.shape)
            return [ProjectTo(r)(parts[i]) for i, r in zip(indices, results, strict=True)]
        dys = [
            None if is_zero(unthunk(d)) else np.broadcast_to(np.asarray(unthunk(d)), self.shape)
            for d in dy
        ]
        return [
            tuple(ZeroTangent() if d is None else ProjectTo(r[k])(d[i]) for k, d in enumerate(dys))
            for i, r in zip(np.ndindex(self.shape), results, strict=True)
        ]

    def element_tangents(self, dargs: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """Each element's tangents, from the arguments' (broadcast like the arguments)."""
        columns = []
        for arg, darg in zip(self.args, dargs, strict=True):
            darg = unthunk(darg)
            if is_zero(darg):
                columns.append([ZeroTangent()] * len(self.elements))
            else:
                columns.append(_elements(np.asarray(dense(darg, arg)), self.shape))
        return list(zip(*columns, strict=True))

    def arg_cotangent(self, position: int, parts: list[Any]) -> Any:
        arg = self.args[position]
        stacked = _stacked(parts, [xs[position] for xs in self.elements], self.shape)
        if isinstance(stacked, NotImplementedTangent):
            return stacked
        if isinstance(stacked, ZeroTangent):
            return project_to(arg)(stacked)
        return project_to(arg)(unbroadcast(np.shape(arg), stacked))

    def vec_cotangent(self, dfuncs: list[Any]) -> Any:
        dpyfunc = _sum(dfuncs)
        if is_zero(dpyfunc):
            return NoTangent()
        return ProjectTo(self.vec)(Tangent[np.vectorize](pyfunc=dpyfunc))


@frule.register(np.vectorize.__call__, config=HasForwardMode)
def _(config: Any, tangents: tuple[Any, ...], vec: np.vectorize, *args: Any, **kwargs: Any) -> Any:
    if vec.pyfunc is np._NoValue:
        # NumPy's own step, not `vec(...)`: an engine that runs this rule's code again (on
        # a closure's captured values) would dispatch that call back to this rule.
        vec._init_stage_2(*args, **kwargs)
        return vec, _vectorize_tangent(tangents[2] if len(tangents) > 2 else NoTangent())
    unsupported = _unsupported(vec, args, kwargs)
    if unsupported is not None:
        if not all(is_zero(unthunk(t)) for t in tangents[2:]):
            raise MissingRuleError(f"{unsupported} is not implemented")
        return vec(*args, **kwargs), ZeroTangent()
    call = _Elementwise(vec, args)
    dpyfunc = _pyfunc_tangent(tangents[1])
    element_tangents = call.element_tangents(tangents[2:])
    results, result_tangents = [], []
    for k, (elements, delements) in enumerate(zip(call.elements, element_tangents, strict=True)):
        if k == 0 and call.probe is not None:
            probed, dprobed = frule_via_ad(config, (dpyfunc, *delements), vec.pyfunc, *call.probe)
            call.found_otypes(probed)
            if vec.cache:
                results.append(probed)
                result_tangents.append(dprobed)
                continue
        result, dresult = frule_via_ad(config, (dpyfunc, *delements), vec.pyfunc, *elements)
        results.append(result)
        result_tangents.append(dresult)
    y = call.assemble(results)
    return y, call.output_tangent(y, result_tangents, results)


@rrule.register(np.vectorize.__call__, config=HasReverseMode)
def _(config: Any, vec: np.vectorize, *args: Any, **kwargs: Any) -> Any:
    if vec.pyfunc is np._NoValue:
        y = vec(*args, **kwargs)  # `np.vectorize(otypes=...)(pyfunc)`: `vec`, wrapping pyfunc

        def vectorize_wrap_pullback(dy: Any) -> tuple[Any, ...]:
            return NoTangent(), NoTangent(), _pyfunc_tangent(dy)

        return y, vectorize_wrap_pullback
    unsupported = _unsupported(vec, args, kwargs)
    if unsupported is not None:
        y = vec(*args, **kwargs)

        def vectorize_unsupported_pullback(dy: Any) -> tuple[Any, ...]:
            return NoTangent(), *(not_implemented(unsupported) for _ in (vec, *args))

        return y, vectorize_unsupported_pullback
    call = _Elementwise(vec, args)
    calls = []
    for k, elements in enumerate(call.elements):
        if k == 0 and call.probe is not None:
            probed = rrule_via_ad(config, vec.pyfunc, *call.probe)
            call.found_otypes(probed[0])
            if vec.cache:
                calls.append(probed)
                continue
        calls.append(rrule_via_ad(config, vec.pyfunc, *elements))
    results = [result for result, _ in calls]
    y = call.assemble(results)

    def vectorize_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if is_zero(dy):
            return NoTangent(), NoTangent(), *(project_to(a)(ZeroTangent()) for a in args)
        parts = call.element_cotangents(y, dy, results)
        grads = [back(part) for (_, back), part in zip(calls, parts, strict=True)]
        dargs = [call.arg_cotangent(i, [g[1 + i] for g in grads]) for i in range(len(args))]
        return NoTangent(), call.vec_cotangent([g[0] for g in grads]), *dargs

    return y, vectorize_pullback
