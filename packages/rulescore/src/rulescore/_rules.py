"""The `rrule` and `frule` registries: rules keyed on the function, dispatched on types.

`rrule(f, *args, **kwargs)` returns `(y, pullback)` from the most specific rule registered
for `f` whose types match the arguments, or `None` when no rule applies (then an engine
differentiates `f`'s own code). `frule((df, dx1, ...), f, *args, **kwargs)` is the forward
twin and returns `(y, dy)` or `None`. Either may be given a `RuleConfig` first.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from rulescore._config import RuleConfig
from rulescore._errors import AmbiguousRuleError, qualified_name

__all__ = [
    "ForwardRules",
    "ReverseRules",
    "RuleInfo",
    "RuleTable",
    "frule",
    "lazy_rules",
    "rrule",
]

RuleKind = Literal["rule", "opt_out", "non_differentiable"]
F = TypeVar("F", bound=Callable[..., Any])
Pullback = Callable[[Any], tuple[Any, ...]]

_DEFAULT_CONFIG = RuleConfig()


@dataclass(frozen=True)
class RuleInfo:
    """One registered rule: what it is for, where it was defined, what it needs.

    `types` constrain the leading positional arguments (`object` for the rest); `kind` is
    `"rule"`, `"non_differentiable"` or `"opt_out"` (differentiate the code instead);
    `config` is the capability the rule requires, if any. A rule made by `scalar_rule` keeps
    its `partials` (one function or `None` per argument, called as `partial(*args, y)`), so
    that an engine may apply them directly to plain numbers instead of building a pullback.

    >>> from rulescore import non_differentiable
    >>> def shape_of(x):
    ...     return x.shape
    >>> non_differentiable(shape_of)
    >>> info = rrule.rules_for(shape_of)[0]
    >>> info.kind, info.types, info.defined_at.endswith(":1")
    ('non_differentiable', (), True)
    >>> print(info)
    non_differentiable for ...shape_of(...) at ...
    """

    function: Callable[..., Any]
    types: tuple[Any, ...]
    rule: Callable[..., Any] | None
    kind: RuleKind
    config: type | None
    defined_at: str
    partials: tuple[Callable[..., Any] | None, ...] | None = None

    def __str__(self) -> str:
        signature = ", ".join(_type_name(t) for t in self.types) or "..."
        config = f", config={self.config.__name__}" if self.config else ""
        name = qualified_name(self.function)
        return f"{self.kind} for {name}({signature}{config}) at {self.defined_at}"


class RuleTable:
    """A registry of rules of one direction; `rrule` and `frule` are its two instances.

    Registration is thread-safe; lookups are cached per function and argument types, and the
    cache is dropped whenever a rule is added (`generation` counts the changes, so that an
    engine's own caches can notice a rule registered after first use).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._rules: dict[Any, list[RuleInfo]] = {}
        self._cache: dict[tuple[Any, ...], RuleInfo | None] = {}
        self._lock = threading.Lock()
        self.generation = 0

    def register(
        self, f: Callable[..., Any], *types: Any, config: type | None = None
    ) -> Callable[[F], F]:
        """`@table.register(f, *types, config=None)`: decorate the rule for `f`.

        `types` (classes, tuples or unions) constrain the leading positional arguments; the
        most specific matching rule wins, and registering the same signature again replaces
        the rule. With `config=HasReverseMode` (or another capability) the rule receives the
        engine's `RuleConfig` first and applies only under engines with that capability.
        Returns the rule unchanged, so that it can be tested directly.
        """
        location = _caller_location(depth=2)

        def decorate(rule: F) -> F:
            self.add(RuleInfo(f, _normalize(types), rule, "rule", config, location))
            return rule

        return decorate

    def opt_out(self, f: Callable[..., Any], *types: Any) -> None:
        """`table.opt_out(f, *types)`: no rule for these types, even if a more generic one exists.

        Engines then differentiate `f`'s code, as with ChainRulesCore's `@opt_out`.
        """
        self.add(RuleInfo(f, _normalize(types), None, "opt_out", None, _caller_location(2)))

    def add(self, info: RuleInfo) -> None:
        """Add a `RuleInfo` (the decorators call this); replaces one of the same signature."""
        _check_hashable(info.function, self.name)
        with self._lock:
            rules = [
                r
                for r in self._rules.get(info.function, [])
                if (r.types, r.config) != (info.types, info.config)
            ]
            rules.append(info)
            self._rules[info.function] = rules
            self._cache = {}
            self.generation += 1

    def lookup(self, f: Any, args: tuple[Any, ...], config: RuleConfig) -> RuleInfo | None:
        """The rule that applies to `f(*args)` under `config`; `None` if none or opted out.

        Raises `AmbiguousRuleError` when several apply and none is the most specific.
        """
        # Taken before the rules: a rule added meanwhile replaces this cache, so a result
        # computed from the older rules never lands in the newer cache.
        cache = self._cache
        try:
            rules = self._rules.get(f)
        except TypeError:  # unhashable callables carry no rules
            return None
        if not rules:
            return self.lookup(f, args, config) if _load_pending() else None
        width = max(len(r.types) for r in rules)
        key = (f, type(config), min(len(args), width), *map(type, args[:width]))
        try:
            return cache[key]
        except KeyError:
            pass
        found = self._select(f, rules, args, config)
        winner = found if found is None or found.kind != "opt_out" else None
        cache[key] = winner
        return winner

    def functions(self) -> frozenset[Any]:
        """Every function that has at least one rule (opt-outs excluded)."""
        _load_pending()
        return frozenset(
            f for f, rules in self._rules.items() if any(r.kind != "opt_out" for r in rules)
        )

    def rules_for(self, f: Any) -> tuple[RuleInfo, ...]:
        """The rules registered for `f`, in registration order (each knows `defined_at`)."""
        _load_pending()
        try:
            return tuple(self._rules.get(f, ()))
        except TypeError:
            return ()

    def has_rule(self, f: Any) -> bool:
        """Whether any rule (not only an opt-out) is registered for `f`."""
        return any(r.kind != "opt_out" for r in self.rules_for(f))

    def _select(
        self, f: Any, rules: list[RuleInfo], args: tuple[Any, ...], config: RuleConfig
    ) -> RuleInfo | None:
        applicable = [r for r in rules if _matches(r.types, args)]
        with_config = [r for r in applicable if r.config and isinstance(config, r.config)]
        # As in ChainRulesCore, a rule written for a capability beats the generic ones.
        candidates = with_config or [r for r in applicable if r.config is None]
        if not candidates:
            return None
        best = [c for c in candidates if all(_more_specific(c, d) for d in candidates)]
        if len(best) != 1:
            maximal = [
                c
                for c in candidates
                if not any(_more_specific(d, c) and not _more_specific(c, d) for d in candidates)
            ]
            raise AmbiguousRuleError(
                f"{self.name} for `{qualified_name(f)}` is ambiguous for arguments of types "
                f"({', '.join(type(a).__name__ for a in args)}): "
                + "; ".join(str(r) for r in maximal)
                + ". Register a rule for the more specific signature to resolve it."
            )
        return best[0]

    def __repr__(self) -> str:
        return f"<{self.name}: rules for {len(self.functions())} functions>"


class ReverseRules(RuleTable):
    """The `rrule` registry; call it as `rrule([config,] f, *args, **kwargs)`.

    >>> from rulescore import NoTangent
    >>> def mul(a, b):
    ...     return a * b
    >>> @rrule.register(mul)
    ... def _(a, b):
    ...     def mul_pullback(dy):
    ...         return NoTangent(), dy * b, dy * a
    ...     return mul(a, b), mul_pullback
    >>> y, back = rrule(mul, 2.0, 3.0)
    >>> y, back(1.0)
    (6.0, (NoTangent(), 3.0, 2.0))
    >>> def unruled(x):
    ...     return x
    >>> rrule(unruled, 1.0) is None  # no rule registered for it
    True

    See also: `frule`, `RuleConfig`, `scalar_rule`, `non_differentiable`.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Any, Pullback] | None:
        config, (f, *primals) = _split_config(args)
        info = self.lookup(f, tuple(primals), config)
        if info is None or info.rule is None:
            return None
        if info.config is not None:
            return info.rule(config, *primals, **kwargs)  # type: ignore[no-any-return]
        return info.rule(*primals, **kwargs)  # type: ignore[no-any-return]


class ForwardRules(RuleTable):
    """The `frule` registry; call it as `frule([config,] (df, dx1, ...), f, *args, **kwargs)`.

    >>> import math
    >>> from rulescore import NoTangent
    >>> def cube(x):
    ...     return x ** 3
    >>> @frule.register(cube)
    ... def _(tangents, x):
    ...     _, dx = tangents
    ...     return cube(x), 3 * x ** 2 * dx
    >>> frule((NoTangent(), 1.0), cube, 2.0)
    (8.0, 12.0)

    See also: `rrule`.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> tuple[Any, Any] | None:
        config, (tangents, f, *primals) = _split_config(args)
        info = self.lookup(f, tuple(primals), config)
        if info is None or info.rule is None:
            return None
        if info.config is not None:
            return info.rule(config, tangents, *primals, **kwargs)  # type: ignore[no-any-return]
        return info.rule(tangents, *primals, **kwargs)  # type: ignore[no-any-return]


rrule = ReverseRules("rrule")
frule = ForwardRules("frule")

_PENDING: dict[str, list[str]] = {}
_PENDING_LOCK = threading.Lock()


def lazy_rules(module: str, loader: str) -> None:
    """`lazy_rules(module, loader)`: import `loader` (which registers rules) once `module` is.

    A rule package covering a library that is slow to import (SciPy's subpackages) announces
    its rules this way instead of importing the library: the next rule lookup after `module`
    appears in `sys.modules` imports `loader` first. A function of `module` cannot reach a
    lookup before `module` is imported, so no rule is ever missed.

    >>> import sys
    >>> lazy_rules("a_library_nobody_imports", "its_rules")
    >>> "its_rules" in sys.modules  # not imported while the library is not
    False
    """
    with _PENDING_LOCK:
        _PENDING.setdefault(module, []).append(loader)
    _load_pending()


def _load_pending() -> bool:
    """Import the loaders whose module has been imported; whether any was."""
    if not _PENDING:
        return False
    with _PENDING_LOCK:
        ready = [module for module in _PENDING if module in sys.modules]
        loaders = [loader for module in ready for loader in _PENDING.pop(module)]
    for loader in loaders:
        importlib.import_module(loader)
    return bool(loaders)


def _split_config(args: tuple[Any, ...]) -> tuple[RuleConfig, tuple[Any, ...]]:
    if args and isinstance(args[0], RuleConfig):
        return args[0], args[1:]
    return _DEFAULT_CONFIG, args


def _normalize(types_: tuple[Any, ...]) -> tuple[tuple[type, ...], ...]:
    normalized = []
    for t in types_:
        if isinstance(t, types.UnionType):
            members = t.__args__
        else:
            members = t if isinstance(t, tuple) else (t,)
        if not all(isinstance(m, type) for m in members):
            raise TypeError(f"rule types must be classes, tuples or unions of classes, got {t!r}")
        normalized.append(tuple(members))
    return tuple(normalized)


def _matches(signature: tuple[tuple[type, ...], ...], args: tuple[Any, ...]) -> bool:
    return len(args) >= len(signature) and all(
        isinstance(a, t) for a, t in zip(args, signature, strict=False)
    )


def _more_specific(a: RuleInfo, b: RuleInfo) -> bool:
    """Whether every argument type of `a` is a subtype of `b`'s (missing ones are `object`)."""
    for i in range(max(len(a.types), len(b.types))):
        ta = a.types[i] if i < len(a.types) else (object,)
        tb = b.types[i] if i < len(b.types) else (object,)
        if not all(any(issubclass(x, y) for y in tb) for x in ta):
            return False
    return True


def _check_hashable(f: Any, table: str) -> None:
    try:
        hash(f)
    except TypeError:
        raise TypeError(f"{table} rules are keyed on the function: {f!r} is not hashable") from None


def _type_name(t: tuple[type, ...]) -> str:
    return " | ".join(m.__qualname__ for m in t)


def _caller_location(depth: int) -> str:
    frame = sys._getframe(depth)
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"
