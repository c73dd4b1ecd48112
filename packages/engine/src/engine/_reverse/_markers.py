"""The two node types the passes add to Python's syntax trees."""

from __future__ import annotations

import ast

__all__ = ["Primal", "RuntimeRef"]


class Primal(ast.expr):
    """An expression run as written: its value has no derivative."""

    _fields = ("value",)
    value: ast.expr

    def __init__(self, value: ast.expr | None = None) -> None:  # no argument: for copy
        super().__init__()
        if value is not None:
            self.value = value


class RuntimeRef(ast.expr):
    """A reference to a runtime helper (`as_sequence`, `append`, ...) by its plain name."""

    _fields = ("name",)

    def __init__(self, name: str = "") -> None:  # no argument: for copy
        super().__init__()
        self.name = name
