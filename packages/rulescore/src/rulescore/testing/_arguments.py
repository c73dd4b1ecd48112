"""How a harness call says which tangent an argument gets: `with_tangent`, `constant`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from rulescore import NoTangent
from rulescore.testing._rand_tangent import rand_tangent

__all__ = ["PrimalAndTangent", "constant", "on_subspace", "with_tangent"]


@dataclass(frozen=True)
class PrimalAndTangent:
    """An argument of `test_rrule`/`test_frule` with the tangent it is tested along.

    Built by `with_tangent(x, dx)` and `constant(x)`; a plain argument `x` stands for
    `with_tangent(x, rand_tangent(x))`.

    >>> arg = with_tangent(1.0, 0.5)
    >>> arg.primal, arg.tangent, arg.constant
    (1.0, 0.5, False)
    """

    primal: Any
    tangent: Any
    constant: bool = False
    project: Callable[[Any], Any] | None = None


def with_tangent(x: Any, dx: Any) -> PrimalAndTangent:
    """`with_tangent(x, dx)`: test the rule at `x` along the tangent `dx` (not a random one).

    >>> with_tangent(2.0, 1.0)
    PrimalAndTangent(primal=2.0, tangent=1.0, constant=False, project=None)
    """
    return PrimalAndTangent(x, dx)


def constant(x: Any) -> PrimalAndTangent:
    """`constant(x)`: do not differentiate in `x` (an index, a flag, an argument held fixed).

    The rule's cotangent for it is not compared with finite differences; it must still be
    `NoTangent()` when `x` has no tangent space at all (bool, str, integer arrays).

    >>> constant(3).tangent
    NoTangent()
    """
    return PrimalAndTangent(x, NoTangent(), constant=True)


def call_with(primals: list[Any], active: list[int], values: tuple[Any, ...], kwargs: Any) -> Any:
    """`f(*args, **kwargs)` for `primals = [f, *args]`, with `primals[active[k]]` replaced by
    `values[k]`: the function that finite differences perturb."""
    full = list(primals)
    for i, value in zip(active, values, strict=True):
        full[i] = value
    return full[0](*full[1:], **kwargs)


def on_subspace(x: Any, project: Callable[[Any], Any], dx: Any = None) -> PrimalAndTangent:
    """`on_subspace(x, project, dx=None)`: test within the tangents `project` maps onto.

    For an argument the function reads only in part, such as the lower triangle of a matrix
    that `cholesky` or `eigh` assumes symmetric: `project` is the linear projection onto the
    tangents that matter (the Hermitian part). The tangent (random, or `dx`) is projected,
    and the rule's and the finite differences' cotangents are compared after projecting both.

    >>> import numpy as np
    >>> def hermitian(a):
    ...     return (a + np.conj(np.swapaxes(a, -1, -2))) / 2
    >>> arg = on_subspace(np.eye(2), hermitian, dx=np.array([[0.0, 2.0], [0.0, 0.0]]))
    >>> arg.tangent
    array([[0., 1.],
           [1., 0.]])
    """
    return PrimalAndTangent(x, project(rand_tangent(x) if dx is None else dx), project=project)


def resolve(arg: Any, rng: np.random.Generator) -> PrimalAndTangent:
    """The `PrimalAndTangent` of a harness argument; a plain value gets a random tangent."""
    if isinstance(arg, PrimalAndTangent):
        return arg
    dx = rand_tangent(arg, rng)
    return PrimalAndTangent(arg, dx, constant=isinstance(dx, NoTangent))
