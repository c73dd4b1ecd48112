"""A corpus of small programs written the way users write Python, NumPy and SciPy code.

Each `Program` is a function, the inputs it is run at (several shapes and dtypes where that
matters) and tags saying what it exercises: `scalar` (Python numbers, `math`), `array`
(NumPy), `control` (branches, loops, early returns, recursion, comprehensions), `containers`
(dict/list/tuple inputs or outputs), `objects` (dataclasses, namedtuples, classes, closures,
`functools.partial`, `map`/`sorted`), `scipy`, `model` (an MLP, a recurrent loop). Every
argument of a program is differentiable; constants live in the function's code. The inputs
keep away from kinks, ties and branch boundaries, so that finite differences are a fair
reference.

`CASES` lists one `Case` per (program, input), named `program` or `program.input`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg
import scipy.special

__all__ = ["CASES", "PROGRAMS", "Case", "Program"]

_RNG = np.random.default_rng(20240611)


def _normal(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return _RNG.standard_normal(shape).astype(dtype)


def _uniform(low: float, high: float, *shape: int) -> np.ndarray:
    return _RNG.uniform(low, high, shape)


def _well_conditioned(n: int) -> np.ndarray:
    return _normal(n, n) * 0.3 + 2.0 * np.eye(n)


@dataclasses.dataclass(frozen=True)
class Program:
    """A function, the inputs it is run at (label -> positional arguments) and its tags."""

    name: str
    f: Callable[..., Any]
    inputs: dict[str, tuple[Any, ...]]
    tags: frozenset[str]


@dataclasses.dataclass(frozen=True)
class Case:
    """One program at one input: `f(*args)`."""

    name: str
    f: Callable[..., Any]
    args: tuple[Any, ...]
    tags: frozenset[str]


PROGRAMS: list[Program] = []


def program(
    *tags: str, **inputs: tuple[Any, ...]
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add the decorated function to the corpus, run at each of `inputs` (label=args)."""

    def add(f: Callable[..., Any]) -> Callable[..., Any]:
        PROGRAMS.append(Program(f.__name__, f, inputs, frozenset(tags)))
        return f

    return add


# ---------------------------------------------------------------------------------------
# scalar math


@program("scalar", default=(0.7, -0.3))
def scalar_math(x, y):
    r = math.sin(x) * math.exp(y) + math.log(x**2 + 1.0) + math.sqrt(y * y + 1.0)
    return r + math.atan2(y, x) + math.tanh(x * y) + math.cos(x - y) / math.cosh(y)


@program("scalar", default=(1.3, 0.4))
def pow_abs_min_max(x, y):
    a = pow(x, 3) + x**y + abs(x - y) + abs(-2.0 * y)
    b = max(x, y) * min(x, 2.0) + max(x * y, 0.1, y - 1.0)
    return a + b + math.hypot(x, y) + math.pow(x, 0.5) - divmod(7.0, 2.0)[0] * y


@program(
    "scalar",
    float64=(np.float64(0.8),),
    float32=(np.float32(0.8),),
    python_float=(0.8,),
)
def numpy_scalar(x):
    return np.sin(x) ** 2 + np.log1p(x) * np.exp(-x) + np.arctan(x) / (1 + x**2)


@program("scalar", "control", default=(0.6,))
def horner(x):
    coefficients = [0.5, -1.0, 2.0, 0.25, 3.0]
    result = 0.0
    for c in coefficients:
        result = result * x + c
    return result


# ---------------------------------------------------------------------------------------
# array code


@program(
    "array",
    vector=(_normal(3),),
    matrix=(_normal(2, 3),),
    float32=(_normal(4, dtype=np.float32),),
)
def ufunc_chain(x):
    return np.sum(np.tanh(x) * np.exp(-(x**2)) + np.log(1 + x**2) + np.sqrt(x**2 + 0.5))


@program("array", default=(_normal(3, 1), _normal(4)))
def broadcasting(a, b):
    return (a * b + a**2) / (1.0 + b**2) - np.cos(a - b)


@program("array", default=(_normal(3, 4),))
def reductions(x):
    col = np.mean(x, axis=0) * np.std(x, axis=0)
    return (
        np.sum(col)
        + np.max(x, axis=1).sum()
        + np.min(x)
        + np.prod(x[0])
        + np.var(x)
        + x.sum(axis=1) @ x.mean(axis=1)
    )


@program("array", default=(_normal(3, 2), _normal(2, 4), _normal(4)))
def matmul_chain(a, b, x):
    return np.tanh(a @ (b @ x)) + a.dot(b).sum(axis=1)


@program("array", default=(np.array([[0.9, -1.2, 0.3], [1.7, 0.2, -0.8], [-0.1, 2.1, 1.1]]),))
def indexing(x):
    basic = x[1:, ::2].sum() + x[-1, 1] * x[0, 0]
    fancy = x[[0, 2, 0], [1, 1, 2]]
    masked = x[x > 0.5]
    return basic + np.sum(fancy**2) + np.sum(np.sin(masked)) + x[..., -1] @ x[:, 0]


@program("array", default=(np.array([1.5, -0.7, 0.3, -2.0, 0.9]),))
def where_and_clip(x):
    smooth = np.where(x > 0, np.sqrt(x**2 + 1.0), np.exp(x))
    return smooth * np.clip(x, -1.0, 1.0) + np.maximum(x, 0.1) - np.abs(x)


@program("array", default=(_normal(3), _normal(3)))
def concatenate_and_stack(x, y):
    joined = np.concatenate([x, y**2, [1.0]])
    stacked = np.stack([x, np.sin(y)], axis=1).reshape(-1)
    return np.concatenate([joined * 2.0, stacked, np.hstack([x[:1], y[-1:]])])


@program("array", small=(_normal(2, 3, 2),), float32=(_normal(2, 3, 2, dtype=np.float32),))
def reshape_transpose(x):
    m = x.reshape(3, 4)
    t = np.transpose(x, (2, 0, 1)).reshape(2, 6)
    return (m.T @ m[:, :2]).ravel() + np.swapaxes(x, 0, 1).flatten()[:8] * t.sum()


@program("array", default=(_well_conditioned(3), _normal(3)))
def linalg_solve(a, b):
    return np.linalg.solve(a, b) + np.linalg.inv(a) @ np.sin(b)


@program("array", default=(_well_conditioned(3),))
def linalg_det_inv_norm(a):
    sign, logdet = np.linalg.slogdet(a)
    return (
        np.linalg.det(a)
        + sign * logdet
        + np.sum(np.linalg.inv(a) ** 2)
        + np.linalg.norm(a)
        + np.linalg.norm(a[0])
        + np.linalg.norm(a, "fro") ** 2
    )


@program("array", default=(_normal(3, 3), _normal(3)))
def cholesky_gaussian_nll(a, x):
    cov = a @ a.T + 3.0 * np.eye(3)
    chol = np.linalg.cholesky(cov)
    z = np.linalg.solve(chol, x)
    return 0.5 * z @ z + np.sum(np.log(np.diag(chol)))


@program("array", default=(np.diag([1.0, 2.5, 4.0]) + 0.2 * _normal(3, 3), _normal(3)))
def eigh_spectrum(a, v):
    sym = (a + a.T) / 2
    w, vectors = np.linalg.eigh(sym)
    # Squared projections are invariant under the eigenvectors' sign.
    return np.sum(w**3) + np.sum((vectors.T @ v) ** 2 * w)


@program(
    "array", vector=(_normal(5),), batch=(_normal(2, 4),), float32=(_normal(4, dtype=np.float32),)
)
def softmax(x):
    z = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(z)
    return e / np.sum(e, axis=-1, keepdims=True)


@program("array", default=(_normal(6),))
def logsumexp_manual(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m))) - np.mean(x)


@program("array", default=(_normal(8),))
def fft_power_spectrum(x):
    spectrum = np.fft.rfft(x)
    filtered = np.fft.ifft(np.fft.fft(x) * np.exp(-np.arange(8) / 4.0))
    return np.sum(np.abs(spectrum) ** 2) / 8 + np.sum(np.real(filtered) ** 2)


@program("array", default=(_normal(2, 3), _normal(3, 2)))
def einsum_tensordot(a, b):
    return np.einsum("ij,jk->ik", a, b) + np.tensordot(a, b.T, axes=([1], [1])) * np.outer(
        a[:, 0], b[0]
    )


@program("array", default=(_normal(5),))
def cumsum_diff_sort(x):
    return np.cumsum(x) * np.diff(np.concatenate([[0.0], x])) + np.sort(x) ** 2


# ---------------------------------------------------------------------------------------
# control flow


@program("control", "scalar", positive=(1.5,), negative=(-0.7,), middle=(0.2,))
def branches(x):
    if x > 1.0:
        y = x**2
    elif x < 0:
        y = -x * math.exp(x)
    else:
        y = math.sin(x) + 1.0
    if y > 0.5 and x != 0.3:
        y = y * 2.0
    return y


@program("control", "scalar", default=(2.0,))
def newton_sqrt(x):
    y = 1.0
    for _ in range(8):
        y = 0.5 * (y + x / y)
    return y


@program("control", "scalar", default=(0.9,))
def while_loop(x):
    s = 1.0
    n = 0
    while s < 10.0:
        s = s * 1.5 + x
        n += 1
    return s / n


@program(
    "control", "array", default=(np.array([0.4, 1.1, 2.6, 0.3]),), no_exit=(_uniform(0.1, 1.5, 4),)
)
def early_return(x):
    for i, v in enumerate(x):
        if v > 2.0:
            return np.sum(x[:i]) * v
    return np.sum(x**2)


def _power(x, n):
    if n == 0:
        return 1.0
    half = _power(x, n // 2)
    return half * half * (x if n % 2 else 1.0)


def _tree_sum(x):
    if len(x) == 1:
        return np.sin(x[0])
    middle = len(x) // 2
    return _tree_sum(x[:middle]) * _tree_sum(x[middle:]) + x[0]


@program("control", "array", default=(np.array([0.8, -0.4, 1.2, 0.5, -1.1]),))
def recursion(x):
    return _power(x[0], 5) + _tree_sum(x)


@program("control", "array", default=(np.array([0.8, -0.4, 1.2, 0.5, -1.1]),))
def comprehensions(x):
    positive = sum([v**2 for v in x if v > 0])
    paired = sum(v * w for v, w in zip(x, x[::-1], strict=True))
    table = {i: math.exp(v) for i, v in enumerate(x)}
    nested = [[a * b for b in x[:2]] for a in x[:3]]
    return positive + paired + table[2] + sum(sum(row) for row in nested)


@program("control", "array", default=(np.array([0.8, -0.4, 1.2, 3.5, -1.1]),))
def break_continue(x):
    total = 0.0
    for v in x:
        if v < 0:
            continue
        if v > 3.0:
            break
        total = total + v * math.cos(v)
    return total


# ---------------------------------------------------------------------------------------
# containers


@program("containers", default=({"w": _normal(3, 2), "b": 0.3, "name": "layer"}, _normal(4, 3)))
def dict_of_params(params, x):
    h = x @ params["w"] + params["b"]
    return np.sum(h**2) / len(x)


@program("containers", default=([0.5, _normal(2), 1.5], (0.2, _normal(2))))
def list_and_tuple_inputs(xs, pair):
    a, b = pair
    total = xs[0] * a
    for item in xs[1:]:
        total = total + np.sum(item * b)
    return total + sum(xs[1]) * len(xs)


@program("containers", default=(_normal(3),))
def dict_output(x):
    return {"total": np.sum(x), "squares": x**2, "pair": (x[0] * x[1], np.sin(x))}


@program("containers", default=(0.7, 1.9))
def tuple_output(x, y):
    return x * y, x + math.sin(y), [x**2, y / x]


@program("containers", "control", default=(_normal(3),))
def list_accumulate(x):
    rows = []
    for k in range(3):
        rows.append(x * (k + 1) + np.roll(x, k))
    acc = {}
    for k, row in enumerate(rows):
        acc[f"row{k}"] = row.sum()
    return np.stack(rows) + acc["row1"]


# ---------------------------------------------------------------------------------------
# objects


@dataclasses.dataclass
class Linear:
    w: np.ndarray
    b: float
    activation: str = "tanh"


@program("objects", default=(Linear(_normal(3, 2), 0.1), _normal(4, 3)))
def dataclass_params(layer, x):
    z = x @ layer.w + layer.b
    out = np.tanh(z) if layer.activation == "tanh" else z
    return np.mean(out**2)


class Point(NamedTuple):
    x: float
    y: float


@program("objects", default=(Point(0.6, -1.2), Point(1.4, 0.5)))
def namedtuple_points(p, q):
    d = Point(q.x - p.x, q.y - p.y)
    return math.sqrt(d.x**2 + d.y**2) + p.x * q.y


class Polynomial:
    """A polynomial with methods and a property, constructed inside the program."""

    def __init__(self, coefficients):
        self.coefficients = coefficients

    @property
    def degree(self):
        return len(self.coefficients) - 1

    def __call__(self, x):
        return sum(c * x**k for k, c in enumerate(self.coefficients))

    def derivative(self):
        return Polynomial([k * c for k, c in enumerate(self.coefficients)][1:])

    def scaled(self, factor):
        return Polynomial(self.coefficients * factor)


@program("objects", default=(np.array([0.5, -1.0, 2.0, 0.3]), 0.8))
def polynomial_class(c, x):
    p = Polynomial(c).scaled(2.0)
    return p(x) + p.derivative()(x) * p.degree


class Particle:
    """A plain object passed in as an argument."""

    def __init__(self, position, velocity, mass):
        self.position = position
        self.velocity = velocity
        self.mass = mass

    def kinetic_energy(self):
        return 0.5 * self.mass * np.sum(self.velocity**2)


@program("objects", default=(Particle(_normal(2), _normal(2), 1.5),))
def plain_object_input(particle):
    moved = particle.position + 0.1 * particle.velocity
    return particle.kinetic_energy() + np.sum(moved**2) * particle.mass


def _make_scaled_softplus(a):
    def scaled(x):
        return a * np.log1p(np.exp(x / a))

    return scaled


@program("objects", default=(_normal(4), 1.3))
def closures(x, a):
    layers = [_make_scaled_softplus(a), _make_scaled_softplus(2.0 * a)]
    for layer in layers:
        x = layer(x)
    return np.sum(x)


def _weighted(v, weight, shift):
    return weight * (v - shift) ** 2


@program("objects", default=(np.array([0.9, -0.3, 1.7, 0.4]),))
def partial_map_sorted(x):
    loss = functools.partial(_weighted, weight=0.5, shift=0.2)
    values = list(map(loss, x))
    ordered = sorted(x, key=lambda v: -v)
    top = ordered[:2]
    return sum(values) + top[0] * 2.0 + top[1] + max(map(lambda v: v * v, x))  # noqa: C417 (map with a lambda, as users write it)


# ---------------------------------------------------------------------------------------
# SciPy


@program("scipy", default=(_uniform(0.5, 2.0, 4),))
def special_functions(x):
    return (
        np.sum(scipy.special.gammaln(x) + scipy.special.erf(x - 1.0))
        + np.sum(scipy.special.expit(2.0 * x - 2.0))
        + scipy.special.logsumexp(x)
        + np.sum(scipy.special.xlogy(x, x + 1.0))
    )


@program("scipy", default=(_normal(3, 3), _normal(3)))
def scipy_linalg(a, b):
    spd = a @ a.T + 3.0 * np.eye(3)
    x1 = scipy.linalg.solve(spd, b, assume_a="pos")
    x2 = scipy.linalg.cho_solve(scipy.linalg.cho_factor(spd), b)
    return x1 @ b + np.sum(x2**2) + np.trace(scipy.linalg.expm(0.2 * a))


@program("scipy", default=(0.3 * _normal(3, 3),))
def scipy_expm(a):
    return scipy.linalg.expm(a) @ np.ones(3)


# ---------------------------------------------------------------------------------------
# models


def _mlp(params, x):
    h = np.tanh(x @ params["w1"] + params["b1"])
    return h @ params["w2"] + params["b2"]


@program(
    "model",
    "containers",
    default=(
        {
            "w1": 0.5 * _normal(3, 4),
            "b1": 0.1 * _normal(4),
            "w2": 0.5 * _normal(4, 2),
            "b2": np.zeros(2),
        },
        _normal(5, 3),
        _normal(5, 2),
    ),
)
def mlp_loss(params, x, y):
    prediction = _mlp(params, x)
    penalty = sum(np.sum(w**2) for name, w in params.items() if name.startswith("w"))
    return np.mean((prediction - y) ** 2) + 1e-2 * penalty


@program("model", "control", default=(0.5 * _normal(3, 3), 0.5 * _normal(3, 2), _normal(4, 2)))
def recurrent_loop(w, u, xs):
    h = np.zeros(3)
    outputs = []
    for x in xs:
        h = np.tanh(w @ h + u @ x)
        outputs.append(h.sum())
    return sum(o**2 for o in outputs) + np.sum(h)


@program("model", "control", default=(0.5 * _normal(3, 3), 0.5 * _normal(3, 2), _normal(4, 2)))
def recurrent_loop_functional(w, u, xs):
    h = np.zeros(3)
    outputs = []
    for x in xs:
        h = np.tanh(w @ h + u @ x)
        outputs = [*outputs, h.sum()]
    return sum(o**2 for o in outputs) + np.sum(h)


@program("model", "scipy", default=(_normal(3), _normal(6, 3), (_RNG.uniform(size=6) > 0.5) * 1.0))
def logistic_regression(w, x, y):
    logits = x @ w
    log_p = -np.logaddexp(0.0, -logits)
    log_not_p = -np.logaddexp(0.0, logits)
    return -np.mean(y * log_p + (1 - y) * log_not_p) + 0.1 * scipy.special.expit(w).sum()


CASES: list[Case] = [
    Case(p.name if len(p.inputs) == 1 else f"{p.name}.{label}", p.f, args, p.tags)
    for p in PROGRAMS
    for label, args in p.inputs.items()
]
