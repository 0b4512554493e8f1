"""Patches: JSON Patch (RFC 6902), JSON merge patch (RFC 7386) and strategic merge patch.
Each raises :class:`PatchError` (the API server answers 422, or 400 for malformed input)."""

from myriad.api.patch.errors import PatchError, PatchFormatError, PatchTestFailedError, PatchTooLargeError
from myriad.api.patch.jsonpatch import apply_json_patch
from myriad.api.patch.mergepatch import apply_merge_patch
from myriad.api.patch.strategic import apply_strategic_patch

__all__ = ["PatchError", "PatchFormatError", "PatchTestFailedError", "PatchTooLargeError", "apply_json_patch",
           "apply_merge_patch", "apply_strategic_patch"]
