"""Plugin discovery: the `rulescore.rules` entry points, loaded through pluggy on first use.

Importing `engine` loads no plugin. `load_plugins()` (called by `get_engine`, hence by the
first gradient) imports each entry point's module once, which registers its rules, and
registers the module with the plugin manager, so that its hooks (`EngineSpecs`) are called.
Setting `RULESCORE_DISABLE_PLUGIN_AUTOLOAD` turns the entry points off; `register_plugin`
then adds plugins by hand.
"""

from __future__ import annotations

import importlib.metadata
import os
import threading
import warnings

import pluggy

from engine._hookspecs import EngineSpecs

__all__ = [
    "PluginWarning",
    "load_plugins",
    "loaded_plugins",
    "plugin_manager",
    "register_plugin",
]

_GROUP = "rulescore.rules"
_DISABLE_AUTOLOAD = "RULESCORE_DISABLE_PLUGIN_AUTOLOAD"

# Reentrant: a plugin's module may call `register_plugin` or `get_engine` while it is imported.
_lock = threading.RLock()
_manager: pluggy.PluginManager | None = None
_loaded = False


class PluginWarning(UserWarning):
    """`PluginWarning`: a plugin failed (on import, registration or in a hook) and is skipped.

    The message names the plugin and the exception; the other plugins keep working.

    >>> issubclass(PluginWarning, UserWarning)
    True
    """


def _get_manager() -> pluggy.PluginManager:
    global _manager
    with _lock:
        if _manager is None:
            _manager = pluggy.PluginManager("rulescore")
            _manager.add_hookspecs(EngineSpecs)
        return _manager


def load_plugins() -> None:
    """`load_plugins()`: import and register every `rulescore.rules` entry point, once.

    Each entry point's value (a module, or `module:attribute`) is loaded and registered with
    the plugin manager under the entry point's name. A plugin that raises while loading or
    registering is skipped with a `PluginWarning` naming it. Idempotent and thread-safe: the
    first call loads, the others return at once (a concurrent call waits for the first). If
    the environment variable `RULESCORE_DISABLE_PLUGIN_AUTOLOAD` is non-empty, no entry point
    is loaded.

    >>> load_plugins()
    >>> load_plugins()  # a no-op from then on

    See also: `register_plugin`, `loaded_plugins`.
    """
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True  # before the imports, so that a plugin importing the engine is no loop
        manager = _get_manager()
        if os.environ.get(_DISABLE_AUTOLOAD):
            return
        for entry_point in importlib.metadata.entry_points(group=_GROUP):
            try:
                manager.register(entry_point.load(), name=entry_point.name)
            except Exception as exc:
                warnings.warn(
                    f"rule plugin {entry_point.name!r} ({entry_point.value}) failed to load "
                    f"and is skipped: {type(exc).__name__}: {exc}",
                    PluginWarning,
                    stacklevel=2,
                )


def register_plugin(plugin: object, name: str | None = None) -> None:
    """`register_plugin(plugin, name=None)`: add a plugin module or object by hand.

    Loads the entry points first (unless disabled), then registers `plugin` with the plugin
    manager under `name` (default: its `__name__`), so that its `@hookimpl` functions are
    called like an entry point's. Registering an already registered plugin does nothing; a
    name taken by another plugin raises `ValueError`. A module's rules are registered by
    importing it, which the caller has done.

    >>> from engine._hookspecs import hookimpl
    >>> class ToyPlugin:
    ...     @hookimpl
    ...     def register_engines(self):
    ...         return {}
    >>> register_plugin(ToyPlugin(), name="toy")
    >>> "toy" in loaded_plugins()
    True
    >>> _ = plugin_manager().unregister(name="toy")

    See also: `load_plugins`, `EngineSpecs`.
    """
    with _lock:
        manager = plugin_manager()
        if not manager.is_registered(plugin):
            manager.register(plugin, name=name)


def plugin_manager() -> pluggy.PluginManager:
    """`plugin_manager() -> pluggy.PluginManager`: the engine's manager, plugins loaded.

    Calls `load_plugins()` first. Its project name is `"rulescore"` and it holds the hooks of
    `EngineSpecs`; use it to inspect or call hooks, or to unregister a plugin.

    >>> plugin_manager().project_name
    'rulescore'
    """
    load_plugins()
    return _get_manager()


def loaded_plugins() -> list[str]:
    """`loaded_plugins() -> list[str]`: the names of the registered plugins, in load order.

    Calls `load_plugins()` first; entry points appear under their entry-point names, plugins
    added by `register_plugin` under theirs.

    >>> isinstance(loaded_plugins(), list)
    True
    """
    return [name for name, _ in plugin_manager().list_name_plugin()]


def _reset_for_tests() -> None:
    """Forget the plugin manager and its plugins, so that the next use loads them again."""
    global _manager, _loaded
    with _lock:
        _manager = None
        _loaded = False
