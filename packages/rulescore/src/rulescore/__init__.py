"""rulescore: the minimal rule API for automatic differentiation in Python.

The contents, in dependency order (each name is documented where it is defined):

- errors: `DifferentiationError` and its subclasses;
- tangent types: `NoTangent`, `ZeroTangent`, `NotImplementedTangent`, `Tangent[T]`, `Thunk`,
  `InplaceableThunk`, `unthunk`, `backing`, `not_implemented`;
- tangent arithmetic: `add_tangents`, `add_to_primal`, `accumulate`;
- projection: `ProjectTo`, `unbroadcast`, `has_tangent_space`;
- rules: `rrule`, `frule` (registries), `RuleInfo`, `lazy_rules`;
- configuration: `RuleConfig`, `HasReverseMode`, `HasForwardMode`, `rrule_via_ad`,
  `frule_via_ad`;
- rule definition: `scalar_rule`, `non_differentiable`, `alias_rules`, `ignore_derivatives`,
  `overloadable` (rules of Python functions that tracing engines honor).

The test harness lives in `rulescore.testing` (needs NumPy).
"""

from rulescore._arithmetic import accumulate, add_tangents, add_to_primal
from rulescore._config import (
    HasForwardMode,
    HasReverseMode,
    RuleConfig,
    frule_via_ad,
    rrule_via_ad,
)
from rulescore._errors import (
    AmbiguousRuleError,
    DifferentiationError,
    MissingCapabilityError,
    MissingRuleError,
    TangentShapeError,
    TangentTypeError,
    UnsupportedConstructError,
)
from rulescore._overloading import overloadable
from rulescore._projection import ProjectTo, has_tangent_space, unbroadcast
from rulescore._rule_definition import (
    alias_rules,
    ignore_derivatives,
    non_differentiable,
    scalar_rule,
)
from rulescore._rules import RuleInfo, frule, lazy_rules, rrule
from rulescore._tangent_types import (
    AbstractTangent,
    AbstractZero,
    InplaceableThunk,
    NoTangent,
    NotImplementedTangent,
    Tangent,
    Thunk,
    ZeroTangent,
    backing,
    not_implemented,
    unthunk,
)

__all__ = [
    "AbstractTangent",
    "AbstractZero",
    "AmbiguousRuleError",
    "DifferentiationError",
    "HasForwardMode",
    "HasReverseMode",
    "InplaceableThunk",
    "MissingCapabilityError",
    "MissingRuleError",
    "NoTangent",
    "NotImplementedTangent",
    "ProjectTo",
    "RuleConfig",
    "RuleInfo",
    "Tangent",
    "TangentShapeError",
    "TangentTypeError",
    "Thunk",
    "UnsupportedConstructError",
    "ZeroTangent",
    "accumulate",
    "add_tangents",
    "add_to_primal",
    "alias_rules",
    "backing",
    "frule",
    "frule_via_ad",
    "has_tangent_space",
    "ignore_derivatives",
    "lazy_rules",
    "non_differentiable",
    "not_implemented",
    "overloadable",
    "rrule",
    "rrule_via_ad",
    "scalar_rule",
    "unbroadcast",
    "unthunk",
]
