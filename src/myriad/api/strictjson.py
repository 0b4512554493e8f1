"""Strict JSON decoding's other complaint: object keys given twice.

orjson (like Go's encoding/json) keeps the last of duplicated keys silently; upstream's strict
decoder reports each as ``duplicate field "<path>"``, paths written as for unknown fields
(``spec.template.spec.containers[0].imagePullPolicy``). This parse is slower than orjson's, so
it runs only when a request asked for ``fieldValidation=Strict``.
"""

from __future__ import annotations

import json
from typing import Any


class _Object(dict):
    """A decoded JSON object that remembers which of its keys appeared more than once."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        self.duplicates = [key for key, _ in pairs if key in seen or seen.add(key)]  # type: ignore[func-returns-value]


def duplicate_fields(body: bytes) -> list[str]:
    """The paths of keys given twice in the JSON document ``body`` (none if it does not parse)."""
    try:
        document = json.loads(body, object_pairs_hook=_Object)
    except (ValueError, RecursionError):
        return []
    found: list[str] = []
    _walk(document, "", found)
    return found


def _walk(value: Any, path: str, found: list[str]) -> None:
    if isinstance(value, _Object):
        duplicated = set(value.duplicates)
        for key, item in value.items():  # document order, as upstream lists them
            child = f"{path}.{key}" if path else key
            if key in duplicated:
                found.append(child)
            _walk(item, child, found)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{path}[{i}]", found)
