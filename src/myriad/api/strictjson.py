"""Strict JSON decoding's other complaint: object keys given twice.

orjson (like Go's encoding/json) keeps the last of duplicated keys silently; upstream's strict
decoder reports each as ``duplicate field "<path>"``, paths written as for unknown fields
(``spec.template.spec.containers[0].imagePullPolicy``), as errors (Strict) or warnings (Warn,
the default). That parse is ten times slower than orjson's, so :func:`may_have_duplicates`
first compares the keys the body writes with those of orjson's encoding of what it decodes to
(about 5 µs for a pod): a key given twice is one more in the body. Only a body that fails that
test is parsed again.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: The end of an object key: its closing quote, then the colon.
_KEY_END = re.compile(rb'"\s*:')


class _Object(dict):
    """A decoded JSON object that remembers which of its keys appeared more than once."""

    __slots__ = ("duplicates",)

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        seen: set[str] = set()
        self.duplicates = [key for key, _ in pairs if key in seen or seen.add(key)]  # type: ignore[func-returns-value]


def may_have_duplicates(body: bytes) -> bool:
    """False when the JSON document ``body`` gives no key twice. (It may answer True for a body
    that gives none, such as one that escapes a quote as ``\\u0022``, or one orjson refuses;
    :func:`duplicate_fields` is exact.)"""
    try:
        decoded = orjson.loads(body)
    except orjson.JSONDecodeError:
        return True
    return _key_ends(body) > orjson.dumps(decoded).count(b'":')


def _key_ends(body: bytes) -> int:
    if b'" ' in body or b'"\n' in body or b'"\t' in body or b'"\r' in body:  # maybe space before a colon
        return len(_KEY_END.findall(body))
    return body.count(b'":')


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
