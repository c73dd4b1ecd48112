"""`rand_tangent(x)`: a random tangent of the primal `x`, of the kind `ProjectTo(x)` gives."""

from __future__ import annotations

from typing import Any

import numpy as np

from rulescore import NoTangent, ProjectTo
from rulescore._projection import has_tangent_space, object_fields
from rulescore._tangent_types.structural import tangent_type

__all__ = ["rand_tangent"]


def rand_tangent(x: Any, rng: np.random.Generator | None = None) -> Any:
    """`rand_tangent(x, rng=None)`: a random tangent of `x` (standard normal entries).

    Floats and ints get a float, complex numbers a complex, arrays an array of their own shape
    and dtype, containers a container of tangents, objects a `Tangent[type(x)]`. Values with
    no tangent space (bool, str, None, integer arrays, functions), and containers or objects
    made only of them, get `NoTangent()`.

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> dx = rand_tangent(np.ones((2, 3), dtype=np.float32), rng)
    >>> dx.shape, dx.dtype
    ((2, 3), dtype('float32'))
    >>> rand_tangent((1.5, "label"), rng)[1], rand_tangent(True, rng)
    (NoTangent(), NoTangent())
    """
    rng = np.random.default_rng() if rng is None else rng
    return _rand(x, rng)


def _rand(x: Any, rng: np.random.Generator) -> Any:
    fields = object_fields(x)
    if fields is not None:
        return _structural(x, fields, rng)
    if isinstance(x, (tuple, list)):
        entries = [_rand(xi, rng) for xi in x]
        return NoTangent() if _all_none(entries) else type(x)(entries)
    if isinstance(x, dict):
        values = {k: _rand(v, rng) for k, v in x.items()}
        return NoTangent() if _all_none(values.values()) else values
    if not has_tangent_space(x):
        return NoTangent()
    value = rng.standard_normal(np.shape(x))
    if isinstance(x, complex) or np.iscomplexobj(x):
        value = value + 1j * rng.standard_normal(np.shape(x))
    return ProjectTo(x)(value)


def _structural(x: Any, fields: dict[str, Any], rng: np.random.Generator) -> Any:
    tangents = {name: _rand(value, rng) for name, value in fields.items()}
    if _all_none(tangents.values()):
        return NoTangent()
    return tangent_type(type(x))(
        **{k: v for k, v in tangents.items() if not isinstance(v, NoTangent)}
    )


def _all_none(tangents: Any) -> bool:
    return all(isinstance(t, NoTangent) for t in tangents)
