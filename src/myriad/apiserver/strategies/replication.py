"""The core/v1 pod-template kinds: ReplicationControllers and PodTemplates.

ReplicationControllers take their selector and labels from the template's labels when they have
none and one replica by default (SetDefaults_ReplicationController); the selector must be
non-empty and match the template, the template must restart Always and have no active deadline,
and the counts in the status must add up (ValidateReplicationController*). A PodTemplate is a
pod template with generation tracking. Both share the pod spec defaults and validation of
:mod:`.podspec`."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, go_map, raw_invalid, spec_of
from myriad.apiserver.strategies.podspec import default_pod_spec, validate_pod_spec

_NON_NEGATIVE = "must be greater than or equal to 0"
_RC_FIELDS = frozenset({"metadata.name", "metadata.namespace", "status.replicas"})


def default_template(template: object) -> None:
    """Pod spec defaults for a PodTemplateSpec."""
    spec = as_dict(template).get("spec")
    if isinstance(spec, dict):
        default_pod_spec(spec)


def template_errors(template: dict[str, object], path: str) -> list[Cause]:
    """ValidatePodTemplateSpec: the template's labels and annotations, its pod spec, and no
    ephemeral containers."""
    template_meta = as_dict(template.get("metadata"))
    causes = meta.labels_errors(template_meta.get("labels"), f"{path}.labels")
    causes += meta.annotations_errors(template_meta.get("annotations"), f"{path}.annotations")
    spec = template.get("spec")
    causes += validate_pod_spec(spec, f"{path}.spec")
    if as_dict(spec).get("ephemeralContainers"):
        causes.append(meta.forbidden(f"{path}.spec.ephemeralContainers",
                                     "ephemeral containers not allowed in pod template"))
    return causes


def _non_negative(value: object, field: str) -> list[Cause]:
    if isinstance(value, int) and not isinstance(value, bool) and value < 0:
        return [meta.invalid(field, value, _NON_NEGATIVE)]
    return []


class ReplicationControllerStrategy(GenericStrategy):
    fields = _RC_FIELDS

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        template = spec.get("template")
        labels = as_dict(template.get("metadata")).get("labels") if isinstance(template, dict) else None
        if isinstance(labels, dict) and labels:
            if not spec.get("selector"):
                spec["selector"] = dict(labels)
            metadata = obj.get("metadata")
            if isinstance(metadata, dict) and not metadata.get("labels"):
                metadata["labels"] = dict(labels)
        spec.setdefault("replicas", 1)
        default_template(template)

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = spec_of(obj)
        causes += _non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds")
        selector = as_dict(spec.get("selector"))
        if not selector:
            causes.append(meta.required("spec.selector"))
        causes += _non_negative(spec.get("replicas"), "spec.replicas")
        template = spec.get("template")
        if not isinstance(template, dict):
            return [*causes, meta.required("spec.template")]
        labels = as_dict(as_dict(template.get("metadata")).get("labels"))
        if selector and any(labels.get(k) != v for k, v in selector.items()):
            causes.append(raw_invalid("spec.template.metadata.labels", go_map(labels),
                                      "`selector` does not match template `labels`"))
        causes += template_errors(template, "spec.template")
        pod_spec = as_dict(template.get("spec"))
        restart = pod_spec.get("restartPolicy")
        if restart != "Always":
            causes.append(meta.unsupported("spec.template.spec.restartPolicy", restart or "", ["Always"]))
        if pod_spec.get("activeDeadlineSeconds") is not None:
            causes.append(meta.forbidden("spec.template.spec.activeDeadlineSeconds",
                                         "activeDeadlineSeconds in ReplicationController is not Supported"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new) + _status_errors(as_dict(new.get("status")))
        return self.validate(new)


def _status_errors(status: dict[str, object]) -> list[Cause]:
    """ValidateReplicationControllerStatus."""
    causes: list[Cause] = []
    for key in ("replicas", "fullyLabeledReplicas", "readyReplicas", "availableReplicas", "observedGeneration"):
        causes += _non_negative(status.get(key), f"status.{key}")
    replicas = status.get("replicas") or 0
    ready = status.get("readyReplicas") or 0
    for key, bound, what in (("fullyLabeledReplicas", replicas, "status.replicas"),
                             ("readyReplicas", replicas, "status.replicas"),
                             ("availableReplicas", replicas, "status.replicas"),
                             ("availableReplicas", ready, "readyReplicas")):
        value = status.get(key) or 0
        if isinstance(value, int) and isinstance(bound, int) and value > bound:
            causes.append(meta.invalid(f"status.{key}", value, f"cannot be greater than {what}"))
    return causes


class PodTemplateStrategy(GenericStrategy):
    """Generation moves when the template changes (the only field besides metadata)."""

    def default(self, obj: Obj) -> None:
        default_template(obj.get("template"))

    def validate(self, obj: Obj) -> list[Cause]:
        template = obj.get("template")
        return self.validate_metadata(obj) + template_errors(as_dict(template), "template")
