"""What a function's names are: its parameters, the names it assigns, the functions it
defines, the variables it reads where they may carry a derivative, and what a nested
function captures. The passes ask these questions of the trees they transform.
"""

from __future__ import annotations

import ast

from engine._reverse._markers import Primal

__all__ = [
    "assigned",
    "captured_names",
    "closure_reads",
    "defined_functions",
    "differentiable_reads",
    "parameters",
    "walk_outside_nested",
]


def parameters(args: ast.arguments) -> list[str]:
    names = [a.arg for a in (*args.posonlyargs, *args.args)]
    if args.vararg:
        names.append(args.vararg.arg)
    names.extend(a.arg for a in args.kwonlyargs)
    if args.kwarg:
        names.append(args.kwarg.arg)
    return names


def assigned(tree: ast.FunctionDef) -> set[str]:
    found: set[str] = set()
    for statement in tree.body:
        for node in walk_outside_nested(statement):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                found.add(node.id)
            elif isinstance(node, ast.FunctionDef):
                found.add(node.name)
    return found


def walk_outside_nested(node: ast.AST) -> list[ast.AST]:
    """`node` and its descendants, except the bodies of the functions and lambdas defined
    in it (their statements belong to them: they are transformed when they are called)."""
    if isinstance(node, (ast.FunctionDef, ast.Lambda)):
        return [node]
    return [node, *(n for child in ast.iter_child_nodes(node) for n in walk_outside_nested(child))]


def defined_functions(tree: ast.FunctionDef) -> set[str]:
    """The names that the function binds to functions it defines (`def`, `= lambda`)."""
    found: set[str] = set()
    for statement in tree.body:
        for node in walk_outside_nested(statement):
            if isinstance(node, ast.FunctionDef):
                found.add(node.name)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                found.update(t.id for t in node.targets if isinstance(t, ast.Name))
    return found


def closure_reads(tree: ast.FunctionDef) -> set[str]:
    """The names read by all the functions the function defines (`def`, `= lambda`)."""
    found: set[str] = set()
    for statement in tree.body:
        for node in walk_outside_nested(statement):
            if isinstance(node, ast.FunctionDef):
                found |= captured_names(node)
            elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Lambda):
                found |= captured_names(node.value)
    return found


def differentiable_reads(tree: ast.FunctionDef) -> set[str]:
    """The variables whose values are read where they may carry a derivative: everywhere
    but in `Primal` code (tests, indices), and in the functions defined here."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, Primal):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            found.add(node.id)
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in tree.body:
        visit(statement)
    return found


def captured_names(node: ast.FunctionDef | ast.Lambda) -> set[str]:
    bound = set(parameters(node.args))
    body = node.body if isinstance(node, ast.FunctionDef) else [node.body]
    loaded = {n.id for part in body for n in ast.walk(part) if isinstance(n, ast.Name)}
    return loaded - bound
