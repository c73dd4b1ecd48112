"""Pass 4: from a flat, jump-free function, the forward code that records pullbacks and the
backward code that replays them, as one plain Python module.

For `def f(x): ...` the result is

    def make_f(call, acc, Z, ..., <f's free variables>):   # runtime helpers, closure cells
        def f_forward(x):
            ...                        # f's statements, each operation through `call`
            def back(dy):              # its pullback: the statements' adjoints, reversed
                ...
                return (df, dx)
            return y, back
        return f_forward

Each operation `y = op(a, b)` becomes `y, back3 = call(op, a, b)` forward and, backward,
`if back3 is not None and dy is not Z: g = back3(dy); dy = Z; da = acc(da, g[1]); ...`.
Outside loops, pullbacks and branch flags stay in locals that `back` reads; inside loops they
are pushed on a linked stack of tuples (`stack = (back3, stack)`), popped in reverse order,
so that memory is linear in the trip count and nothing recurses. A `for` loop records its
sequence and trip count, a `while` loop its trip count, an `if` the branch it took; in the
backward pass a `for` loop gathers its items' cotangents as a linked list `(k, d_item, rest)`,
turned into the sequence's cotangent by the runtime's `gathered`.
Adjoints are named after their variables (`dx` for `x`); every one starts at `Z`
(`ZeroTangent()`), and a statement's pullback is skipped while its output's adjoint is zero.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine._reverse._markers import Primal, RuntimeRef
from engine._reverse._names import Names
from engine._reverse._scopes import (
    assigned,
    captured_names,
    closure_reads,
    defined_functions,
    differentiable_reads,
    parameters,
)
from engine._syntax import OPERATORS

__all__ = ["Generated", "generate"]


@dataclass
class Generated:
    """The module made by `generate` and what is needed to build functions from it."""

    module: ast.Module
    function: str  # the name of the forward function inside the factory
    helpers: dict[str, str]  # runtime helper -> identifier, in the factory's parameter order


@dataclass
class _Code:
    forward: list[ast.stmt]
    backward: list[ast.stmt]  # in backward order already


def generate(tree: ast.FunctionDef, names: Names, freevars: tuple[str, ...]) -> Generated:
    """The forward/backward module of `tree` (flat, jump-free; see passes 2 and 3)."""
    return _Generator(tree, names, freevars).module()


class _Generator:
    def __init__(self, tree: ast.FunctionDef, names: Names, freevars: tuple[str, ...]) -> None:
        self.tree = tree
        self.names = names
        self.freevars = freevars
        self.params = parameters(tree.args)
        self.assigned = assigned(tree) | set(self.params)
        self.active = differentiable_reads(tree)
        self.closures = defined_functions(tree)
        self.closure_reads = closure_reads(tree)
        # One name for every pullback's result: each call drops the previous result, so
        # that an adjoint array it held becomes exclusively the adjoint's (see `acc`).
        self.grads = names.exact("g")
        self.stack = names.exact("stack")
        self.tape = names.exact("tape")
        self.uses_stack = False

    # -- names --------------------------------------------------------------------------------

    def helper(self, name: str) -> ast.Name:
        return ast.Name(self.names.helper(name), ast.Load())

    def unwrap(self, node: ast.AST) -> Any:
        return _Unwrap(self.helper).visit(node)

    def d(self, variable: str) -> str:
        return self.names.adjoint(variable)

    # -- module -------------------------------------------------------------------------------

    def module(self) -> Generated:
        *body, final = self.tree.body
        assert isinstance(final, ast.Return)
        returned = final.value
        code = self.block(body, in_loop=False)
        seed = self.names.exact("dy")
        back_name = self.names.exact("back")
        seeded = returned.id if isinstance(returned, ast.Name) else None
        if seeded is not None:
            self.d(seeded)
        result = self.backward_result()
        backward: list[ast.stmt] = []
        if self.uses_stack:
            backward.append(_assign(self.tape, _load(self.stack)))
        for variable, adjoint in sorted(self.names.adjoints().items()):
            backward.append(
                _assign(adjoint, _load(seed) if variable == seeded else self.helper("Z"))
            )
        backward += code.backward + result
        backward = _without_dead_zeros(backward, set(self.names.adjoints().values()))
        back = _function(back_name, _arguments([seed]), backward)
        forward: list[ast.stmt] = []
        if self.uses_stack:
            forward.append(_assign(self.stack, ast.Constant(None)))
        forward += [*code.forward, back]
        returned_value = returned or ast.Constant(None)
        forward.append(ast.Return(ast.Tuple([returned_value, _load(back_name)], ast.Load())))
        base = self.tree.name if self.tree.name.isidentifier() else "lambda"
        function = _function(
            self.names.exact(f"{base}_forward"), _without_defaults(self.tree.args), forward
        )
        factory_name = self.names.exact(f"make_{base}")
        helpers = self.names.helpers()
        factory = _function(
            factory_name,
            _arguments([*helpers.values(), *self.freevars]),
            [function, ast.Return(_load(function.name))],
        )
        module = ast.Module([factory], type_ignores=[])
        _locate(module, self.tree)
        return Generated(module, function.name, helpers)

    def backward_result(self) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        adjoints = self.names.adjoints()
        globals_ = sorted(v for v in adjoints if v not in self.assigned and v not in self.freevars)
        for variable in globals_:
            out.append(
                _call_stmt(self.helper("to_params"), [_load(variable), _load(adjoints[variable])])
            )
        closure: ast.expr = self.helper("NO")
        captured = [v for v in self.freevars if v in adjoints]
        if captured:
            closure = ast.Call(
                self.helper("closure_tangent"),
                [],
                [ast.keyword(v, _load(adjoints[v])) for v in captured],
            )
        cotangents = [closure] + [
            _load(adjoints[p]) if p in adjoints else self.helper("Z") for p in self.params
        ]
        out.append(ast.Return(ast.Tuple(cotangents, ast.Load())))
        return out

    # -- statements ---------------------------------------------------------------------------

    def block(self, statements: list[ast.stmt], in_loop: bool) -> _Code:
        forward: list[ast.stmt] = []
        backward: list[ast.stmt] = []
        for statement in statements:
            code = self.statement(statement, in_loop)
            for node in (*code.forward, *code.backward):
                _stamp(node, statement)  # errors and tracebacks name the user's line
            forward.extend(code.forward)
            backward[:0] = code.backward
        return _Code(forward, backward)

    def statement(self, node: ast.stmt, in_loop: bool) -> _Code:
        if isinstance(node, ast.Assign):
            target = node.targets[0]
            assert isinstance(target, ast.Name)
            return self.assign(target.id, node.value, in_loop)
        if isinstance(node, ast.FunctionDef):
            return _Code([node], self.closure_adjoint(node.name, node))
        if isinstance(node, ast.If):
            return self.branch(node, in_loop)
        if isinstance(node, ast.For):
            return self.for_loop(node, in_loop)
        if isinstance(node, ast.While):
            return self.while_loop(node, in_loop)
        if isinstance(node, ast.With):
            return self.with_block(node, in_loop)
        return _Code([self.unwrap(node)], [])  # raise, assert, pass, break, primal expressions

    def record(self, name: str, in_loop: bool) -> tuple[list[ast.stmt], list[ast.stmt]]:
        """Keep `name`'s value for the backward pass: forward and backward statements."""
        if not in_loop:
            return [], []
        self.uses_stack = True
        push = _assign(self.stack, ast.Tuple([_load(name), _load(self.stack)], ast.Load()))
        pop = ast.Assign(
            [ast.Tuple([_store(name), _store(self.tape)], ast.Store())], _load(self.tape)
        )
        return [push], [pop]

    def assign(self, target: str, value: ast.expr, in_loop: bool) -> _Code:
        dt = self.d(target)
        zero = self.helper("Z")
        if isinstance(value, ast.Name):
            if value.id == target:
                return _Code([_assign(target, value)], [])
            backward = [
                _assign(self.d(value.id), self.acc(value.id, _load(dt))),
                _assign(dt, zero),
            ]
            return _Code([_assign(target, value)], backward)
        if isinstance(value, (ast.Constant, Primal)):
            return _Code([_assign(target, self.unwrap(value))], [_assign(dt, zero)])
        if isinstance(value, ast.Lambda):
            return _Code([_assign(target, value)], self.closure_adjoint(target, value))
        back = self.names.fresh("back")
        grads = self.grads
        operation, inputs = self.operation(value, _load(grads))
        forward: list[ast.stmt] = [
            ast.Assign([ast.Tuple([_store(target), _store(back)], ast.Store())], operation)
        ]
        push, pop = self.record(back, in_loop)
        forward.extend(push)
        apply = [
            _assign(grads, ast.Call(_load(back), [_load(dt)], [])),
            _assign(dt, zero),
        ]
        for variable, part in inputs:
            apply.append(_assign(self.d(variable), self.acc(variable, part)))
        test = ast.BoolOp(
            ast.And(),
            [
                ast.Compare(_load(back), [ast.IsNot()], [ast.Constant(None)]),
                ast.Compare(_load(dt), [ast.IsNot()], [zero]),
            ],
        )
        backward = [*pop, ast.If(test, apply, [_assign(dt, zero)])]
        return _Code(forward, backward)

    def acc(self, variable: str, value: ast.expr) -> ast.expr:
        return ast.Call(self.helper("acc"), [_load(self.d(variable)), value], [])

    def operation(
        self, value: ast.expr, g: ast.expr
    ) -> tuple[ast.expr, list[tuple[str, ast.expr]]]:
        """The runtime call computing `value` and, per input variable, its cotangent read
        from the pullback's result `g`."""
        call = self.helper("call")
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
            receiver = value.func.value
            args = [receiver, ast.Constant(value.func.attr), *value.args]
            inputs = _inputs([receiver], g, 0) + self.arguments_inputs(value, g)
            return ast.Call(self.helper("call_method"), args, value.keywords), inputs
        if isinstance(value, ast.Call):
            func = value.func
            arguments = self.arguments_inputs(value, g)
            if isinstance(func, RuntimeRef):
                helper = self.helper(func.name)
                return ast.Call(call, [helper, *value.args], value.keywords), arguments
            inputs = _inputs([func], g, 0) + arguments
            simple = not value.keywords and not any(isinstance(a, ast.Starred) for a in value.args)
            if simple and len(value.args) in (1, 2):
                call = self.helper(f"call{len(value.args)}")
            return ast.Call(call, [func, *value.args], value.keywords), inputs
        if isinstance(value, ast.Attribute):
            args = [value.value, ast.Constant(value.attr)]
            return ast.Call(self.helper("get_attr"), args, []), _inputs([value.value], g, 0)
        if isinstance(value, ast.Subscript):
            index = self.index(self.unwrap(value.slice))
            args = [self.helper("getitem"), value.value, index]
            return ast.Call(call, args, []), _inputs([value.value], g, 1)
        if isinstance(value, ast.BinOp):
            op = self.helper(OPERATORS[type(value.op)])
            operands = [value.left, value.right]
            return ast.Call(self.helper("call2"), [op, *operands], []), _inputs(operands, g, 1)
        if isinstance(value, ast.UnaryOp):
            op = self.helper(OPERATORS[type(value.op)])
            operand = value.operand
            return ast.Call(self.helper("call1"), [op, operand], []), _inputs([operand], g, 1)
        if isinstance(value, (ast.Tuple, ast.List)):
            make = self.helper("make_tuple" if isinstance(value, ast.Tuple) else "make_list")
            return ast.Call(call, [make, *value.elts], []), _inputs(value.elts, g, 1)
        if isinstance(value, ast.Dict):
            keys = ast.Tuple(
                [ast.Constant(None) if k is None else k for k in value.keys], ast.Load()
            )
            args = [self.helper("make_dict"), keys, *value.values]
            return ast.Call(call, args, []), _inputs(value.values, g, 2)
        raise AssertionError(f"not a flat operation: {ast.dump(value)}")

    def index(self, node: ast.expr) -> ast.expr:
        """An index as a value that can be passed to a call: `a:b` becomes `slice(a, b)`."""
        if isinstance(node, ast.Slice):
            parts = [node.lower, node.upper, node.step]
            args = [ast.Constant(None) if p is None else p for p in parts]
            return ast.Call(self.helper("slice"), args, [])
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self.index(e) for e in node.elts], ast.Load())
        return node

    def arguments_inputs(self, call: ast.Call, g: ast.expr) -> list[tuple[str, ast.expr]]:
        """The cotangents of a call's arguments in the pullback's result `g`: `g[1 + i]` for
        the i-th positional one, the part of `g` a `*args` covers, keyword cotangents from
        `g.kw` (see `kw_part`, `kw_rest`)."""
        found: list[tuple[str, ast.expr]] = []
        args = call.args
        star = next((i for i, a in enumerate(args) if isinstance(a, ast.Starred)), None)
        for position, arg in enumerate(args):
            if isinstance(arg, ast.Starred) and isinstance(arg.value, ast.Name):
                trailing = ast.Constant(len(args) - position - 1)
                part = ast.Call(
                    self.helper("star_part"),
                    [g, ast.Constant(1 + position), trailing, _load(arg.value.id)],
                    [],
                )
                found.append((arg.value.id, part))
            elif isinstance(arg, ast.Name):
                after_star = star is not None and position > star
                index = position - len(args) if after_star else 1 + position
                found.append((arg.id, _index(g, index)))
        explicit = ast.Tuple([ast.Constant(k.arg) for k in call.keywords if k.arg], ast.Load())
        for keyword in call.keywords:
            if not isinstance(keyword.value, ast.Name):
                continue
            if keyword.arg is None:
                part = ast.Call(self.helper("kw_rest"), [g, explicit], [])
            else:
                part = ast.Call(self.helper("kw_part"), [g, ast.Constant(keyword.arg)], [])
            found.append((keyword.value.id, part))
        return found

    def closure_adjoint(self, name: str, node: ast.FunctionDef | ast.Lambda) -> list[ast.stmt]:
        """Hand the tangent of a function defined here to the variables it captured. Calls
        among the functions defined here (recursion, mutual recursion) nest their tangents in
        each other: those nested parts are followed down, never handed on twice."""
        reachable = self.assigned | set(self.freevars)
        # What `name` reads itself or through the functions of this scope that it calls.
        reads = captured_names(node) | (self.closure_reads if name in self.closures else set())
        captured = sorted((reads & reachable) - self.closures - {name})
        through = ast.Tuple([ast.Constant(n) for n in sorted(self.closures | {name})], ast.Load())
        dg = self.d(name)
        out: list[ast.stmt] = []
        for variable in captured:
            part = ast.Call(
                self.helper("closure_part"), [_load(dg), ast.Constant(variable), through], []
            )
            out.append(_assign(self.d(variable), self.acc(variable, part)))
        out.append(_assign(dg, self.helper("Z")))
        return out

    def branch(self, node: ast.If, in_loop: bool) -> _Code:
        body = self.block(node.body, in_loop)
        orelse = self.block(node.orelse, in_loop)
        test = self.unwrap(node.test)
        if not body.backward and not orelse.backward:
            return _Code([ast.If(test, body.forward or [ast.Pass()], orelse.forward)], [])
        flag = self.names.fresh("took")
        push, pop = self.record(flag, in_loop)
        then = [*body.forward, _assign(flag, ast.Constant(True)), *push]
        other = [*orelse.forward, _assign(flag, ast.Constant(False)), *push]
        backward = [*pop, ast.If(_load(flag), body.backward or [ast.Pass()], orelse.backward)]
        return _Code([ast.If(test, then, other)], backward)

    def for_loop(self, node: ast.For, in_loop: bool) -> _Code:
        assert isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Name)
        item, sequence = node.target.id, node.iter.id
        body = self.block(node.body, in_loop=True)
        item_active = item in self.active
        if not body.backward and not item_active:
            return _Code([ast.For(node.target, node.iter, body.forward or [ast.Pass()], [])], [])
        count = self.names.fresh("count")
        forward: list[ast.stmt] = [
            _assign(count, ast.Constant(0)),
            ast.For(node.target, node.iter, [_increment(count), *body.forward], []),
        ]
        push_sequence, pop_sequence = self.record(sequence, in_loop)
        push_count, pop_count = self.record(count, in_loop)
        forward += push_sequence + push_count
        index = self.names.fresh("k")
        loop_body = list(body.backward)
        backward: list[ast.stmt] = [*pop_count, *pop_sequence]
        if item_active:
            # The items' cotangents, gathered as a linked list `(k, d_item, rest)`.
            items = self.names.fresh("items")
            backward.append(_assign(items, ast.Constant(None)))
            gather = ast.Tuple([_load(index), _load(self.d(item)), _load(items)], ast.Load())
            loop_body.append(
                ast.If(
                    ast.Compare(_load(self.d(item)), [ast.IsNot()], [self.helper("Z")]),
                    [_assign(items, gather), _assign(self.d(item), self.helper("Z"))],
                    [],
                )
            )
        reverse = ast.Call(
            ast.Name("range", ast.Load()),
            [
                ast.BinOp(_load(count), ast.Sub(), ast.Constant(1)),
                ast.Constant(-1),
                ast.Constant(-1),
            ],
            [],
        )
        backward.append(ast.For(_store(index), reverse, loop_body or [ast.Pass()], []))
        if item_active:
            total = ast.Call(self.helper("gathered"), [_load(sequence), _load(items)], [])
            backward.append(_assign(self.d(sequence), self.acc(sequence, total)))
        return _Code(forward, backward)

    def with_block(self, node: ast.With, in_loop: bool) -> _Code:
        """Forward inside the context managers; the body must run to its end (a manager that
        swallowed an exception would leave records the backward pass cannot replay)."""
        body = self.block(node.body, in_loop)
        items = [ast.withitem(self.unwrap(i.context_expr), i.optional_vars) for i in node.items]
        checks: list[ast.stmt] = [
            ast.Expr(ast.Call(self.helper("check_context_value"), [_load(i.optional_vars.id)], []))
            for i in node.items
            if isinstance(i.optional_vars, ast.Name)
        ]
        body = _Code(checks + body.forward, body.backward)
        if not body.backward:
            return _Code([ast.With(items, body.forward or [ast.Pass()])], [])
        done = self.names.fresh("completed")
        forward: list[ast.stmt] = [
            _assign(done, ast.Constant(False)),
            ast.With(items, [*body.forward, _assign(done, ast.Constant(True))]),
            ast.If(
                ast.UnaryOp(ast.Not(), _load(done)),
                [ast.Expr(ast.Call(self.helper("swallowed"), [], []))],
                [],
            ),
        ]
        return _Code(forward, body.backward)

    def while_loop(self, node: ast.While, in_loop: bool) -> _Code:
        body = self.block(node.body, in_loop=True)
        test = self.unwrap(node.test)
        if not body.backward:
            return _Code([ast.While(test, body.forward or [ast.Pass()], [])], [])
        count = self.names.fresh("count")
        push, pop = self.record(count, in_loop)
        forward = [
            _assign(count, ast.Constant(0)),
            ast.While(test, [_increment(count), *body.forward], []),
            *push,
        ]
        repeat = ast.Call(ast.Name("range", ast.Load()), [_load(count)], [])
        backward = [*pop, ast.For(_store(self.names.fresh("_")), repeat, body.backward, [])]
        return _Code(forward, backward)


def _inputs(atoms: list[ast.expr], g: ast.expr, first: int) -> list[tuple[str, ast.expr]]:
    """The variables among `atoms` with their cotangents `g[first]`, `g[first + 1]`, ..."""
    return [
        (atom.id, _index(g, position))
        for position, atom in enumerate(atoms, start=first)
        if isinstance(atom, ast.Name)
    ]


def _without_dead_zeros(body: list[ast.stmt], adjoints: set[str]) -> list[ast.stmt]:
    """`body` without the statements `dx = Z` of adjoints that are never read."""
    read = {
        n.id
        for s in body
        for n in ast.walk(s)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }
    dead = adjoints - read

    class Prune(ast.NodeTransformer):
        def visit_Assign(self, node: ast.Assign) -> ast.AST | None:
            target = node.targets[0]
            if isinstance(target, ast.Name) and target.id in dead:
                return None
            return node

        def generic_visit(self, node: ast.AST) -> ast.AST:
            super().generic_visit(node)
            if isinstance(node, (ast.If, ast.For)) and not node.body:
                node.body = [ast.Pass()]
            return node

    pruned = [Prune().visit(statement) for statement in body]
    return [statement for statement in pruned if statement is not None]


def _function(name: str, args: ast.arguments, body: list[ast.stmt]) -> ast.FunctionDef:
    node = ast.FunctionDef(name=name, args=args, body=body, decorator_list=[])
    if "type_params" in ast.FunctionDef._fields:  # Python >= 3.12
        node.type_params = []  # type: ignore[attr-defined,unused-ignore]
    return node


def _index(value: ast.expr, index: int) -> ast.expr:
    return ast.Subscript(value, ast.Constant(index), ast.Load())


class _Unwrap(ast.NodeTransformer):
    """Remove the markers of pass 2: `Primal(e)` is `e`, a `RuntimeRef` the helper's name."""

    def __init__(self, helper: Callable[[str], ast.Name]) -> None:
        self.helper = helper

    def visit_Primal(self, node: Primal) -> ast.AST:
        return self.visit(node.value)  # type: ignore[no-any-return]

    def visit_RuntimeRef(self, node: RuntimeRef) -> ast.AST:
        return self.helper(node.name)


def _assign(name: str, value: ast.expr) -> ast.stmt:
    return ast.Assign([_store(name)], value)


def _increment(name: str) -> ast.stmt:
    return ast.AugAssign(_store(name), ast.Add(), ast.Constant(1))


def _call_stmt(func: ast.expr, args: list[ast.expr]) -> ast.stmt:
    return ast.Expr(ast.Call(func, args, []))


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())


def _arguments(names: list[str]) -> ast.arguments:
    return ast.arguments(
        posonlyargs=[],
        args=[ast.arg(n) for n in names],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )


def _without_defaults(args: ast.arguments) -> ast.arguments:
    # Defaults come from the function object (its __defaults__), evaluated where it was defined.
    return ast.arguments(
        posonlyargs=args.posonlyargs,
        args=args.args,
        vararg=args.vararg,
        kwonlyargs=args.kwonlyargs,
        kw_defaults=[None] * len(args.kwonlyargs),
        kwarg=args.kwarg,
        defaults=[],
    )


def _stamp(node: ast.AST, like: ast.AST) -> None:
    """Give `node` and its descendants without a location the line of `like`."""
    lineno = getattr(like, "lineno", None)
    if lineno is None:
        return
    for child in ast.walk(node):
        if "lineno" in child._attributes and getattr(child, "lineno", None) is None:
            child.lineno = child.end_lineno = lineno  # type: ignore[attr-defined]
            child.col_offset = child.end_col_offset = 0  # type: ignore[attr-defined]


def _locate(module: ast.Module, like: ast.AST) -> None:
    """Give generated nodes the location of the statement they come from (or of `like`)."""

    def visit(node: ast.AST, lineno: int, end: int) -> None:
        if "lineno" in node._attributes:
            if getattr(node, "lineno", None) is None:
                node.lineno, node.end_lineno = lineno, end  # type: ignore[attr-defined]
                node.col_offset, node.end_col_offset = 0, 0  # type: ignore[attr-defined]
            lineno, end = node.lineno, node.end_lineno  # type: ignore[attr-defined]
        for child in ast.iter_child_nodes(node):
            visit(child, lineno, end)

    visit(module, like.lineno, like.end_lineno or like.lineno)  # type: ignore[attr-defined]
