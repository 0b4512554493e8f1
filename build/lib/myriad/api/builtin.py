"""The built-in resource types served, as upstream kube-apiserver 1.37 lists them in discovery
(names, kinds, verbs, short names, categories; taken from upstream's discovery snapshots).

Subresources that need a node or a container runtime (log, exec, attach, port-forward, proxy,
token) are not served and not listed. ``storage_prefix`` follows upstream's etcd layout.
"""

from __future__ import annotations

from myriad.api.registry import ResourceType, Subresource

_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_SUB = ("get", "patch", "update")


def _sub(
    name: str, kind: str, verbs: tuple[str, ...] = _SUB, group: str | None = None, version: str | None = None
) -> Subresource:
    return Subresource(name, verbs, kind, group, version)


BUILTIN: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "configmaps", "configmap", "ConfigMap", True, _RW, short_names=("cm",)),
    ResourceType(
        "",
        "v1",
        "endpoints",
        "endpoints",
        "Endpoints",
        True,
        _RW,
        short_names=("ep",),
        storage_prefix="/registry/services/endpoints/",
    ),
    ResourceType("", "v1", "events", "event", "Event", True, _RW, short_names=("ev",)),
    ResourceType(
        "",
        "v1",
        "namespaces",
        "namespace",
        "Namespace",
        False,
        ("create", "delete", "get", "list", "patch", "update", "watch"),
        short_names=("ns",),
        subresources=(
            _sub("finalize", "Namespace", ("update",)),
            _sub("status", "Namespace"),
        ),
    ),
    ResourceType(
        "",
        "v1",
        "nodes",
        "node",
        "Node",
        False,
        _RW,
        short_names=("no",),
        subresources=(_sub("status", "Node"),),
        storage_prefix="/registry/minions/",
    ),
    ResourceType(
        "",
        "v1",
        "pods",
        "pod",
        "Pod",
        True,
        _RW,
        short_names=("po",),
        categories=("all",),
        subresources=(
            _sub("binding", "Binding", ("create",)),
            _sub("eviction", "Eviction", ("create",), "policy", "v1"),
            _sub("status", "Pod"),
        ),
    ),
    ResourceType("", "v1", "secrets", "secret", "Secret", True, _RW),
    ResourceType("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", True, _RW, short_names=("sa",)),
    ResourceType(
        "",
        "v1",
        "services",
        "service",
        "Service",
        True,
        _RW,
        short_names=("svc",),
        categories=("all",),
        subresources=(_sub("status", "Service"),),
        storage_prefix="/registry/services/specs/",
    ),
    ResourceType("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", True, _RW),
    ResourceType(
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        "DaemonSet",
        True,
        _RW,
        short_names=("ds",),
        categories=("all",),
        subresources=(_sub("status", "DaemonSet"),),
    ),
    ResourceType(
        "apps",
        "v1",
        "deployments",
        "deployment",
        "Deployment",
        True,
        _RW,
        short_names=("deploy",),
        categories=("all",),
        subresources=(
            _sub("scale", "Scale", _SUB, "autoscaling", "v1"),
            _sub("status", "Deployment"),
        ),
    ),
    ResourceType(
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        "ReplicaSet",
        True,
        _RW,
        short_names=("rs",),
        categories=("all",),
        subresources=(
            _sub("scale", "Scale", _SUB, "autoscaling", "v1"),
            _sub("status", "ReplicaSet"),
        ),
    ),
    ResourceType(
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        "StatefulSet",
        True,
        _RW,
        short_names=("sts",),
        categories=("all",),
        subresources=(
            _sub("scale", "Scale", _SUB, "autoscaling", "v1"),
            _sub("status", "StatefulSet"),
        ),
    ),
    ResourceType(
        "batch",
        "v1",
        "cronjobs",
        "cronjob",
        "CronJob",
        True,
        _RW,
        short_names=("cj",),
        categories=("all",),
        subresources=(_sub("status", "CronJob"),),
    ),
    ResourceType(
        "batch", "v1", "jobs", "job", "Job", True, _RW, categories=("all",), subresources=(_sub("status", "Job"),)
    ),
    ResourceType("coordination.k8s.io", "v1", "leases", "lease", "Lease", True, _RW),
    ResourceType(
        "events.k8s.io",
        "v1",
        "events",
        "event",
        "Event",
        True,
        _RW,
        short_names=("ev",),
        storage_prefix="/registry/events/",  # shared with core/v1 Events, as upstream
    ),
    ResourceType("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", True, _RW),
    ResourceType(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        "PodDisruptionBudget",
        True,
        _RW,
        short_names=("pdb",),
        subresources=(_sub("status", "PodDisruptionBudget"),),
    ),
    ResourceType(
        "rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", False, _RW
    ),
    ResourceType("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", False, _RW),
    ResourceType("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", True, _RW),
    ResourceType("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", True, _RW),
    ResourceType(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "customresourcedefinition",
        "CustomResourceDefinition",
        False,
        _RW,
        short_names=("crd", "crds"),
        categories=("api-extensions",),
        subresources=(_sub("status", "CustomResourceDefinition"),),
        storage_prefix="/registry/apiextensions.k8s.io/customresourcedefinitions/",
    ),
)
