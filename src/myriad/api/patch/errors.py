"""Errors of patch application.

Hierarchy::

    PatchError                 the patch is malformed or cannot apply (a missing path...)
    ├── PatchTestFailedError   a JSON Patch ``test`` operation did not match
    ├── PatchTooLargeError     a JSON Patch has more operations than upstream allows (413)
    └── PatchFormatError       a strategic merge patch directive is malformed (400, its message)
"""

from __future__ import annotations


class PatchError(ValueError):
    """The message is shown to the client."""


class PatchTestFailedError(PatchError):
    pass


class PatchTooLargeError(PatchError):
    pass


class PatchFormatError(PatchError):
    pass
