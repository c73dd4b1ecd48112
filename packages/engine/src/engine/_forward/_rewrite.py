"""The forward engine's one pass: every operation of a function goes through the dispatch.

Forward mode needs no backward pass and no record of control flow: the code runs as
written, with duals (`_dual.Dual`) where values carry tangents. So the pass keeps the
function's statements and only rewrites the operations that may meet a dual:

- calls `f(a, *b, k=c)` -> `call(f, a, *b, k=c)`; method calls `o.m(a)` -> `call_method(o,
  "m", a)`; operators `a + b`, `-a` -> `call(add, a, b)`, `call(neg, a)`;
- attribute reads `o.a` -> `get_attr(o, "a")`, subscripts `x[i]` -> `get_item(x, i)`;
- stores into subscripts `x[i] = v` -> `set_item(x, i, v)` (refused for arrays carrying
  derivatives), augmented assignments `x += v` -> `x = update("add", x, v)`;
- zero-argument `super()` -> `super(__class__, self)`, since the code is compiled outside
  its class.

Comparisons, `and`/`or`, `if`, loops, `try`, `with`, generators, nested functions and
comprehensions stay as they are: a dual compares, tests and iterates like its primal.
"""

from __future__ import annotations

import ast
from typing import Any

from engine._syntax import OPERATORS

__all__ = ["rewrite"]


def rewrite(tree: ast.FunctionDef, helper: Any) -> ast.FunctionDef:
    """`tree` with its operations routed through the dispatch; `helper(name)` gives the
    identifier under which the code sees runtime helper `name` (`call`, `add`, ...)."""
    first = tree.args.posonlyargs + tree.args.args
    receiver = first[0].arg if first else None
    result = _Rewriter(helper, receiver).visit(tree)
    result.decorator_list = []
    return ast.fix_missing_locations(result)  # type: ignore[no-any-return]


class _Rewriter(ast.NodeTransformer):
    def __init__(self, helper: Any, receiver: str | None) -> None:
        self._helper = helper
        self._receiver = receiver

    def _name(self, helper: str, node: ast.AST) -> ast.Name:
        return ast.copy_location(ast.Name(self._helper(helper), ast.Load()), node)

    def _call(self, helper: str, args: list[ast.expr], node: ast.AST, **kw: Any) -> ast.Call:
        keywords = kw.get("keywords", [])
        return ast.copy_location(ast.Call(self._name(helper, node), args, keywords), node)

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "super":
            if not node.args and self._receiver is not None:
                node.args = [
                    ast.Name("__class__", ast.Load()),
                    ast.Name(self._receiver, ast.Load()),
                ]
            return node
        args = [self.visit(a) for a in node.args]
        keywords = [self.visit(k) for k in node.keywords]
        func = node.func
        if isinstance(func, ast.Attribute) and isinstance(func.ctx, ast.Load):
            target = self.visit(func.value)
            name = ast.copy_location(ast.Constant(func.attr), func)
            return self._call("call_method", [target, name, *args], node, keywords=keywords)
        return self._call("call", [self.visit(func), *args], node, keywords=keywords)

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        operands = [self.visit(node.left), self.visit(node.right)]
        return self._call("call", [self._name(OPERATORS[type(node.op)], node), *operands], node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> ast.AST:
        if isinstance(node.op, ast.Not):
            return self.generic_visit(node)
        operand = self.visit(node.operand)
        return self._call("call", [self._name(OPERATORS[type(node.op)], node), operand], node)

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        name = ast.copy_location(ast.Constant(node.attr), node)
        return self._call("get_attr", [self.visit(node.value), name], node)

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:
        if not isinstance(node.ctx, ast.Load):
            return self.generic_visit(node)
        return self._call("get_item", [self.visit(node.value), self.visit(node.slice)], node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        value = self.visit(node.value)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            store = self._call(
                "set_item", [self.visit(target.value), self.visit(target.slice), value], node
            )
            return ast.copy_location(ast.Expr(store), node)
        node.targets = [self.visit(t) for t in node.targets]
        node.value = value
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.AST:
        operation = ast.copy_location(ast.Constant(OPERATORS[type(node.op)]), node)
        value = self.visit(node.value)
        target = node.target
        if isinstance(target, ast.Name):
            current: ast.expr = ast.Name(target.id, ast.Load())
            updated = self._call("update", [operation, current, value], node)
            return ast.copy_location(ast.Assign([target], updated), node)
        if isinstance(target, ast.Attribute):
            owner = self.visit(target.value)
            current = self._call("get_attr", [owner, ast.Constant(target.attr)], node)
            updated = self._call("update", [operation, current, value], node)
            store = ast.Attribute(owner, target.attr, ast.Store())
            return ast.copy_location(ast.Assign([store], updated), node)
        assert isinstance(target, ast.Subscript)
        owner, index = self.visit(target.value), self.visit(target.slice)
        current = self._call("get_item", [owner, index], node)
        updated = self._call("update", [operation, current, value], node)
        return ast.copy_location(
            ast.Expr(self._call("set_item", [owner, index, updated], node)), node
        )
