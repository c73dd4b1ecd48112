"""The `tape` engine: reverse mode by operator overloading, for code without readable source.

One concept per module, in dependency order: `_tracer` (the traced value and the NumPy
protocols that route its operations), `_structure` (where tracers sit in containers, and
cotangents moved along that structure), `_tape` (the records of one differentiation and the
backward pass), `_engine` (`TapeEngine`, the `RuleConfig` the user API calls).
"""

from engine._tape._engine import TapeEngine

__all__ = ["TapeEngine"]
