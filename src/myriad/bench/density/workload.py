"""The objects ``myriad bench density`` creates, in clusterloader2's load-test shapes.

Each namespace gets the same mix of Deployments: big ones of 250 replicas holding a quarter of
its pods, medium ones of 30 another quarter, small ones of 5 the rest (a last, smaller one takes
what does not divide). Each Deployment comes with a Service selecting its pods, and a ConfigMap
and a Secret that its pods mount (the hollow kubelets start a pod only once both exist).

Pure: bodies and the plan only; :mod:`.phases` sends them.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from myriad.bench.density.config import DensityConfig

#: clusterloader2's group sizes.
BIG, MEDIUM, SMALL = 250, 30, 5
#: The label every measured pod carries (the bench's watch selects on it).
LABEL = "myriad.dev/density"
IMAGE = "registry.k8s.io/pause:3.10"


@dataclass(frozen=True, slots=True)
class Group:
    namespace: str
    name: str
    replicas: int


def namespace_name(i: int) -> str:
    return f"density-{i}"


def shapes(pods: int) -> list[int]:
    """The replicas of each Deployment of a namespace holding ``pods`` pods (they add up to it)."""
    big = pods // (4 * BIG)
    medium = pods // (4 * MEDIUM)
    rest = pods - big * BIG - medium * MEDIUM
    out = [BIG] * big + [MEDIUM] * medium + [SMALL] * (rest // SMALL)
    if rest % SMALL:
        out.append(rest % SMALL)
    return out


def plan(config: DensityConfig) -> list[Group]:
    """Every Deployment, interleaved across namespaces (so each fills at the same pace)."""
    per, extra = divmod(config.pods, config.namespaces)
    by_namespace = [[Group(namespace_name(i), f"{_kind(r)}-{j}", r) for j, r in enumerate(shapes(per + (i < extra)))]
                    for i in range(config.namespaces)]
    out: list[Group] = []
    for k in range(max(len(groups) for groups in by_namespace)):
        out += [groups[k] for groups in by_namespace if k < len(groups)]
    return out


def _kind(replicas: int) -> str:
    return "big" if replicas == BIG else "medium" if replicas == MEDIUM else "small"


def config_map(group: Group) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"{group.name}-config"},
            "data": {"settings": f"group={group.name}"}}


def secret(group: Group) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"{group.name}-secret"}, "type": "Opaque",
            "data": {"token": base64.b64encode(f"token-{group.name}".encode()).decode()}}


def service(group: Group) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": group.name},
            "spec": {"selector": {"app": group.name}, "ports": [{"port": 80, "targetPort": 8080}]}}


def deployment(group: Group, replicas: int | None = None) -> dict[str, object]:
    labels = {"app": group.name, LABEL: "1"}
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": group.name},
            "spec": {"replicas": group.replicas if replicas is None else replicas,
                     "selector": {"matchLabels": {"app": group.name}},
                     "template": {"metadata": {"labels": labels}, "spec": {
                         "containers": [{"name": "app", "image": IMAGE,
                                         "resources": {"requests": {"cpu": "10m", "memory": "10Mi"}},
                                         "volumeMounts": [{"name": "config", "mountPath": "/etc/config"},
                                                          {"name": "secret", "mountPath": "/etc/secret"}]}],
                         "volumes": [{"name": "config", "configMap": {"name": f"{group.name}-config"}},
                                     {"name": "secret", "secret": {"secretName": f"{group.name}-secret"}}]}}}}
