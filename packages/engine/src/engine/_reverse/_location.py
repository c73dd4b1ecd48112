"""Where in the user's code a refusal at run time happened."""

from __future__ import annotations

import sys

__all__ = ["user_location"]

_ENGINE_DIR = __file__.rsplit("_reverse", 1)[0]


def user_location() -> tuple[str, int]:
    """The file and line of the innermost frame outside the engine: the user's code.

    Generated code keeps the file and lines of the code it was made from, so a frame of
    generated code counts as the user's.
    """
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename.startswith(_ENGINE_DIR):
        frame = frame.f_back
    return frame.f_code.co_filename, frame.f_lineno
