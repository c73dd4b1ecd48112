"""Fixtures of the plugin and backend tests: fake distributions with `rulescore.rules` entry
points written under `tmp_path`, and a plugin manager and engine cache reset around each test.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from engine import _backends

_ENGINE_PLUGIN = """
from engine._hookspecs import hookimpl
from rulescore import HasReverseMode, RuleConfig


class FakeEngine(RuleConfig, HasReverseMode):
    name = "fake"


@hookimpl
def register_engines():
    return {"fake": FakeEngine}
"""


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No plugin loaded, no engine built and the process default reset, before and after;
    autoloading on whatever the environment says."""
    monkeypatch.delenv("RULESCORE_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    _backends._reset_for_tests()
    yield
    _backends._reset_for_tests()


@pytest.fixture
def install_plugin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Callable[[str, str, str], None]:
    """`install_plugin(entry_point_name, module_name, source)`: a fake installed distribution.

    Writes `<module_name>.py` and a `.dist-info` whose `entry_points.txt` names it in the
    `rulescore.rules` group, each distribution in its own directory put first on `sys.path`;
    the module is not imported and is forgotten after the test.
    """

    def install(entry_point_name: str, module_name: str, source: str) -> None:
        root = tmp_path / module_name
        dist_name = f"fake-{module_name.replace('_', '-')}"
        dist_info = root / f"{dist_name.replace('-', '_')}-1.0.dist-info"
        dist_info.mkdir(parents=True)
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist_name}\nVersion: 1.0\n"
        )
        (dist_info / "entry_points.txt").write_text(
            f"[rulescore.rules]\n{entry_point_name} = {module_name}\n"
        )
        (root / f"{module_name}.py").write_text(source)
        monkeypatch.syspath_prepend(root)
        monkeypatch.delitem(sys.modules, module_name, raising=False)

    return install


@pytest.fixture
def engine_plugin(install_plugin: Callable[[str, str, str], None]) -> str:
    """A fake distribution whose plugin `fake` (module `fake_engine_plugin`, not imported yet)
    adds the engine `fake` (class `FakeEngine`) through the `register_engines` hook."""
    install_plugin("fake", "fake_engine_plugin", _ENGINE_PLUGIN)
    return "fake_engine_plugin"
