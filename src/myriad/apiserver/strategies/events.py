"""Events, core/v1 and events.k8s.io/v1 alike, validated in their stored (core/v1) form as
upstream validates the internal type (pkg/apis/core/validation/events.go): core/v1 requests
get only the legacy checks, events.k8s.io/v1 requests the strict ones too. Timestamps are
normalised as Go prints them: ``Time`` to whole seconds, ``MicroTime`` to microseconds, in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.conversion import EventsV1, core_event
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy

REPORTING_INSTANCE_LIMIT = ACTION_LIMIT = REASON_LIMIT = 128
NOTE_LIMIT = 1024
EVENT_TYPES = ("Normal", "Warning")
_TIMES = ("firstTimestamp", "lastTimestamp")
_MICRO_TIMES = ("eventTime",)
#: Fields an events.k8s.io/v1 update may not change (core/v1 names).
_IMMUTABLE = ("involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type",
              "eventTime", "action", "related", "reportingComponent", "reportingInstance")


def _normalised(value: object, *, micro: bool) -> object:
    if not isinstance(value, str) or not value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


class EventStrategy(GenericStrategy):
    @property
    def strict(self) -> bool:
        """Requests through events.k8s.io (not core/v1) get the strict validation."""
        return self.resource.group == "events.k8s.io"

    def default(self, obj: Obj) -> None:
        for name in _TIMES:
            if name in obj:
                obj[name] = _normalised(obj[name], micro=False)
        for name in _MICRO_TIMES:
            if name in obj:
                obj[name] = _normalised(obj[name], micro=True)
        series = obj.get("series")
        if isinstance(series, dict) and "lastObservedTime" in series:
            series["lastObservedTime"] = _normalised(series["lastObservedTime"], micro=True)
        laid_out = core_event(obj)
        obj.clear()
        obj.update(laid_out)

    def validate(self, obj: Obj) -> list[Cause]:
        causes = _legacy(obj)
        if not self.strict:
            return causes
        causes = self.validate_metadata(obj) + causes + _series(obj)
        if not obj.get("eventTime"):
            causes.append(meta.required("eventTime"))
        if obj.get("type") not in EVENT_TYPES:
            causes.append(meta.invalid("type", "", f"has invalid value: {obj.get('type') or ''}"))
        for name in _TIMES:
            if obj.get(name):
                causes.append(meta.invalid(name, "", "needs to be unset"))
        if obj.get("count"):
            causes.append(meta.invalid("count", "", "needs to be unset"))
        source = obj.get("source")
        if isinstance(source, dict) and (source.get("component") or source.get("host")):
            causes.append(meta.invalid("source", "", "needs to be unset"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = _legacy(new)
        if not self.strict:
            return causes
        causes = self.validate_metadata(new) + causes
        if new.get("series") != old.get("series"):
            causes += _series(new)
        for name in _IMMUTABLE:
            # Go compares values: an omitted field and its zero value ("", 0, {}) are the same.
            if (new.get(name) or None) != (old.get(name) or None):
                causes.append(meta.immutable(name, new.get(name)))
        return causes

    def field(self, obj: Obj, name: str) -> str | None:
        return super().field(obj, EventsV1.storage_field(name) if self.strict else name)

    def field_paths(self, name: str) -> tuple[str, ...]:
        return super().field_paths(EventsV1.storage_field(name) if self.strict else name)

    def field_label_error(self, name: str) -> str:
        return f"field label not supported: {name}"  # both APIs' field label conversions say so


def _legacy(event: Obj) -> list[Cause]:
    """``legacyValidateEvent``: what every event must satisfy, whichever API wrote it."""
    causes: list[Cause] = []
    metadata = event.get("metadata") if isinstance(event.get("metadata"), dict) else {}
    namespace = str(metadata.get("namespace") or "")  # type: ignore[union-attr]
    involved = event.get("involvedObject") if isinstance(event.get("involvedObject"), dict) else {}
    involved_ns = str(involved.get("namespace") or "")  # type: ignore[union-attr]
    mismatch = meta.invalid("involvedObject.namespace", involved_ns, "does not match event.namespace")
    if not event.get("eventTime"):
        if (not involved_ns and namespace not in ("", "default")) or (involved_ns and involved_ns != namespace):
            causes.append(mismatch)
    else:
        if not involved_ns and namespace not in ("default", "kube-system"):
            causes.append(mismatch)
        controller = str(event.get("reportingComponent") or "")
        if not controller:
            causes.append(meta.required("reportingController"))
        causes += [meta.invalid("reportingController", controller, e) for e in meta.qualified_name_errors(controller)]
        instance = str(event.get("reportingInstance") or "")
        if not instance:
            causes.append(meta.required("reportingInstance"))
        if len(instance) > REPORTING_INSTANCE_LIMIT:
            causes.append(meta.invalid("reportingInstance", "",
                                       f"can have at most {REPORTING_INSTANCE_LIMIT} characters"))
        for name, limit in (("action", ACTION_LIMIT), ("reason", REASON_LIMIT)):
            text = str(event.get(name) or "")
            if not text:
                causes.append(meta.required(name))
            if len(text) > limit:
                causes.append(meta.invalid(name, "", f"can have at most {limit} characters"))
        if len(str(event.get("message") or "")) > NOTE_LIMIT:
            causes.append(meta.invalid("message", "", f"can have at most {NOTE_LIMIT} characters"))
    causes += [meta.invalid("namespace", namespace, e) for e in meta.dns1123_subdomain_errors(namespace)]
    return causes


def _series(event: Obj) -> list[Cause]:
    series = event.get("series")
    if not isinstance(series, dict):
        return []
    causes = []
    count = series.get("count")
    if not isinstance(count, int) or count < 2:
        causes.append(meta.invalid("series.count", "", "should be at least 2"))
    if not series.get("lastObservedTime"):
        causes.append(meta.required("series.lastObservedTime"))
    return causes
