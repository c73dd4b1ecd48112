"""The API reference page is generated from the current docstrings."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

GENERATOR = Path(__file__).parents[2] / "docs" / "api" / "generate.py"


def test_api_reference_is_up_to_date():
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def test_api_reference_lists_every_public_name():
    page = runpy.run_path(str(GENERATOR))["render"]()
    import rulescore
    import rulescore.testing

    for module in (rulescore, rulescore.testing):
        for name in module.__all__:
            assert f"`{module.__name__}.{name}" in page
