"""Tolerances by dtype, and comparisons whose failures say what, where and by how much."""

from __future__ import annotations

import copy
import types
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    DifferentiationError,
    NoTangent,
    NotImplementedTangent,
    ProjectTo,
    Tangent,
    backing,
    unthunk,
)
from rulescore._projection import object_fields

__all__ = [
    "RuleTestFailure",
    "Tolerances",
    "assert_close",
    "assert_projected",
    "assert_same_primal",
    "call_on_copies",
    "deep_unthunk",
    "default_tolerances",
    "no_tangent_anywhere",
    "snapshot",
]

# (rtol, atol) for the least precise floating type involved. Finite differences in float32
# reach about eps**(4/5) ~ 3e-6 relative; the margins cover a rule's own rounding.
_TOLERANCES = {2: (3e-2, 3e-2), 4: (1e-3, 1e-4), 8: (1e-9, 1e-10)}


class RuleTestFailure(AssertionError):  # noqa: N818 (a test failure, as pytest's `Failed`)
    """A rule failed a check of the harness; the message names the function and the check.

    It is an `AssertionError`, so pytest reports it as a test failure.

    >>> issubclass(RuleTestFailure, AssertionError)
    True
    """


class Tolerances:
    """Relative and absolute tolerances; an entry passes if `|got - want| <= atol + rtol *
    max(|got|, |want|) + 2 * fd_error` (the finite-difference error estimate)."""

    def __init__(self, rtol: float, atol: float) -> None:
        self.rtol, self.atol = rtol, atol

    def __repr__(self) -> str:
        return f"rtol={self.rtol:g}, atol={self.atol:g}"


def default_tolerances(values: Iterable[Any], rtol: float | None, atol: float | None) -> Tolerances:
    """Tolerances for the least precise float among `values` (nested containers searched)."""
    itemsize = min((_float_itemsize(v) for v in _leaves(values)), default=8)
    default_rtol, default_atol = _TOLERANCES[itemsize]
    return Tolerances(
        default_rtol if rtol is None else rtol, default_atol if atol is None else atol
    )


def assert_close(
    what: str, got: np.ndarray, want: np.ndarray, tol: Tolerances, fd_error: float = 0.0
) -> None:
    """Compare two flattened tangents entry by entry; fail with the worst entry and context."""
    if got.shape != want.shape:
        raise RuleTestFailure(f"{what}: {got.size} numbers where {want.size} were expected")
    scale = np.maximum(np.abs(got), np.abs(want))
    with np.errstate(invalid="ignore"):  # inf - inf
        excess = np.abs(got - want) - (tol.atol + tol.rtol * scale + 2 * fd_error)
    # The same nan or infinity on both sides agrees (a rule's convention at a singular point).
    excess[(got == want) | (np.isnan(got) & np.isnan(want))] = 0.0
    if not np.all(excess <= 0) or not np.all(np.isfinite(got) == np.isfinite(want)):
        worst = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
        raise RuleTestFailure(
            f"{what}: max abs difference {np.max(np.abs(got - want)):.3g} (worst at flat index "
            f"{worst}: got {got[worst]:.9g}, expected {want[worst]:.9g})\n"
            f"  got:      {_short(got)}\n  expected: {_short(want)}\n"
            f"  finite-difference error estimate {fd_error:.3g}; {tol}"
        )


def assert_same_primal(what: str, got: Any, want: Any, tol: Tolerances) -> None:
    """Fail unless `got` has `want`'s structure and types, with equal values (floats within
    the tolerances, everything else exactly)."""
    for path, a, b in _walk_pairs("", got, want):
        where = f"{what}{' at ' + path if path else ''}"
        if _is_float_like(a) and _is_float_like(b) and np.shape(a) == np.shape(b):
            if np.result_type(a) != np.result_type(b):
                raise RuleTestFailure(
                    f"{where}: dtype {np.result_type(a)}, f gives {np.result_type(b)}"
                )
            a_vec = np.asarray(a).ravel().astype(complex)
            b_vec = np.asarray(b).ravel().astype(complex)
            assert_close(
                where,
                np.concatenate([a_vec.real, a_vec.imag]),
                np.concatenate([b_vec.real, b_vec.imag]),
                tol,
            )
        elif not _identical(a, b):
            raise RuleTestFailure(f"{where}: got {a!r:.80}, f gives {b!r:.80}")


def assert_projected(what: str, primal: Any, tangent: Any) -> None:
    """Fail unless `tangent` is already of the kind `ProjectTo(primal)` gives.

    Arrays must have the primal's shape and dtype, numbers the primal's number type, objects a
    `Tangent[type(primal)]`; zeros and `NotImplementedTangent` are accepted anywhere.
    """
    tangent = unthunk(tangent)
    if isinstance(tangent, (AbstractZero, NotImplementedTangent)):
        return
    fields = object_fields(primal)
    if fields is not None:
        if not isinstance(tangent, Tangent) or tangent.primal_type is not type(primal):
            raise RuleTestFailure(
                f"{what}: expected a Tangent[{type(primal).__qualname__}], got {_kind(tangent)}"
            )
        for name, value in backing(tangent).items():
            assert_projected(f"{what}, field {name!r}", fields[name], value)
        return
    if isinstance(primal, (tuple, list, dict)):
        # A dict tangent may leave keys out (they are zero); a sequence has every entry.
        sized = isinstance(tangent, dict) and set(tangent) <= set(primal)
        # A dict subclass (OptimizeResult) has plain dicts for tangents, as ProjectTo makes.
        kind = dict if isinstance(primal, dict) else type(primal)
        if not isinstance(tangent, kind) or not (sized or len(tangent) == len(primal)):
            raise RuleTestFailure(
                f"{what}: expected a {type(primal).__name__} of {len(primal)} tangents, "
                f"got {_kind(tangent)}"
            )
        keys = tangent.keys() if isinstance(tangent, dict) else range(len(tangent))
        for key in keys:
            assert_projected(f"{what}[{key!r}]", primal[key], tangent[key])
        return
    try:
        projected = ProjectTo(primal)(tangent)
    except DifferentiationError as error:
        raise RuleTestFailure(f"{what}: not a tangent of {_kind(primal)}: {error}") from None
    same = isinstance(tangent, type(projected)) and (
        not isinstance(projected, (np.ndarray, np.generic))
        or (np.shape(tangent) == np.shape(projected) and tangent.dtype == projected.dtype)
    )
    if not same:
        raise RuleTestFailure(
            f"{what}: the tangent of {_kind(primal)} must be {_kind(projected)}, got "
            f"{_kind(tangent)}; project it with ProjectTo(x)(dx)"
        )


def no_tangent_anywhere(value: Any) -> bool:
    """`NoTangent()`, or a container (maybe empty) holding only `NoTangent()`s."""
    value = unthunk(value)
    if isinstance(value, (tuple, list)):
        return all(no_tangent_anywhere(v) for v in value)
    if isinstance(value, dict):
        return all(no_tangent_anywhere(v) for v in value.values())
    return isinstance(value, NoTangent)


def deep_unthunk(x: Any) -> Any:
    """`x` with every thunk inside containers and `Tangent`s unthunked."""
    x = unthunk(x)
    if isinstance(x, Tangent):
        return type(x)(**{k: deep_unthunk(v) for k, v in backing(x).items()})
    if isinstance(x, (tuple, list)) and not hasattr(x, "_fields"):
        return type(x)(deep_unthunk(v) for v in x)
    if isinstance(x, dict):
        return {k: deep_unthunk(v) for k, v in x.items()}
    return x


def snapshot(values: Any) -> Callable[[], list[str]]:
    """Remember `values`; the returned function lists the paths that changed since."""
    before = _copy(values)

    def changed() -> list[str]:
        return [path for path, a, b in _walk_pairs("", before, values) if not _identical(a, b)]

    return changed


def call_on_copies(primals: list[Any], kwargs: dict[str, Any]) -> Any:
    """`f(*args, **kwargs)` for `primals = [f, *args]`, on copies: an `f` that writes into its
    arguments must not be taken for a rule that does."""
    f, *args = _copy(list(primals))
    return f(*args, **kwargs)


def _copy(value: Any) -> Any:
    """A deep copy; functions, methods and values that cannot be copied are kept as they are."""
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if callable(value) and isinstance(
        value, (types.FunctionType, types.MethodType, types.BuiltinFunctionType)
    ):
        return value  # a bound method's copy would never compare equal to it
    try:
        return copy.deepcopy(value)
    except (TypeError, copy.Error):
        if isinstance(value, (list, tuple)):
            return type(value)(map(_copy, value)) if not hasattr(value, "_fields") else value
        return value


def _walk_pairs(path: str, a: Any, b: Any) -> Iterable[tuple[str, Any, Any]]:
    if isinstance(a, (tuple, list)) and type(a) is type(b) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _walk_pairs(f"{path}[{i}]", x, y)
    elif isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for key in a:
            yield from _walk_pairs(f"{path}[{key!r}]", a[key], b[key])
    elif (fields := object_fields(a)) is not None and type(a) is type(b):
        other = object_fields(b) or {}
        if fields.keys() != other.keys():
            yield path, fields.keys(), other.keys()
        for name in fields:
            yield from _walk_pairs(f"{path}.{name}", fields[name], other.get(name))
    else:
        yield path, a, b


def _identical(a: Any, b: Any) -> bool:
    if isinstance(a, (np.ndarray, np.generic)) or isinstance(b, (np.ndarray, np.generic)):
        return (
            type(a) is type(b)
            and np.shape(a) == np.shape(b)
            and np.asarray(a).dtype == np.asarray(b).dtype
            and bool(np.array_equal(a, b, equal_nan=np.asarray(a).dtype.kind in "fc"))
        )
    try:
        return bool(a == b) or (a != a and b != b)
    except Exception:  # an object whose == is not a boolean: compare identity
        return a is b


def _is_float_like(x: Any) -> bool:
    if isinstance(x, (float, complex)) and not isinstance(x, bool):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and dtype.kind in "fc"


def _leaves(values: Iterable[Any]) -> Iterable[Any]:
    for v in values:
        v = unthunk(v)
        if isinstance(v, (tuple, list)):
            yield from _leaves(v)
        elif isinstance(v, dict):
            yield from _leaves(v.values())
        elif isinstance(v, Tangent):
            yield from _leaves(backing(v).values())
        elif (fields := object_fields(v)) is not None:
            yield from _leaves(fields.values())
        else:
            yield v


def _float_itemsize(v: Any) -> int:
    dtype = None if isinstance(v, type) else getattr(v, "dtype", None)
    if dtype is None or dtype.kind not in "fc":
        return 8
    return min(int(dtype.itemsize // (2 if dtype.kind == "c" else 1)), 8)


def _kind(x: Any) -> str:
    if isinstance(x, np.ndarray):
        return f"an ndarray of shape {x.shape} and dtype {x.dtype}"
    if isinstance(x, np.generic):
        return f"a {type(x).__name__}"
    return f"a {type(x).__qualname__}"


def _short(v: np.ndarray) -> str:
    return np.array2string(v, precision=6, threshold=12, max_line_width=200)
