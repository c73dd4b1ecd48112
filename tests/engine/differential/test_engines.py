"""Differential tests: every corpus program through every built-in engine, against central
finite differences (`rulescore.testing`) and against the other engines.

- real scalar outputs: `gradient` (each engine) agrees with finite differences and with the
  `reverse` engine, and has the structure, shape and dtype of the arguments;
- array outputs: `jacobian(mode="reverse")` (each engine) and `jacobian(mode="forward")`
  (each forward-mode engine) agree with finite differences;
- every program: `jvp` with random tangents (seeded by the case's name) agrees with the finite
  difference along them; non-scalar outputs: `pullback` with a random cotangent agrees with
  the finite-difference vector-Jacobian product;
- scalar programs of one float or array argument: `hessian(mode="forward")` (forward over
  the engine), `hessian(mode="reverse")` (the engine over itself) and `hvp` agree with finite
  differences of the gradient.

An engine's known failure on one case is listed in `KNOWN_FAILURES` as a strict xfail with the
exact exception type, so that it turns into a failure once fixed.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import importlib.util
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import engine
from rulescore import (
    HasForwardMode,
    MissingCapabilityError,
    MissingRuleError,
    NoTangent,
    Tangent,
    TangentTypeError,
    UnsupportedConstructError,
)
from rulescore.testing import flatten_tangent, rand_tangent
from rulescore.testing import grad as fd_grad
from rulescore.testing import jacobian as fd_jacobian
from rulescore.testing import jvp as fd_jvp
from rulescore.testing import vjp as fd_vjp


def _load_corpus() -> Any:
    # Tests are imported with --import-mode=importlib and no packages: load the sibling
    # module by path, under a name of its own (registered so that dataclasses and
    # `inspect.getsource` find it).
    name = "engine_differential_corpus"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("corpus.py"))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


corpus = _load_corpus()
Case = corpus.Case

ENGINES = ("reverse", "forward", "tape")
REFERENCE_ENGINE = "reverse"
FORWARD_ENGINES = tuple(e for e in ENGINES if isinstance(engine.get_engine(e), HasForwardMode))

# (rtol, atol) against finite differences (plus twice their error estimate) and between
# engines, for the least precise float type among a case's arguments.
FD_TOLERANCES = {8: (1e-8, 1e-10), 4: (1e-3, 1e-4)}
ENGINE_TOLERANCES = {8: (1e-10, 1e-12), 4: (1e-5, 1e-6)}


# ---------------------------------------------------------------------------------------
# known failures: (test, case, engine[, mode]) -> (exception type, reason)

KNOWN_FAILURES: dict[tuple[str, ...], tuple[type[BaseException], str]] = {}
_PARAMETRIZED: set[tuple[str, ...]] = set()


def _known(raises: type[BaseException], reason: str, *keys: tuple[str, ...]) -> None:
    for key in keys:
        KNOWN_FAILURES[key] = (raises, reason)


_TAPE_MATH = (
    "tape: math.* / float() of a traced value raises 'math.sin or float() on a traced value "
    "would drop its derivative'"
)
_known(
    TangentTypeError,
    _TAPE_MATH,
    *[
        (test, name, "tape")
        for test in ("gradient", "jvp")
        for name in (
            "scalar_math",
            "pow_abs_min_max",
            "branches.negative",
            "branches.middle",
            "comprehensions",
            "break_continue",
            "namedtuple_points",
        )
    ],
    ("jvp", "tuple_output", "tape"),
    ("vjp", "tuple_output", "tape"),
)
_TAPE_SCIPY = (
    "tape: SciPy functions written in Python (special.logsumexp, linalg.solve/cho_solve/expm) "
    "are not intercepted, so their rules are not used: 'np.asarray (or a conversion to an "
    "array) on a traced value would drop its derivative'"
)
_known(
    TangentTypeError,
    _TAPE_SCIPY,
    ("gradient", "special_functions", "tape"),
    ("gradient", "scipy_linalg", "tape"),
    ("jvp", "special_functions", "tape"),
    ("jvp", "scipy_linalg", "tape"),
    ("jvp", "scipy_expm", "tape"),
    ("jacobian", "scipy_expm", "tape", "reverse"),
    ("vjp", "scipy_expm", "tape"),
)
_known(
    UnsupportedConstructError,
    "reverse: '`list.append` (it mutates the list in place) is not supported'",
    ("gradient", "recurrent_loop", "reverse"),
    ("jvp", "recurrent_loop", "reverse"),
)
_known(
    UnsupportedConstructError,
    "reverse: 'assignment to an item (`x[i] = v`, mutation) is not supported' (a dict filled "
    "in a loop)",
    ("jacobian", "list_accumulate", "reverse", "reverse"),
    ("jvp", "list_accumulate", "reverse"),
    ("vjp", "list_accumulate", "reverse"),
)
_known(
    MissingRuleError,
    "reverse over reverse through a functools.partial with keywords: 'no rule for "
    "`engine._reverse._runtime.KwCotangents`' (the inner engine's keyword cotangents)",
    ("hessian", "partial_map_sorted", "reverse", "reverse"),
)


# ---------------------------------------------------------------------------------------
# the cases, by kind of output


def _output_kind(case: Case) -> str:
    y = case.f(*copy.deepcopy(case.args))
    if isinstance(y, bool):
        return "other"
    if isinstance(y, (float, np.floating)) or (
        isinstance(y, np.ndarray) and y.ndim == 0 and y.dtype.kind == "f"
    ):
        return "scalar"
    if isinstance(y, np.ndarray) and y.dtype.kind == "f":
        return "array"
    return "other"


KINDS = {case.name: _output_kind(case) for case in corpus.CASES}
SCALAR_CASES = [c for c in corpus.CASES if KINDS[c.name] == "scalar"]
ARRAY_CASES = [c for c in corpus.CASES if KINDS[c.name] == "array"]
NON_SCALAR_CASES = [c for c in corpus.CASES if KINDS[c.name] != "scalar"]
HESSIAN_CASES = [
    c
    for c in SCALAR_CASES
    if len(c.args) == 1 and isinstance(c.args[0], (float, np.floating, np.ndarray))
]


_known(
    MissingCapabilityError,
    "tape over tape: 'the tape engine cannot differentiate `f` at traced values (nested "
    "differentiation, tape over tape): use backend='reverse' for higher order'",
    *[("hessian", c.name, "tape", "reverse") for c in HESSIAN_CASES],
)


def _params(test: str, cases: list[Case], *axes: tuple[str, ...]) -> list[Any]:
    """`pytest.param(case, *choice)` for each case and each combination of the axes, with
    the id `case-choice...`, marked xfail where `KNOWN_FAILURES` says so."""
    params = []
    combos: list[tuple[str, ...]] = [()]
    for axis in axes:
        combos = [(*c, a) for c in combos for a in axis]
    for case in cases:
        for combo in combos:
            key = (test, case.name, *combo)
            _PARAMETRIZED.add(key)
            marks = []
            if key in KNOWN_FAILURES:
                raises, reason = KNOWN_FAILURES[key]
                marks.append(pytest.mark.xfail(strict=True, raises=raises, reason=reason))
            labels = [c if i == 0 else f"mode={c}" for i, c in enumerate(combo)]
            params.append(
                pytest.param(case, *combo, id="-".join((case.name, *labels)), marks=marks)
            )
    return params


# ---------------------------------------------------------------------------------------
# comparisons


def _leaves(x: Any) -> Iterator[Any]:
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        x = [getattr(x, f.name) for f in dataclasses.fields(x)]
    elif hasattr(x, "__dict__") and not isinstance(x, (type, np.ndarray, np.generic)):
        x = list(vars(x).values())
    if isinstance(x, dict):
        x = list(x.values())
    if isinstance(x, (list, tuple)):
        for item in x:
            yield from _leaves(item)
    else:
        yield x


def _itemsize(args: Any) -> int:
    """8, or 4 when a float32 number is among `args`."""
    float32 = any(
        isinstance(leaf, (np.ndarray, np.generic)) and leaf.dtype == np.float32
        for leaf in _leaves(args)
    )
    return 4 if float32 else 8


def _assert_close(
    what: str,
    got: np.ndarray,
    want: np.ndarray,
    tolerances: tuple[float, float],
    fd_error: float = 0.0,
) -> None:
    rtol, atol = tolerances
    assert got.shape == want.shape, f"{what}: {got.size} numbers, expected {want.size}"
    assert np.all(np.isfinite(got)), f"{what}: not finite: {got}"
    bound = atol + rtol * np.maximum(np.abs(got), np.abs(want)) + 2 * fd_error
    excess = np.abs(got - want) - bound
    if np.any(excess > 0):
        worst = int(np.argmax(excess))
        raise AssertionError(
            f"{what}: max abs difference {np.max(np.abs(got - want)):.3g} (worst at flat "
            f"index {worst}: got {got[worst]:.12g}, expected {want[worst]:.12g})\n"
            f"  got:      {got}\n  expected: {want}\n"
            f"  finite-difference error estimate {fd_error:.3g}, rtol={rtol:g}, atol={atol:g}"
        )


def _assert_like(x: Any, g: Any, where: str) -> None:
    """The gradient `g` of the argument `x` has its structure, type, shape and dtype."""
    assert g is not None, f"{where}: None is never a gradient"
    if isinstance(x, (bool, str)) or x is None:
        assert isinstance(g, NoTangent), f"{where}: expected NoTangent(), got {g!r}"
    elif isinstance(x, np.ndarray):
        assert type(g) is np.ndarray, f"{where}: expected an ndarray, got {type(g).__name__}"
        assert (g.shape, g.dtype) == (x.shape, x.dtype), (
            f"{where}: shape/dtype {g.shape}/{g.dtype}, expected {x.shape}/{x.dtype}"
        )
    elif isinstance(x, np.floating):
        assert np.ndim(g) == 0 and np.asarray(g).dtype == x.dtype, (
            f"{where}: expected a {x.dtype} scalar, got {g!r}"
        )
    elif isinstance(x, float):
        assert isinstance(g, float), f"{where}: expected a float, got {type(g).__name__}"
    elif isinstance(x, dict):
        assert isinstance(g, dict) and set(g) <= set(x), f"{where}: expected a dict, got {g!r}"
        for key, value in g.items():
            _assert_like(x[key], value, f"{where}[{key!r}]")
    elif isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        assert type(g) is type(x) and len(g) == len(x), (
            f"{where}: expected a {type(x).__name__} of {len(x)}, got {g!r}"
        )
        for i, (xi, gi) in enumerate(zip(x, g, strict=True)):
            _assert_like(xi, gi, f"{where}[{i}]")
    else:
        assert isinstance(g, Tangent) and g.primal_type is type(x), (
            f"{where}: expected a Tangent[{type(x).__name__}], got {g!r}"
        )


def _tangents(case: Case, salt: str) -> tuple[Any, ...]:
    rng = np.random.default_rng(zlib.crc32(f"{case.name}/{salt}".encode()))
    return tuple(rand_tangent(x, rng) for x in case.args)


@functools.cache
def _fd_gradient(name: str) -> Any:
    case = _case(name)
    return fd_grad(case.f, *case.args)


@functools.cache
def _reference_gradient(name: str) -> tuple[Any, ...] | None:
    """The `reverse` engine's gradient, or None when it fails (its own test says why)."""
    case = _case(name)
    try:
        return engine.gradient(case.f, *copy.deepcopy(case.args), backend=REFERENCE_ENGINE)
    except Exception:  # reported by the reference engine's own test
        return None


@functools.cache
def _fd_hessian(name: str) -> Any:
    """Finite differences of the gradient of the first engine that differentiates the case
    in agreement with finite differences."""
    case = _case(name)
    (x,) = case.args
    fd = _fd_gradient(name)
    want = flatten_tangent(case.args, fd.value)
    rtol, atol = FD_TOLERANCES[_itemsize(case.args)]
    for backend in ENGINES:
        try:
            (g,) = engine.gradient(case.f, x, backend=backend)
        except Exception:  # try the next engine
            continue
        got = flatten_tangent(case.args, (g,))
        if np.all(np.abs(got - want) <= atol + rtol * np.abs(want) + 2 * fd.error):

            def gradient_of_f(u: Any, backend: str = backend) -> Any:
                return engine.gradient(case.f, u, backend=backend)[0]

            return fd_jacobian(gradient_of_f, x)
    pytest.fail(f"{name}: no engine's gradient agrees with finite differences")


@functools.cache
def _case(name: str) -> Case:
    return next(c for c in corpus.CASES if c.name == name)


# ---------------------------------------------------------------------------------------
# gradient


@pytest.mark.parametrize(("case", "backend"), _params("gradient", SCALAR_CASES, ENGINES))
def test_gradient(case: Case, backend: str) -> None:
    args = copy.deepcopy(case.args)
    value, grads = engine.withgradient(case.f, *args, backend=backend)
    expected_value = case.f(*copy.deepcopy(case.args))
    np.testing.assert_allclose(value, expected_value, rtol=1e-12 if _itemsize(args) == 8 else 1e-6)
    assert len(grads) == len(args)
    for i, (x, g) in enumerate(zip(case.args, grads, strict=True)):
        _assert_like(x, g, f"gradient of argument {i}")
    got = flatten_tangent(case.args, grads)
    fd = _fd_gradient(case.name)
    itemsize = _itemsize(case.args)
    _assert_close(
        f"{backend} gradient vs finite differences",
        got,
        flatten_tangent(case.args, fd.value),
        FD_TOLERANCES[itemsize],
        fd.error,
    )
    reference = _reference_gradient(case.name)
    if backend != REFERENCE_ENGINE and reference is not None:
        _assert_close(
            f"{backend} gradient vs {REFERENCE_ENGINE}",
            got,
            flatten_tangent(case.args, reference),
            ENGINE_TOLERANCES[itemsize],
        )


# ---------------------------------------------------------------------------------------
# jacobian


def _jacobian_params() -> list[Any]:
    return _params("jacobian", ARRAY_CASES, ENGINES, ("reverse",)) + _params(
        "jacobian", ARRAY_CASES, FORWARD_ENGINES, ("forward",)
    )


@pytest.mark.parametrize(("case", "backend", "mode"), _jacobian_params())
def test_jacobian(case: Case, backend: str, mode: str) -> None:
    args = copy.deepcopy(case.args)
    jacobians = engine.jacobian(case.f, *args, mode=mode, backend=backend)
    y = case.f(*copy.deepcopy(case.args))
    fd = fd_jacobian(case.f, *case.args)
    assert len(jacobians) == len(args)
    for i, (x, got, want) in enumerate(zip(case.args, jacobians, fd.value, strict=True)):
        assert np.shape(got) == np.shape(y) + np.shape(x), f"argument {i}: shape {np.shape(got)}"
        _assert_close(
            f"{backend} jacobian(mode={mode!r}) of argument {i} vs finite differences",
            np.asarray(got, dtype=np.float64).reshape(want.shape),
            want,
            FD_TOLERANCES[_itemsize(case.args)],
            fd.error,
        )


# ---------------------------------------------------------------------------------------
# jvp and vjp


@pytest.mark.parametrize(("case", "backend"), _params("jvp", corpus.CASES, ENGINES))
def test_jvp(case: Case, backend: str) -> None:
    tangents = _tangents(case, "jvp")
    y, dy = engine.jvp(case.f, copy.deepcopy(case.args), tangents, backend=backend)
    fd = fd_jvp(case.f, case.args, tangents)
    expected_y = case.f(*copy.deepcopy(case.args))
    _assert_close(
        f"{backend} jvp primal",
        flatten_tangent(expected_y, y),
        flatten_tangent(expected_y, expected_y),
        ENGINE_TOLERANCES[_itemsize(case.args)],
    )
    _assert_close(
        f"{backend} jvp vs finite differences",
        flatten_tangent(expected_y, dy),
        flatten_tangent(expected_y, fd.value),
        FD_TOLERANCES[_itemsize(case.args)],
        fd.error,
    )


@pytest.mark.parametrize(("case", "backend"), _params("vjp", NON_SCALAR_CASES, ENGINES))
def test_vjp(case: Case, backend: str) -> None:
    y = case.f(*copy.deepcopy(case.args))
    dy = rand_tangent(y, np.random.default_rng(zlib.crc32(case.name.encode())))
    _, back = engine.pullback(case.f, *copy.deepcopy(case.args), backend=backend)
    cotangents = back(dy)
    fd = fd_vjp(case.f, dy, case.args)
    _assert_close(
        f"{backend} pullback vs finite differences",
        flatten_tangent(case.args, cotangents),
        flatten_tangent(case.args, fd.value),
        FD_TOLERANCES[_itemsize(case.args)],
        fd.error,
    )


# ---------------------------------------------------------------------------------------
# second order


@pytest.mark.parametrize(
    ("case", "backend", "mode"), _params("hessian", HESSIAN_CASES, ENGINES, ("forward", "reverse"))
)
def test_hessian(case: Case, backend: str, mode: str) -> None:
    # mode="forward" pushes forward through `backend`'s gradient (forward over reverse,
    # forward over forward; forward over the tape is refused), mode="reverse" runs the
    # engine over itself.
    (x,) = copy.deepcopy(case.args)
    if mode == "forward" and backend == "tape":
        with pytest.raises(MissingCapabilityError, match="forward mode over the 'tape'"):
            engine.hessian(case.f, x, mode=mode, backend=backend)
        return
    h = engine.hessian(case.f, x, mode=mode, backend=backend)
    assert np.shape(h) == np.shape(x) + np.shape(x)
    fd = _fd_hessian(case.name)
    (want,) = fd.value
    _assert_close(
        f"hessian(mode={mode!r}) over {backend} vs finite differences of the gradient",
        np.asarray(h, dtype=np.float64).reshape(want.shape),
        want,
        FD_TOLERANCES[_itemsize(case.args)],
        fd.error,
    )


@pytest.mark.parametrize(("case", "backend"), _params("hvp", HESSIAN_CASES, ENGINES))
def test_hvp(case: Case, backend: str) -> None:
    (x,) = copy.deepcopy(case.args)
    (v,) = _tangents(case, "hvp")
    if backend == "tape":
        with pytest.raises(MissingCapabilityError, match="forward mode over the 'tape'"):
            engine.hvp(case.f, x, v, backend=backend)
        return
    got = engine.hvp(case.f, x, v, backend=backend)
    assert np.shape(got) == np.shape(x)
    fd = _fd_hessian(case.name)
    (h,) = fd.value
    want = h @ flatten_tangent(x, v)
    _assert_close(
        f"hvp over {backend} vs finite differences of the gradient",
        flatten_tangent(x, got),
        want,
        FD_TOLERANCES[_itemsize(case.args)],
        fd.error * float(np.sum(np.abs(flatten_tangent(x, v)))),
    )


def test_known_failures_name_real_cases() -> None:
    assert set(KNOWN_FAILURES) <= _PARAMETRIZED, set(KNOWN_FAILURES) - _PARAMETRIZED


def test_corpus_covers_every_kind() -> None:
    tags = set().union(*(c.tags for c in corpus.CASES))
    assert {"scalar", "array", "control", "containers", "objects", "scipy", "model"} <= tags
    assert len(corpus.PROGRAMS) >= 40
    assert SCALAR_CASES and ARRAY_CASES and HESSIAN_CASES and NON_SCALAR_CASES
