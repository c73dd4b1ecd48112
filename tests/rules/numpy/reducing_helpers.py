"""What the tests of the reductions, scans and quantiles share (`test_reductions.py`,
`test_scans.py`, `test_quantiles.py`): dtypes, axis forms, input samplers, the table of cases
that parametrizes a test over functions, shapes, axes and dtypes, and `check`, both rules
through the harness (NaN entries included).

pytest's importlib mode puts no test directory on `sys.path`: the test modules load this one
by its file path.
"""

import numpy as np
import pytest

from rulescore import NoTangent, ZeroTangent, rrule, unthunk
from rulescore.testing import constant, test_frule, test_rrule, with_tangent

F64, F32, C128 = np.float64, np.float32, np.complex128
REAL, ALL = (F64, F32), (F64, F32, C128)

# Every axis form per shape: None, an int, a negative int, a tuple.
AXES = {
    (): [None],
    (4,): [None, 0, -1, (0,)],
    (2, 3): [None, 1, -1, (0, 1)],
    (2, 3, 4): [None, 1, -2, (2, 0)],
}


# ---------------------------------------------------------------------------------------
# Input samplers
# ---------------------------------------------------------------------------------------


def normal(shape, dtype, rng):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def near_one(shape, dtype, rng):
    """Magnitudes in [0.5, 1.5] and random signs: products of many stay of order one."""
    x = rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
    if np.dtype(dtype).kind == "c":
        x = x * np.exp(1j * rng.uniform(0, 2 * np.pi, shape))
    return np.asarray(x, dtype=dtype)


def spread(shape, dtype, rng):
    """A shuffled arange: entries 1 apart, so finite differences never cross a tie."""
    size = int(np.prod(shape))
    x = np.reshape(rng.permutation(size) - size / 2 + 0.25, shape) * 1.0
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return np.asarray(x, dtype=dtype)


def with_nans(sampler):
    """NaN at every flat index = 2 mod 5: no slice of the shapes above is all NaN."""

    def sample(shape, dtype, rng):
        x = sampler(shape, dtype, rng)
        flat = np.reshape(x, -1).copy()
        flat[np.arange(flat.size) % 5 == 2] = np.nan
        return np.reshape(flat, shape)

    sample.__name__ = f"{sampler.__name__}_with_nans"
    return sample


# ---------------------------------------------------------------------------------------
# Cases and checks
# ---------------------------------------------------------------------------------------


def label(f):
    return getattr(f, "__qualname__", f.__name__)


def cases(table, axes_table, keepdims_forms):
    """Every function x shape x axis form; keepdims both ways in float64, alternating in the
    other dtypes (to keep the suite fast)."""
    for f, sampler, dtypes in table:
        for shape, axes in axes_table.items():
            for i, axis in enumerate(axes):
                for dtype in dtypes:
                    forms = keepdims_forms if dtype is F64 else keepdims_forms[i % 2 :][:1]
                    for keepdims in forms:
                        name = f"{label(f)}-{shape}-axis={axis}-keepdims={keepdims}-"
                        yield pytest.param(
                            f, sampler, shape, axis, keepdims, dtype, id=name + dtype.__name__
                        )


def check(f, x, kwargs, rng, *args):
    """test_rrule and test_frule of `f(x, *args, **kwargs)`."""
    nan = np.isnan(x)
    if not np.any(nan):
        test_rrule(f, x, *args, fkwargs=kwargs, rng=rng)
        test_frule(f, x, *args, fkwargs=kwargs, rng=rng)
        return
    # The harness's finite-difference error bound is NaN as soon as an input holds a NaN
    # (see the report), so the pullback is checked on the other entries through
    # `at_valid_entries`, and the pushforward along tangents that are zero at the NaNs.
    valid = x[~nan]
    test_rrule(at_valid_entries, constant(f), constant(x), valid, *args, fkwargs=kwargs, rng=rng)
    dx = np.where(nan, 0, normal(np.shape(x), x.dtype, rng))
    test_frule(f, with_tangent(x, dx), *args, fkwargs=kwargs, rng=rng)


def at_valid_entries(f, template, values, *args, **kwargs):
    """`f(x, *args)` for `x` = `template` with its non-NaN entries replaced by `values`."""
    x = np.array(template)
    x[~np.isnan(template)] = values
    return f(x, *args, **kwargs)


@rrule.register(at_valid_entries)
def _(f, template, values, *args, **kwargs):
    valid = ~np.isnan(template)
    x = np.array(template)
    x[valid] = values
    y, back = rrule(f, x, *args, **kwargs)

    def at_valid_entries_pullback(dy):
        _, dx, *rest = back(dy)
        assert len(rest) == len(args)
        dx = unthunk(dx)
        if not isinstance(dx, ZeroTangent):
            assert dx.shape == x.shape and dx.dtype == x.dtype
            assert np.all(dx[~valid] == 0), "NaN entries must get zero cotangents"
            dx = dx[valid]
        return NoTangent(), NoTangent(), NoTangent(), dx, *rest

    return y, at_valid_entries_pullback


def pullback(f, *args, seed=1.0, **kwargs):
    y, back = rrule(f, *args, **kwargs)
    return y, tuple(unthunk(t) for t in back(seed))
