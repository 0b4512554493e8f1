"""Objects to and from storage values. Stored JSON carries no resourceVersion: it is the key's
mod_revision, set on the way out, as upstream's etcd3 store does."""

from __future__ import annotations

import orjson

from myriad.apiserver.rest.interfaces import Obj
from myriad.storage.interfaces import KeyValue


def decode(kv: KeyValue, *, revision: int | None = None) -> Obj:
    """The stored object with ``metadata.resourceVersion`` set (to ``revision`` when given,
    e.g. a deletion's revision)."""
    obj = orjson.loads(kv.value)
    obj["metadata"]["resourceVersion"] = str(kv.mod_revision if revision is None else revision)
    return obj


def encode(obj: Obj) -> bytes:
    """The object's storage bytes; ``obj`` is left as it was."""
    metadata = obj["metadata"]
    assert isinstance(metadata, dict)
    rv = metadata.pop("resourceVersion", None)
    try:
        return orjson.dumps(obj)
    finally:
        if rv is not None:
            metadata["resourceVersion"] = rv


def same_content(a: Obj, b: Obj) -> bool:
    """Equal apart from resourceVersion (an update that changes nothing is not written)."""
    meta_a = {k: v for k, v in a["metadata"].items() if k != "resourceVersion"}  # type: ignore[union-attr]
    meta_b = {k: v for k, v in b["metadata"].items() if k != "resourceVersion"}  # type: ignore[union-attr]
    if meta_a != meta_b:
        return False
    return {k: v for k, v in a.items() if k != "metadata"} == {k: v for k, v in b.items() if k != "metadata"}
