"""Pass 2: flatten every expression so that each statement does one operation on atoms.

After this pass a function body holds only:

- `name = OP` where the operands of `OP` are atoms (names or constants) and `OP` is a call
  (`f(a, *b, k=c)`, or a method call `a.m(b)`), an attribute read `a.x`, an item read
  `a[index]` (the index is `Primal`: indices have no derivative), an arithmetic operator,
  a tuple, list or dict display, a name or constant, a lambda, or a `Primal(expr)`: code
  run as written because its value has no derivative (comparisons, tests, f-strings, sets);
- `if Primal(test)`, `while Primal(test)` and `for item in seq` (`seq` made by the
  runtime's `as_sequence`, the target unpacked from `item` at the top of the body), with
  `else` clauses;
- `return atom`, `break`, `continue`, nested `def`s, and statements run as written
  (`raise`, `assert`, `pass`).

Conditional expressions and `and`/`or` in value position become `if` statements;
comprehensions and generator expressions become `for` loops that build a list (or dict) with
the runtime's `append`/`set_item`; `x += y` becomes `x = x + y` after a runtime check that
`x` is not mutated in place.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable

from engine._reverse._checks import is_metadata
from engine._reverse._markers import Primal, RuntimeRef
from engine._reverse._names import Names
from rulescore import UnsupportedConstructError

__all__ = ["flatten", "is_atom", "is_constant"]


def flatten(
    tree: ast.FunctionDef, names: Names, filename: str, receiver: str | None = None
) -> ast.FunctionDef:
    """`tree` with its body in the form above (a new tree; `tree` is not modified).

    For a constructor (`__init__` with first parameter `receiver`), `receiver.a = v` becomes
    `receiver = set_field(receiver, "a", v)` and the function returns `receiver`.
    """
    positional = [*tree.args.posonlyargs, *tree.args.args]
    flattener = _Flattener(names, filename, receiver, positional[0].arg if positional else None)
    result = copy.copy(tree)
    body = tree.body
    if receiver is not None:
        body = [*body, ast.copy_location(ast.Return(_load(receiver)), body[-1])]
    result.body = flattener.block(body)
    return result


def is_atom(node: ast.expr) -> bool:
    """Whether `node` is a name or a constant."""
    return isinstance(node, (ast.Name, ast.Constant))


def is_constant(node: ast.expr) -> bool:
    """Whether `node` is built of constants only (`-1.0`, `2 * 3`, `(1, 2)`)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp):
        return is_constant(node.operand)
    if isinstance(node, ast.BinOp):
        return is_constant(node.left) and is_constant(node.right)
    if isinstance(node, ast.Tuple):
        return all(is_constant(e) for e in node.elts)
    return False


class _Flattener:
    def __init__(
        self, names: Names, filename: str, receiver: str | None, first: str | None
    ) -> None:
        self.names = names
        self.filename = filename
        self.receiver = receiver
        self.first = first  # the first parameter (`self` of a method)
        self.out: list[ast.stmt] = []

    # -- statements ---------------------------------------------------------------------------

    def block(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        saved, self.out = self.out, []
        for statement in statements:
            self.statement(statement)
        result, self.out = self.out, saved
        return result or [ast.Pass()]

    def emit(self, node: ast.stmt, like: ast.AST) -> None:
        self.out.append(ast.copy_location(node, like))

    def statement(self, node: ast.stmt) -> None:
        if isinstance(node, ast.Assign) and all(map(is_metadata, node.targets)):
            for target in node.targets:  # `f.__name__ = "..."`: run as written
                assert isinstance(target, ast.Attribute)
                setting = [target.value, ast.Constant(target.attr), node.value]
                self.emit(ast.Expr(Primal(ast.Call(RuntimeRef("setattr"), setting, []))), node)
            return
        if (
            isinstance(node, ast.Assign)
            and self.receiver is not None
            and any(not isinstance(t, ast.Name) for t in node.targets)
        ):  # a constructor setting fields, maybe through tuple targets
            atom = self.atom(node.value)
            for target in node.targets:
                self.assign_target(target, atom, node)
            return
        if isinstance(node, ast.Assign):
            value = self.operation(node.value)
            if len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                self.emit(ast.Assign([_store(node.targets[0].id)], value), node)
                return
            atom = self.atom_of(value, node)
            for target in node.targets:
                self.assign_target(target, atom, node)
        elif isinstance(node, ast.AnnAssign):
            if node.value is not None:
                self.statement(ast.copy_location(ast.Assign([node.target], node.value), node))
        elif isinstance(node, ast.AugAssign):
            target = node.target
            assert isinstance(target, ast.Name)  # items and attributes are refused by pass 1
            check = ast.Call(
                RuntimeRef("check_not_inplace"),
                [_load(target.id), ast.Constant(_OPERATOR_SYMBOLS[type(node.op)] + "=")],
                [],
            )
            self.emit(ast.Expr(Primal(check)), node)
            value = ast.BinOp(_load(target.id), node.op, node.value)
            self.statement(ast.copy_location(ast.Assign([_store(target.id)], value), node))
        elif isinstance(node, ast.Expr):
            if isinstance(node.value, ast.Constant):
                return  # a docstring or a bare constant
            # In a constructor, a base class's `__init__` gives back the object it filled in.
            value = node.value
            if self.receiver is not None and _is_init_call(value, self.receiver):
                assert isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                if not _is_super_method(value.func):  # `Base.__init__(self, ...)`
                    init = ast.Call(
                        RuntimeRef("call_init"), [value.func, *value.args], value.keywords
                    )
                    value = ast.copy_location(init, value)
                self.emit(ast.Assign([_store(self.receiver)], self.operation(value)), node)
                return
            self.emit(ast.Assign([_store(self.names.fresh("_"))], self.operation(value)), node)
        elif isinstance(node, ast.If):
            test = Primal(node.test)
            self.emit(ast.If(test, self.block(node.body), self.orelse(node.orelse)), node)
        elif isinstance(node, ast.While):
            body = self.block(node.body)
            self.emit(ast.While(Primal(node.test), body, self.orelse(node.orelse)), node)
        elif isinstance(node, ast.For):
            self.emit_for(node.target, node.iter, node.body, node.orelse, node)
        elif isinstance(node, ast.With):
            # The context managers run as written (`np.errstate`, a timer); the body is
            # differentiated, its backward pass runs outside them.
            items = [ast.withitem(Primal(i.context_expr), i.optional_vars) for i in node.items]
            self.emit(ast.With(items, self.block(node.body)), node)
        elif isinstance(node, ast.Return):
            value = ast.Constant(None) if node.value is None else self.atom(node.value)
            if self.receiver is not None:
                value = _load(self.receiver)  # a constructor gives back the object it built
            self.emit(ast.Return(value), node)
        elif isinstance(
            node, (ast.Raise, ast.Assert, ast.Pass, ast.Break, ast.Continue, ast.FunctionDef)
        ):
            self.out.append(node)
        else:  # pass 1 refuses everything else
            raise self.refuse(node, f"`{type(node).__name__}` statement")

    def orelse(self, statements: list[ast.stmt]) -> list[ast.stmt]:
        return self.block(statements) if statements else []

    def emit_for(
        self,
        target: ast.expr,
        iterable: ast.expr,
        body: list[ast.stmt],
        orelse: list[ast.stmt],
        like: ast.AST,
        inner: Callable[[], None] | None = None,
    ) -> None:
        sequence = self.names.fresh("seq")
        as_sequence = ast.Call(RuntimeRef("as_sequence"), [self.atom(iterable)], [])
        self.emit(ast.Assign([_store(sequence)], as_sequence), like)
        saved, self.out = self.out, []
        item = target.id if isinstance(target, ast.Name) else self.names.fresh("item")
        if not isinstance(target, ast.Name):
            self.assign_target(target, _load(item), like)
        if inner is not None:
            inner()
        for statement in body:
            self.statement(statement)
        loop_body, self.out = self.out or [ast.Pass()], saved
        loop = ast.For(_store(item), _load(sequence), loop_body, self.orelse(orelse))
        self.emit(loop, like)

    def assign_target(self, target: ast.expr, atom: ast.expr, like: ast.AST) -> None:
        if isinstance(target, ast.Name):
            self.emit(ast.Assign([_store(target.id)], atom), like)
            return
        if isinstance(target, ast.Attribute) and self.receiver is not None:
            # A constructor's `self.a = v` (pass 1 allows no other attribute target).
            update = ast.Call(
                RuntimeRef("set_field"), [_load(self.receiver), ast.Constant(target.attr), atom], []
            )
            self.emit(ast.Assign([_store(self.receiver)], update), like)
            return
        assert isinstance(target, (ast.Tuple, ast.List))  # others are refused by pass 1
        for index, element in enumerate(target.elts):
            item = ast.Subscript(atom, Primal(ast.Constant(index)), ast.Load())
            if isinstance(element, ast.Name):
                self.emit(ast.Assign([_store(element.id)], item), like)
            else:
                self.assign_target(element, self.atom_of(item, like), like)

    # -- expressions --------------------------------------------------------------------------

    def atom(self, node: ast.expr) -> ast.expr:
        """An atom holding the value of `node` (statements computing it are emitted)."""
        if is_atom(node):
            return node
        return self.atom_of(self.operation(node), node)

    def atom_of(self, operation: ast.expr, like: ast.AST) -> ast.expr:
        if is_atom(operation):
            return operation
        name = self.names.fresh("y")
        self.emit(ast.Assign([_store(name)], operation), like)
        return _load(name)

    def operation(self, node: ast.expr) -> ast.expr:
        """`node` as one operation on atoms."""
        if is_atom(node):
            return node
        if is_constant(node) or isinstance(
            node, (ast.Compare, ast.JoinedStr, ast.Set, ast.SetComp)
        ):
            return Primal(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, (ast.Not, ast.Invert)):
                return Primal(node)
            return ast.UnaryOp(node.op, self.atom(node.operand))
        if isinstance(node, ast.BinOp):
            return ast.BinOp(self.atom(node.left), node.op, self.atom(node.right))
        if isinstance(node, ast.Attribute):
            return ast.Attribute(self.atom(node.value), node.attr, ast.Load())
        if isinstance(node, ast.Subscript):
            return ast.Subscript(self.atom(node.value), Primal(node.slice), ast.Load())
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, (ast.Tuple, ast.List)):
            if any(isinstance(e, ast.Starred) for e in node.elts):
                return self.starred_display(node)
            return type(node)([self.atom(e) for e in node.elts], ast.Load())
        if isinstance(node, ast.Dict):
            keys = [None if k is None else self.atom(k) for k in node.keys]
            return ast.Dict(keys, [self.atom(v) for v in node.values])
        if isinstance(node, ast.IfExp):
            result = self.names.fresh("y")
            then = self.block([ast.copy_location(ast.Assign([_store(result)], node.body), node)])
            other = self.block([ast.copy_location(ast.Assign([_store(result)], node.orelse), node)])
            self.emit(ast.If(Primal(node.test), then, other), node)
            return _load(result)
        if isinstance(node, ast.BoolOp):
            return self.bool_op(node)
        if isinstance(node, (ast.ListComp, ast.GeneratorExp, ast.DictComp)):
            return self.comprehension(node)
        if isinstance(node, ast.Lambda):
            return node
        raise self.refuse(node, f"the expression `{ast.unparse(node)}`")

    def starred_display(self, node: ast.Tuple | ast.List) -> ast.expr:
        """`(*a, b, *c)` as the concatenation `to_tuple(a) + (b,) + to_tuple(c)`."""
        convert = "to_tuple" if isinstance(node, ast.Tuple) else "to_list"
        pieces: list[ast.expr] = []
        pending: list[ast.expr] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                if pending:
                    pieces.append(self.atom_of(type(node)(pending, ast.Load()), node))
                    pending = []
                whole = ast.Call(RuntimeRef(convert), [self.atom(element.value)], [])
                pieces.append(self.atom_of(whole, node))
            else:
                pending.append(self.atom(element))
        if pending:
            pieces.append(self.atom_of(type(node)(pending, ast.Load()), node))
        result = pieces[0]
        for piece in pieces[1:-1]:
            result = self.atom_of(ast.BinOp(result, ast.Add(), piece), node)
        return ast.BinOp(result, ast.Add(), pieces[-1]) if len(pieces) > 1 else result

    def call(self, node: ast.Call) -> ast.expr:
        func: ast.expr
        if _is_super_method(node.func):
            # `super().m(...)` as `call_super(__class__, self, "m", ...)`: generated code is
            # not compiled inside the class, which is what gives a bare `super()` its cell.
            assert isinstance(node.func, ast.Attribute)
            if self.first is None:
                raise self.refuse(node, "`super()` in a function without parameters")
            prefix = [_load("__class__"), _load(self.first), ast.Constant(node.func.attr)]
            super_call = ast.Call(RuntimeRef("call_super"), [*prefix, *node.args], node.keywords)
            return self.call(ast.copy_location(super_call, node))
        if isinstance(node.func, RuntimeRef):
            func = node.func
        elif isinstance(node.func, ast.Attribute):
            func = ast.Attribute(self.atom(node.func.value), node.func.attr, ast.Load())
        else:
            func = self.atom(node.func)
        args: list[ast.expr] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.append(ast.Starred(self.atom(arg.value), ast.Load()))
            else:
                args.append(self.atom(arg))
        if sum(isinstance(a, ast.Starred) for a in args) > 1:
            raise self.refuse(
                node, "a call with several `*` arguments", "concatenate them into one tuple first"
            )
        keywords = [ast.keyword(k.arg, self.atom(k.value)) for k in node.keywords]
        return ast.Call(func, args, keywords)

    def bool_op(self, node: ast.BoolOp) -> ast.expr:
        # `a and b` is `b if a else a`; `a or b` is `a if a else b`: later operands run only
        # when the earlier ones leave the value undecided, as in Python.
        result = self.names.fresh("y")
        self.emit(ast.Assign([_store(result)], self.operation(node.values[0])), node)
        for value in node.values[1:]:
            test: ast.expr = _load(result)
            if isinstance(node.op, ast.Or):
                test = ast.UnaryOp(ast.Not(), test)
            assign = ast.copy_location(ast.Assign([_store(result)], value), node)
            self.emit(ast.If(Primal(test), self.block([assign]), []), node)
        return _load(result)

    def comprehension(self, node: ast.ListComp | ast.GeneratorExp | ast.DictComp) -> ast.expr:
        node = _renamed_targets(node, self.names, self.filename)
        result = self.names.fresh("acc")
        empty: ast.expr = (
            ast.Dict([], []) if isinstance(node, ast.DictComp) else ast.List([], ast.Load())
        )
        self.emit(ast.Assign([_store(result)], empty), node)

        def innermost() -> None:
            if isinstance(node, ast.DictComp):
                key, value = self.atom(node.key), self.atom(node.value)
                update = ast.Call(RuntimeRef("set_item"), [_load(result), key, value], [])
            else:
                update = ast.Call(RuntimeRef("append"), [_load(result), self.atom(node.elt)], [])
            self.emit(ast.Assign([_store(result)], update), node)

        self.generators(node.generators, innermost, node)
        return _load(result)

    def generators(
        self, generators: list[ast.comprehension], innermost: Callable[[], None], like: ast.AST
    ) -> None:
        first, rest = generators[0], generators[1:]

        def body() -> None:
            self.conditions(
                first.ifs,
                lambda: self.generators(rest, innermost, like) if rest else innermost(),
                like,
            )

        self.emit_for(first.target, first.iter, [], [], like, inner=body)

    def conditions(self, tests: list[ast.expr], then: Callable[[], None], like: ast.AST) -> None:
        if not tests:
            then()
            return
        saved, self.out = self.out, []
        self.conditions(tests[1:], then, like)
        inner, self.out = self.out or [ast.Pass()], saved
        self.emit(ast.If(Primal(tests[0]), inner, []), like)

    def refuse(self, node: ast.AST, construct: str, hint: str = "") -> UnsupportedConstructError:
        return UnsupportedConstructError(
            self.filename,
            getattr(node, "lineno", 0),
            construct,
            hint or "rewrite it with the supported constructs (see docs/user-guide.md)",
        )


def _is_init_call(value: ast.expr, receiver: str) -> bool:
    """Whether `value` is `super().__init__(...)` or `Base.__init__(receiver, ...)`."""
    if not isinstance(value, ast.Call) or not isinstance(value.func, ast.Attribute):
        return False
    if value.func.attr != "__init__":
        return False
    if _is_super_method(value.func):
        return True
    first = value.args[0] if value.args else None
    return isinstance(first, ast.Name) and first.id == receiver


def _is_super_method(func: ast.expr) -> bool:
    """Whether `func` is `super().name`, the zero-argument form."""
    return (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Call)
        and isinstance(func.value.func, ast.Name)
        and func.value.func.id == "super"
        and not func.value.args
        and not func.value.keywords
    )


def _renamed_targets(
    node: ast.ListComp | ast.GeneratorExp | ast.DictComp, names: Names, filename: str
) -> ast.ListComp | ast.GeneratorExp | ast.DictComp:
    # Comprehension variables do not leak into the function: fresh names keep them apart.
    # Lambdas keep their names (they are compiled as written and transformed from their
    # source later), so a lambda may not capture a comprehension variable.
    bound = {
        n.id
        for generator in node.generators
        for n in ast.walk(generator.target)
        if isinstance(n, ast.Name)
    }
    mapping = {name: names.fresh(f"{name}_") for name in sorted(bound)}

    class Rename(ast.NodeTransformer):
        def visit_Name(self, name: ast.Name) -> ast.Name:
            if name.id in mapping:
                return ast.copy_location(ast.Name(mapping[name.id], name.ctx), name)
            return name

        def visit_Lambda(self, lam: ast.Lambda) -> ast.Lambda:
            # Defaults are evaluated here, in the comprehension: they are renamed.
            lam.args.defaults = [self.visit(d) for d in lam.args.defaults]
            lam.args.kw_defaults = [d if d is None else self.visit(d) for d in lam.args.kw_defaults]
            own = {a.arg for a in (*lam.args.posonlyargs, *lam.args.args, *lam.args.kwonlyargs)}
            names = {n.id for n in ast.walk(lam.body) if isinstance(n, ast.Name)}
            captured = (names - own) & bound
            if captured:
                raise UnsupportedConstructError(
                    filename,
                    lam.lineno,
                    "a lambda capturing a comprehension variable",
                    "write the loop as a `for` statement or pass the value as a default",
                )
            return lam

    renamed = copy.deepcopy(node)
    for position, generator in enumerate(renamed.generators):
        generator.target = Rename().visit(generator.target)
        generator.ifs = [Rename().visit(test) for test in generator.ifs]
        if position > 0:  # the first iterable is evaluated in the enclosing scope
            generator.iter = Rename().visit(generator.iter)
    for field in ("elt", "key", "value"):
        if hasattr(renamed, field):
            setattr(renamed, field, Rename().visit(getattr(renamed, field)))
    return renamed


_OPERATOR_SYMBOLS: dict[type[ast.operator], str] = {
    ast.Add: "+",
    ast.Sub: "-",
    ast.Mult: "*",
    ast.MatMult: "@",
    ast.Div: "/",
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.Pow: "**",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
}


def _load(name: str) -> ast.Name:
    return ast.Name(name, ast.Load())


def _store(name: str) -> ast.Name:
    return ast.Name(name, ast.Store())
