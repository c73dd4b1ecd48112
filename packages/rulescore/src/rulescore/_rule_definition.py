"""Helpers that define rules in one line: `scalar_rule`, `non_differentiable`, and the
`ignore_derivatives` function with its rules."""

from __future__ import annotations

import dis
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from rulescore._arithmetic import add_tangents
from rulescore._arrays import is_array, numpy
from rulescore._errors import MissingRuleError
from rulescore._overloading import overloadable
from rulescore._projection import ProjectTo, unbroadcast
from rulescore._rules import RuleInfo, _caller_location, _normalize, frule, rrule
from rulescore._tangent_types import (
    AbstractTangent,
    AbstractZero,
    NoTangent,
    Thunk,
    ZeroTangent,
    unthunk,
)

__all__ = ["alias_rules", "ignore_derivatives", "non_differentiable", "scalar_rule"]

T = TypeVar("T")
Partial = Callable[..., Any] | None


def scalar_rule(f: Callable[..., Any], *partials: Partial, types: tuple[Any, ...] = ()) -> None:
    """`scalar_rule(f, *partials, types=())`: the frule and rrule of `f` from its partials.

    `partials[i](*args, y)` is the derivative of `f` in its i-th argument, given the arguments
    and the output `y` (so `exp` can reuse it); `None` marks an argument with no derivative
    (it gets `NoTangent`). Derivatives are taken as holomorphic: the frule multiplies tangents
    by the partials and the pullback by their conjugates. Cotangents are projected onto each
    argument (`ProjectTo`), so a partial written with NumPy functions also serves
    broadcasting array calls. Both rules record the caller's file and line.

    >>> import math
    >>> def angle(y, x):
    ...     return math.atan2(y, x)
    >>> scalar_rule(
    ...     angle,
    ...     lambda y, x, z: x / (x**2 + y**2),
    ...     lambda y, x, z: -y / (x**2 + y**2),
    ... )
    >>> z, back = rrule(angle, 1.0, 1.0)
    >>> back(1.0)
    (NoTangent(), 0.5, -0.5)
    >>> frule((NoTangent(), 1.0, 0.0), angle, 1.0, 1.0)
    (0.7853981633974483, 0.5)
    >>> info = rrule.rules_for(angle)[-1]
    >>> info.defined_at.endswith(":1"), len(info.partials)  # partials kept for engines
    (True, 2)

    See also: `rrule.register`, `non_differentiable`.
    """
    name = getattr(f, "__name__", "f")
    location = _caller_location(depth=2)
    signature = _normalize(types)

    read = _read_by(partials)

    def scalar_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
        padded = _padded(partials, args, name)  # here, not first in the pullback
        _refuse_out(name, kwargs)
        y = f(*args, **kwargs)
        projectors = tuple(ProjectTo(x) for x in args)
        # The pullback keeps only what the partials read: for arrays, an intermediate result
        # nobody needs is freed as soon as the forward pass is done with it.
        kept = tuple(x if i in read else None for i, x in enumerate(args))
        kept_y = y if len(args) in read else None

        def scalar_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            return (
                NoTangent(),
                *(
                    _cotangent(p, project, kept, kept_y, dy)
                    for p, project in zip(padded, projectors, strict=True)
                ),
            )

        scalar_pullback.__name__ = scalar_pullback.__qualname__ = f"{name}_pullback"
        return y, scalar_pullback

    def scalar_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        _refuse_out(name, kwargs)
        y = f(*args, **kwargs)
        dy: Any = ZeroTangent()
        owned = False  # whether `dy` is a temporary of this rule (then added into in place)
        for p, dx in zip(_padded(partials, args, name), tangents[1:], strict=True):
            dx = unthunk(dx)
            if p is None or isinstance(dx, AbstractZero):
                continue
            derivative = p(*args, y)
            if type(derivative) is int and derivative == 1:  # add, sub: no multiplication
                term, fresh = dx, False
            else:
                term, fresh = _scaled(derivative, dx), True
            if isinstance(term, AbstractZero):  # a partial that is zero (`copysign`'s)
                continue
            if isinstance(dy, ZeroTangent):
                dy, owned = term, fresh
            else:
                dy, owned = _accumulated(dy, term, owned), True
        if is_array(y) and not isinstance(dy, AbstractTangent) and _shape_of(dy) != y.shape:
            # A tangent of a broadcast argument (with a constant partial) covers less than y.
            dy = numpy().broadcast_to(dy, y.shape).copy()
        return y, ProjectTo(y)(dy)

    rrule.add(RuleInfo(f, signature, scalar_rrule, "rule", None, location, partials))
    frule.add(RuleInfo(f, signature, scalar_frule, "rule", None, location))


def non_differentiable(*functions: Callable[..., Any], types: tuple[Any, ...] = ()) -> None:
    """`non_differentiable(*functions, types=())`: outputs that have no derivative.

    Registers for each function an rrule whose pullback returns `NoTangent()` for the function
    and every argument, and an frule whose output tangent is `NoTangent()`. For shape queries,
    comparisons, `argmax`, random draws, `len`, `isinstance`, ...

    >>> def label(x):
    ...     return "negative" if x < 0 else "positive"
    >>> non_differentiable(label)
    >>> y, back = rrule(label, -2.0)
    >>> y, back(1.0)
    ('negative', (NoTangent(), NoTangent()))
    >>> rrule.rules_for(label)[0].kind
    'non_differentiable'
    """
    location = _caller_location(depth=2)
    signature = _normalize(types)
    for f in functions:
        _register_non_differentiable(f, signature, location)


def alias_rules(alias: Callable[..., Any], target: Callable[..., Any]) -> None:
    """`alias_rules(alias, target)`: differentiate `alias(*args)` as `target(*args)`.

    For two callables that compute the same function with the same arguments, such as a
    method descriptor and its function (`np.ndarray.sum(x, axis=0)` and `np.sum(x, axis=0)`).
    The alias's rrule and frule look up `target`'s rules at call time, so they follow rules
    registered for `target` later; where none applies, neither does the alias's.

    >>> import math
    >>> def sine(x):
    ...     return math.sin(x)
    >>> scalar_rule(sine, lambda x, y: math.cos(x))
    >>> def also_sine(x):
    ...     return math.sin(x)
    >>> alias_rules(also_sine, sine)
    >>> rrule(also_sine, 0.0)[1](1.0)
    (NoTangent(), 1.0)
    """
    location = _caller_location(depth=2)

    def alias_rrule(*args: Any, **kwargs: Any) -> Any:
        result = rrule(target, *args, **kwargs)
        if result is None:
            raise MissingRuleError.for_callable(target)
        return result

    def alias_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        result = frule(tangents, target, *args, **kwargs)
        if result is None:
            raise MissingRuleError.for_callable(target)
        return result

    rrule.add(RuleInfo(alias, (), alias_rrule, "rule", None, location))
    frule.add(RuleInfo(alias, (), alias_frule, "rule", None, location))


def _register_non_differentiable(f: Callable[..., Any], signature: Any, location: str) -> None:
    def no_derivative_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Callable[[Any], Any]]:
        def no_derivative_pullback(dy: Any) -> tuple[Any, ...]:
            return (NoTangent(),) * (1 + len(args))

        return f(*args, **kwargs), no_derivative_pullback

    def no_derivative_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs), NoTangent()

    rrule.add(RuleInfo(f, signature, no_derivative_rrule, "non_differentiable", None, location))
    frule.add(RuleInfo(f, signature, no_derivative_frule, "non_differentiable", None, location))


@overloadable
def ignore_derivatives(x: T) -> T:
    """`ignore_derivatives(x)`: `x` itself, with its derivative deliberately treated as zero.

    Engines see a rule whose pullback returns `ZeroTangent()` for `x` (the derivative exists,
    it is just not wanted) and whose frule returns a `ZeroTangent()` output: the value flows on,
    nothing flows back. JAX calls this `stop_gradient`.

    >>> ignore_derivatives(3.0)
    3.0
    >>> y, back = rrule(ignore_derivatives, 3.0)
    >>> back(1.0)
    (NoTangent(), ZeroTangent())
    """
    return x


def _ignore_derivatives_rrule(x: Any) -> tuple[Any, Callable[[Any], tuple[Any, Any]]]:
    def ignore_derivatives_pullback(dy: Any) -> tuple[Any, Any]:
        return NoTangent(), ZeroTangent()

    return x, ignore_derivatives_pullback


def _ignore_derivatives_frule(tangents: tuple[Any, ...], x: Any) -> tuple[Any, Any]:
    return x, ZeroTangent()


rrule.register(ignore_derivatives)(_ignore_derivatives_rrule)
frule.register(ignore_derivatives)(_ignore_derivatives_frule)


def _cotangent(partial: Partial, project: ProjectTo, args: tuple[Any, ...], y: Any, dy: Any) -> Any:
    """`conj(partial) * dy` projected (`project`) onto its argument; a thunk for array
    seeds, so that the cotangent of an argument the caller does not need (a constant) is
    never computed."""
    if partial is None:
        return NoTangent()

    def cotangent() -> Any:
        derivative = partial(*args, y)
        if type(derivative) is int and derivative == 1:  # add, sub: no multiplication
            return project(dy)
        if type(derivative) in (int, float):
            # A constant: scale after the projection, which may sum a broadcast seed down.
            return project(derivative * project(dy))
        return project(_scaled(_conj(derivative), dy))

    lazy = is_array(dy) and not isinstance(dy, AbstractZero)
    return Thunk(cotangent) if lazy else cotangent()


def _read_by(partials: tuple[Partial, ...]) -> frozenset[int]:
    """The positions (the arguments, then `len(partials)` for `y`) that some partial reads,
    from the partials' bytecode; every position when one cannot be read that way."""
    everything = frozenset(range(len(partials) + 1))
    read: set[int] = set()
    for partial in partials:
        if partial is None:
            continue
        code = getattr(partial, "__code__", None)
        if code is None or code.co_cellvars or code.co_flags & 0x0C:  # *args, **kwargs
            return everything
        names = code.co_varnames[: code.co_argcount]
        loads = {
            name
            for instruction in dis.get_instructions(code)
            if instruction.opname.startswith("LOAD_FAST")
            for name in _names(instruction.argval)
        }
        read |= {i for i, name in enumerate(names) if name in loads}
    return frozenset(read)


def _names(argval: Any) -> tuple[Any, ...]:
    return argval if isinstance(argval, tuple) else (argval,)  # LOAD_FAST_LOAD_FAST (3.13)


def _scaled(derivative: Any, dy: Any) -> Any:
    """`derivative * dy`, written into `derivative` when the partial made it as a temporary
    that nothing else holds (as NumPy elides its own temporaries) and it has the product's
    shape and dtype."""
    np = numpy()
    if (
        type(derivative) is np.ndarray
        and sys.getrefcount(derivative) <= _TEMPORARY
        and derivative.base is None
        and derivative.flags.writeable
        and is_array(dy)
        and np.shape(dy) == derivative.shape
        and np.result_type(derivative, dy) == derivative.dtype
    ):
        return np.multiply(derivative, dy, out=derivative)
    return derivative * dy


# References to a temporary: the caller's variable, `_scaled`'s parameter, getrefcount's.
_TEMPORARY = 3


def _accumulated(total: Any, term: Any, owned: bool) -> Any:
    """`total + term`, written into `total` when it is a temporary the caller made (`owned`)
    and keeps its shape and dtype. Under an outer differentiation its rules make it a plain
    sum (the in-place write is not differentiable, and never needed there)."""
    np = numpy()
    if (
        owned
        and type(total) is np.ndarray
        and np.shape(term) == total.shape
        and np.result_type(total, term) == total.dtype
    ):
        return np.add(total, term, out=total)
    return total + term


def _accumulated_rrule(total: Any, term: Any, owned: bool) -> tuple[Any, Callable[[Any], Any]]:
    def accumulated_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), unbroadcast(total, dy), unbroadcast(term, dy), NoTangent()

    return total + term, accumulated_pullback


def _accumulated_frule(tangents: tuple[Any, ...], total: Any, term: Any, owned: bool) -> Any:
    _, d_total, d_term, _ = tangents
    return total + term, add_tangents(unthunk(d_total), unthunk(d_term))


rrule.register(_accumulated)(_accumulated_rrule)
frule.register(_accumulated)(_accumulated_frule)


def _padded(partials: tuple[Partial, ...], args: tuple[Any, ...], name: str) -> tuple[Partial, ...]:
    if len(partials) != len(args):
        extra = " (an `out` array given positionally?)" if len(args) > len(partials) else ""
        raise TypeError(
            f"scalar_rule for {name} has {len(partials)} partials but was called with "
            f"{len(args)} arguments{extra}"
        )
    return partials


def _refuse_out(name: str, kwargs: dict[str, Any]) -> None:
    if kwargs.get("out") is not None:
        raise TypeError(
            f"differentiating {name} with out= (writing into an array) is not supported: "
            "assign the result instead"
        )
    if kwargs.get("where", True) is not True:
        raise TypeError(
            f"differentiating {name} with where= is not supported (the masked entries are "
            "left uninitialized): compute everywhere and select with np.where(mask, y, other)"
        )


def _shape_of(dy: Any) -> tuple[int, ...]:
    return tuple(getattr(dy, "shape", ()))


def _conj(z: Any) -> Any:
    if isinstance(z, (int, float)) or getattr(getattr(z, "dtype", None), "kind", "c") != "c":
        return z  # real: conjugating would only copy
    return z.conjugate()
