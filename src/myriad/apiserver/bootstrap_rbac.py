"""Upstream's bootstrap RBAC objects (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), as the
``rbac/bootstrap-roles`` post-start hook creates them: the user-facing ClusterRoles
(cluster-admin, admin, edit, view and the ``system:aggregate-to-*`` roles they gather), the
discovery and self-review roles every client needs, and their bindings.

``admin``, ``edit`` and ``view`` carry an aggregationRule; upstream's clusterrole-aggregation
controller fills their rules from the roles their selectors match. Until Myriad's controller
manager runs that controller, the rules are filled here once, as the controller would.
"""

from __future__ import annotations

Rule = dict[str, list[str]]

_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]
_RW = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_ANNOTATIONS = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
_AGGREGATE = "rbac.authorization.k8s.io/aggregate-to-"


def _rule(groups: str, resources: str, verbs: list[str]) -> Rule:
    return {"verbs": verbs, "apiGroups": groups.split(","), "resources": resources.split(",")}


def _urls(urls: str, verbs: list[str]) -> Rule:
    return {"verbs": verbs, "nonResourceURLs": urls.split(",")}


_AGGREGATE_TO_VIEW = [
    _rule("", "pods,replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/status,"
              "endpoints,persistentvolumeclaims,persistentvolumeclaims/status,configmaps", _READ),
    _rule("", "limitranges,resourcequotas,bindings,events,pods/status,resourcequotas/status,namespaces/status,"
              "replicationcontrollers/status,pods/log", _READ),
    _rule("", "namespaces", _READ),
    _rule("discovery.k8s.io", "endpointslices", _READ),
    _rule("apps", "controllerrevisions,statefulsets,statefulsets/status,statefulsets/scale,daemonsets,"
                  "daemonsets/status,deployments,deployments/status,deployments/scale,replicasets,replicasets/status,"
                  "replicasets/scale", _READ),
    _rule("autoscaling", "horizontalpodautoscalers,horizontalpodautoscalers/status", _READ),
    _rule("batch", "jobs,jobs/status,cronjobs,cronjobs/status", _READ),
    _rule("extensions", "daemonsets,daemonsets/status,deployments,deployments/scale,deployments/status,ingresses,"
                        "ingresses/status,replicasets,replicasets/scale,replicasets/status,"
                        "replicationcontrollers/scale,networkpolicies", _READ),
    _rule("policy", "poddisruptionbudgets,poddisruptionbudgets/status", _READ),
    _rule("networking.k8s.io", "ingresses,ingresses/status,networkpolicies", _READ),
]
_AGGREGATE_TO_EDIT = [
    _rule("", "pods/attach,pods/proxy,pods/exec,pods/portforward,secrets,services/proxy", _READ),
    _rule("", "serviceaccounts", ["impersonate"]),
    _rule("", "pods,pods/attach,pods/proxy,pods/exec,pods/portforward", _WRITE),
    _rule("", "pods/eviction", ["create"]),
    _rule("", "replicationcontrollers,replicationcontrollers/scale,serviceaccounts,services,services/proxy,"
              "persistentvolumeclaims,configmaps,secrets,events", _WRITE),
    _rule("", "serviceaccounts/token", ["create"]),
    _rule("apps", "statefulsets,statefulsets/scale,daemonsets,deployments,deployments/scale,deployments/rollback,"
                  "replicasets,replicasets/scale", _WRITE),
    _rule("autoscaling", "horizontalpodautoscalers", _WRITE),
    _rule("batch", "jobs,cronjobs", _WRITE),
    _rule("extensions", "daemonsets,deployments,deployments/scale,deployments/rollback,ingresses,replicasets,"
                        "replicasets/scale,replicationcontrollers/scale,networkpolicies", _WRITE),
    _rule("policy", "poddisruptionbudgets", _WRITE),
    _rule("networking.k8s.io", "networkpolicies,ingresses", _WRITE),
]
_AGGREGATE_TO_ADMIN = [
    _rule("authorization.k8s.io", "localsubjectaccessreviews", ["create"]),
    _rule("rbac.authorization.k8s.io", "roles,rolebindings", _RW),
]

#: name → (rules, labels beyond the bootstrap label, the label its aggregationRule selects or "")
CLUSTER_ROLES: dict[str, tuple[list[Rule], dict[str, str], str]] = {
    "cluster-admin": ([_rule("*", "*", ["*"]), _urls("*", ["*"])], {}, ""),
    "admin": (_AGGREGATE_TO_ADMIN + _AGGREGATE_TO_EDIT + _AGGREGATE_TO_VIEW, {}, "admin"),
    "edit": (_AGGREGATE_TO_EDIT + _AGGREGATE_TO_VIEW, {_AGGREGATE + "admin": "true"}, "edit"),
    "view": (list(_AGGREGATE_TO_VIEW), {_AGGREGATE + "edit": "true"}, "view"),
    "system:aggregate-to-admin": (_AGGREGATE_TO_ADMIN, {_AGGREGATE + "admin": "true"}, ""),
    "system:aggregate-to-edit": (_AGGREGATE_TO_EDIT, {_AGGREGATE + "edit": "true"}, ""),
    "system:aggregate-to-view": (_AGGREGATE_TO_VIEW, {_AGGREGATE + "view": "true"}, ""),
    "system:discovery": ([_urls("/api,/api/*,/apis,/apis/*,/healthz,/livez,/openapi,/openapi/*,/readyz,/version,"
                                "/version/", ["get"])], {}, ""),
    "system:public-info-viewer": ([_urls("/healthz,/livez,/readyz,/version,/version/", ["get"])], {}, ""),
    "system:monitoring": ([_urls("/healthz,/healthz/*,/livez,/livez/*,/metrics,/metrics/slis,/readyz,/readyz/*",
                                 ["get"])], {}, ""),
    "system:basic-user": ([_rule("authorization.k8s.io", "selfsubjectaccessreviews,selfsubjectrulesreviews",
                                 ["create"]),
                           _rule("authentication.k8s.io", "selfsubjectreviews", ["create"])], {}, ""),
    "system:auth-delegator": ([_rule("authentication.k8s.io", "tokenreviews", ["create"]),
                               _rule("authorization.k8s.io", "subjectaccessreviews", ["create"])], {}, ""),
}

_GROUP, _USER = "Group", "User"
#: binding name (= its ClusterRole) → subjects, as (kind, name)
CLUSTER_ROLE_BINDINGS: dict[str, list[tuple[str, str]]] = {
    "cluster-admin": [(_GROUP, "system:masters")],
    "system:basic-user": [(_GROUP, "system:authenticated")],
    "system:discovery": [(_GROUP, "system:authenticated")],
    "system:public-info-viewer": [(_GROUP, "system:authenticated"), (_GROUP, "system:unauthenticated")],
    "system:monitoring": [(_GROUP, "system:monitoring")],
}


def cluster_role(name: str) -> dict[str, object]:
    rules, labels, aggregates = CLUSTER_ROLES[name]
    metadata = {"name": name, "labels": {**_LABELS, **labels}, "annotations": dict(_ANNOTATIONS)}
    obj: dict[str, object] = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                              "metadata": metadata, "rules": [dict(rule) for rule in rules]}
    if aggregates:
        obj["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {_AGGREGATE + aggregates: "true"}}]}
    return obj


def cluster_role_binding(name: str) -> dict[str, object]:
    subjects = [{"kind": kind, "apiGroup": "rbac.authorization.k8s.io", "name": subject}
                for kind, subject in CLUSTER_ROLE_BINDINGS[name]]
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": name, "labels": dict(_LABELS), "annotations": dict(_ANNOTATIONS)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name},
            "subjects": subjects}
