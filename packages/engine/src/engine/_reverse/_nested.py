"""Differentiating differentiated code (higher order): rules that let the engine run over
the code it generated.

Generated code calls the dispatch (`call`, `call1`, `call2`), whose caches and fast paths
are not code the engine can differentiate; under an outer differentiation, these rules
replace them by `call_reference`, which does the same with plain Python that the engine
transforms (the handler it picks, the rule bodies and pullback closures it runs). The
helpers that only answer questions (caches, type tests) are declared non-differentiable.
The user API's `gradient`/`withgradient` get rules that compute the inner gradient the same
way, so that `derivative(derivative(f))` is reverse over reverse.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from engine._plugins import load_plugins
from engine._reverse import _dispatch, _primitives, _runtime, _scalar, _substitutes
from engine._reverse._compile import forward_function
from engine._reverse._source import has_source
from rulescore import (
    ProjectTo,
    Tangent,
    backing,
    has_tangent_space,
    non_differentiable,
    rrule,
    unthunk,
)
from rulescore._rules import RuleTable
from rulescore._tangent_types.structural import map_leaves

__all__ = ["call_reference"]


def call_reference(f: Any, /, *args: Any, **kwargs: Any) -> Any:
    """What `call(f, *args, **kwargs)` does, as code the engine can differentiate."""
    handler = _dispatch.handler_for(f, args)
    return handler(f, args, kwargs)


# Substitutes rather than rules: the code of `call_reference` is differentiated like user
# code, keyword arguments that carry derivatives included (a `functools.partial`'s).
for _entry in (_dispatch.call, _dispatch.call1, _dispatch.call2):
    _substitutes.SUBSTITUTES[_entry] = call_reference

non_differentiable(
    _dispatch.handler_for,
    _dispatch.static_attribute,
    _dispatch._is_field,
    _dispatch._hashable,
    _dispatch._parameter_order,
    _dispatch._parameters,
    _dispatch._defaulted,
    _scalar.trivial,
    has_source,
    _primitives.carries_derivative,
    _runtime._exclusive,
    has_tangent_space,
    load_plugins,
    RuleTable.lookup,
)


@rrule.register(backing)
def _backing_rrule(tangent: Any) -> Any:
    def backing_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        if not isinstance(dy, dict):
            return _runtime.NO, _runtime.Z
        return _runtime.NO, type(tangent)(**dy)

    return backing(tangent), backing_pullback


@rrule.register(forward_function)
def _forward_function_rrule(f: Any) -> Any:
    # The forward function reads `f`'s closure cells: its tangent is `f`'s.
    def forward_function_pullback(dy: Any) -> tuple[Any, ...]:
        return _runtime.NO, dy

    return forward_function(f), forward_function_pullback


def gradient_reference(f: Callable[..., Any], *args: Any) -> tuple[Any, tuple[Any, ...]]:
    """`withgradient(f, *args)` as code the engine can differentiate (cotangents as they are)."""
    y, back = _dispatch.call(f, *args)
    if back is None:  # an output without derivative
        return y, tuple(_runtime.Z for _ in args)
    grads = back(scalar_seed(y))
    return y, tuple(grads[1:])


def scalar_seed(y: Any) -> Any:
    """The seed of a gradient: 1 of the output's kind."""
    return type(y)(1) if isinstance(y, float) else 1.0


non_differentiable(scalar_seed)


@rrule.register(getattr)
def _getattr_rrule(obj: Any, name: str, *default: Any) -> Any:
    """`getattr(obj, name[, default])` as the attribute read of generated code."""
    if default and not hasattr(obj, name):
        return default[0], _getattr_pullback(None, len(default), use_default=True)
    y, back = _dispatch.get_attr(obj, name)
    return y, _getattr_pullback(back, len(default), use_default=False)


def _getattr_pullback(back: Any, defaults: int, use_default: bool) -> Any:
    def getattr_pullback(dy: Any) -> tuple[Any, ...]:
        if use_default:
            return (_runtime.NO, _runtime.Z, _runtime.NO, dy)
        d_obj = _runtime.Z if back is None else back(dy)[0]
        return (_runtime.NO, d_obj, _runtime.NO, *([_runtime.Z] * defaults))

    return getattr_pullback


# Rules' own helpers, met when a pullback is differentiated: making a projector looks at
# shapes and types only; applying one is linear (and self-adjoint: a projection).
non_differentiable(ProjectTo)


@rrule.register(ProjectTo.__call__)
def _project_rrule(projector: Any, dx: Any) -> Any:
    def project_pullback(dy: Any) -> tuple[Any, ...]:
        return _runtime.NO, _runtime.NO, projector(dy)

    return projector(dx), project_pullback


@rrule.register(Tangent._combine)
def _tangent_combine_rrule(a: Any, b: Any, sign: int) -> Any:
    """`a + b` (`sign` 1) or `a - b` (`sign` -1) of structural tangents: linear."""

    def tangent_combine_pullback(dy: Any) -> tuple[Any, ...]:
        return _runtime.NO, dy, dy if sign > 0 else map_leaves(operator.neg, dy), _runtime.NO

    return a._combine(b, sign), tangent_combine_pullback
