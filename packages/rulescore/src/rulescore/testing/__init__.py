"""rulescore.testing: the rule test harness, checked against finite differences (needs NumPy).

- checks: `test_rrule`, `test_frule`, `test_scalar` (failures raise `RuleTestFailure`);
- arguments: `with_tangent`, `constant`, `on_subspace`, `rand_tangent`;
- finite differences: `central_fdm`, `FiniteDifferenceMethod`, `jvp`, `vjp`, `grad`,
  `jacobian`, and the flattening they use: `flatten`, `flatten_tangent`, `unflatten_tangent`;
- `FiniteDifferenceConfig`, a `RuleConfig` for rules that call back into AD.

The `test_*` functions carry `__test__ = False`, so importing them into a test module does
not make pytest collect them.
"""

from rulescore.testing._arguments import PrimalAndTangent, constant, on_subspace, with_tangent
from rulescore.testing._check_forward import test_frule
from rulescore.testing._check_reverse import test_rrule
from rulescore.testing._check_scalar import test_scalar
from rulescore.testing._comparison import RuleTestFailure
from rulescore.testing._fd_config import FiniteDifferenceConfig
from rulescore.testing._finite_differences import (
    FiniteDifferenceMethod,
    central_fdm,
    grad,
    jacobian,
    jvp,
    vjp,
)
from rulescore.testing._flatten import flatten, flatten_tangent, unflatten_tangent
from rulescore.testing._rand_tangent import rand_tangent

test_rrule.__test__ = False  # type: ignore[attr-defined]
test_frule.__test__ = False  # type: ignore[attr-defined]
test_scalar.__test__ = False  # type: ignore[attr-defined]

__all__ = [
    "FiniteDifferenceConfig",
    "FiniteDifferenceMethod",
    "PrimalAndTangent",
    "RuleTestFailure",
    "central_fdm",
    "constant",
    "flatten",
    "flatten_tangent",
    "grad",
    "jacobian",
    "jvp",
    "on_subspace",
    "rand_tangent",
    "test_frule",
    "test_rrule",
    "test_scalar",
    "unflatten_tangent",
    "vjp",
    "with_tangent",
]
