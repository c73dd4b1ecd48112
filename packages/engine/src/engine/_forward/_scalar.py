"""The forward engine's fast path for real scalars: `y = f(a, b)`, `dy = ∂a f · da + ∂b f · db`
straight from the partials of a `scalar_rule` (`RuleInfo.partials`), without the frule's
projections and the dispatch's generic splitting and joining.

It applies when every argument is a plain real number or a dual of real numbers at one
level; anything else (arrays, nested levels, keyword arguments) takes the general path.
The partials found for a function and argument types are cached, and the cache is dropped
when a rule is registered (`frule.generation`, `rrule.generation`).
"""

from __future__ import annotations

from typing import Any

from engine._forward._dual import Dual
from engine._reverse._scalar import REAL
from rulescore import RuleConfig, frule, rrule

__all__ = ["MISS", "scalar_call"]

MISS = object()
_NONE = object()
_cache: dict[Any, Any] = {}
_state: dict[str, Any] = {"generation": None}


def scalar_call(f: Any, args: tuple[Any, ...], config: RuleConfig) -> Any:
    """`f(*args)` with its tangent by the partials, or `MISS` when the fast path does not
    apply."""
    if len(args) == 1:
        return _unary(f, args[0], config)
    if len(args) == 2:
        return _binary(f, args[0], args[1], config)
    return MISS


def _unary(f: Any, a: Any, config: Any) -> Any:
    if type(a) is not Dual or type(a.primal) not in REAL or type(a.tangent) not in REAL:
        return MISS
    x = a.primal
    partials = _partials(f, (x,), config)
    if partials is None or partials[0] is None:
        return MISS
    y = f(x)
    if type(y) not in REAL:
        return MISS
    return Dual(y, partials[0](x, y) * a.tangent, a.level)


def _binary(f: Any, a: Any, b: Any, config: Any) -> Any:
    kind_a, kind_b = type(a), type(b)
    if kind_a is Dual:
        if type(a.primal) not in REAL or type(a.tangent) not in REAL:
            return MISS
        x, level = a.primal, a.level
    elif kind_a in REAL:
        x, level = a, 0
    else:
        return MISS
    if kind_b is Dual:
        if type(b.primal) not in REAL or type(b.tangent) not in REAL:
            return MISS
        if level and b.level != level:
            return MISS
        z, level = b.primal, b.level
    elif kind_b in REAL:
        z = b
    else:
        return MISS
    if not level:
        return MISS
    partials = _partials(f, (x, z), config)
    if partials is None:
        return MISS
    p, q = partials
    y = f(x, z)
    if type(y) not in REAL:
        return MISS
    dy: Any = 0.0
    if kind_a is Dual:
        if p is None:
            return MISS
        dy = p(x, z, y) * a.tangent
    if kind_b is Dual:
        if q is None:
            return MISS
        dy = dy + q(x, z, y) * b.tangent
    return Dual(y, dy, level)


def _partials(f: Any, primals: tuple[Any, ...], config: RuleConfig) -> Any:
    generation = (frule.generation, rrule.generation)
    if generation != _state["generation"]:
        _cache.clear()
        _state["generation"] = generation
    try:
        key = (f, *map(type, primals))
        found = _cache.get(key, _NONE)
    except TypeError:  # an unhashable callable
        return None
    if found is _NONE:
        found = _cache[key] = _scalar_rule_partials(f, primals, config)
    return found


def _scalar_rule_partials(f: Any, primals: tuple[Any, ...], config: RuleConfig) -> Any:
    """The partials `scalar_rule` kept (on the rrule it made) when the frule that applies
    is the one it made too (same place of definition)."""
    forward, reverse = frule.lookup(f, primals, config), rrule.lookup(f, primals, config)
    if forward is None or reverse is None or forward.kind != "rule":
        return None
    return reverse.partials if forward.defined_at == reverse.defined_at else None
