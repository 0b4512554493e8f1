"""Objects to and from storage values.

Stored JSON is laid out as upstream serialises objects: ``kind``, ``apiVersion``, ``metadata``
(fields in ObjectMeta's order), then the rest as given. Its ``metadata.resourceVersion`` is an
empty placeholder, since the real value is the key's mod_revision, known only once written (as
upstream's etcd3 store sets it on the way out). Because only strings precede it, the first
``"resourceVersion":""`` in the bytes is always that placeholder (a quote inside a JSON string
is escaped, so the sequence cannot occur inside one), and :func:`raw` fills it in with one byte
replacement: reads answer with the stored bytes, never decoding and re-encoding them.
"""

from __future__ import annotations

from myriad.api import gojson
from myriad.apiserver.rest.interfaces import Obj
from myriad.storage.interfaces import KeyValue

PLACEHOLDER = b'"resourceVersion":""'

#: ObjectMeta's fields in upstream's (Go struct) order.
_META_ORDER = ("name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
               "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
               "ownerReferences", "finalizers", "managedFields")
_META_FIELDS = frozenset(_META_ORDER)
_HEAD = frozenset({"kind", "apiVersion", "metadata"})


def decode(kv: KeyValue, *, revision: int | None = None) -> Obj:
    """The stored object with ``metadata.resourceVersion`` set (to ``revision`` when given,
    e.g. a deletion's revision)."""
    obj = gojson.loads(kv.value)
    obj["metadata"]["resourceVersion"] = str(kv.mod_revision if revision is None else revision)
    return obj


def raw(kv: KeyValue, *, revision: int | None = None) -> bytes:
    """What :func:`decode` returns, as JSON bytes, made from the stored bytes directly."""
    rv = kv.mod_revision if revision is None else revision
    value = kv.value
    if PLACEHOLDER in value:
        return value.replace(PLACEHOLDER, b'"resourceVersion":"%d"' % rv, 1)
    return gojson.dumps(decode(kv, revision=revision))  # written before the placeholder layout


def encode(obj: Obj) -> bytes:
    """The object's storage bytes, in the layout described above; ``obj`` is left as it was."""
    return gojson.dumps(laid_out(obj, resource_version=""))


def laid_out(obj: Obj, *, resource_version: str | None = None) -> Obj:
    """``obj`` with its fields in upstream's order (kind, apiVersion, metadata in ObjectMeta's
    order, then the rest), as an answer goes out; ``resource_version`` replaces metadata's."""
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        return {**{k: obj[k] for k in ("kind", "apiVersion") if k in obj}, **obj}
    if resource_version is None:
        resource_version = metadata.get("resourceVersion")  # type: ignore[assignment]
    ordered: dict[str, object] = {}
    for name in _META_ORDER:
        if name == "resourceVersion":
            if resource_version is not None:
                ordered[name] = resource_version
        elif name in metadata:
            ordered[name] = metadata[name]
    known = len(ordered) - (resource_version is not None) + ("resourceVersion" in metadata)
    if known < len(metadata):  # fields ObjectMeta does not have (kept, as they were given)
        ordered.update((k, v) for k, v in metadata.items() if k not in _META_FIELDS)
    out: dict[str, object] = {}
    if "kind" in obj:
        out["kind"] = obj["kind"]
    if "apiVersion" in obj:
        out["apiVersion"] = obj["apiVersion"]
    out["metadata"] = ordered
    for key, value in obj.items():
        if key not in _HEAD:
            out[key] = value
    return out


def same_content(a: Obj, b: Obj) -> bool:
    """Equal apart from resourceVersion (an update that changes nothing is not written)."""
    meta_a = {k: v for k, v in a["metadata"].items() if k != "resourceVersion"}  # type: ignore[union-attr]
    meta_b = {k: v for k, v in b["metadata"].items() if k != "resourceVersion"}  # type: ignore[union-attr]
    if meta_a != meta_b:
        return False
    return {k: v for k, v in a.items() if k != "metadata"} == {k: v for k, v in b.items() if k != "metadata"}
