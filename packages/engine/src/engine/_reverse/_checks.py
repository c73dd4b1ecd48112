"""Pass 1: refuse, before anything runs, the constructs the reverse engine cannot differentiate.

Each refusal is an `UnsupportedConstructError` with the file and line of the construct and
what to write instead. Mutation (`x[i] = v`, `obj.a = v`, `del`) is refused here; in-place
operators on names (`x += y`) are checked when they run, since only then is it known whether
`x` is a mutable array or an immutable number.
"""

from __future__ import annotations

import ast

from engine._reverse._scopes import walk_outside_nested
from rulescore import UnsupportedConstructError

__all__ = ["check_supported", "is_metadata"]

_MUTATION = (
    "build a new value instead: `np.where(mask, v, x)` or `np.concatenate` for arrays, "
    "`{**d, key: v}` for dicts, `dataclasses.replace(obj, field=v)` for objects"
)

_REFUSED: dict[type[ast.AST], tuple[str, str]] = {
    ast.Try: ("`try` statement", "move the `try` out of the differentiated function"),
    ast.AsyncFunctionDef: ("`async def`", "differentiate synchronous code"),
    ast.AsyncFor: ("`async for`", "differentiate synchronous code"),
    ast.AsyncWith: ("`async with`", "differentiate synchronous code"),
    ast.Await: ("`await`", "differentiate synchronous code"),
    ast.Yield: ("`yield` (a generator function)", "return a list instead"),
    ast.YieldFrom: ("`yield from` (a generator function)", "return a list instead"),
    ast.Global: ("`global` statement", "return the value instead of assigning a global"),
    ast.Nonlocal: ("`nonlocal` statement", "return the value instead of rebinding it"),
    ast.ClassDef: ("class definition", "define the class outside the function"),
    ast.Delete: ("`del` statement", "leave the name unused instead"),
    ast.NamedExpr: ("assignment expression (`:=`)", "assign in a statement of its own"),
    ast.Import: ("`import` statement", "import at module level"),
    ast.ImportFrom: ("`import` statement", "import at module level"),
}
if hasattr(ast, "Match"):
    _REFUSED[ast.Match] = ("`match` statement", "use `if`/`elif`")
if hasattr(ast, "TryStar"):
    _REFUSED[ast.TryStar] = ("`try` statement", "move the `try` out of the differentiated function")


def check_supported(tree: ast.FunctionDef, filename: str, receiver: str | None = None) -> None:
    """Raise `UnsupportedConstructError` at the first construct of `tree` that is refused.

    Nested functions and lambdas are checked when they are called, not here. In a
    constructor (`__init__`, whose first parameter is `receiver`), assigning attributes of
    `receiver` is allowed: the object is new, nobody else sees it yet.
    """
    for statement in tree.body:
        for node in walk_outside_nested(statement):
            _check(node, filename, receiver)


def _check(node: ast.AST, filename: str, receiver: str | None) -> None:
    refused = _REFUSED.get(type(node))
    if refused is not None:
        raise UnsupportedConstructError(filename, node.lineno, *refused)  # type: ignore[attr-defined]
    if isinstance(node, ast.FunctionDef) and node.decorator_list:
        raise UnsupportedConstructError(
            filename,
            node.lineno,
            "a decorated nested function",
            "define it at module level or apply the decorator outside",
        )
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if isinstance(node, ast.Assign) and is_metadata(target):
                continue
            _check_target(target, filename, receiver if isinstance(node, ast.Assign) else None)
    if isinstance(node, (ast.For, ast.comprehension)):
        _check_target(node.target, filename)
    if isinstance(node, ast.With):
        for item in node.items:
            if item.optional_vars is not None and not isinstance(item.optional_vars, ast.Name):
                raise UnsupportedConstructError(
                    filename, node.lineno, "`with ... as` a pattern", "bind a plain name"
                )


_METADATA = frozenset({"__name__", "__qualname__", "__doc__", "__module__"})


def is_metadata(target: ast.expr) -> bool:
    """Whether `target` is a function's name or docstring (`pullback.__name__ = ...`):
    setting it has nothing to differentiate, it runs as written."""
    return isinstance(target, ast.Attribute) and target.attr in _METADATA


def _is_field_of(target: ast.expr, receiver: str | None) -> bool:
    """Whether `target` is `receiver.name` (a constructor setting a field)."""
    return (
        receiver is not None
        and isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == receiver
    )


def _check_target(target: ast.expr, filename: str, receiver: str | None = None) -> None:
    if _is_field_of(target, receiver):
        return  # a constructor setting a field of the object it builds
    if isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _check_target(element, filename, receiver)
    elif isinstance(target, ast.Subscript):
        raise UnsupportedConstructError(
            filename, target.lineno, "assignment to an item (`x[i] = v`, mutation)", _MUTATION
        )
    elif isinstance(target, ast.Attribute):
        raise UnsupportedConstructError(
            filename,
            target.lineno,
            "assignment to an attribute (`obj.a = v`, mutation)",
            _MUTATION,
        )
    elif isinstance(target, ast.Starred):
        raise UnsupportedConstructError(
            filename,
            target.lineno,
            "starred assignment target (`a, *rest = ...`)",
            "index the sequence instead: `a, rest = xs[0], xs[1:]`",
        )
