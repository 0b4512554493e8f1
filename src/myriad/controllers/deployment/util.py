"""The Deployment controller's arithmetic, as upstream's ``pkg/controller/deployment/util``:
surge and unavailability from their fenceposts, the template hash that names a ReplicaSet,
revisions and the annotations that carry them, proportional scaling, and the status with its
conditions. Pure functions of objects; nothing here calls the API.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import orjson

from myriad.api.intstr import scaled
from myriad.api.meta import parse_time, rfc3339
from myriad.controllers.history import safe_encode

Obj = dict[str, Any]

HASH_LABEL = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
#: Annotations a Deployment does not pass on to its ReplicaSets.
SKIPPED = frozenset({"kubectl.kubernetes.io/last-applied-configuration", REVISION, REVISION_HISTORY,
                     DESIRED_REPLICAS, MAX_REPLICAS, "deprecated.deployment.rollback.to"})
#: Upstream's cap on the revision-history annotation.
REVISION_HISTORY_CHARS = 2000
#: progressDeadlineSeconds of this value means no deadline.
NO_DEADLINE = 2**31 - 1


def replicas(obj: Obj | None) -> int:
    return int(((obj or {}).get("spec") or {}).get("replicas", 1)) if obj is not None else 0


def status_of(obj: Obj | None, field: str) -> int:
    return int(((obj or {}).get("status") or {}).get(field) or 0)


def rolling(d: Obj) -> bool:
    return ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate") == "RollingUpdate"


def fenceposts(d: Obj) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) for the Deployment's size; both 0 becomes unavailability 1."""
    update = ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}
    wanted = replicas(d)
    surge = scaled(update.get("maxSurge", "25%"), wanted, round_up=True)
    unavailable = scaled(update.get("maxUnavailable", "25%"), wanted, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    return fenceposts(d)[0] if rolling(d) else 0


def max_unavailable(d: Obj) -> int:
    if not rolling(d) or replicas(d) == 0:
        return 0
    return min(fenceposts(d)[1], replicas(d))


def template_hash(template: Obj, collisions: int | None) -> str:
    """The ``pod-template-hash``: FNV-1a (32 bits) of the template, then the collision count as
    upstream mixes it in, written in upstream's vowel-free alphabet. (Upstream hashes Go's
    printing of the struct, which cannot be reproduced; this hashes the sorted JSON.)"""
    value = 0x811C9DC5
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collisions is not None:
        data += struct.pack("<I", collisions & 0xFFFFFFFF) + b"\0\0\0\0"
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return safe_encode(str(value))


def without_hash(template: Obj) -> Obj:
    meta = dict(template.get("metadata") or {})
    labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != HASH_LABEL}
    if labels:
        meta["labels"] = labels
    else:
        meta.pop("labels", None)
    return {**template, "metadata": meta}


def same_template(a: Obj, b: Obj) -> bool:
    """Upstream's EqualIgnoreHash."""
    return without_hash(a) == without_hash(b)


def revision(rs: Obj) -> int:
    try:
        return int(((rs.get("metadata") or {}).get("annotations") or {}).get(REVISION, "0"))
    except ValueError:
        return 0


def created(obj: Obj) -> float:
    return parse_time((obj.get("metadata") or {}).get("creationTimestamp")) or 0.0


def by_creation(rss: list[Obj]) -> list[Obj]:
    """Oldest first (upstream's ReplicaSetsByCreationTimestamp; ties by name)."""
    return sorted(rss, key=lambda rs: (created(rs), rs["metadata"]["name"]))


def set_rs_annotations(d: Obj, rs: Obj, new_revision: int, *, exists: bool) -> bool:
    """Upstream's SetNewReplicaSetAnnotations on ``rs`` (changed in place); whether anything
    changed."""
    annotations = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in ((d.get("metadata") or {}).get("annotations") or {}).items():
        if key not in SKIPPED and annotations.get(key) != value:
            annotations[key] = value
            changed = True
    old_text = annotations.get(REVISION)
    try:
        old = int(old_text) if old_text else 0
    except ValueError:
        return changed
    if old < new_revision:
        annotations[REVISION] = str(new_revision)
        changed = True
        if old_text:
            history = [h for h in annotations.get(REVISION_HISTORY, "").split(",") if h] + [old_text]
            while history and len(",".join(history)) > REVISION_HISTORY_CHARS:
                history.pop(0)
            annotations[REVISION_HISTORY] = ",".join(history)
    if not exists and set_replica_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


def set_replica_annotations(rs: Obj, desired: int, most: int) -> bool:
    annotations = rs["metadata"].setdefault("annotations", {})
    wanted = {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(most)}
    if all(annotations.get(k) == v for k, v in wanted.items()):
        return False
    annotations.update(wanted)
    return True


def annotated(rs: Obj, key: str) -> int | None:
    value = ((rs.get("metadata") or {}).get("annotations") or {}).get(key)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def new_rs_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    """Upstream's NewRSNewReplicas: how far the new ReplicaSet may grow now."""
    if not rolling(d):
        return replicas(d)
    current = sum(replicas(rs) for rs in all_rss)
    most = replicas(d) + max_surge(d)
    if current >= most:
        return replicas(new_rs)
    return replicas(new_rs) + min(most - current, replicas(d) - replicas(new_rs))


def proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    """Upstream's GetReplicaSetProportion: this ReplicaSet's share of a resize."""
    if replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    if replicas(d) == 0:
        fraction = -replicas(rs)
    else:
        size = replicas(d) + max_surge(d)
        annotated_size = annotated(rs, MAX_REPLICAS)
        if annotated_size is None:
            annotated_size = status_of(d, "replicas")
        fraction = (_round(replicas(rs) * size / annotated_size) - replicas(rs)) if annotated_size else 0
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def _round(value: float) -> int:
    """Go's math.Round: halves away from zero."""
    return int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))


def condition(status: Obj, kind: str) -> Obj | None:
    return next((c for c in status.get("conditions") or () if c.get("type") == kind), None)


def set_condition(status: Obj, kind: str, state: str, reason: str, message: str, now: float) -> None:
    """Upstream's SetDeploymentCondition: nothing if the status and reason are the same; the
    transition time kept while the status stays."""
    current = condition(status, kind)
    if current is not None and current.get("status") == state and current.get("reason") == reason:
        return
    stamp = rfc3339(now)
    fresh = {"type": kind, "status": state, "lastUpdateTime": stamp, "lastTransitionTime": stamp,
             "reason": reason, "message": message}
    if current is not None and current.get("status") == state:
        fresh["lastTransitionTime"] = current.get("lastTransitionTime", stamp)
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != kind] + [fresh]


def remove_condition(status: Obj, kind: str) -> None:
    status["conditions"] = [c for c in status.get("conditions") or () if c.get("type") != kind]


def has_deadline(d: Obj) -> bool:
    deadline = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return deadline is not None and deadline != NO_DEADLINE


def complete(d: Obj, status: Obj) -> bool:
    wanted = replicas(d)
    return status.get("updatedReplicas", 0) == wanted and status.get("replicas", 0) == wanted and \
        status.get("availableReplicas", 0) == wanted and \
        status.get("observedGeneration", 0) >= (d["metadata"].get("generation") or 0)


def progressing(d: Obj, status: Obj) -> bool:
    old = d.get("status") or {}
    old_old = (old.get("replicas") or 0) - (old.get("updatedReplicas") or 0)
    new_old = status.get("replicas", 0) - status.get("updatedReplicas", 0)
    return status.get("updatedReplicas", 0) > (old.get("updatedReplicas") or 0) or new_old < old_old or \
        status.get("readyReplicas", 0) > (old.get("readyReplicas") or 0) or \
        status.get("availableReplicas", 0) > (old.get("availableReplicas") or 0)


def timed_out(d: Obj, status: Obj, now: float) -> bool:
    if not has_deadline(d):
        return False
    current = condition(status, "Progressing")
    if current is None or current.get("reason") == "NewReplicaSetAvailable":
        return False
    if current.get("reason") == "ProgressDeadlineExceeded":
        return True
    since = parse_time(current.get("lastUpdateTime")) or 0.0
    return since + int(d["spec"]["progressDeadlineSeconds"]) < now


def calculate_status(d: Obj, all_rss: list[Obj], new_rs: Obj | None, now: float) -> Obj:
    """Upstream's calculateStatus: counts from the ReplicaSets, and the Available condition."""
    available = sum(status_of(rs, "availableReplicas") for rs in all_rss)
    total = sum(replicas(rs) for rs in all_rss)
    status: Obj = {
        "observedGeneration": d["metadata"].get("generation"),
        "replicas": sum(status_of(rs, "replicas") for rs in all_rss),
        "updatedReplicas": status_of(new_rs, "replicas"),
        "readyReplicas": sum(status_of(rs, "readyReplicas") for rs in all_rss),
        "availableReplicas": available,
        "unavailableReplicas": max(total - available, 0),
        "terminatingReplicas": sum(status_of(rs, "terminatingReplicas") for rs in all_rss),
        "conditions": [dict(c) for c in (d.get("status") or {}).get("conditions") or ()],
    }
    collisions = (d.get("status") or {}).get("collisionCount")
    if collisions is not None:
        status["collisionCount"] = collisions
    if available >= replicas(d) - max_unavailable(d):
        set_condition(status, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.",
                      now)
    else:
        set_condition(status, "Available", "False", "MinimumReplicasUnavailable",
                      "Deployment does not have minimum availability.", now)
    return status
