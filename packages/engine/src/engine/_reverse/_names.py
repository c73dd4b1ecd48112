"""Every name the reverse engine generates, made in one place so that none clashes.

A `Names` is built from the function being transformed: it knows every identifier the
function uses (locals, globals, builtins) and hands out fresh ones: temporaries (`y1`,
`y2`, ...), pullbacks (`back1`, ...), adjoints (`dx` for `x`), and the runtime helpers the
generated code calls (`call`, `acc`, `Z`, ...), which are renamed only if the user's code
happens to use the same identifier.
"""

from __future__ import annotations

import ast
import itertools

__all__ = ["Names"]


class Names:
    """Fresh identifiers for one transformed function."""

    def __init__(self, tree: ast.AST, reserved: tuple[str, ...] = ()) -> None:
        self._used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        self._used |= {node.arg for node in ast.walk(tree) if isinstance(node, ast.arg)}
        self._used |= set(reserved)  # the function's free variables, even if unread here
        self._adjoints: dict[str, str] = {}
        self._helpers: dict[str, str] = {}
        self._counter = itertools.count(1)

    def fresh(self, base: str) -> str:
        """A new identifier starting with `base` (`base` itself if unused and not numbered)."""
        while True:
            name = f"{base}{next(self._counter)}"
            if name not in self._used:
                self._used.add(name)
                return name

    def exact(self, name: str) -> str:
        """`name` if still free, else a fresh variant of it."""
        if name not in self._used:
            self._used.add(name)
            return name
        return self.fresh(f"{name}_")

    def adjoint(self, variable: str) -> str:
        """The adjoint of `variable` (`dx` for `x`), the same one each time."""
        if variable not in self._adjoints:
            self._adjoints[variable] = self.exact(f"d{variable}")
        return self._adjoints[variable]

    def helper(self, name: str) -> str:
        """The identifier under which the generated code sees runtime helper `name`."""
        if name not in self._helpers:
            self._helpers[name] = self.exact(name)
        return self._helpers[name]

    def helpers(self) -> dict[str, str]:
        """Runtime helper name -> identifier used, for the helpers asked for so far."""
        return dict(self._helpers)

    def adjoints(self) -> dict[str, str]:
        """Variable -> adjoint identifier, for the adjoints asked for so far."""
        return dict(self._adjoints)
