"""The hooks a `rulescore.rules` plugin may implement, and pluggy's markers for them.

A plugin marks its hook functions with `hookimpl`; the engine's plugin manager checks them
against the specifications of `EngineSpecs` when the plugin is registered.
"""

from __future__ import annotations

from collections.abc import Callable

import pluggy

from rulescore import RuleConfig

__all__ = ["EngineSpecs", "hookimpl", "hookspec"]

hookspec = pluggy.HookspecMarker("rulescore")
hookimpl = pluggy.HookimplMarker("rulescore")


class EngineSpecs:
    """`EngineSpecs`: the hook specifications of the `rulescore` pluggy project.

    The engine adds them to its `pluggy.PluginManager("rulescore")`; a plugin implements any of
    them as functions (or methods) of the same name marked with `@hookimpl`.

    >>> import pluggy
    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> class ToyPlugin:
    ...     @hookimpl
    ...     def register_engines(self):
    ...         return {"toy": Toy}
    >>> manager = pluggy.PluginManager("rulescore")
    >>> manager.add_hookspecs(EngineSpecs)
    >>> _ = manager.register(ToyPlugin())
    >>> manager.hook.register_engines()
    [{'toy': <class '...Toy'>}]

    See also: `engine.get_engine`, `engine.register_plugin`.
    """

    @hookspec
    def register_engines(self) -> dict[str, Callable[[], RuleConfig]]:
        """`register_engines() -> {name: factory}`: the engines a plugin adds.

        Arguments: none. Returns a dict from engine name (what users pass as `backend=`) to a
        zero-argument callable that builds the engine: a `RuleConfig` that also subclasses
        `HasReverseMode` and/or `HasForwardMode`. A factory is called only when its engine is
        first selected, once per process. Not `firstresult`: every plugin's dict is collected;
        a name already taken by a built-in engine or an earlier plugin is skipped with a
        `PluginWarning`.
        """
        raise NotImplementedError
