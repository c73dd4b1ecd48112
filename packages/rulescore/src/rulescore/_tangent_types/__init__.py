"""Tangent types: the zeros, the `NotImplemented` tangent, structural tangents and thunks.

Natural tangents (float, complex, ndarray, tuple, list, dict) need no class of their own.
"""

from rulescore._tangent_types.base import AbstractTangent
from rulescore._tangent_types.not_implemented import NotImplementedTangent, not_implemented
from rulescore._tangent_types.structural import Tangent, backing
from rulescore._tangent_types.thunks import InplaceableThunk, Thunk, unthunk
from rulescore._tangent_types.zero import AbstractZero, NoTangent, ZeroTangent

__all__ = [
    "AbstractTangent",
    "AbstractZero",
    "InplaceableThunk",
    "NoTangent",
    "NotImplementedTangent",
    "Tangent",
    "Thunk",
    "ZeroTangent",
    "backing",
    "not_implemented",
    "unthunk",
]
