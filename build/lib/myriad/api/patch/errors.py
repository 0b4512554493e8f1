"""Errors of patch application.

Hierarchy::

    PatchError                 the patch is malformed or cannot apply (a missing path...)
    └── PatchTestFailedError   a JSON Patch ``test`` operation did not match
"""

from __future__ import annotations


class PatchError(ValueError):
    """The message is shown to the client."""


class PatchTestFailedError(PatchError):
    pass
