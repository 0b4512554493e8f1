"""The objects a kubelet writes about its node: the Node it registers, its status, its Lease.

A hollow node's Node looks like a real kubelet's registration: the well-known labels (hostname,
os, arch, instance type, zone and region), capacity and allocatable (capacity less the system
reserve), the four conditions, addresses, nodeInfo, the kubelet's daemon endpoint and a pod CIDR
(its index's /24 of 10.0.0.0/8 when the controller manager has not allocated one).
"""

from __future__ import annotations

import hashlib
from typing import Any

from myriad.api import quantity
from myriad.api.meta import rfc3339, rfc3339_micro
from myriad.nodes.types import NodeClass, NodesOptions

#: The four conditions a kubelet reports, with what each says while all is well.
_HEALTHY = (
    ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
)


def pod_cidr(index: int) -> str:
    """Node ``index``'s /24 of 10.0.0.0/8, unique for the first 65,536 nodes."""
    return f"10.{index // 256 % 256}.{index % 256}.0/24"


def internal_ip(index: int) -> str:
    """Node ``index``'s address, in 172.16.0.0/12."""
    return f"172.{16 + index // 65536 % 16}.{index // 256 % 256}.{index % 256}"


def node_object(options: NodesOptions, index: int, *, now: float, kubelet_version: str) -> dict[str, Any]:
    """The Node named ``options.name(index)`` as its kubelet registers it, status included."""
    name = options.name(index)
    status: dict[str, Any] = {
        "capacity": capacity(options.node_class),
        "allocatable": allocatable(options.node_class),
        "conditions": conditions(now),
        "addresses": [{"type": "InternalIP", "address": internal_ip(index)}, {"type": "Hostname", "address": name}],
        "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
        "nodeInfo": {
            "machineID": _hex(name, "machine"), "systemUUID": _uuid(name), "bootID": _uuid(name + "/boot"),
            "kernelVersion": "6.1.0-myriad", "osImage": "Myriad hollow node", "containerRuntimeVersion":
                "containerd://2.0.0", "kubeletVersion": kubelet_version, "kubeProxyVersion": "",
            "operatingSystem": "linux", "architecture": "amd64",
        },
    }
    if options.images:
        status["images"] = [{"names": [f"registry.myriad.dev/hollow/image-{i}@sha256:{_digest(str(i))}",
                                       f"registry.myriad.dev/hollow/image-{i}:v1"],
                             "sizeBytes": 10_000_000 + i * 1_000_003} for i in range(options.images)]
    cidr = pod_cidr(index)
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": node_labels(options, index), "annotations": {
            "node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
        "spec": {"podCIDR": cidr, "podCIDRs": [cidr]},
        "status": status,
    }


def node_labels(options: NodesOptions, index: int) -> dict[str, str]:
    """The labels node ``index`` registers with: the well-known ones, its zone round-robin."""
    name = options.name(index)
    return {
        "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64",
        "node.kubernetes.io/instance-type": options.node_class.instance_type,
        "topology.kubernetes.io/zone": f"{options.region}-{chr(ord('a') + index % options.zones)}",
        "topology.kubernetes.io/region": options.region,
        "myriad.dev/hollow": "true",
    }


def capacity(node_class: NodeClass) -> dict[str, str]:
    return {"cpu": node_class.cpu, "memory": node_class.memory, "pods": str(node_class.pods),
            "ephemeral-storage": node_class.ephemeral_storage}


def allocatable(node_class: NodeClass) -> dict[str, str]:
    """Capacity less the system reserve, as the kubelet reports it."""
    return {**capacity(node_class), "cpu": _less(node_class.cpu, node_class.reserved_cpu, "cpu"),
            "memory": _less(node_class.memory, node_class.reserved_memory, "memory")}


def conditions(now: float) -> list[dict[str, str]]:
    """The four healthy conditions, heartbeated and last changed at ``now`` (later reports move
    only the heartbeat times: :mod:`myriad.nodes.status`)."""
    beat = rfc3339(now)
    return [{"type": kind, "status": value, "lastHeartbeatTime": beat, "lastTransitionTime": beat,
             "reason": reason, "message": message} for kind, value, reason, message in _HEALTHY]


def corrected(current: list[dict[str, Any]], now: float) -> list[dict[str, Any]] | None:
    """The four healthy conditions to write over ``current`` (a Node's conditions as the API has
    them), each keeping its lastTransitionTime if its status did not change; None if ``current``
    already says what a healthy kubelet says."""
    by_type = {c.get("type"): c for c in current}
    if all((by_type.get(kind) or {}).get("status") == value and (by_type.get(kind) or {}).get("reason") == reason
           for kind, value, reason, _ in _HEALTHY):
        return None
    beat = rfc3339(now)
    out = []
    for kind, value, reason, message in _HEALTHY:
        previous = by_type.get(kind) or {}
        since = previous.get("lastTransitionTime") if previous.get("status") == value else None
        out.append({"type": kind, "status": value, "lastHeartbeatTime": beat, "lastTransitionTime": since or beat,
                    "reason": reason, "message": message})
    return out


def lease_object(node: str, node_uid: str, *, now: float, duration: int) -> dict[str, Any]:
    """The node's Lease in kube-node-lease, owned by its Node, as the kubelet creates it."""
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": node, "namespace": "kube-node-lease", "ownerReferences": [
                {"apiVersion": "v1", "kind": "Node", "name": node, "uid": node_uid}]},
            "spec": {"holderIdentity": node, "leaseDurationSeconds": duration, "renewTime": rfc3339_micro(now)}}


def _less(total: str, reserved: str, resource: str) -> str:
    left = (quantity.parse(total) or 0) - (quantity.parse(reserved) or 0)
    if resource == "cpu":
        return f"{int(left * 1000)}m"
    return f"{int(left) // 1024}Ki"


def _digest(seed: str) -> str:
    return hashlib.sha256(f"image/{seed}".encode()).hexdigest()


def _hex(seed: str, salt: str) -> str:
    return hashlib.sha256(f"{salt}/{seed}".encode()).hexdigest()[:32]


def _uuid(seed: str) -> str:
    h = _hex(seed, "uuid")
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"
