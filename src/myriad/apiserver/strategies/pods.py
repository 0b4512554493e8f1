"""Pods: upstream's defaults (including what the ServiceAccount, Priority and
DefaultTolerationSeconds admission plugins add), validation, the spec fields an update may
change, graceful deletion, and the selectable fields kubelets and schedulers filter on."""

from __future__ import annotations

from myriad.api import gojson, meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.podspec import default_pod_only, default_pod_spec, qos_class, validate_pod_spec
from myriad.apiserver.strategies.podsubresources import (
    ephemeral_errors,
    prepare_ephemeral,
    prepare_resize,
    resize_errors,
)

DEFAULT_GRACE_SECONDS = 30
_TOLERATIONS = ({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300},
                {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                 "tolerationSeconds": 300})
_FIELDS = frozenset({"metadata.name", "metadata.namespace", "spec.nodeName", "spec.restartPolicy",
                     "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                     "status.podIP", "status.nominatedNodeName"})
IMMUTABLE_MESSAGE = ("pod updates may not change fields other than `spec.containers[*].image`,"
                     "`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only "
                     "additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to "
                     "1 if it was previously negative)")


def _spec(obj: Obj) -> dict[str, object]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


class PodStrategy(GenericStrategy):
    return_deleted_object = True
    fields = _FIELDS

    def prepare_for_create(self, obj: Obj) -> None:
        """Status starts Pending with the QoS class of the (already defaulted) spec."""
        obj["status"] = {"phase": "Pending"}
        spec = obj.get("spec")
        if isinstance(spec, dict):
            obj["status"]["qosClass"] = qos_class(spec)  # type: ignore[index]

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        default_pod_spec(spec)
        default_pod_only(spec)
        account = spec.get("serviceAccountName") or spec.get("serviceAccount")
        if account:  # the deprecated field mirrors the other, as v1's conversion writes it
            spec["serviceAccountName"] = spec["serviceAccount"] = account

    def admit(self, obj: Obj, old: Obj | None) -> None:
        """Upstream's ServiceAccount admission (``default`` when the pod names none) and
        DefaultTolerationSeconds (five minutes' tolerance of not-ready and unreachable nodes)."""
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if not spec.get("serviceAccountName"):
            spec["serviceAccountName"] = spec["serviceAccount"] = "default"
        tolerations = spec.get("tolerations")
        if not isinstance(tolerations, list):
            tolerations = spec["tolerations"] = []
        for toleration in _TOLERATIONS:
            if not any(isinstance(t, dict) and t.get("key") == toleration["key"]
                       and t.get("effect") in (None, "", "NoExecute") for t in tolerations):
                tolerations.append(dict(toleration))

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        if subresource == "ephemeralcontainers":
            prepare_ephemeral(new, old)
        elif subresource == "resize":
            prepare_resize(new, old)
        elif subresource != "binding":  # a binding writes the node and the PodScheduled condition together
            super().prepare_for_update(new, old, subresource=subresource)

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + validate_pod_spec(obj.get("spec"), "spec")

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "ephemeralcontainers":
            return self.validate_metadata(new) + ephemeral_errors(new, old)
        if subresource == "resize":
            return self.validate_metadata(new) + validate_pod_spec(new.get("spec"), "spec") + resize_errors(new, old)
        old_spec, new_spec = _spec(old), _spec(new)
        if new_spec == old_spec:
            # Most updates (metadata, status) leave the spec alone; it passed validation when it
            # was written, so only the metadata is checked again (validation ratcheting).
            return self.validate_metadata(new)
        causes = self.validate(new)
        if subresource not in ("status", "binding") and _mutable_view(new_spec, old_spec) != old_spec:
            causes.append(meta.forbidden("spec", IMMUTABLE_MESSAGE))
        return causes

    def graceful_period(self, obj: Obj, requested: int | None) -> int:
        """The requested period, else ``spec.terminationGracePeriodSeconds``; 0 for a pod no
        node runs (unscheduled, or finished), which therefore goes at once."""
        spec = _spec(obj)
        status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
        if not spec.get("nodeName") or status.get("phase") in ("Failed", "Succeeded"):  # type: ignore[union-attr]
            return 0
        if requested is None:
            grace = spec.get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
            requested = grace if isinstance(grace, int) else DEFAULT_GRACE_SECONDS
        return 1 if requested < 0 else requested

    def field(self, obj: Obj, name: str) -> str | None:
        if name == "status.podIP":
            status = obj.get("status") if isinstance(obj.get("status"), dict) else {}
            ips = status.get("podIPs") or []  # type: ignore[union-attr]
            first = ips[0] if ips and isinstance(ips[0], dict) else {}
            return str(first.get("ip") or status.get("podIP") or "")  # type: ignore[union-attr]
        return super().field(obj, name)

    def field_paths(self, name: str) -> tuple[str, ...]:
        return ("status.podIP", "status.podIPs") if name == "status.podIP" else super().field_paths(name)


def _mutable_view(new_spec: dict[str, object], old_spec: dict[str, object]) -> dict[str, object]:
    """``old_spec`` with the changes a pod update may make taken from ``new_spec``: container
    images, activeDeadlineSeconds, tolerations that only add, and a negative grace period set
    to 1. Equal to ``old_spec`` exactly when the update changes nothing else."""
    view = gojson.clone(new_spec)
    for kind in ("containers", "initContainers"):
        new_list, old_list = view.get(kind), old_spec.get(kind)
        if isinstance(new_list, list) and isinstance(old_list, list) and len(new_list) == len(old_list):
            for new_c, old_c in zip(new_list, old_list, strict=True):
                if isinstance(new_c, dict) and isinstance(old_c, dict) and "image" in old_c:
                    new_c["image"] = old_c["image"]
    if "activeDeadlineSeconds" in old_spec:
        view["activeDeadlineSeconds"] = old_spec["activeDeadlineSeconds"]
    else:
        view.pop("activeDeadlineSeconds", None)
    old_tolerations = old_spec.get("tolerations") or []
    new_tolerations = view.get("tolerations") or []
    if isinstance(new_tolerations, list) and all(t in new_tolerations for t in old_tolerations):  # type: ignore[union-attr]
        if "tolerations" in old_spec:
            view["tolerations"] = old_spec["tolerations"]
        else:
            view.pop("tolerations", None)
    old_grace, new_grace = old_spec.get("terminationGracePeriodSeconds"), view.get("terminationGracePeriodSeconds")
    if isinstance(old_grace, int) and old_grace < 0 and new_grace == 1:
        view["terminationGracePeriodSeconds"] = old_grace
    return view
