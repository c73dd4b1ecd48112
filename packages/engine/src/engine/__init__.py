"""engine: automatic differentiation of plain Python, NumPy and SciPy code.

The contents:

- the user API: `gradient`, `withgradient`, `pullback`, `jacobian`, `hessian`, `derivative`, `grad`,
  `value_and_grad`, `Params`/`Grads`, `stop_gradient` (= `ignore_derivatives`),
  `show_code`;
- engines: `get_engine`, `use_backend`, `set_default_backend`, `default_backend`,
  `available_backends`, `register_engine`, `unregister_engine`, and the built-in
  `ReverseEngine` (name `"reverse"`, the default);
- plugins: `load_plugins`, `register_plugin`, `plugin_manager`, `loaded_plugins`,
  `PluginWarning`, and the hook markers `hookimpl`/`hookspec` with `EngineSpecs`.

Rule packages (the project's `rules` included) are found through the `rulescore.rules`
entry points on the first differentiation, not at import.
"""

from engine._api import (
    derivative,
    grad,
    gradient,
    hessian,
    jacobian,
    pullback,
    show_code,
    value_and_grad,
    withgradient,
)
from engine._backends import (
    available_backends,
    default_backend,
    get_engine,
    register_engine,
    set_default_backend,
    unregister_engine,
    use_backend,
)
from engine._hookspecs import EngineSpecs, hookimpl, hookspec
from engine._params import Grads, Params
from engine._plugins import (
    PluginWarning,
    load_plugins,
    loaded_plugins,
    plugin_manager,
    register_plugin,
)
from engine._reverse import ReverseEngine
from rulescore import ignore_derivatives

stop_gradient = ignore_derivatives

register_engine("reverse", ReverseEngine)

__all__ = [
    "EngineSpecs",
    "Grads",
    "Params",
    "PluginWarning",
    "ReverseEngine",
    "available_backends",
    "default_backend",
    "derivative",
    "get_engine",
    "grad",
    "gradient",
    "hessian",
    "hookimpl",
    "hookspec",
    "ignore_derivatives",
    "jacobian",
    "load_plugins",
    "loaded_plugins",
    "plugin_manager",
    "pullback",
    "register_engine",
    "register_plugin",
    "set_default_backend",
    "show_code",
    "stop_gradient",
    "unregister_engine",
    "use_backend",
    "value_and_grad",
    "withgradient",
]
