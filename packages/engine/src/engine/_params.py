"""`Params` and `Grads`: gradients with respect to arrays a function reads implicitly (from
globals or closures), as in Zygote; arrays are recognized by identity, not by value."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from engine._materialize import materialize
from rulescore import accumulate

__all__ = ["Grads", "Params"]


class Params:
    """`Params([W, b])`: the arrays to differentiate with respect to, by identity.

    Pass it to `gradient` in place of arguments; the function then takes no arguments.

    >>> import numpy as np
    >>> W = np.ones(2)
    >>> ps = Params([W])
    >>> W in ps, np.ones(2) in ps, len(ps)
    (True, False, 1)
    """

    def __init__(self, params: Iterable[Any]) -> None:
        self._params = list({id(p): p for p in params}.values())

    def __contains__(self, value: object) -> bool:
        return any(p is value for p in self._params)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __repr__(self) -> str:
        return f"Params({len(self._params)} arrays)"


class Grads:
    """The gradients of a `gradient(f, Params(...))` call; index by the parameter itself.

    >>> import numpy as np
    >>> W = np.ones(2)
    >>> g = Grads(Params([W]))
    >>> g.add(W, np.array([1.0, 2.0]))
    >>> g[W]
    array([1., 2.])
    """

    def __init__(self, params: Params) -> None:
        self.params = params
        self._grads: dict[int, Any] = {}

    def tracks(self, value: object) -> bool:
        """Whether `value` is one of the parameters (by identity)."""
        return value in self.params

    def add(self, value: Any, cotangent: Any) -> None:
        """Accumulate `cotangent` into the gradient of parameter `value`."""
        key = id(value)
        self._grads[key] = (
            accumulate(self._grads[key], cotangent) if key in self._grads else cotangent
        )

    def __getitem__(self, value: Any) -> Any:
        if value not in self.params:
            raise KeyError("not one of the Params (parameters are matched by identity)")
        from rulescore import ZeroTangent

        return materialize(value, self._grads.get(id(value), ZeroTangent()))

    def __contains__(self, value: object) -> bool:
        return value in self.params

    def __iter__(self) -> Iterator[Any]:
        return iter(self.params)

    def __len__(self) -> int:
        return len(self.params)

    def __repr__(self) -> str:
        return f"Grads({len(self.params)} arrays)"
