"""Resources served in one version and stored in another.

Upstream stores ``events.k8s.io/v1`` Events as core ``v1`` Events, under the same keys, so both
APIs see the same objects, and ``autoscaling/v1`` HorizontalPodAutoscalers as ``autoscaling/v2``
ones (:mod:`.hpaconversion`). Here the object store and the read path keep every object in its
storage form and convert at the edge: request bodies on the way in, answers and watch events on
the way out; strategies and field selectors see the storage form, as upstream's see the
internal type.
"""

from __future__ import annotations

from typing import Protocol

from myriad.apiserver.rest.hpaconversion import HPAV1
from myriad.apiserver.rest.interfaces import Obj


class Conversion(Protocol):
    """Between the served (external) form and the stored form of one resource version; both
    return new top-level dicts and share the nested values with their argument."""

    def to_storage(self, obj: Obj) -> Obj: ...

    def from_storage(self, obj: Obj) -> Obj: ...


#: events.k8s.io/v1 field ← core/v1 field (pkg/apis/events/v1 conversion).
_EVENTS_V1_NAMES = {"involvedObject": "regarding", "message": "note", "source": "deprecatedSource",
                    "firstTimestamp": "deprecatedFirstTimestamp", "lastTimestamp": "deprecatedLastTimestamp",
                    "count": "deprecatedCount", "reportingComponent": "reportingController"}
_CORE_NAMES = {v1: core for core, v1 in _EVENTS_V1_NAMES.items()}
#: Each form's fields in upstream's (Go struct) order, with the value its zero prints as when
#: the field has no ``omitempty`` (structs, times) or None when an unset field is left out.
_CORE_EVENT = (("involvedObject", {}), ("reason", None), ("message", None), ("source", {}),
               ("firstTimestamp", "null"), ("lastTimestamp", "null"), ("count", None), ("type", None),
               ("eventTime", "null"), ("series", None), ("action", None), ("related", None),
               ("reportingComponent", ""), ("reportingInstance", ""))
_V1_EVENT = (("eventTime", "null"), ("series", None), ("reportingController", None), ("reportingInstance", None),
             ("action", None), ("reason", None), ("regarding", {}), ("related", None), ("note", None),
             ("type", None), ("deprecatedSource", {}), ("deprecatedFirstTimestamp", "null"),
             ("deprecatedLastTimestamp", "null"), ("deprecatedCount", None))
#: Fields with ``omitempty`` whose empty value is therefore not printed.
_V1_OMIT_EMPTY = {"reportingController", "reportingInstance", "action", "reason", "note", "type",
                  "deprecatedCount"}


def _laid_out(kind: str, api_version: str, metadata: object, fields: dict[str, object],
              order: tuple[tuple[str, object], ...], omit_empty: frozenset[str] | set[str]) -> Obj:
    out: Obj = {"kind": kind, "apiVersion": api_version, "metadata": metadata}
    for name, zero in order:
        if name in fields:
            value = fields.pop(name)
            if name in omit_empty and value in ("", 0, None):
                continue
            out[name] = value
        elif zero is not None:
            out[name] = None if zero == "null" else (dict(zero) if isinstance(zero, dict) else zero)  # type: ignore[call-overload]
    out.update(fields)
    return out


def core_event(obj: Obj) -> Obj:
    """A core/v1 Event laid out as upstream prints one: fields in order, zero structs and times."""
    fields = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata")}
    return _laid_out("Event", "v1", obj.get("metadata", {}), fields, _CORE_EVENT, set())


class EventsV1:
    """``events.k8s.io/v1`` Event ↔ core ``v1`` Event."""

    def to_storage(self, obj: Obj) -> Obj:
        fields = {_CORE_NAMES.get(k, k): v for k, v in obj.items() if k not in ("kind", "apiVersion", "metadata")}
        return _laid_out("Event", "v1", obj.get("metadata", {}), fields, _CORE_EVENT, set())

    @staticmethod
    def storage_field(name: str) -> str:
        """The core/v1 field label an events.k8s.io/v1 field selector label stands for."""
        head, dot, rest = name.partition(".")
        return _CORE_NAMES.get(head, head) + dot + rest

    def from_storage(self, obj: Obj) -> Obj:
        fields = {_EVENTS_V1_NAMES.get(k, k): v for k, v in obj.items()
                  if k not in ("kind", "apiVersion", "metadata")}
        return _laid_out("Event", "events.k8s.io/v1", obj.get("metadata", {}), fields, _V1_EVENT, _V1_OMIT_EMPTY)


#: Served (group, version, plural) → its conversion to the stored form.
CONVERSIONS: dict[tuple[str, str, str], Conversion] = {("events.k8s.io", "v1", "events"): EventsV1(),
                                                       ("autoscaling", "v1", "horizontalpodautoscalers"): HPAV1()}
