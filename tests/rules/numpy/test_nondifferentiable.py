"""The declared non-differentiable NumPy callables: their pullbacks give NoTangent."""

from __future__ import annotations

import numpy as np
import pytest

from rulescore import NoTangent, frule, rrule


@pytest.mark.parametrize(
    ("f", "args"),
    [
        (np.allclose, (np.ones(2), np.ones(2))),
        (np.array_equal, (np.ones(2), np.zeros(2))),
        (np.isclose, (np.ones(2), np.ones(2))),
        (np.isin, (np.ones(2), np.ones(3))),
        (np.result_type, (np.ones(2), 1.0)),
        (np.array2string, (np.ones(2),)),
        (np.isrealobj, (np.ones(2),)),
        (np.hanning, (5,)),
        (np.random.randn, (3,)),
        (np.ndarray.tobytes, (np.ones(2),)),
    ],
)
def test_pullbacks_and_pushforwards_give_no_tangent(f, args):
    y, back = rrule(f, *args)
    assert type(y) is type(f(*args)) or f is np.random.randn
    assert back(1.0) == (NoTangent(),) * (1 + len(args))
    assert frule((NoTangent(),) * (1 + len(args)), f, *args)[1] == NoTangent()
