"""The exception hierarchy shared by rules, the harness and every engine.

Each class also derives from the builtin a Python user would catch: `TypeError` for a value
of the wrong kind, `ValueError` for a wrong shape, `NotImplementedError` for a missing rule or
an unsupported construct. Code that wants every differentiation failure catches
`DifferentiationError`; an exception raised by the user's own code is never wrapped in one.
"""

from __future__ import annotations

__all__ = [
    "AmbiguousRuleError",
    "DifferentiationError",
    "MissingCapabilityError",
    "MissingRuleError",
    "TangentShapeError",
    "TangentTypeError",
    "UnsupportedConstructError",
]


class DifferentiationError(Exception):
    """Base class of every error raised by rulescore, its harness and the engines.

    >>> issubclass(MissingRuleError, DifferentiationError)
    True
    """


class MissingRuleError(DifferentiationError, NotImplementedError):
    """No rule applies to a callable and it has no Python source to differentiate.

    The message names the callable and tells how to add a rule.

    >>> import math
    >>> print(MissingRuleError.for_callable(math.lgamma))
    no rule for `math.lgamma` and no Python source to differentiate: define one with
    `@rrule.register(math.lgamma)` (and `frule.register` for forward mode), or mark it with
    `non_differentiable(math.lgamma)` if its output has no derivative
    """

    @classmethod
    def for_callable(cls, f: object) -> MissingRuleError:
        name = qualified_name(f)
        return cls(
            f"no rule for `{name}` and no Python source to differentiate: define one with\n"
            f"`@rrule.register({name})` (and `frule.register` for forward mode), or mark it with\n"
            f"`non_differentiable({name})` if its output has no derivative"
        )


class UnsupportedConstructError(DifferentiationError, NotImplementedError):
    """A construct in the user's code that an engine cannot differentiate.

    Carries where it is (`filename`, `lineno`) and what it is (`construct`); the message
    starts with `file:line` so that editors and terminals link to it.

    >>> err = UnsupportedConstructError("model.py", 12, "`try` statement", "move it out of f")
    >>> print(err)
    model.py:12: `try` statement is not supported: move it out of f
    >>> err.lineno
    12
    """

    def __init__(self, filename: str, lineno: int, construct: str, hint: str = "") -> None:
        self.filename = filename
        self.lineno = lineno
        self.construct = construct
        message = f"{filename}:{lineno}: {construct} is not supported"
        super().__init__(f"{message}: {hint}" if hint else message)


class TangentTypeError(DifferentiationError, TypeError):
    """A tangent, cotangent or output of the wrong kind (a rule's, or the user's).

    >>> raise TangentTypeError("rrule(numpy.sin) returned a str cotangent")
    Traceback (most recent call last):
    rulescore._errors.TangentTypeError: rrule(numpy.sin) returned a str cotangent
    """


class TangentShapeError(DifferentiationError, ValueError):
    """A tangent whose shape cannot be projected onto its primal's.

    >>> isinstance(TangentShapeError("shape (3,) vs (4,)"), ValueError)
    True
    """


class AmbiguousRuleError(DifferentiationError, TypeError):
    """Several rules apply to a call and none is more specific than all the others.

    Register a rule for the intersection of the signatures to resolve it.

    >>> issubclass(AmbiguousRuleError, TypeError)
    True
    """


class MissingCapabilityError(DifferentiationError, NotImplementedError):
    """A rule asked its `RuleConfig` for something the engine cannot do.

    For example `rrule_via_ad` with a configuration that has no reverse mode.

    >>> issubclass(MissingCapabilityError, NotImplementedError)
    True
    """


def qualified_name(f: object) -> str:
    """`module.qualname` of a callable, for messages (`numpy.sin`, `math.lgamma`, `Model.loss`).

    >>> import math, operator
    >>> qualified_name(math.sin), qualified_name(operator.add), qualified_name(len)
    ('math.sin', 'operator.add', 'len')
    >>> import numpy as np
    >>> qualified_name(np.add.reduce)
    'numpy.add.reduce'
    """
    name = getattr(f, "__qualname__", None) or getattr(f, "__name__", None)
    if name is None:
        return repr(f)
    owner = getattr(f, "__self__", None)
    if type(f).__name__ == "builtin_function_or_method" and type(owner).__name__ == "ufunc":
        return f"{qualified_name(owner)}.{getattr(f, '__name__', name)}"  # not ufunc.reduce
    module = getattr(f, "__module__", None)
    if module is None and type(f).__name__ == "ufunc":
        module = "numpy"
    if module in (None, "builtins"):
        return str(name)
    if module == "_operator":
        module = "operator"
    return f"{module}.{name}"
