"""The base class of every tangent type that rulescore defines."""

from __future__ import annotations

__all__ = ["AbstractTangent"]


class AbstractTangent:
    """Base class of rulescore's tangent types (zeros, `Tangent`, thunks, `NotImplemented`).

    Natural tangents (float, complex, ndarray, tuple, list, dict) are not subclasses.
    NumPy is told to defer to these classes (`__array_ufunc__ = None`), so `array + tangent`
    calls the tangent's reflected method instead of building an object array. The zeros
    implement NumPy's protocols instead (see `AbstractZero`).

    >>> from rulescore import ZeroTangent
    >>> isinstance(ZeroTangent(), AbstractTangent), isinstance(1.0, AbstractTangent)
    (True, False)
    """

    __slots__ = ()
    __array_ufunc__ = None
