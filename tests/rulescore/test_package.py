"""rulescore as a package: no required dependencies, typed, documented, pytest plugin."""

from __future__ import annotations

import inspect
import subprocess
import sys
import tomllib
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import rulescore
import rulescore.testing

PACKAGE = Path(rulescore.__file__).parent
PUBLIC = [(m, name) for m in (rulescore, rulescore.testing) for name in m.__all__]


def test_importing_rulescore_imports_nothing_outside_the_standard_library():
    code = (
        "import sys, rulescore; "
        "loaded = sorted(m for m in ('numpy', 'scipy', 'pluggy', 'pytest') if m in sys.modules); "
        "print(','.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_no_required_dependencies_and_numpy_only_for_testing():
    project = tomllib.loads((PACKAGE.parents[1] / "pyproject.toml").read_text())["project"]
    assert project["dependencies"] == []
    assert [d.split(">")[0] for d in project["optional-dependencies"]["testing"]] == ["numpy"]


def test_typed_marker_is_shipped():
    assert (PACKAGE / "py.typed").exists()


@pytest.mark.parametrize(("module", "name"), PUBLIC, ids=[f"{m.__name__}.{n}" for m, n in PUBLIC])
def test_every_public_name_has_a_docstring_with_an_example(module, name):
    doc = inspect.getdoc(getattr(module, name)) or ""
    assert ">>>" in doc, f"{module.__name__}.{name} needs a docstring with a run example"


def test_pytest_plugin_is_announced():
    plugins = entry_points(group="pytest11")
    assert any(ep.value == "rulescore.testing.pytest_plugin" for ep in plugins)


def test_rng_fixture_is_seeded_per_test(rng, request):
    import numpy as np

    again = np.random.default_rng(
        [request.config.getoption("--rulescore-seed"), _crc(request.node.nodeid)]
    )
    assert rng.standard_normal() == again.standard_normal()


def _crc(text):
    import zlib

    return zlib.crc32(text.encode())
