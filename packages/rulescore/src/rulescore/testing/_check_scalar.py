"""`test_scalar`: both rules of a scalar function, along the real and imaginary directions."""

from __future__ import annotations

from typing import Any

import numpy as np

from rulescore import NoTangent, ProjectTo, frule, rrule, unthunk
from rulescore._errors import qualified_name
from rulescore.testing._arguments import with_tangent
from rulescore.testing._check_forward import test_frule
from rulescore.testing._check_reverse import test_rrule
from rulescore.testing._comparison import assert_close, deep_unthunk, default_tolerances
from rulescore.testing._finite_differences import FiniteDifferenceMethod
from rulescore.testing._flatten import flatten_tangent

__all__ = ["test_scalar"]


def test_scalar(
    f: Any,
    x: Any,
    *,
    fkwargs: dict[str, Any] | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    method: FiniteDifferenceMethod | None = None,
    rng: np.random.Generator | None = None,
) -> None:
    """`test_scalar(f, x, **options)`: test the frule and rrule of a scalar function at `x`.

    Runs `test_frule` with the input tangent 1 (and `1j` for complex `x`) and `test_rrule`
    with the seed 1 (and `1j` for a complex output), so that the real and imaginary parts of
    the derivative are each checked against finite differences; for real `x` and `y` it also
    checks that both rules give the same derivative.

    >>> import math
    >>> from rulescore import scalar_rule
    >>> def sigmoid(x):
    ...     return 1 / (1 + math.exp(-x))
    >>> scalar_rule(sigmoid, lambda x, y: y * (1 - y))
    >>> test_scalar(sigmoid, 0.7)

    See also: `test_rrule`, `test_frule`.
    """
    kwargs = fkwargs or {}
    options: dict[str, Any] = dict(rtol=rtol, atol=atol, method=method, rng=rng)
    y = f(x, **kwargs)
    project_x, project_y = ProjectTo(x), ProjectTo(y)
    directions = (1.0, 1j) if np.iscomplexobj(x) else (1.0,)
    for dx in directions:
        test_frule(f, with_tangent(x, project_x(dx)), fkwargs=kwargs, **options)
    for dy in (1.0, 1j) if np.iscomplexobj(y) else (1.0,):
        test_rrule(f, x, fkwargs=kwargs, output_tangent=project_y(dy), **options)
    if np.iscomplexobj(x) or np.iscomplexobj(y):
        return
    # test_frule and test_rrule passed, so both rules exist.
    forward = unthunk(frule((NoTangent(), project_x(1.0)), f, x, **kwargs)[1])  # type: ignore[index]
    _, pullback = rrule(f, x, **kwargs)  # type: ignore[misc]
    reverse = unthunk(pullback(project_y(1.0))[1])
    # Both rules are analytic: they agree to rounding, whatever tolerance FD needed.
    tol = default_tolerances([x, y], None, None)
    assert_close(
        f"test_scalar({qualified_name(f)}): the frule's and rrule's derivatives differ",
        flatten_tangent(x, deep_unthunk(reverse)),
        flatten_tangent(y, deep_unthunk(forward)),
        tol,
    )
