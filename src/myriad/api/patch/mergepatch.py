"""JSON merge patch, RFC 7386: objects merge key by key, ``null`` removes, anything else replaces."""

from __future__ import annotations

from typing import Any

from myriad.api import gojson


def apply_merge_patch(doc: Any, patch: Any) -> Any:
    """The merge of ``patch`` into ``doc``; ``doc`` is not modified."""
    if not isinstance(patch, dict):
        return gojson.clone(patch) if isinstance(patch, list) else patch  # scalars need no copy
    result = dict(doc) if isinstance(doc, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = apply_merge_patch(result.get(key), value)
    return result
