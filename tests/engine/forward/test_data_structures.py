"""Data structures and functions as values in forward mode: containers in and out,
comprehensions, mutation of lists and dicts, closures and `nonlocal`, argument passing,
dataclasses, namedtuples, plain classes, `super()`, properties, callable objects, partials
and higher-order builtins; each push forward checked against finite differences."""

from __future__ import annotations

import dataclasses
import functools
import operator
from typing import NamedTuple

import numpy as np
import pytest

import engine
from rulescore import NoTangent, Tangent, backing

# -- containers in and out -------------------------------------------------------------------


def unpack_and_literals(p, x):
    a, (b, c) = p
    t = (x, a * b, 3.0)
    lst = [x * c, *t[1:]]
    d = {"a": lst[0], "b": t[0] ** 2, "c": a}
    return d["a"] + d["b"] * d["c"] + lst[1] * lst[2]


def test_unpacking_and_literals(check) -> None:
    check(unpack_and_literals, (1.5, (-0.5, 2.0)), 0.3)


def structured_output(x, d):
    return {"pair": (x, 2.0 * x), "list": [x**2, d["w"] * x], "n": 3, "name": "out"}


def test_container_tangents_in_and_out(check) -> None:
    _, dy = check(structured_output, 3.0, {"w": 2.0, "tag": "t"})
    assert dy["n"] == 0.0 and dy["name"] == NoTangent()
    _, dy = engine.jvp(structured_output, (3.0, {"w": 2.0, "tag": "t"}), (1.0, {"w": 1.0}))
    assert dy == {"pair": (1.0, 2.0), "list": [6.0, 5.0], "n": 0.0, "name": NoTangent()}


def test_list_tuple_tangents_of_list_tuple_arguments(check) -> None:
    _, dy = check(lambda xs, t: [xs[0] * t[1], xs[1] + t[0]], [1.0, 2.0], (3.0, 4.0))
    assert isinstance(dy, list)
    _, dy = engine.jvp(lambda xs: tuple(xs), ([1.0, 2.0],), ([0.5, -1.0],))
    assert dy == (0.5, -1.0)


def test_output_not_depending_on_input_gets_zeros(assert_like) -> None:
    y, dy = engine.jvp(lambda x: (np.ones(3, np.float32), 2.0, [1.0]), (1.0,), (1.0,))
    assert_like(y, dy)
    np.testing.assert_array_equal(dy[0], 0.0)
    assert dy[1] == 0.0 and dy[2] == [0.0]


def comprehensions(xs, d, m):
    a = [x**2 for x in xs if x > 0]
    b = {k: v * 2.0 for k, v in d.items() if k != "skip"}
    c = sum(x * y for x in xs for y in xs if x < y)
    e = {x for x in [1, 2, 2]}  # noqa: C416 - a set of constants
    f = sum(sum(v * v for v in row) for row in m)
    g = max(x**2 for x in xs) - min(x * 3.0 for x in xs)
    return sum(a) + sum(b.values()) + c + len(e) + f + g


def test_comprehensions_and_generator_expressions(check) -> None:
    check(comprehensions, [1.0, -2.0, 3.0], {"a": 1.0, "skip": 5.0, "b": -2.0}, [[1.0, 2.0]])


def comprehension_over_array(x):
    return sum(v**3 for v in x) + sum([r @ r for r in x.reshape(2, 2)])


def test_comprehension_over_array_elements_and_rows(check) -> None:
    check(comprehension_over_array, np.array([0.5, -1.0, 2.0, 0.1]))


def mutation(xs, x):
    ys = list(xs)
    ys.append(x * 2.0)
    ys.extend([x, x * x])
    ys[0] = ys[0] * x
    ys.insert(1, 3.0 * x)
    last = ys.pop()
    d = {}
    d["a"] = x
    d.update(b=ys[1])
    d.setdefault("c", 0.5 * x)
    d["a"] *= 3.0
    rows = []
    for y in ys:
        rows.append(y * y)
    ys.reverse()
    return sum(rows) + last + d["a"] * d["b"] + d.get("c") + ys[0] + d.pop("b")


def test_mutation_of_lists_and_dicts_inside_the_function(check) -> None:
    check(mutation, [1.0, -0.5], 0.7)


def test_mutated_list_argument_is_not_changed_for_the_caller() -> None:
    xs = [1.0, 2.0]

    def f(v):
        v.append(3.0)
        return v[0] * v[-1]

    y, dy = engine.jvp(f, (xs,), ([1.0, 0.0],))
    assert (y, dy) == (3.0, 3.0)


# -- closures, nonlocal, arguments -----------------------------------------------------------


def closures(x, a):
    def scale(v):
        return a * v

    count = 0

    def accumulate(v):
        nonlocal count, x
        count += 1
        x = x + v
        return x

    accumulate(scale(x))
    accumulate(x * x)
    make = lambda k: lambda v: k * v + a  # noqa: E731 - the construct under test
    return x * count + make(x)(a)


def test_closures_nonlocal_and_lambdas_returning_lambdas(check) -> None:
    check(closures, 0.8, 1.3)


def counter_factory(w):
    state = {"calls": 0}

    def apply(v):
        state["calls"] += 1
        return w * v

    return apply


def test_closure_built_outside_over_a_dual() -> None:
    def f(w, x):
        g = counter_factory(w)
        return g(x) + g(x * x)

    _, dy = engine.jvp(f, (2.0, 3.0), (1.0, 0.0))
    assert dy == 12.0


def arguments(x, *rest, scale=2.0, power, **options):
    total = x * scale + sum(rest) ** power
    for key, value in sorted(options.items()):
        total = total + value * len(key)
    return total


def call_with_arguments(x, y, z):
    a = arguments(x, y, z, power=2, w=z, ww=x)
    b = arguments(*[x, y], power=3, scale=y)
    return a + b + defaults(x) + defaults(x, y) + keyword_only(x, k=y)


def defaults(x, y=1.5, *, z=0.5):
    return x * y + z


def keyword_only(x, *, k):
    return x**k if x > 0 else k


def test_star_args_kwargs_keyword_only_and_defaults(check) -> None:
    check(call_with_arguments, 0.6, 1.2, -0.4)


def test_derivative_carried_by_keyword_argument_into_numpy(check) -> None:
    x = np.array([0.5, -1.0, 2.0])
    check(lambda t: np.sum(np.clip(x, a_min=None, a_max=t)), 0.3)
    check(lambda w: np.average(x, weights=w), np.array([1.0, 2.0, 3.0]))
    check(lambda v: np.sum(np.where(x > 0, x1=v, x2=x) if False else np.add(x, v)), 1.5)
    check(lambda x, t: np.sum(np.clip(x, a_min=-t, a_max=t)), x, 1.1)


# -- objects ---------------------------------------------------------------------------------


@dataclasses.dataclass
class Layer:
    w: np.ndarray
    b: float
    name: str = "layer"

    def __call__(self, x):
        return np.tanh(self.w @ x + self.b)

    @property
    def norm(self):
        return np.sum(self.w**2)


class Pair(NamedTuple):
    a: float
    b: float


class Base:
    def __init__(self, w):
        self.w = w

    def energy(self, x):
        return self.w * x * x


class Child(Base):
    def __init__(self, w, c):
        super().__init__(w)
        self.c = c

    def energy(self, x):
        return super().energy(x) + self.c * x

    @staticmethod
    def helper(v):
        return v * 2.0

    @classmethod
    def build(cls, v):
        return cls(v, v * v)


def objects(layer, p, x):
    child = Child.build(p.a)
    q = p._replace(b=p.b * x)
    moved = dataclasses.replace(layer, b=layer.b * 2.0)
    return (
        np.sum(layer(np.ones(2) * x))
        + layer.norm
        + moved.b
        + q.a * q.b
        + child.energy(x)
        + Child.helper(p.b)
        + Pair(x, 2.0).a
    )


def test_dataclasses_namedtuples_classes_super_properties_methods(check) -> None:
    layer = Layer(np.array([[0.5, -0.3], [0.2, 0.8]]), 0.1)
    check(objects, layer, Pair(1.5, -0.5), 0.7)


def test_objects_out_get_structural_tangents(assert_like) -> None:
    def make(x):
        return Pair(x, x * x), Layer(np.ones(2) * x, x), Child(x, 2.0)

    y, dy = engine.jvp(make, (3.0,), (1.0,))
    assert_like(y, dy)
    assert dy[0] == Tangent[Pair](a=1.0, b=6.0)
    np.testing.assert_array_equal(backing(dy[1])["w"], [1.0, 1.0])
    assert backing(dy[2])["w"] == 1.0


def test_dataclass_and_namedtuple_arguments_with_structural_tangents() -> None:
    layer = Layer(np.array([[1.0, 0.0], [0.0, 1.0]]), 0.0)
    tangent = Tangent[Layer](w=np.zeros((2, 2)), b=1.0)
    _, dy = engine.jvp(lambda layer: layer.b * 3.0 + np.sum(layer.w), (layer,), (tangent,))
    assert dy == 3.0
    _, dy = engine.jvp(lambda p: p.a * p.b, (Pair(2.0, 3.0),), (Tangent[Pair](a=1.0),))
    assert dy == 3.0


class Polynomial:
    def __init__(self, coefficients):
        self.coefficients = coefficients

    def __call__(self, x):
        return sum(c * x**i for i, c in enumerate(self.coefficients))


def callables(x, c):
    p = Polynomial([1.0, c, 0.5])
    double = functools.partial(operator.mul, 2.0)
    shifted = functools.partial(defaults, y=c)
    bound = Child(c, 1.0).energy
    return p(x) + double(x) + shifted(x) + bound(x)


def test_callable_objects_partials_and_bound_methods(check) -> None:
    check(callables, 0.9, -1.1)


# -- higher-order builtins -------------------------------------------------------------------


def higher_order(xs, a):
    ys = list(map(lambda x: a * x * x, xs))  # noqa: C417 - the construct under test
    zs = list(filter(lambda v: v > 0.1, ys))
    ordered = sorted(xs, key=lambda v: -v)
    total = functools.reduce(lambda s, v: s * 0.5 + v * a, zs, 1.0)
    pairs = list(map(operator.mul, xs, ys))
    return total + ordered[0] * 2.0 + sum(pairs) + max(xs, key=abs) + min(ys)


def test_map_filter_sorted_reduce_with_lambdas(check) -> None:
    check(higher_order, [0.5, -1.5, 2.0], 0.7)


def test_functions_chosen_from_containers(check) -> None:
    table = {"sin": np.sin, "square": lambda v: v * v, "poly": Polynomial([0.0, 1.0, 1.0])}
    for name in table:
        check(lambda x, name=name: table[name](x) * 2.0, 0.4)


@pytest.mark.parametrize("kind", [list, tuple])
def test_sequence_of_arrays(check, kind) -> None:
    arrays = kind([np.array([1.0, 2.0]), np.array([[0.5], [-0.5]])])
    check(lambda s: np.sum(s[0] * s[1]), arrays)


class Spring:
    def __init__(self, k, x0):
        self.k = k
        self.x0 = x0

    @property
    def stiffness(self):
        return self.k * 2.0

    def energy(self, x):
        return 0.5 * self.k * (x - self.x0) ** 2


def test_plain_object_argument_with_a_structural_tangent(check) -> None:
    def f(spring, x):
        energy = spring.energy  # a method read, called later
        return spring.stiffness * x + energy(x) + spring.k

    check(f, Spring(1.5, 0.2), 0.7)
    _, dy = engine.jvp(f, (Spring(1.5, 0.2), 0.7), (Tangent[Spring](k=1.0), 0.0))
    assert dy == pytest.approx(2.0 * 0.7 + 0.5 * 0.5**2 + 1.0)
