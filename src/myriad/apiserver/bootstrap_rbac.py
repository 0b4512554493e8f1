"""Upstream's bootstrap RBAC objects, as the ``rbac/bootstrap-roles`` post-start hook creates
them: every ClusterRole and ClusterRoleBinding (cluster-admin, admin, edit, view, the
``system:aggregate-to-*`` roles, the ``system:*`` component and node roles, one
``system:controller:*`` role and binding per controller) and the Roles and RoleBindings in
kube-system and kube-public.

``bootstrap_rbac.json`` holds them as upstream's golden files
(plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata) list them, with every feature gate at
its default; its ``source`` says which copies they came from. ``admin``, ``edit`` and ``view``
carry an aggregationRule; upstream's clusterrole-aggregation controller fills their rules from
the roles their selectors match. Until Myriad's controller manager runs that controller, the
rules are filled here once, as it would fill them (:func:`aggregated`).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import orjson

Obj = dict[str, Any]


@functools.cache
def _objects() -> dict[str, list[Obj]]:
    return orjson.loads((Path(__file__).parent / "bootstrap_rbac.json").read_bytes())


def _matches(role: Obj, selectors: list[Obj]) -> bool:
    labels = role["metadata"].get("labels") or {}
    return any(all(labels.get(k) == v for k, v in (selector.get("matchLabels") or {}).items())
               for selector in selectors)


def aggregated(roles: list[Obj]) -> list[Obj]:
    """``roles`` with each aggregating role's rules filled from the roles it selects, in name
    order and without repeats, as upstream's controller does; repeated until nothing changes,
    since an aggregated role (edit) may itself be selected (by admin)."""
    roles = [{**role, "rules": list(role.get("rules") or [])} for role in roles]
    by_name = sorted(roles, key=lambda role: role["metadata"]["name"])
    changed = True
    while changed:
        changed = False
        for role in roles:
            selectors = (role.get("aggregationRule") or {}).get("clusterRoleSelectors")
            if not selectors:
                continue
            rules: list[Obj] = []
            for other in by_name:
                if other is not role and _matches(other, selectors):
                    rules += [rule for rule in other["rules"] if rule not in rules]
            if rules != role["rules"]:
                role["rules"], changed = rules, True
    return roles


def cluster_roles() -> list[Obj]:
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", **role}
            for role in aggregated(_objects()["clusterRoles"])]


def cluster_role_bindings() -> list[Obj]:
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", **binding}
            for binding in _objects()["clusterRoleBindings"]]


def roles() -> list[Obj]:
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", **role} for role in _objects()["roles"]]


def role_bindings() -> list[Obj]:
    return [{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", **binding}
            for binding in _objects()["roleBindings"]]
