"""The syntax tree of a Python function, found exactly from its code object.

`function_tree(code)` parses the file the code was compiled from and picks the `def` or
`lambda` whose span holds every instruction of the code object (several lambdas on one line,
inside list or dict literals, nested in each other, are told apart by their columns, not by
line heuristics). A lambda comes back as a `def` whose body returns its expression.
"""

from __future__ import annotations

import ast
import functools
import linecache
import types
from dataclasses import dataclass

from rulescore import MissingRuleError

__all__ = ["GENERATED", "FunctionSource", "function_tree", "has_source"]


@dataclass(frozen=True)
class FunctionSource:
    """A function's tree (a `def`, lambdas converted) and the file it was parsed from."""

    tree: ast.FunctionDef
    filename: str


# The trees of code the engine generated (forward and backward functions), so that they can
# be differentiated again (higher order) although they were never written to a file.
GENERATED: dict[types.CodeType, FunctionSource] = {}


def has_source(f: types.FunctionType) -> bool:
    """Whether the source of `f` can be read (or `f` is code the engine generated)."""
    code = f.__code__
    return code in GENERATED or bool(linecache.getlines(code.co_filename))


def function_tree(code: types.CodeType, f: object) -> FunctionSource:
    """The `FunctionSource` of `code`; `MissingRuleError` naming `f` when there is none."""
    generated = GENERATED.get(code)
    if generated is not None:
        return generated
    lines = linecache.getlines(code.co_filename)
    if not lines:
        raise MissingRuleError.for_callable(f)
    module = _parse(code.co_filename, "".join(lines))
    # Zero-width positions (the entry and a lambda's return) carry no column information.
    spans = [
        (a, b, c, d)
        for a, b, c, d in code.co_positions()
        if a is not None and b is not None and c is not None and d is not None and (a, c) != (b, d)
    ]
    wanted: type[ast.AST] = ast.Lambda if code.co_name == "<lambda>" else ast.FunctionDef
    best: ast.FunctionDef | ast.Lambda | None = None
    for node in ast.walk(module):
        if not isinstance(node, (ast.FunctionDef, ast.Lambda)) or not isinstance(node, wanted):
            continue
        if _holds(node, spans, code) and (best is None or _inside(node, best)):
            best = node
    if best is None:
        raise MissingRuleError.for_callable(f)
    return FunctionSource(_as_def(best), code.co_filename)


@functools.lru_cache(maxsize=16)
def _parse(filename: str, text: str) -> ast.Module:
    return ast.parse(text, filename)


Span = tuple[tuple[int, int], tuple[int, int]]


def _span(node: ast.FunctionDef | ast.Lambda) -> Span:
    end = (node.end_lineno or node.lineno, node.end_col_offset or 0)
    return (node.lineno, node.col_offset), end


def _holds(
    node: ast.FunctionDef | ast.Lambda, spans: list[tuple[int, int, int, int]], code: types.CodeType
) -> bool:
    if isinstance(node, ast.FunctionDef) and node.name != code.co_name:
        return False
    if _parameters(node.args) != code.co_varnames[: len(_parameters(node.args))]:
        return False  # `lambda x: (lambda y: ...)`: the inner one's span holds the outer's code
    start, end = _span(node)
    return all(start <= (a, c) and (b, d) <= end for a, b, c, d in spans)


def _parameters(args: ast.arguments) -> tuple[str, ...]:
    """The parameter names in the order of `co_varnames`: positional, keyword-only, `*args`,
    `**kwargs`."""
    names = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
    names += [a.arg for a in (args.vararg, args.kwarg) if a is not None]
    return tuple(names)


def _inside(node: ast.FunctionDef | ast.Lambda, other: ast.FunctionDef | ast.Lambda) -> bool:
    (start, end), (other_start, other_end) = _span(node), _span(other)
    return other_start <= start and end <= other_end


def _as_def(node: ast.FunctionDef | ast.Lambda) -> ast.FunctionDef:
    if isinstance(node, ast.FunctionDef):
        return node
    body = ast.Return(node.body)
    ast.copy_location(body, node.body)
    fn = ast.FunctionDef(name="<lambda>", args=node.args, body=[body], decorator_list=[])
    if "type_params" in ast.FunctionDef._fields:  # Python >= 3.12
        fn.type_params = []  # type: ignore[attr-defined,unused-ignore]
    return ast.copy_location(fn, node)
