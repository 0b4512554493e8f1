"""A kubelet's admission of a pod bound to its node: the checks of upstream's
``predicateAdmitHandler`` that a hollow node can make, in its order, the first failure named.

1. A pod labelled ``kubernetes.io/os`` other than the node's: ``PodOSSelectorNodeLabelDoesNotMatch``;
   a ``spec.os.name`` other than linux: ``PodOSNotSupported``.
2. Resources, against allocatable less what the node's admitted pods request: pods, then cpu,
   memory, ephemeral-storage, each ``OutOf<resource>`` with InsufficientResourceError's message.
3. The pod's node selector and required node affinity: ``NodeAffinity``.

Host ports and NoExecute taints are not checked: hollow nodes bind no ports and carry no taints
of their own. A rejected pod goes to ``Failed`` with the reason and ``"Pod was rejected: "`` and the
message, as upstream's ``rejectPod`` writes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from myriad.api.nodeaffinity import required_affinity_matches
from myriad.api.podrequests import Requests, pod_requests


@dataclass(frozen=True, slots=True)
class Rejection:
    reason: str
    message: str


@dataclass(slots=True)
class NodeUsage:
    """What a node has admitted: the sum of its live pods' requests, by pod key."""

    allocatable: Requests
    max_pods: int
    requested: Requests = Requests()
    pods: dict[str, Requests] = field(default_factory=dict)

    def add(self, key: str, requests: Requests) -> None:
        if key not in self.pods:
            self.pods[key] = requests
            self.requested = self.requested + requests

    def remove(self, key: str) -> None:
        requests = self.pods.pop(key, None)
        if requests is not None:
            self.requested = self.requested - requests


def admit(pod: Mapping[str, Any], *, node: str, labels: Mapping[str, str], usage: NodeUsage) -> Rejection | None:
    """None if ``node`` admits ``pod`` (the caller then adds it to ``usage``), else why not."""
    spec = pod.get("spec") or {}
    pod_os = ((pod.get("metadata") or {}).get("labels") or {}).get("kubernetes.io/os")
    if pod_os is not None and pod_os != labels.get("kubernetes.io/os", "linux"):
        return Rejection("PodOSSelectorNodeLabelDoesNotMatch",
                         "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label")
    if (spec.get("os") or {}).get("name", "linux") != "linux":
        return Rejection("PodOSNotSupported", "Failed to admit pod as the OS field doesn't match node OS")
    if len(usage.pods) + 1 > usage.max_pods:
        return _insufficient("pods", 1, len(usage.pods), usage.max_pods)
    wanted, used, room = pod_requests(spec), usage.requested, usage.allocatable
    for resource, asked, taken, total in (("cpu", wanted.cpu_milli, used.cpu_milli, room.cpu_milli),
                                          ("memory", wanted.memory, used.memory, room.memory),
                                          ("ephemeral-storage", wanted.ephemeral_storage, used.ephemeral_storage,
                                           room.ephemeral_storage)):
        if asked > 0 and asked > total - taken:
            return _insufficient(resource, asked, taken, total)
    if not required_affinity_matches(spec, name=node, labels=labels):
        return Rejection("NodeAffinity",
                         "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector")
    return None


def _insufficient(resource: str, requested: int, used: int, capacity: int) -> Rejection:
    return Rejection(f"OutOf{resource}", f"Node didn't have enough resource: {resource}, requested: {requested}, "
                                         f"used: {used}, capacity: {capacity}")
