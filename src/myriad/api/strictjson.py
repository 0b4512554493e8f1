"""Strict JSON decoding's other complaint: object keys given twice.

orjson (like Go's encoding/json) keeps the last of duplicated keys silently; upstream's strict
decoder reports each as ``duplicate field "<path>"``, paths written as for unknown fields
(``spec.template.spec.containers[0].imagePullPolicy``), as errors (Strict) or warnings (Warn,
the default). That parse is ten times slower than orjson's, so :func:`may_have_duplicates`
first counts colons (about 3 µs for a pod): every colon of a document is a key's or inside a
string, and orjson's encoding of what the body decodes to writes each key once and every string's
colons as they are, so a key given twice is one more colon in the body. Only a body that fails
that test is parsed again.
"""

from __future__ import annotations

import json
from typing import Any

import orjson


class _Object(dict):
    """A decoded JSON object that remembers which of its keys appeared more than once."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        self.duplicates = [key for key, _ in pairs if key in seen or seen.add(key)]  # type: ignore[func-returns-value]


def may_have_duplicates(body: bytes, decoded: Any) -> bool:
    """False when the JSON document ``body``, which decoded to ``decoded`` (not changed since),
    gives no key twice. (It may answer True for a body that gives none, such as one that writes
    ``\\u003a`` as an escaped backslash then text; :func:`duplicate_fields` is exact.)"""
    colons = body.count(b":")
    if b"\\u" in body:  # a colon escaped in a string is one orjson writes plainly
        colons += body.count(b"\\u003a") + body.count(b"\\u003A")
    try:
        encoded = orjson.dumps(decoded)
    except orjson.JSONEncodeError:  # nested too deep, or an integer orjson does not hold
        return True
    return colons > encoded.count(b":")


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
