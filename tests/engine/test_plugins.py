"""Tests of engine/_plugins.py: entry-point discovery, lazy loading, broken plugins, opting out."""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable

import pytest

from engine._plugins import (
    PluginWarning,
    load_plugins,
    loaded_plugins,
    plugin_manager,
    register_plugin,
)

pytestmark = pytest.mark.usefixtures("fresh_plugins")

Install = Callable[[str, str, str], None]


def test_importing_the_engine_imports_no_plugin():
    script = textwrap.dedent("""
        import sys
        import engine, engine._backends, engine._plugins
        print(sorted(m for m in sys.modules if m == "rules" or m.startswith("rules.")))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_entry_point_is_imported_by_load_plugins_not_before(install_plugin: Install):
    install_plugin("fake", "fake_rules_module", "IMPORTED = True\n")
    assert "fake_rules_module" not in sys.modules
    load_plugins()
    assert sys.modules["fake_rules_module"].IMPORTED
    assert plugin_manager().get_plugin("fake") is sys.modules["fake_rules_module"]
    # The project's own rules are found the same way.
    assert {"fake", "rules"} <= set(loaded_plugins())


def test_load_plugins_once_across_threads(install_plugin: Install):
    install_plugin("fake", "fake_rules_module", "")
    threads = [threading.Thread(target=load_plugins) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loaded_plugins().count("fake") == 1


def test_broken_plugin_warns_and_the_others_load(install_plugin: Install):
    install_plugin("broken", "broken_rules_module", "raise RuntimeError('no such rule table')\n")
    install_plugin("fake", "fake_rules_module", "")
    message = r"'broken' \(broken_rules_module\).*RuntimeError: no such rule table"
    with pytest.warns(PluginWarning, match=message):
        load_plugins()
    assert "fake" in loaded_plugins()
    assert "broken" not in loaded_plugins()


def test_environment_variable_disables_autoloading(
    engine_plugin: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("RULESCORE_DISABLE_PLUGIN_AUTOLOAD", "1")
    load_plugins()
    assert engine_plugin not in sys.modules
    assert loaded_plugins() == []

    module = importlib.import_module(engine_plugin)
    register_plugin(module, name="fake")
    assert loaded_plugins() == ["fake"]
    assert plugin_manager().hook.register_engines() == [{"fake": module.FakeEngine}]


def test_empty_environment_variable_keeps_autoloading(
    install_plugin: Install, monkeypatch: pytest.MonkeyPatch
):
    install_plugin("fake", "fake_rules_module", "")
    monkeypatch.setenv("RULESCORE_DISABLE_PLUGIN_AUTOLOAD", "")
    assert "fake" in loaded_plugins()


def test_register_plugin_again_does_nothing(install_plugin: Install):
    install_plugin("fake", "fake_rules_module", "")
    load_plugins()
    register_plugin(sys.modules["fake_rules_module"])
    assert loaded_plugins().count("fake") == 1
    with pytest.raises(ValueError, match="fake"):
        register_plugin(object(), name="fake")
