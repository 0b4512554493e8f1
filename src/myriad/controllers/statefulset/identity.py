"""A StatefulSet pod's identity and storage (upstream's ``stateful_set_utils.go``): its name
``<set>-<ordinal>``, the labels naming it and its index, ``hostname`` and ``subdomain``, one
PersistentVolumeClaim per volume claim template named ``<template>-<pod>``, and the owner
references the claim retention policy puts on those claims. Pure functions of objects.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from myriad.controllers import podcontrol
from myriad.controllers.history import POD_REVISION_LABEL

Obj = dict[str, Any]

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")


def spec(s: Obj) -> Obj:
    return s.get("spec") or {}


def replicas(s: Obj) -> int:
    value = spec(s).get("replicas")
    return 1 if value is None else int(value)


def start_ordinal(s: Obj) -> int:
    return int((spec(s).get("ordinals") or {}).get("start") or 0)


def end_ordinal(s: Obj) -> int:
    """One past the last ordinal the set should have."""
    return start_ordinal(s) + replicas(s)


def parent_and_ordinal(pod: Obj) -> tuple[str, int]:
    """``("", -1)`` for a name that is not ``<parent>-<ordinal>``."""
    match = _ORDINAL.match(pod["metadata"]["name"])
    if match is None:
        return "", -1
    return match.group(1), int(match.group(2))


def ordinal(pod: Obj) -> int:
    return parent_and_ordinal(pod)[1]


def member(s: Obj, pod: Obj) -> bool:
    """Upstream's ``isMemberOf``: named after the set."""
    return parent_and_ordinal(pod)[0] == s["metadata"]["name"]


def in_range(s: Obj, pod: Obj) -> bool:
    return start_ordinal(s) <= ordinal(pod) < end_ordinal(s)


def pod_name(s: Obj, index: int) -> str:
    return f"{s['metadata']['name']}-{index}"


def revision_of(pod: Obj) -> str:
    return (pod["metadata"].get("labels") or {}).get(POD_REVISION_LABEL, "")


def claim_templates(s: Obj) -> list[Obj]:
    return [t for t in spec(s).get("volumeClaimTemplates") or () if isinstance(t, dict)]


def claim_name(template: Obj, pod: str) -> str:
    return f"{(template.get('metadata') or {}).get('name', '')}-{pod}"


def claims(s: Obj, pod: Obj) -> dict[str, Obj]:
    """Upstream's ``getPersistentVolumeClaims``: the claim each template makes for ``pod``, by
    template name, labelled with the template's labels and the set's matchLabels."""
    made: dict[str, Obj] = {}
    match_labels = (spec(s).get("selector") or {}).get("matchLabels") or {}
    for template in claim_templates(s):
        name = (template.get("metadata") or {}).get("name", "")
        claim = copy.deepcopy(template)
        metadata = claim.setdefault("metadata", {})
        metadata["name"] = claim_name(template, pod["metadata"]["name"])
        metadata["namespace"] = s["metadata"]["namespace"]
        if match_labels:
            metadata["labels"] = {**(metadata.get("labels") or {}), **match_labels}
        claim.pop("status", None)
        claim.update(apiVersion="v1", kind="PersistentVolumeClaim")
        made[name] = claim
    return made


def identity_matches(s: Obj, pod: Obj) -> bool:
    parent, index = parent_and_ordinal(pod)
    return (index >= 0 and parent == s["metadata"]["name"] and pod["metadata"]["name"] == pod_name(s, index)
            and pod["metadata"].get("namespace") == s["metadata"]["namespace"]
            and (pod["metadata"].get("labels") or {}).get(POD_NAME_LABEL) == pod["metadata"]["name"])


def storage_matches(s: Obj, pod: Obj) -> bool:
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or () if isinstance(v, dict)}
    for template in claim_templates(s):
        volume = volumes.get((template.get("metadata") or {}).get("name"))
        wanted = claim_name(template, pod["metadata"]["name"])
        if volume is None or (volume.get("persistentVolumeClaim") or {}).get("claimName") != wanted:
            return False
    return True


def update_identity(s: Obj, pod: Obj) -> None:
    """Names ``pod`` for its ordinal and gives it its labels, hostname and subdomain (in place)."""
    index = ordinal(pod)
    metadata = pod["metadata"]
    metadata["name"] = pod_name(s, index)
    metadata["namespace"] = s["metadata"]["namespace"]
    labels = metadata.setdefault("labels", {})
    labels[POD_NAME_LABEL] = metadata["name"]
    labels[POD_INDEX_LABEL] = str(index)
    pod_spec = pod.setdefault("spec", {})
    pod_spec["hostname"] = metadata["name"]
    if spec(s).get("serviceName"):
        pod_spec["subdomain"] = spec(s)["serviceName"]


def update_storage(s: Obj, pod: Obj) -> None:
    """Points each claim template's volume of ``pod`` at its claim (in place), keeping the
    pod's other volumes."""
    templates = claim_templates(s)
    if not templates:
        return
    pod_spec = pod.setdefault("spec", {})
    names = {(t.get("metadata") or {}).get("name") for t in templates}
    volumes = [v for v in pod_spec.get("volumes") or () if isinstance(v, dict) and v.get("name") not in names]
    for template in templates:
        volumes.append({"name": (template.get("metadata") or {}).get("name"),
                        "persistentVolumeClaim": {"claimName": claim_name(template, pod["metadata"]["name"])}})
    pod_spec["volumes"] = volumes


def new_pod(s: Obj, template: Obj, index: int, revision: str) -> Obj:
    """Upstream's ``newStatefulSetPod`` from ``template`` (one revision's), labelled with that
    revision's name."""
    pod = copy.deepcopy(podcontrol.pod_from_template(template, s))
    pod["metadata"].pop("generateName", None)
    pod["metadata"]["name"] = pod_name(s, index)
    update_identity(s, pod)
    update_storage(s, pod)
    pod["metadata"].setdefault("labels", {})[POD_REVISION_LABEL] = revision
    return pod


# -- claim retention -------------------------------------------------------------------------

def retention(s: Obj) -> tuple[str, str]:
    """(whenDeleted, whenScaled)."""
    policy = spec(s).get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted") or "Retain", policy.get("whenScaled") or "Retain"


def _reference(owner: Obj, api_version: str, kind: str) -> Obj:
    return {"apiVersion": api_version, "kind": kind, "name": owner["metadata"]["name"],
            "uid": owner["metadata"]["uid"]}


def retention_refs(s: Obj, pod: Obj, claim: Obj) -> list[Obj] | None:
    """Upstream's ``updateClaimOwnerRefForSetAndPod``: the claim's ownerReferences under the
    set's retention policy (whenDeleted Delete: owned by the set; whenScaled Delete: owned by
    the pod once it is scaled away), or None if they are already right."""
    when_deleted, when_scaled = retention(s)
    scaled_down = not in_range(s, pod)
    own_set = when_deleted == "Delete" and not (when_scaled == "Delete" and scaled_down)
    own_pod = when_scaled == "Delete" and scaled_down
    current = [r for r in claim["metadata"].get("ownerReferences") or () if isinstance(r, dict)]
    set_uid, pod_uid = s["metadata"]["uid"], pod["metadata"].get("uid")
    wanted = [r for r in current if r.get("uid") not in (set_uid, pod_uid)]
    if own_set:
        wanted.append(next((r for r in current if r.get("uid") == set_uid), None)
                      or _reference(s, "apps/v1", "StatefulSet"))
    if own_pod and pod_uid:
        wanted.append(next((r for r in current if r.get("uid") == pod_uid), None) or _reference(pod, "v1", "Pod"))
    return None if wanted == current else wanted


# -- pod states (upstream's helpers of the same names) ---------------------------------------

def phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or ""


def terminating(pod: Obj) -> bool:
    return bool(pod["metadata"].get("deletionTimestamp"))


def running_and_ready(pod: Obj) -> bool:
    return phase(pod) == "Running" and podcontrol.ready_since(pod) is not None


def running_and_available(pod: Obj, min_ready: int, now: float) -> bool:
    return phase(pod) == "Running" and podcontrol.available(pod, min_ready, now)


def healthy(pod: Obj, min_ready: int, now: float) -> bool:
    return running_and_available(pod, min_ready, now) and not terminating(pod)
