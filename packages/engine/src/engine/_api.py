"""The user API: `gradient`, `withgradient`, `pullback`, `jacobian`, `jvp`, `hessian`, `hvp`,
`diaghessian`, `derivative`, `grad`, `value_and_grad`, `show_code`. Each takes `backend=`
(keyword-only) to pick an engine; the default is `default_backend()`, changed by
`use_backend` (`jvp` and forward Jacobians default to the `forward` engine).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine._backends import get_engine
from engine._basis import combine, directions, inner
from engine._collector import collector_paused
from engine._materialize import materialize
from engine._params import Grads, Params
from engine._reverse._nested import gradient_reference
from engine._reverse._runtime import PARAMETERS, to_params
from rulescore import (
    HasForwardMode,
    HasReverseMode,
    MissingCapabilityError,
    NoTangent,
    ProjectTo,
    RuleConfig,
    TangentTypeError,
    ZeroTangent,
    non_differentiable,
    rrule,
    unthunk,
)

__all__ = [
    "derivative",
    "diaghessian",
    "grad",
    "gradient",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "pullback",
    "show_code",
    "value_and_grad",
    "withgradient",
]


def pullback(
    f: Callable[..., Any], *args: Any, backend: str | None = None
) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """`pullback(f, *args)`: `(y, back)` with `back(dy)` the cotangents of the arguments.

    `back(dy)` returns one cotangent per argument, lazily typed: `ZeroTangent()` where the
    derivative is zero, thunks unevaluated (see `gradient` for materialized values).

    >>> y, back = pullback(lambda a, b: a * b, 2.0, 3.0)
    >>> y, back(1.0)
    (6.0, (3.0, 2.0))
    """
    engine = _engine(backend)
    y, back = engine.rrule_via_ad(f, *args)

    def user_pullback(dy: Any) -> tuple[Any, ...]:
        return tuple(back(dy)[1:])

    return y, user_pullback


@collector_paused
def withgradient(f: Callable[..., Any], *args: Any, backend: str | None = None) -> tuple[Any, Any]:
    """`withgradient(f, *args)`: `(f(*args), gradient(f, *args))` in one pass.

    >>> withgradient(lambda x: x ** 2, 3.0)
    (9.0, (6.0,))
    """
    if len(args) == 1 and isinstance(args[0], Params):
        return _with_params(f, args[0], backend)
    engine = _engine(backend)
    y, back = engine.rrule_via_ad(f, *args)
    seed = _scalar_seed(f, y)
    grads = back(seed)[1:]
    return y, tuple(materialize(x, g) for x, g in zip(args, grads, strict=True))


def gradient(f: Callable[..., Any], *args: Any, backend: str | None = None) -> Any:
    """`gradient(f, *args)`: the gradient of the real scalar `f(*args)`, one per argument.

    Gradients have the structure, shape and dtype of the arguments; where the derivative is
    zero they are zeros, and `NoTangent()` only for arguments that have no tangent space
    (bool, str, None). With `gradient(f, Params([W, b]))` the function takes no arguments
    and the result is a `Grads`, indexed by the parameters themselves.

    >>> gradient(lambda x, y: x * y + y, 2.0, 3.0)
    (3.0, 3.0)
    >>> import numpy as np
    >>> gradient(lambda x: np.sum(x ** 2), np.array([1.0, 2.0]))
    (array([2., 4.]),)
    """
    return withgradient(f, *args, backend=backend)[1]


def derivative(f: Callable[[Any], Any], *, backend: str | None = None) -> Callable[[Any], Any]:
    """`derivative(f)`: the function `x -> f'(x)` of a scalar function `f`.

    >>> f = lambda x: 5 * x + 3
    >>> f(10), derivative(f)(10)
    (53, 5.0)
    """

    @functools.wraps(f)
    def f_prime(x: Any) -> Any:
        return gradient(f, x, backend=backend)[0]

    return f_prime


@collector_paused
def jacobian(
    f: Callable[..., Any], *args: Any, mode: str = "reverse", backend: str | None = None
) -> tuple[Any, ...]:
    """`jacobian(f, *args, mode="reverse")`: per argument, `J[i..., j...] = dy[i...] / dx[j...]`.

    Its shape is `y.shape + x.shape`. `mode="reverse"` (JAX's `jacrev`) takes one pullback
    per entry of the output; `mode="forward"` (`jacfwd`) one push forward per entry of the
    inputs, with the `forward` engine unless `backend=` names another forward-mode engine:
    the cheaper one has fewer passes.

    >>> import numpy as np
    >>> jacobian(lambda x: x ** 2, np.array([1.0, 2.0]))
    (array([[2., 0.],
           [0., 4.]]),)
    >>> jacobian(lambda x: np.outer(x, x).ravel(), np.array([1.0, 2.0]), mode="forward")[0].shape
    (4, 2)
    """
    if mode == "forward":
        return _forward_jacobian(f, args, _forward_engine(backend))
    if mode != "reverse":
        raise ValueError(f"jacobian's mode is 'reverse' or 'forward', got {mode!r}")
    engine = _engine(backend)
    y, back = engine.rrule_via_ad(f, *args)
    out = _real_output(y)
    rows: list[list[Any]] = [[] for _ in args]
    for index in np.ndindex(out.shape):
        seed = np.zeros_like(out)
        seed[index] = 1
        seed_value: Any = (
            seed if np.ndim(y) else type(y)(seed[()]) if isinstance(y, float) else seed[()]
        )
        grads = back(seed_value)[1:]
        for row, x, g in zip(rows, args, grads, strict=True):
            row.append(np.asarray(materialize(x, g)))
    return tuple(
        np.stack(row).reshape(out.shape + np.shape(x)) if row else np.zeros(np.shape(x))
        for row, x in zip(rows, args, strict=True)
    )


def _real_output(y: Any) -> Any:
    out = np.asarray(y)
    if out.dtype.kind != "f":
        raise TangentTypeError(
            f"jacobian needs a real floating-point output, got {out.dtype}: for a complex "
            "output, take the Jacobians of its real and imaginary parts, or use `pullback`"
        )
    return out


def _forward_jacobian(
    f: Callable[..., Any], args: tuple[Any, ...], engine: RuleConfig
) -> tuple[Any, ...]:
    result = []
    for position, x in enumerate(args):
        if np.iscomplexobj(x):
            raise TangentTypeError("jacobian(mode='forward') needs real inputs")
        if not isinstance(x, (int, float, np.floating, np.ndarray)):
            raise TangentTypeError(
                f"jacobian(mode='forward') needs float or array arguments, got a "
                f"{type(x).__name__}: use gradient or jvp for structured arguments"
            )
        columns = []
        y: Any = None
        for direction in directions(x):
            seeds: list[Any] = [ZeroTangent() for _ in args]
            seeds[position] = direction
            y, dy = engine.frule_via_ad((NoTangent(), *seeds), f, *args)
            columns.append(np.asarray(materialize(y, dy)))
        if y is None:
            y = f(*args)
        out = _real_output(y)
        if not columns:
            result.append(np.zeros(out.shape + np.shape(x)))
            continue
        stacked = np.stack(columns, axis=-1)
        result.append(stacked.reshape(out.shape + np.shape(x)))
    return tuple(result)


def jvp(
    f: Callable[..., Any],
    primals: Sequence[Any],
    tangents: Sequence[Any],
    *,
    backend: str | None = None,
) -> tuple[Any, Any]:
    """`jvp(f, primals, tangents)`: `(f(*primals), J @ tangents)`, forward mode (as JAX's).

    Uses the `forward` engine unless `backend=` names another; the built-in reverse-mode
    engines make the product from pullbacks (one per output entry). The tangent is
    materialized like a gradient: zeros of the output's shape where it is zero.

    >>> import numpy as np
    >>> jvp(lambda x, y: x * np.sin(y), (2.0, 0.0), (1.0, 1.0))
    (np.float64(0.0), np.float64(2.0))
    """
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp got {len(primals)} primals and {len(tangents)} tangents")
    # Each tangent on its primal's space: its dtype; a wrong shape is a `TangentShapeError`.
    tangents = tuple(ProjectTo(x)(dx) for x, dx in zip(primals, tangents, strict=True))
    engine = get_engine(backend or "forward")
    y, dy = engine.frule_via_ad((NoTangent(), *tangents), f, *primals)
    return y, _unaliased(materialize(y, dy), (*primals, *tangents))


def _unaliased(value: Any, inputs: tuple[Any, ...]) -> Any:
    """`value` with every array that may share memory with an input array copied: a rule
    may pass a tangent through unchanged (`x + 1`), and the user gets an array of their own."""
    if isinstance(value, np.ndarray):
        arrays = [a for a in inputs if isinstance(a, np.ndarray)]
        return value.copy() if any(np.may_share_memory(value, a) for a in arrays) else value
    if isinstance(value, dict):
        return {k: _unaliased(v, inputs) for k, v in value.items()}
    if type(value) in (tuple, list):
        return type(value)(_unaliased(v, inputs) for v in value)
    return value


def hvp(f: Callable[[Any], Any], x: Any, v: Any, *, backend: str | None = None) -> Any:
    """`hvp(f, x, v)`: the Hessian of the real scalar `f` at `x` times `v`, forward over
    reverse (one forward pass through the gradient's code), without forming the Hessian.

    >>> import numpy as np
    >>> hvp(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """

    def gradient_of_f(u: Any) -> Any:
        return gradient(f, u, backend=backend)[0]

    return jvp(gradient_of_f, (x,), (v,))[1]


def hessian(
    f: Callable[[Any], Any], x: Any, *, mode: str = "forward", backend: str | None = None
) -> Any:
    """`hessian(f, x, mode="forward")`: the second derivatives of the real scalar `f` at `x`.

    Its shape is `x.shape + x.shape` (`()` for a float). It is the Jacobian of the
    gradient: `mode="forward"` pushes forward through the gradient's code (forward over
    reverse, one pass per entry of `x`); `mode="reverse"` pulls back through it (reverse
    over reverse).

    >>> import numpy as np
    >>> hessian(lambda v: np.sum(v ** 3), np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """

    def gradient_of_f(v: Any) -> Any:
        return gradient(f, v, backend=backend)[0]

    outer = None if mode == "forward" else backend  # forward: the `forward` engine outside
    (result,) = jacobian(gradient_of_f, x, mode=mode, backend=outer)
    return result if np.ndim(x) else float(result)


def diaghessian(f: Callable[..., Any], *args: Any, backend: str | None = None) -> tuple[Any, ...]:
    """`diaghessian(f, *args)`: per argument, the diagonal of the Hessian of the real scalar
    `f`, shaped like the argument (Zygote's `diaghessian`), one Hessian-vector product per
    entry, forward over reverse.

    >>> import numpy as np
    >>> diaghessian(lambda x, y: np.sum(x ** 3) * y, np.array([1.0, 2.0]), 3.0)
    (array([18., 36.]), 0.0)
    """
    result = []
    for position, x in enumerate(args):

        def gradient_at(u: Any, position: int = position) -> Any:
            moved = (*args[:position], u, *args[position + 1 :])
            return gradient(f, *moved, backend=backend)[position]

        units = directions(x)
        diagonal = [inner(d, jvp(gradient_at, (x,), (d,))[1]) for d in units]
        result.append(materialize(x, combine(x, diagonal) if units else ZeroTangent()))
    return tuple(result)


def _forward_engine(backend: str | None) -> RuleConfig:
    engine = get_engine(backend or "forward")
    if not isinstance(engine, HasForwardMode):
        raise TypeError(
            f"the {backend!r} engine has no forward mode: use mode='reverse', or backend='forward'"
        )
    return engine


def grad(
    f: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    *,
    backend: str | None = None,
) -> Callable[..., Any]:
    """`grad(f, argnums=0, has_aux=False)`: the gradient function, JAX/autograd style.

    With an int `argnums` the gradient function returns one gradient, with a sequence a
    tuple; with `has_aux`, `f` returns `(value, aux)` and the gradient function `(grads, aux)`.

    >>> grad(lambda x, y: x * y, argnums=(0, 1))(2.0, 3.0)
    (3.0, 2.0)
    """
    both = value_and_grad(f, argnums, has_aux, backend=backend)

    @functools.wraps(f)
    def gradient_function(*args: Any, **kwargs: Any) -> Any:
        value, grads = both(*args, **kwargs)
        return (grads, value[1]) if has_aux else grads

    return gradient_function


def value_and_grad(
    f: Callable[..., Any],
    argnums: int | Sequence[int] = 0,
    has_aux: bool = False,
    *,
    backend: str | None = None,
) -> Callable[..., Any]:
    """`value_and_grad(f, argnums=0, has_aux=False)`: a function returning `(value, grads)`.

    With `has_aux` the value is `(value, aux)`, as in JAX.

    >>> value_and_grad(lambda x: x ** 3)(2.0)
    (8.0, 12.0)
    """
    positions = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    @functools.wraps(f)
    @collector_paused
    def value_and_gradient(*args: Any, **kwargs: Any) -> Any:
        def of_chosen(*chosen: Any) -> Any:
            return f(*_with_chosen(args, positions, *chosen), **kwargs)

        chosen = [args[p] for p in positions]
        engine = _engine(backend)
        y, back = engine.rrule_via_ad(of_chosen, *chosen)
        if has_aux:
            value = y[0]
            cotangents = back((_scalar_seed(f, value), ZeroTangent()))[1:]
        else:
            cotangents = back(_scalar_seed(f, y))[1:]
        grads = tuple(materialize(x, g) for x, g in zip(chosen, cotangents, strict=True))
        return y, grads[0] if isinstance(argnums, int) else grads

    return value_and_gradient


def _with_chosen(
    args: tuple[Any, ...], positions: tuple[int, ...], *chosen: Any
) -> tuple[Any, ...]:
    """`args` with the entries at `positions` replaced by `chosen`."""
    given = dict(zip(positions, chosen, strict=True))
    return tuple(given.get(i, a) for i, a in enumerate(args))


@rrule.register(_with_chosen)
def _with_chosen_rrule(args: tuple[Any, ...], positions: tuple[int, ...], *chosen: Any) -> Any:
    def with_chosen_pullback(dy: Any) -> tuple[Any, ...]:
        dy = unthunk(dy)
        parts = [ZeroTangent() if isinstance(dy, ZeroTangent) else dy[p] for p in positions]
        return (NoTangent(), NoTangent(), NoTangent(), *parts)

    return _with_chosen(args, positions, *chosen), with_chosen_pullback


def show_code(f: Callable[..., Any], *, backend: str | None = None) -> str:
    """`show_code(f)`: the code the engine generated for `f`: its forward pass, recording
    pullbacks, and the backward pass that replays them (Zygote's `@code_llvm f'(10)`).

    >>> print(show_code(lambda x: 5 * x + 3))
    def make_lambda(Z, call, mul, call2, acc, add, NO):
    <BLANKLINE>
        def lambda_forward(x):
            y1, back3 = call2(mul, 5, x)
            y2, back4 = call2(add, y1, 3)
    <BLANKLINE>
            def back(dy):
                dx = Z
                dy1 = Z
                dy2 = dy
                if back4 is not None and dy2 is not Z:
                    g = back4(dy2)
                    dy2 = Z
                    dy1 = acc(dy1, g[1])
                else:
                    dy2 = Z
                if back3 is not None and dy1 is not Z:
                    g = back3(dy1)
                    dy1 = Z
                    dx = acc(dx, g[2])
                else:
                    dy1 = Z
                return (NO, dx)
            return (y2, back)
        return lambda_forward
    """
    engine = _engine(backend)
    show = getattr(engine, "show", None)
    if show is None:
        raise NotImplementedError(f"the {type(engine).__name__} engine cannot show its code")
    return str(show(f))


# ---------------------------------------------------------------------------------------


def _engine(backend: str | None) -> RuleConfig:
    return get_engine(backend)


def _with_params(f: Callable[..., Any], params: Params, backend: str | None) -> tuple[Any, Grads]:
    engine = _engine(backend)
    if not getattr(engine, "implicit_parameters", False):
        raise MissingCapabilityError(
            f"the {getattr(engine, 'name', type(engine).__name__)!r} engine cannot differentiate "
            "with respect to `Params` (arrays the function reads from globals or closures): "
            "use backend='reverse', or pass the arrays as arguments"
        )
    grads = Grads(params)
    y, back = engine.rrule_via_ad(f)
    seed = _scalar_seed(f, y)
    token = PARAMETERS.set(grads)
    try:
        cotangents = back(seed)
        to_params(f, cotangents[0])  # arrays the function captured in its closure
    finally:
        PARAMETERS.reset(token)
    return y, grads


def _scalar_seed(f: Callable[..., Any], y: Any) -> Any:
    """The seed `1` of the same type as the output, which must be a real scalar."""
    y = unthunk(y)
    kind = np.asarray(y).dtype.kind if isinstance(y, (int, float, np.generic, np.ndarray)) else ""
    if isinstance(y, (bool, np.bool_)) or kind not in "iuf" or np.ndim(y) != 0 or not kind:
        name = getattr(f, "__qualname__", repr(f))
        raise TangentTypeError(
            f"gradient needs a real scalar output, but `{name}` returned "
            f"{_describe(y)}: use `jacobian` or `pullback` for other outputs"
            + (" (take `np.real`/`abs` of a complex loss)" if kind == "c" else "")
        )
    if isinstance(y, np.ndarray):
        return np.ones_like(y, dtype=y.dtype if kind == "f" else float)
    if isinstance(y, np.floating):
        return type(y)(1)
    return 1.0


def _describe(y: Any) -> str:
    if isinstance(y, np.ndarray):
        return f"an array of shape {y.shape} and dtype {y.dtype}"
    return f"a {type(y).__name__}"


# ---------------------------------------------------------------------------------------
# nested differentiation: an outer engine differentiates these calls through their code


@rrule.register(withgradient, config=HasReverseMode)
def _withgradient_rrule(
    config: RuleConfig, f: Callable[..., Any], *args: Any, **kwargs: Any
) -> Any:
    return config.rrule_via_ad(_nested_withgradient, f, *args)


def _nested_withgradient(f: Callable[..., Any], *args: Any) -> tuple[Any, tuple[Any, ...]]:
    y, grads = gradient_reference(f, *args)
    return y, tuple(materialize(x, g) for x, g in zip(args, grads, strict=True))


@rrule.register(jvp)
def _jvp_rrule(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    raise MissingCapabilityError(
        "reverse mode over `jvp` (reverse over forward) is not supported: for second "
        "derivatives push forward through the gradient instead (`hvp`, `hessian`)"
    )


@rrule.register(materialize)
def _materialize_rrule(x: Any, dx: Any) -> Any:
    def materialize_pullback(dy: Any) -> tuple[Any, ...]:
        return NoTangent(), NoTangent(), dy  # a projection: linear, the identity on its range

    return materialize(x, dx), materialize_pullback


non_differentiable(_engine, _scalar_seed)
