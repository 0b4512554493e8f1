"""Dropping ``metadata.managedFields`` from an object's JSON before an informer keeps it, as
kube-scheduler's and kube-controller-manager's informers drop them (upstream PRs 118455 and
119556): components never read them, and they are about half a Running pod's bytes.

The cut is made in the bytes, not by decoding and encoding the object again: msgspec reads
``metadata.managedFields`` alone (skipping the rest at C speed), and that exact slice, with its
key and one comma, is cut out where it stands. A ``managedFields`` key anywhere else (a custom
resource's spec) is left alone.
"""

from __future__ import annotations

from typing import Any

import msgspec

_KEY = b'"managedFields":'


class _Meta(msgspec.Struct):
    managedFields: msgspec.Raw = msgspec.Raw(b"")  # noqa: N815 (the JSON name)


class _Object(msgspec.Struct):
    metadata: _Meta = msgspec.field(default_factory=_Meta)


_DECODER = msgspec.json.Decoder(_Object)


def without_managed_fields(raw: bytes | memoryview | Any) -> bytes | memoryview | Any:
    """``raw`` (a JSON object, any buffer) without ``metadata.managedFields``; ``raw`` itself
    when it has none, or when it is not an object msgspec reads (it is then kept as it came)."""
    data = raw if isinstance(raw, bytes) else bytes(raw)
    if data.find(_KEY) < 0:
        return raw
    try:
        managed = _DECODER.decode(data).metadata.managedFields
    except msgspec.DecodeError:
        return raw
    if not managed:
        return raw
    start = data.find(_KEY + bytes(managed))
    if start < 0:  # written with spaces around the colon: not a server's JSON; kept whole
        return raw
    end = start + len(_KEY) + len(managed)
    if data[start - 1:start] == b",":
        start -= 1
    elif data[end:end + 1] == b",":
        end += 1
    return data[:start] + data[end:]
