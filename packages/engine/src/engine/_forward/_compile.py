"""The forward engine's code for a Python function: rewritten once per code object
(`_rewrite`), compiled inside a factory whose parameters are the runtime helpers and the
function's free variables, and instantiated with the function's own globals, defaults and
closure cells (so `nonlocal`, recursion and globals behave as in the original).

`is_forward_code(code)` tells the dispatch that a function is already the engine's version
(a nested function or lambda defined by rewritten code), to be called as it is;
`original(f)` gives back the user's function behind such a one (for the reverse engine,
which transforms the user's code, under forward over reverse).
"""

from __future__ import annotations

import ast
import copy
import operator
import types
from collections.abc import Callable
from typing import Any

from engine._forward._rewrite import rewrite
from engine._reverse._names import Names
from engine._reverse._source import function_tree
from engine._syntax import OPERATORS
from engine._transformed import TransformCache, Transformed

__all__ = ["forward_version", "is_forward_code", "original", "transformed"]


# Each code this module made (the engine's version of some function, or a function or
# lambda defined inside one) -> the user's code it was made from, when known.
_originals: dict[types.CodeType, types.CodeType | None] = {}


def is_forward_code(code: types.CodeType) -> bool:
    """Whether `code` was made by this module (the engine's version of some function)."""
    return code in _originals


def original(f: types.FunctionType) -> types.FunctionType:
    """The user's function behind `f`, a function that the engine's code defined (with the
    same closure cells, defaults and globals), for another engine to transform; `f` itself
    for any other function."""
    code = _originals.get(f.__code__)
    if code is None:
        return f
    cells = dict(zip(f.__code__.co_freevars, f.__closure__ or (), strict=True))
    closure = tuple(cells[name] for name in code.co_freevars)
    user = types.FunctionType(code, f.__globals__, f.__name__, f.__defaults__, closure)
    user.__kwdefaults__ = f.__kwdefaults__
    return user


def transformed(f: types.FunctionType) -> Transformed:
    """The `Transformed` of `f`'s code (made once per code object)."""
    found: Transformed = _cache.get(f)
    return found


def forward_version(f: types.FunctionType) -> Callable[..., Any]:
    """`f` rewritten for the forward engine, called like `f`."""
    return transformed(f).instantiate(f)


def _transform(f: types.FunctionType) -> Transformed:
    source = function_tree(f.__code__, f)
    tree = copy.deepcopy(source.tree)  # the rewrite changes nodes in place
    names = Names(tree)
    rewritten = rewrite(tree, names.helper)
    rewritten.name = names.fresh("forward")  # its own name would shadow recursive calls
    helpers = names.helpers()
    freevars = f.__code__.co_freevars
    factory = ast.FunctionDef(
        name="forward_factory",
        args=ast.arguments(
            posonlyargs=[],
            args=[ast.arg(n) for n in (*helpers.values(), *freevars)],
            kwonlyargs=[],
            kw_defaults=[],
            defaults=[],
        ),
        body=[rewritten, ast.Return(ast.Name(rewritten.name, ast.Load()))],
        decorator_list=[],
    )
    if "type_params" in ast.FunctionDef._fields:  # Python >= 3.12
        factory.type_params = []  # type: ignore[attr-defined,unused-ignore]
    module = ast.fix_missing_locations(ast.Module([factory], type_ignores=[]))
    module_code = compile(module, source.filename, "exec")
    factory_code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    code = next(
        c
        for c in factory_code.co_consts
        if isinstance(c, types.CodeType) and c.co_name == rewritten.name
    )
    # Tracebacks and argument errors name the user's function, not the generated one.
    code = code.replace(co_name=f.__code__.co_name, co_qualname=f.__code__.co_qualname)
    _remember(code, f.__code__)
    values = _runtime_helpers()
    cells = {identifier: types.CellType(values[name]) for name, identifier in helpers.items()}
    return Transformed(ast.unparse(rewritten), code, cells)


def _remember(code: types.CodeType, source: types.CodeType | None) -> None:
    """Record `code` and the codes nested in it, paired with those of `source` (the nested
    functions keep their order, names and first lines through the rewrite)."""
    pending: list[tuple[types.CodeType, types.CodeType | None]] = [(code, source)]
    while pending:
        current, source = pending.pop()
        _originals[current] = source
        nested = [c for c in current.co_consts if isinstance(c, types.CodeType)]
        known = [c for c in source.co_consts if isinstance(c, types.CodeType)] if source else []
        if [_identity(c) for c in nested] == [_identity(c) for c in known]:
            pending.extend(zip(nested, known, strict=True))
        else:
            pending.extend((c, None) for c in nested)


def _identity(code: types.CodeType) -> tuple[str, int]:
    return code.co_name, code.co_firstlineno


def _runtime_helpers() -> dict[str, Any]:
    # Imported here: the dispatch imports this module.
    from engine._forward import _dispatch

    return {
        "call": _dispatch.call,
        "call_method": _dispatch.call_method,
        "get_attr": _dispatch.get_attr,
        "get_item": _dispatch.get_item,
        "set_item": _dispatch.set_item,
        "update": _dispatch.update,
        **{name: getattr(operator, name) for name in OPERATORS.values()},
    }


_cache = TransformCache(_transform)
