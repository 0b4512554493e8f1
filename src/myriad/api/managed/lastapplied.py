"""The way from client-side apply to server-side apply, as upstream's field manager eases it for
the manager named ``kubectl`` (what ``kubectl apply --server-side`` sends):

- :func:`forgiven`: an apply that conflicts only on fields whose live value is still what the
  object's ``kubectl.kubernetes.io/last-applied-configuration`` says (fields kubectl applied
  client-side and nobody changed since) is retried with force; other conflicts stand;
- :func:`annotated`: after a server-side apply, an object that carries that annotation gets it
  rewritten to what was just applied (Go's JSON of it, keys sorted, and a newline), so a later
  client-side apply computes its three-way patch from the right base; where that would take the
  annotations past their 256 KiB limit, the annotation is dropped instead, as upstream drops it.

kubectl itself then moves the ``kubectl-client-side-apply`` Update entries into its Apply entry
(a JSON patch of ``managedFields``, which the server honours as any body's entries).
"""

from __future__ import annotations

import json
from typing import Any

from myriad.api.managed import typed
from myriad.api.managed.errors import Conflict
from myriad.api.managed.fieldset import SELF, FieldSet, difference, go_json
from myriad.api.managed.shapes import Shape

ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration"
#: Only this manager gets the migration, as upstream's.
KUBECTL = "kubectl"
#: Upstream's TotalAnnotationSizeLimitB: keys and values, in bytes.
ANNOTATIONS_LIMIT = 256 * 1024


def forgiven(live: dict[str, Any] | None, conflicts: tuple[Conflict, ...], shape: Shape,
             api_version: str) -> tuple[Conflict, ...]:
    """The conflicts the last-applied annotation does not cover (all of them if it cannot be read
    or names another apiVersion)."""
    annotation = _annotation(live)
    if not annotation:
        return conflicts
    try:
        last = json.loads(annotation)
    except ValueError:
        return conflicts
    if not isinstance(last, dict) or last.get("apiVersion") != api_version:
        return conflicts
    changed, removed = typed.compare(last, live, shape, typed.UNOWNED)
    allowed = difference(difference(typed.object_set(last, shape), changed), removed)
    return tuple(c for c in conflicts if not _holds(allowed, c.path))


def annotated(obj: dict[str, Any], config: dict[str, Any]) -> None:
    """Rewrites ``obj``'s last-applied annotation, if it has one, to ``config`` (less that
    annotation), in place."""
    if not _annotation(obj):
        return
    applied = json.loads(json.dumps(config))
    annotations = (applied.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(ANNOTATION, None)
        if not annotations:
            del applied["metadata"]["annotations"]
    metadata = obj["metadata"]
    annotations = {**metadata["annotations"], ANNOTATION: go_json(applied) + "\n"}
    if sum(len(k.encode()) + len(v.encode()) for k, v in annotations.items() if isinstance(v, str)) > ANNOTATIONS_LIMIT:
        del annotations[ANNOTATION]
    metadata["annotations"] = annotations


def _annotation(obj: dict[str, Any] | None) -> str:
    annotations = ((obj or {}).get("metadata") or {}).get("annotations")
    value = annotations.get(ANNOTATION) if isinstance(annotations, dict) else None
    return value if isinstance(value, str) else ""


def _holds(fields: FieldSet, path: tuple[str, ...]) -> bool:
    node = fields
    for element in path:
        if element not in node:
            return False
        node = node[element]
    return not node or SELF in node
