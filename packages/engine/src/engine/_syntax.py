"""What the source-to-source engines' passes share about Python's syntax: the `operator`
function of each arithmetic operator node of the tree.

>>> import ast
>>> OPERATORS[type(ast.parse("a @ b").body[0].value.op)]
'matmul'
"""

from __future__ import annotations

import ast

__all__ = ["OPERATORS"]

OPERATORS: dict[type[ast.AST], str] = {
    ast.Add: "add",
    ast.Sub: "sub",
    ast.Mult: "mul",
    ast.MatMult: "matmul",
    ast.Div: "truediv",
    ast.FloorDiv: "floordiv",
    ast.Mod: "mod",
    ast.Pow: "pow",
    ast.LShift: "lshift",
    ast.RShift: "rshift",
    ast.BitOr: "or_",
    ast.BitXor: "xor",
    ast.BitAnd: "and_",
    ast.USub: "neg",
    ast.UAdd: "pos",
    ast.Invert: "invert",
}
