"""engine: automatic differentiation of plain Python, NumPy and SciPy code.

The contents:

- the user API: `gradient`, `withgradient`, `pullback`, `jacobian`, `jvp`, `hessian`, `hvp`,
  `diaghessian`, `derivative`, `grad`, `value_and_grad`, `Params`/`Grads`, `stop_gradient`
  (= `ignore_derivatives`), `show_code`, `checkpointed`, `hook`;
- engines: `get_engine`, `use_backend`, `set_default_backend`, `default_backend`,
  `available_backends`, `register_engine`, `unregister_engine`, and the built-in
  `ReverseEngine` (name `"reverse"`, the default), `ForwardEngine` (name `"forward"`),
  `TapeEngine` (name `"tape"`);
- plugins: `load_plugins`, `register_plugin`, `plugin_manager`, `loaded_plugins`,
  `PluginWarning`, and the hook markers `hookimpl`/`hookspec` with `EngineSpecs`.

Rule packages (the project's `rules` included) are found through the `rulescore.rules`
entry points on the first differentiation, not at import.
"""

from engine._api import (
    derivative,
    diaghessian,
    grad,
    gradient,
    hessian,
    hvp,
    jacobian,
    jvp,
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
from engine._checkpointed import checkpointed
from engine._forward import ForwardEngine
from engine._hook import hook
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
from engine._tape import TapeEngine
from rulescore import ignore_derivatives

stop_gradient = ignore_derivatives

register_engine("reverse", ReverseEngine)
register_engine("forward", ForwardEngine)
register_engine("tape", TapeEngine)

__all__ = [
    "EngineSpecs",
    "ForwardEngine",
    "Grads",
    "Params",
    "PluginWarning",
    "ReverseEngine",
    "TapeEngine",
    "available_backends",
    "checkpointed",
    "default_backend",
    "derivative",
    "diaghessian",
    "get_engine",
    "grad",
    "gradient",
    "hessian",
    "hook",
    "hookimpl",
    "hookspec",
    "hvp",
    "ignore_derivatives",
    "jacobian",
    "jvp",
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
