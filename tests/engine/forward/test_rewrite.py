"""The forward engine's one pass: which operations it routes through the dispatch, and what
it leaves as written (control flow, comparisons, `and`/`or`/`not`, nested functions)."""

from __future__ import annotations

import ast
import textwrap

import pytest

from engine._forward._rewrite import rewrite


def rewritten(source: str) -> str:
    tree = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(tree, ast.FunctionDef)
    return ast.unparse(rewrite(tree, lambda name: name))


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("return f(a, *b, k=c, **d)", "return call(f, a, *b, k=c, **d)"),
        ("return o.m(a)", "return call_method(o, 'm', a)"),
        ("return a + b * -c", "return call(add, a, call(mul, b, call(neg, c)))"),
        (
            "return a @ b ** 2 // c % d",
            "return call(mod, call(floordiv, call(matmul, a, call(pow, b, 2)), c), d)",
        ),
        ("return o.a.b", "return get_attr(get_attr(o, 'a'), 'b')"),
        ("return x[i, 1:2]", "return get_item(x, (i, slice(1, 2)))"),
        ("x[i] = v", "set_item(x, i, v)"),
        ("x += v", "x = update('add', x, v)"),
        ("o.a *= v", "o.a = update('mul', get_attr(o, 'a'), v)"),
        ("x[i] -= v", "set_item(x, i, update('sub', get_item(x, i), v))"),
        ("return a < b and not c or d", "return a < b and (not c) or d"),
        ("o.a = v", "o.a = v"),
        ("a, b = v", "a, b = v"),
    ],
)
def test_operations_go_through_the_dispatch(statement, expected) -> None:
    code = rewritten(f"def f(a, b, c, d, o, x, i, v):\n    {statement}\n")
    assert code.splitlines()[1].strip() == expected.replace("slice(1, 2)", "1:2")


def test_control_flow_and_nested_functions_stay_as_written() -> None:
    code = rewritten(
        """
        def f(x, xs):
            for v in xs:
                if v > x:
                    break
            while x:
                x = g(x)
            try:
                y = [h(v) for v in xs if v]
            except KeyError:
                y = lambda z: z * 2
            def inner(w):
                return w - 1
            return inner
        """
    )
    for text in ("for v in xs:", "if v > x:", "break", "while x:", "try:", "except KeyError:"):
        assert text in code
    assert "[call(h, v) for v in xs if v]" in code
    assert "lambda z: call(mul, z, 2)" in code
    assert "return call(sub, w, 1)" in code


def test_super_gets_its_class_and_receiver_and_decorators_go() -> None:
    code = rewritten(
        """
        @decorator
        def energy(self, x):
            return super().energy(x)
        """
    )
    assert "@decorator" not in code
    assert "call_method(super(__class__, self), 'energy', x)" in code
