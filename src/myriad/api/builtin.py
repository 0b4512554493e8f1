"""The built-in resource types served, as upstream kube-apiserver 1.37 lists them in discovery
(names, kinds, verbs, short names, categories; taken from upstream's discovery snapshots).

Subresources that need a node or a container runtime (log, exec, attach, port-forward, proxy,
token) are not served and not listed. ``storage_prefix`` follows upstream's etcd layout. Beta
versions are not listed: since 1.24 every new beta is off by default, and 1.37 has none on.
"""

from __future__ import annotations

from myriad.api.registry import ResourceType, Subresource

_RW = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
_SUB = ("get", "patch", "update")


def _sub(
    name: str, kind: str, verbs: tuple[str, ...] = _SUB, group: str | None = None, version: str | None = None
) -> Subresource:
    return Subresource(name, verbs, kind, group, version)


def _r(group: str, version: str, plural: str, kind: str, *, namespaced: bool = False, verbs: tuple[str, ...] = _RW,
       short: tuple[str, ...] = (), categories: tuple[str, ...] = (), status: bool = False,
       subresources: tuple[Subresource, ...] = (), prefix: str = "", stored: bool = True) -> ResourceType:
    """A resource whose singular name is its kind in lower case."""
    subs = (*subresources, *((_sub("status", kind),) if status else ()))
    return ResourceType(group, version, plural, kind.lower(), kind, namespaced, verbs, short_names=short,
                        categories=categories, subresources=subs, storage_prefix=prefix, stored=stored)


_CREATE = ("create",)
_EXT = ("api-extensions",)
_SCALE = _sub("scale", "Scale", _SUB, "autoscaling", "v1")


BUILTIN: tuple[ResourceType, ...] = (
    ResourceType("", "v1", "bindings", "binding", "Binding", True, _CREATE, stored=False),
    _r("", "v1", "componentstatuses", "ComponentStatus", verbs=("get", "list"), short=("cs",), stored=False),
    _r("", "v1", "limitranges", "LimitRange", namespaced=True, short=("limits",)),
    _r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", namespaced=True, short=("pvc",), status=True),
    _r("", "v1", "persistentvolumes", "PersistentVolume", short=("pv",), status=True),
    _r("", "v1", "podtemplates", "PodTemplate", namespaced=True),
    _r("", "v1", "replicationcontrollers", "ReplicationController", namespaced=True, short=("rc",),
       categories=("all",), status=True, subresources=(_SCALE,), prefix="/registry/controllers/"),
    _r("", "v1", "resourcequotas", "ResourceQuota", namespaced=True, short=("quota",), status=True),
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
            _sub("ephemeralcontainers", "Pod"),
            _sub("eviction", "Eviction", ("create",), "policy", "v1"),
            _sub("resize", "Pod"),
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
    _r("apiregistration.k8s.io", "v1", "apiservices", "APIService", categories=_EXT, status=True,
       prefix="/registry/apiregistration.k8s.io/apiservices/"),
    _r("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", verbs=_CREATE, stored=False),
    _r("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", verbs=_CREATE, stored=False),
    _r("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", namespaced=True,
       verbs=_CREATE, stored=False),
    _r("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", verbs=_CREATE,
       stored=False),
    _r("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", verbs=_CREATE,
       stored=False),
    _r("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", verbs=_CREATE, stored=False),
    # v2 first: the preferred version; both are stored as v2
    _r("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", namespaced=True, short=("hpa",),
       categories=("all",), status=True),
    _r("autoscaling", "v1", "horizontalpodautoscalers", "HorizontalPodAutoscaler", namespaced=True, short=("hpa",),
       categories=("all",), status=True),
    _r("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", short=("csr",),
       status=True, subresources=(_sub("approval", "CertificateSigningRequest"),)),
    _r("certificates.k8s.io", "v1", "clustertrustbundles", "ClusterTrustBundle"),
    _r("certificates.k8s.io", "v1", "podcertificaterequests", "PodCertificateRequest", namespaced=True, status=True),
    _r("networking.k8s.io", "v1", "ingressclasses", "IngressClass"),
    _r("networking.k8s.io", "v1", "ingresses", "Ingress", namespaced=True, short=("ing",), status=True,
       prefix="/registry/ingress/"),
    _r("networking.k8s.io", "v1", "ipaddresses", "IPAddress", short=("ip",)),
    _r("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", namespaced=True, short=("netpol",)),
    _r("networking.k8s.io", "v1", "servicecidrs", "ServiceCIDR", status=True),
    _r("storage.k8s.io", "v1", "csidrivers", "CSIDriver"),
    _r("storage.k8s.io", "v1", "csinodes", "CSINode"),
    _r("storage.k8s.io", "v1", "csistoragecapacities", "CSIStorageCapacity", namespaced=True),
    _r("storage.k8s.io", "v1", "storageclasses", "StorageClass", short=("sc",)),
    _r("storage.k8s.io", "v1", "volumeattachments", "VolumeAttachment", status=True),
    _r("storage.k8s.io", "v1", "volumeattributesclasses", "VolumeAttributesClass", short=("vac",)),
    _r("admissionregistration.k8s.io", "v1", "mutatingadmissionpolicies", "MutatingAdmissionPolicy",
       categories=_EXT),
    _r("admissionregistration.k8s.io", "v1", "mutatingadmissionpolicybindings", "MutatingAdmissionPolicyBinding",
       categories=_EXT),
    _r("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration",
       categories=_EXT),
    _r("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies", "ValidatingAdmissionPolicy",
       categories=_EXT, status=True),
    _r("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings",
       "ValidatingAdmissionPolicyBinding", categories=_EXT),
    _r("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration",
       categories=_EXT),
    _r("scheduling.k8s.io", "v1", "priorityclasses", "PriorityClass", short=("pc",)),
    _r("node.k8s.io", "v1", "runtimeclasses", "RuntimeClass"),
    _r("resource.k8s.io", "v1", "deviceclasses", "DeviceClass"),
    _r("resource.k8s.io", "v1", "resourceclaims", "ResourceClaim", namespaced=True, status=True),
    _r("resource.k8s.io", "v1", "resourceclaimtemplates", "ResourceClaimTemplate", namespaced=True),
    _r("resource.k8s.io", "v1", "resourceslices", "ResourceSlice"),
    _r("flowcontrol.apiserver.k8s.io", "v1", "flowschemas", "FlowSchema", status=True),
    _r("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations", "PriorityLevelConfiguration",
       status=True),
    _r("storagemigration.k8s.io", "v1", "storageversionmigrations", "StorageVersionMigration", status=True),
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
