from __future__ import annotations

import numpy as np

from rulescore import NoTangent, frule_via_ad, rrule, rrule_via_ad
from rulescore.testing import FiniteDifferenceConfig


def test_finite_differences_when_no_rule_applies():
    y, back = rrule_via_ad(FiniteDifferenceConfig(), lambda x, a: a * np.sin(x), 0.5, 2.0)
    assert y == 2.0 * np.sin(0.5)
    df, dx, da = back(1.0)
    assert df == NoTangent()
    np.testing.assert_allclose([dx, da], [2 * np.cos(0.5), np.sin(0.5)], rtol=1e-9)
    _, dy = frule_via_ad(FiniteDifferenceConfig(), (NoTangent(), 1.0), np.exp, 0.0)
    np.testing.assert_allclose(dy, 1.0, rtol=1e-9)


def test_a_registered_rule_is_preferred():
    def f(x):
        return 2 * x

    @rrule.register(f)
    def _(x):
        def f_pullback(dy):
            return NoTangent(), 12345.0 * dy  # deliberately distinguishable from FD

        return f(x), f_pullback

    _, back = rrule_via_ad(FiniteDifferenceConfig(), f, 1.0)
    assert back(1.0)[1] == 12345.0
