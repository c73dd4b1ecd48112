"""The coverage report: its page is current, and coverage never drops below the floor."""

from __future__ import annotations

from pathlib import Path

import pytest

from rules.coverage import NAMESPACES, coverage, render_markdown

PAGE = Path(__file__).parents[2] / "docs" / "coverage.md"

# Raise these when coverage grows; a drop is a regression (a rule lost or unregistered).
FLOOR = {"numpy": 0, "numpy.linalg": 0, "numpy.fft": 18, "numpy.ndarray": 0}


@pytest.mark.parametrize("namespace", list(NAMESPACES))
def test_coverage_does_not_drop(namespace):
    assert coverage(namespace).covered >= FLOOR.get(namespace, 0)


def test_coverage_page_is_current():
    page = render_markdown([coverage(namespace) for namespace in NAMESPACES])
    assert PAGE.read_text() == page + "\n", (
        "docs/coverage.md is out of date: run `python3 dev.py docs`"
    )
