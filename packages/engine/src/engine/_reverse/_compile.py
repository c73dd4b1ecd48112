"""The pipeline: source -> checks -> flat form -> no jumps -> forward/backward module ->
code, cached per code object; and the step that makes a callable forward function from a
user's function object (its defaults, its closure cells, the runtime helpers).

Set `ENGINE_DEBUG_PASSES=1` in the environment to print the code after each pass.
"""

from __future__ import annotations

import ast
import copy
import operator
import os
import types
from collections.abc import Callable
from typing import Any

from engine._reverse import _runtime
from engine._reverse._adjoint import generate
from engine._reverse._anf import flatten
from engine._reverse._checks import check_supported
from engine._reverse._jumps import remove_jumps
from engine._reverse._markers import Primal, RuntimeRef
from engine._reverse._names import Names
from engine._reverse._source import GENERATED, FunctionSource, function_tree
from engine._transformed import TransformCache, Transformed

__all__ = ["forward_function", "transformed"]


def transformed(f: types.FunctionType) -> Transformed:
    """The `Transformed` of `f`'s code (made once per code object)."""
    found: Transformed = _cache.get(f)
    return found


def forward_function(f: types.FunctionType) -> Callable[..., Any]:
    """`f`'s forward function: called like `f`, it returns `(y, back)`."""
    return transformed(f).instantiate(f)


def _transform(f: types.FunctionType) -> Transformed:
    source = function_tree(f.__code__, f)
    tree, filename = source.tree, source.filename
    debug = bool(os.environ.get("ENGINE_DEBUG_PASSES"))
    receiver = _constructor_receiver(f)
    check_supported(tree, filename, receiver)
    names = Names(tree, reserved=f.__code__.co_freevars)
    flat = flatten(tree, names, filename, receiver)
    _show("flatten", flat, debug)
    jump_free = remove_jumps(flat, names)
    _show("remove_jumps", jump_free, debug)
    generated = generate(jump_free, names, f.__code__.co_freevars)
    text = ast.unparse(generated.module)
    if debug:
        print(f"== generate\n{text}")
    module_code = compile(generated.module, filename, "exec")
    factory_code = next(c for c in module_code.co_consts if isinstance(c, types.CodeType))
    code = next(
        c
        for c in factory_code.co_consts
        if isinstance(c, types.CodeType) and c.co_name == generated.function
    )
    _remember_trees(code, generated.module, filename)
    values = _runtime_helpers()
    cells = {
        identifier: types.CellType(values[helper])
        for helper, identifier in generated.helpers.items()
    }
    return Transformed(text, code, cells)


def _constructor_receiver(f: types.FunctionType) -> str | None:
    """The first parameter of an `__init__` (whose generated code returns the object)."""
    code = f.__code__
    if code.co_name == "__init__" and code.co_argcount and "." in f.__qualname__:
        return code.co_varnames[0]
    return None


def _remember_trees(code: types.CodeType, module: ast.Module, filename: str) -> None:
    """Record the trees of the generated forward function and of the functions it defines
    (its pullback), by code object, for `function_tree` (differentiating them again)."""
    definitions = {
        node.name: node
        for node in ast.walk(module)
        if isinstance(node, ast.FunctionDef) and node is not module.body[0]
    }
    pending = [code]
    while pending:
        current = pending.pop()
        tree = definitions.get(current.co_name)
        if tree is not None:
            GENERATED[current] = FunctionSource(tree, filename)
        pending.extend(c for c in current.co_consts if isinstance(c, types.CodeType))


def _show(name: str, tree: ast.FunctionDef, debug: bool) -> None:
    if debug:
        print(f"== {name}\n{ast.unparse(_Markers().visit(copy.deepcopy(tree)))}")


class _Markers(ast.NodeTransformer):
    """Pass markers as calls, so that `ast.unparse` can print them."""

    def visit_Primal(self, node: Primal) -> ast.AST:
        return ast.Call(ast.Name("primal", ast.Load()), [self.visit(node.value)], [])

    def visit_RuntimeRef(self, node: RuntimeRef) -> ast.AST:
        return ast.Name(node.name, ast.Load())


def _runtime_helpers() -> dict[str, Any]:
    # Imported here: `_dispatch` and `_objects` import this module.
    from engine._reverse import _dispatch, _objects, _primitives, _substitutes

    return {
        "call": _dispatch.call,
        "call1": _dispatch.call1,
        "call2": _dispatch.call2,
        "call_method": _dispatch.call_method,
        "get_attr": _dispatch.get_attr,
        "acc": _runtime.acc,
        "Z": _runtime.Z,
        "NO": _runtime.NO,
        "getitem": operator.getitem,
        "slice": slice,
        "setattr": setattr,
        "make_tuple": _primitives.make_tuple,
        "make_list": _primitives.make_list,
        "make_dict": _primitives.make_dict,
        "append": _primitives.append,
        "set_item": _primitives.set_item,
        "set_field": _primitives.set_field,
        "call_super": _objects.call_super,
        "call_init": _objects.call_init,
        "as_sequence": _primitives.as_sequence,
        "to_tuple": _substitutes.tuple_,
        "to_list": _substitutes.list_,
        "gathered": _primitives.gathered,
        "check_not_inplace": _runtime.check_not_inplace,
        "swallowed": _runtime.swallowed,
        "check_context_value": _runtime.check_context_value,
        "closure_part": _runtime.closure_part,
        "closure_tangent": _runtime.closure_tangent,
        "kw_part": _runtime.kw_part,
        "kw_rest": _runtime.kw_rest,
        "star_part": _runtime.star_part,
        "to_params": _runtime.to_params,
        **{
            name: getattr(operator, name)
            for name in (
                "add",
                "sub",
                "mul",
                "matmul",
                "truediv",
                "floordiv",
                "mod",
                "pow",
                "lshift",
                "rshift",
                "or_",
                "xor",
                "and_",
                "neg",
                "pos",
            )
        },
    }


_cache = TransformCache(_transform)
