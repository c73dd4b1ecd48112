"""Pass 3: replace `break`, `continue` and early `return` by flags, so that every block runs
to its end and the backward pass can replay blocks whole.

A statement that may jump sets a flag (`broke`, `skipped`, `returned`); the statements after
it in its block run under `if not flag`; a loop whose body may break or return ends each
iteration with `if broke: break` (a plain exit, nothing to differentiate); a loop's `else`
runs under `if not broke`. Afterwards the function has one `return`, its last statement.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass

from engine._reverse._markers import Primal
from engine._reverse._names import Names
from engine._reverse._scopes import walk_outside_nested

__all__ = ["remove_jumps"]


@dataclass
class _Loop:
    broke: str
    skipped: str
    breaks: bool = False
    continues: bool = False


class _Remover:
    def __init__(self, names: Names, returns_early: bool) -> None:
        self.names = names
        self.returned = names.fresh("returned") if returns_early else ""
        self.result = names.fresh("result") if returns_early else ""

    def block(
        self, statements: list[ast.stmt], loop: _Loop | None
    ) -> tuple[list[ast.stmt], set[str]]:
        out: list[ast.stmt] = []
        for position, statement in enumerate(statements):
            new, sets = self.statement(statement, loop)
            out.extend(new)
            if sets:
                rest, rest_sets = self.block(statements[position + 1 :], loop)
                if rest:
                    out.append(_if(_none_of(sorted(sets)), rest, statement))
                return out, sets | rest_sets
        return out, set()

    def statement(self, node: ast.stmt, loop: _Loop | None) -> tuple[list[ast.stmt], set[str]]:
        if isinstance(node, ast.Break):
            assert loop is not None
            loop.breaks = True
            return [_set(loop.broke, node)], {loop.broke}
        if isinstance(node, ast.Continue):
            assert loop is not None
            loop.continues = True
            return [_set(loop.skipped, node)], {loop.skipped}
        if isinstance(node, ast.Return) and self.returned:
            value = node.value or ast.Constant(None)
            assign = ast.copy_location(ast.Assign([_store(self.result)], value), node)
            return [assign, _set(self.returned, node)], {self.returned}
        if isinstance(node, ast.If):
            body, body_sets = self.block(node.body, loop)
            orelse, orelse_sets = self.block(node.orelse, loop)
            new = ast.copy_location(ast.If(node.test, body or [ast.Pass()], orelse), node)
            return [new], body_sets | orelse_sets
        if isinstance(node, (ast.For, ast.While)):
            return self.loop(node)
        if isinstance(node, ast.With):
            body, sets = self.block(node.body, loop)
            return [ast.copy_location(ast.With(node.items, body or [ast.Pass()]), node)], sets
        return [node], set()

    def loop(self, node: ast.For | ast.While) -> tuple[list[ast.stmt], set[str]]:
        inner = _Loop(self.names.fresh("broke"), self.names.fresh("skipped"))
        body, sets = self.block(node.body, inner)
        returns = self.returned in sets
        if inner.continues:
            body.insert(0, _set(inner.skipped, node, value=False))
        exits = ([inner.broke] if inner.breaks else []) + ([self.returned] if returns else [])
        if exits:
            body.append(_if(_any_of(exits), [ast.Break()], node))
        new = copy.copy(node)
        new.body, new.orelse = body, []
        out: list[ast.stmt] = []
        if inner.breaks:
            out.append(_set(inner.broke, node, value=False))
        out.append(new)
        if node.orelse:
            orelse, orelse_sets = self.block(node.orelse, None)
            out.append(_if(_none_of(exits), orelse, node) if exits else orelse[0])
            out.extend([] if exits else orelse[1:])
            sets |= orelse_sets
        return out, {self.returned} if returns or self.returned in sets else set()


def remove_jumps(tree: ast.FunctionDef, names: Names) -> ast.FunctionDef:
    """`tree` (in the form of pass 2) without jumps; a new tree."""
    body = tree.body
    final = body[-1] if body and isinstance(body[-1], ast.Return) else None
    early = any(
        isinstance(n, ast.Return) and n is not final for s in body for n in walk_outside_nested(s)
    )
    remover = _Remover(names, early)
    result = copy.copy(tree)
    if not early:
        new, _ = remover.block(body[:-1] if final else body, None)
        end = final or ast.copy_location(ast.Return(ast.Constant(None)), body[-1] if body else tree)
        result.body = [*new, end]
        return result
    start = [
        _set(remover.returned, tree, value=False),
        ast.copy_location(ast.Assign([_store(remover.result)], ast.Constant(None)), tree),
    ]
    new, _ = remover.block(body, None)
    end = ast.copy_location(ast.Return(ast.Name(remover.result, ast.Load())), body[-1])
    result.body = [*start, *new, end]
    return result


def _set(flag: str, like: ast.AST, value: bool = True) -> ast.stmt:
    return ast.copy_location(ast.Assign([_store(flag)], Primal(ast.Constant(value))), like)


def _store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def _any_of(flags: list[str]) -> ast.expr:
    names: list[ast.expr] = [ast.Name(f, ast.Load()) for f in flags]
    return names[0] if len(names) == 1 else ast.BoolOp(ast.Or(), names)


def _none_of(flags: list[str]) -> ast.expr:
    return ast.UnaryOp(ast.Not(), _any_of(flags))


def _if(test: ast.expr, body: list[ast.stmt], like: ast.AST) -> ast.stmt:
    return ast.copy_location(ast.If(Primal(test), body, []), like)
