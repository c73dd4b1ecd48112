"""pytest plugin of rulescore (entry point `pytest11`): a seeded random generator fixture.

Installed with rulescore; NumPy is imported only when a test asks for the fixture, so the
plugin costs nothing to projects that do not use it. Every test gets its own generator,
seeded from `--rulescore-seed` (default 0) and the test's id, so a failure reproduces.
"""

from __future__ import annotations

import zlib
from typing import Any

import pytest

__all__ = ["rng"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--rulescore-seed",
        type=int,
        default=0,
        help="seed of the `rng` fixture of rulescore's harness (default 0)",
    )


@pytest.fixture
def rng(request: pytest.FixtureRequest) -> Any:
    """A `numpy.random.Generator` seeded from `--rulescore-seed` and the test's id."""
    import numpy as np

    seed = request.config.getoption("--rulescore-seed")
    return np.random.default_rng([seed, zlib.crc32(request.node.nodeid.encode())])
