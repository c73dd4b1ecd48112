"""Forward over reverse: what lets the forward engine run through the reverse engine's
generated code (Hessian-vector products, `hessian` as forward over reverse).

The reverse engine's entry points are replaced by their reference versions, in plain Python
that the forward engine rewrites (`call_reference` for the dispatch, `_nested_withgradient`
for the user API's `withgradient`; its compiler gets the user's function behind one that
the forward engine's code defined, see `_compile.original`): they run at the caller's
level, so the pullback closures they build hold the caller's duals and carry them into the
backward pass. The runtime
helpers whose code is not differentiable as written get frules: `acc` adds in place when it
may, `ProjectTo` and `materialize` are linear, `backing` reads a tangent's fields.
"""

from __future__ import annotations

import inspect
from typing import Any

from engine import _api
from engine._backends import default_backend
from engine._forward._compile import original
from engine._forward._dispatch import SUBSTITUTES
from engine._materialize import materialize
from engine._reverse import _dispatch, _runtime
from engine._reverse._compile import forward_function
from engine._reverse._nested import call_reference
from rulescore import (
    AbstractZero,
    MissingCapabilityError,
    ProjectTo,
    Tangent,
    ZeroTangent,
    add_tangents,
    backing,
    frule,
    non_differentiable,
    unthunk,
)

__all__: list[str] = []

ZERO = ZeroTangent()

for _entry in (_dispatch.call, _dispatch.call1, _dispatch.call2):
    SUBSTITUTES[_entry] = call_reference


def _withgradient_reference(f: Any, *args: Any, backend: str | None = None) -> Any:
    """`withgradient` as code the forward engine rewrites: the reverse engine's reference
    gradient, the forward engine's own (forward over forward), or a refusal (never another
    engine silently put in place of the one asked for)."""
    name = backend or default_backend()
    if name == "reverse":
        return _api._nested_withgradient(f, *args)
    if name == "forward":  # forward over forward: the inner engine runs at its own level
        return inspect.unwrap(_api.withgradient)(f, *args, backend=name)
    raise MissingCapabilityError(
        f"forward mode over the {name!r} engine's gradient is not supported: use "
        "backend='reverse' (forward over reverse), or hessian(..., mode='reverse')"
    )


SUBSTITUTES[_api.withgradient] = _withgradient_reference


def _reverse_version(f: Any) -> Any:
    """The reverse engine's code for `f`, made from the user's code when `f` is a function
    the forward engine's code defined (whose own code calls the forward dispatch)."""
    return forward_function(original(f))


SUBSTITUTES[forward_function] = _reverse_version
# It runs as it is: the function it returns reads `f`'s closure cells, duals included.
non_differentiable(_reverse_version)


def _linear(dx: Any, apply: Any) -> Any:
    dx = unthunk(dx)
    return dx if isinstance(dx, AbstractZero) else apply(dx)


@frule.register(_runtime.acc)
def _acc_frule(tangents: tuple[Any, ...], total: Any, part: Any) -> Any:
    _, d_total, d_part = tangents
    return _runtime.acc(total, part), add_tangents(unthunk(d_total), unthunk(d_part))


@frule.register(ProjectTo.__call__)
def _project_frule(tangents: tuple[Any, ...], projector: Any, dx: Any) -> Any:
    return projector(dx), _linear(tangents[2], projector)


@frule.register(materialize)
def _materialize_frule(tangents: tuple[Any, ...], x: Any, dx: Any) -> Any:
    return materialize(x, dx), _linear(tangents[2], lambda t: materialize(x, t))


@frule.register(backing)
def _backing_frule(tangents: tuple[Any, ...], tangent: Any) -> Any:
    d_tangent = unthunk(tangents[1])
    return backing(tangent), backing(d_tangent) if isinstance(d_tangent, Tangent) else ZERO
