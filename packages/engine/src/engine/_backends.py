"""The engine registry and the default engine: `get_engine`, `use_backend` and friends.

Engines are registered by name as zero-argument factories: the built-in ones by
`register_engine` when their package is imported, the plugins' by the `register_engines`
hook. `get_engine(name)` builds an engine on first use and caches it. The default engine is
a process-wide name (`set_default_backend`) that `use_backend` overrides for the code inside
it, per thread and per async task.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import cast

from engine._plugins import PluginWarning, load_plugins, plugin_manager
from engine._plugins import _reset_for_tests as _reset_plugins
from rulescore import RuleConfig

__all__ = [
    "available_backends",
    "default_backend",
    "get_engine",
    "register_engine",
    "set_default_backend",
    "unregister_engine",
    "use_backend",
]

Factory = Callable[[], RuleConfig]

_INITIAL_DEFAULT = "reverse"

# Reentrant: an engine's factory may get another engine (forward-over-reverse, say).
_lock = threading.RLock()
_factories: dict[str, Factory] = {}
_instances: dict[str, RuleConfig] = {}
_process_default = _INITIAL_DEFAULT
_context_default: ContextVar[str | None] = ContextVar("engine_backend", default=None)


def register_engine(name: str, factory: Factory) -> None:
    """`register_engine(name, factory)`: make a built-in engine selectable by `name`.

    `factory` is a zero-argument callable (typically the engine class) returning a
    `RuleConfig` with `HasReverseMode` and/or `HasForwardMode`; it is called by the first
    `get_engine(name)`, not now. Registering the same factory again does nothing; a name
    already registered with another factory raises `ValueError`. Plugins add engines through
    the `register_engines` hook instead; a built-in engine wins over a plugin's of the same
    name.

    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> register_engine("toy", Toy)
    >>> "toy" in available_backends()
    True
    >>> unregister_engine("toy")

    See also: `get_engine`, `unregister_engine`, `EngineSpecs.register_engines`.
    """
    with _lock:
        if _factories.setdefault(name, factory) is not factory:
            raise ValueError(f"an engine named {name!r} is already registered")


def unregister_engine(name: str) -> None:
    """`unregister_engine(name)`: remove an engine added by `register_engine`, and its instance.

    Raises `ValueError` if `register_engine` has no engine of that name (plugin engines go
    with their plugin: `plugin_manager().unregister(...)`).

    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> register_engine("toy", Toy)
    >>> unregister_engine("toy")
    >>> "toy" in available_backends()
    False
    """
    with _lock:
        if _factories.pop(name, None) is None:
            raise ValueError(f"no engine named {name!r} was registered with register_engine")
        _instances.pop(name, None)


def get_engine(name: str | None = None) -> RuleConfig:
    """`get_engine(name=None) -> RuleConfig`: the engine called `name`, built once and cached.

    `None` means the current default (`default_backend()`). Loads the plugins first, so that
    their rules are registered and the engines of their `register_engines` hooks are known.
    Each engine is built by its factory on first request, once per process even under
    concurrent calls, and the same instance is returned afterwards. Raises `ValueError`
    listing the available names for an unknown name; if the factory fails, `RuntimeError`
    naming the engine and its plugin, and `TypeError` if it builds no `RuleConfig`.

    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> register_engine("toy", Toy)
    >>> get_engine("toy")
    Toy()
    >>> get_engine("toy") is get_engine("toy")
    True
    >>> get_engine("no such engine")
    Traceback (most recent call last):
    ValueError: unknown engine 'no such engine'; available: ...toy...
    >>> unregister_engine("toy")

    See also: `use_backend`, `available_backends`, `register_engine`.
    """
    name = default_backend() if name is None else name
    engine = _instances.get(name)
    if engine is not None:
        return engine
    load_plugins()
    with _lock:
        if name not in _instances:
            origin, factory = _find_factory(name)
            try:
                engine = factory()
            except Exception as exc:
                raise RuntimeError(f"engine {name!r} ({origin}) failed to build: {exc!r}") from exc
            if not isinstance(engine, RuleConfig):
                raise TypeError(
                    f"engine {name!r} ({origin}) built a {type(engine).__name__}, not a RuleConfig"
                )
            _instances[name] = engine
        return _instances[name]


def available_backends() -> list[str]:
    """`available_backends() -> list[str]`: the sorted names `get_engine` accepts.

    Built-in engines and the plugins' (loading the plugins first).

    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> register_engine("toy", Toy)
    >>> "toy" in available_backends()
    True
    >>> unregister_engine("toy")
    """
    load_plugins()
    return sorted({*_factories, *_plugin_engines()})


def default_backend() -> str:
    """`default_backend() -> str`: the name of the engine used when none is given.

    The innermost active `use_backend` of the current thread or async task, else the process
    default of `set_default_backend` (initially `"reverse"`).

    >>> default_backend()
    'reverse'
    """
    name = _context_default.get()
    return _process_default if name is None else name


@contextlib.contextmanager
def use_backend(name: str) -> Iterator[None]:
    """`with use_backend(name): ...`: make `name` the default engine for the code inside.

    The name is checked on entry (`ValueError` listing the available names if unknown). The
    change is held in a context variable: it nests, is undone on exit even by an exception,
    and is seen only by the current thread or async task; other threads keep the process
    default.

    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> register_engine("toy", Toy)
    >>> with use_backend("toy"):
    ...     default_backend(), get_engine()
    ('toy', Toy())
    >>> default_backend()
    'reverse'
    >>> unregister_engine("toy")

    See also: `set_default_backend`, `get_engine`.
    """
    _find_factory(name)
    token = _context_default.set(name)
    try:
        yield
    finally:
        _context_default.reset(token)


def set_default_backend(name: str | None) -> None:
    """`set_default_backend(name)`: set the process-wide default engine; `None` resets it.

    The process default is used wherever no `use_backend` is active, in every thread. The
    name is checked now (`ValueError` listing the available names if unknown); `None`
    restores the initial default, `"reverse"`.

    >>> from rulescore import HasReverseMode, RuleConfig
    >>> class Toy(RuleConfig, HasReverseMode):
    ...     name = "toy"
    >>> register_engine("toy", Toy)
    >>> set_default_backend("toy")
    >>> default_backend()
    'toy'
    >>> set_default_backend(None)
    >>> default_backend()
    'reverse'
    >>> unregister_engine("toy")

    See also: `use_backend`, `default_backend`.
    """
    global _process_default
    if name is not None:
        _find_factory(name)
    _process_default = _INITIAL_DEFAULT if name is None else name


def _find_factory(name: str) -> tuple[str, Factory]:
    """`(origin, factory)` of the engine `name`, built-in first; `ValueError` if unknown."""
    if name in _factories:
        return "built-in", _factories[name]
    load_plugins()
    plugin_engines = _plugin_engines()
    if name in plugin_engines:
        plugin, factory = plugin_engines[name]
        return f"from plugin {plugin!r}", factory
    available = ", ".join(sorted({*_factories, *plugin_engines})) or "none"
    raise ValueError(f"unknown engine {name!r}; available: {available}")


def _plugin_engines() -> dict[str, tuple[str, Factory]]:
    """Engine name -> (plugin name, factory) from the plugins' `register_engines` hooks.

    Called afresh each time, so that a plugin registered later is seen; each plugin's hook is
    called on its own so that a failing one is skipped with a warning naming it.
    """
    engines: dict[str, tuple[str, Factory]] = {}
    for impl in plugin_manager().hook.register_engines.get_hookimpls():
        try:
            offered = dict(cast("dict[str, Factory]", impl.function() or {}))
        except Exception as exc:
            warnings.warn(
                f"rule plugin {impl.plugin_name!r}: register_engines() failed and is skipped: "
                f"{type(exc).__name__}: {exc}",
                PluginWarning,
                stacklevel=3,
            )
            continue
        for name, factory in offered.items():
            if name in _factories or name in engines:
                warnings.warn(
                    f"rule plugin {impl.plugin_name!r}: engine name {name!r} is taken, "
                    "its engine is skipped",
                    PluginWarning,
                    stacklevel=3,
                )
            else:
                engines[name] = (impl.plugin_name, factory)
    return engines


def _reset_for_tests() -> None:
    """Forget built engines, plugins and the process default; keep `register_engine`'s."""
    global _process_default
    with _lock:
        _instances.clear()
        _process_default = _INITIAL_DEFAULT
    _reset_plugins()
