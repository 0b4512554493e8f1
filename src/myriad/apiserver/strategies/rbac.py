"""rbac.authorization.k8s.io/v1 Roles, ClusterRoles, RoleBindings and ClusterRoleBindings, as
upstream's RBAC strategies, defaults and pkg/apis/rbac/validation treat them: names need only be
path segments, a PUT may create, no generation; a binding's roleRef and its subjects' apiGroup
default to the RBAC group (a ServiceAccount subject's to none), and its roleRef may never
change. The escalation checks of upstream's RBAC registry need authorization, which Myriad does
not have (every request is allowed), so they always pass."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import (
    as_dict,
    dicts,
    go_strings,
    go_struct,
    label_selector_errors,
    raw_invalid,
    strings,
)

GROUP = "rbac.authorization.k8s.io"
SUBJECT_KINDS = ["ServiceAccount", "User", "Group"]


class _RBACStrategy(GenericStrategy):
    tracks_generation = False
    allow_create_on_update = True
    name_rule = "path"


def _rule_errors(rules: object, *, namespaced: bool) -> list[Cause]:
    """ValidatePolicyRule for each rule."""
    causes: list[Cause] = []
    for i, rule in enumerate(dicts(rules)):
        path = f"rules[{i}]"
        if not strings(rule.get("verbs")):
            causes.append(meta.required(f"{path}.verbs", "verbs must contain at least one value"))
        urls = strings(rule.get("nonResourceURLs"))
        if urls:
            rendered = go_strings("string", urls)
            if namespaced:
                causes.append(raw_invalid(f"{path}.nonResourceURLs", rendered,
                                          "namespaced rules cannot apply to non-resource URLs"))
            if any(strings(rule.get(key)) for key in ("apiGroups", "resources", "resourceNames")):
                causes.append(raw_invalid(f"{path}.nonResourceURLs", rendered,
                                          "rules cannot apply to both regular resources and non-resource URLs"))
            continue
        if not strings(rule.get("apiGroups")):
            causes.append(meta.required(f"{path}.apiGroups", "resource rules must supply at least one api group"))
        if not strings(rule.get("resources")):
            causes.append(meta.required(f"{path}.resources", "resource rules must supply at least one resource"))
    return causes


class RoleStrategy(_RBACStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + _rule_errors(obj.get("rules"), namespaced=True)


class ClusterRoleStrategy(_RBACStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj) + _rule_errors(obj.get("rules"), namespaced=False)
        aggregation = obj.get("aggregationRule")
        if isinstance(aggregation, dict):
            selectors = aggregation.get("clusterRoleSelectors")
            path = "aggregationRule.clusterRoleSelectors"
            if not selectors:
                causes.append(meta.required(path, "at least one clusterRoleSelector required if aggregationRule is "
                                                  "non-nil"))
            for i, selector in enumerate(dicts(selectors)):
                causes += label_selector_errors(selector, f"{path}[{i}]")
        return causes


class _BindingStrategy(_RBACStrategy):
    #: The roleRef kinds the binding may name.
    role_kinds: list[str] = []
    namespaced = True

    def default(self, obj: Obj) -> None:
        role_ref = obj.get("roleRef")
        if isinstance(role_ref, dict) and not role_ref.get("apiGroup"):
            role_ref["apiGroup"] = GROUP
        for subject in dicts(obj.get("subjects")):
            if not subject.get("apiGroup") and subject.get("kind") in ("User", "Group"):
                subject["apiGroup"] = GROUP

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        role_ref = as_dict(obj.get("roleRef"))
        group = role_ref.get("apiGroup") or ""
        if group != GROUP:
            causes.append(meta.unsupported("roleRef.apiGroup", group, [GROUP]))
        if role_ref.get("kind") not in self.role_kinds:
            causes.append(meta.unsupported("roleRef.kind", role_ref.get("kind") or "", self.role_kinds))
        name = role_ref.get("name")
        if not name:
            causes.append(meta.required("roleRef.name"))
        else:
            causes += [meta.invalid("roleRef.name", name, e) for e in meta.path_segment_errors(str(name))]
        for i, subject in enumerate(dicts(obj.get("subjects"))):
            causes += _subject_errors(subject, f"subjects[{i}]", namespaced=self.namespaced)
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        new_ref, old_ref = as_dict(new.get("roleRef")), as_dict(old.get("roleRef"))
        if any(new_ref.get(k) != old_ref.get(k) for k in ("apiGroup", "kind", "name")):
            rendered = go_struct("rbac.RoleRef", [(key, str(new_ref.get(k) or ""))
                                                  for key, k in (("APIGroup", "apiGroup"), ("Kind", "kind"),
                                                                 ("Name", "name"))])
            causes.append(raw_invalid("roleRef", rendered, "cannot change roleRef"))
        return causes


def _subject_errors(subject: dict[str, object], path: str, *, namespaced: bool) -> list[Cause]:
    """ValidateRoleBindingSubject."""
    name, kind, group = subject.get("name") or "", subject.get("kind"), subject.get("apiGroup") or ""
    causes = [] if name else [meta.required(f"{path}.name")]
    if kind == "ServiceAccount":
        if name:
            causes += [meta.invalid(f"{path}.name", name, e) for e in meta.dns1123_subdomain_errors(str(name))]
        if group:
            causes.append(meta.unsupported(f"{path}.apiGroup", group, [""]))
        if not namespaced and not subject.get("namespace"):
            causes.append(meta.required(f"{path}.namespace"))
    elif kind in ("User", "Group"):
        if group != GROUP:
            causes.append(meta.unsupported(f"{path}.apiGroup", group, [GROUP]))
    else:
        causes.append(meta.unsupported(f"{path}.kind", kind or "", SUBJECT_KINDS))
    return causes


class RoleBindingStrategy(_BindingStrategy):
    role_kinds = ["Role", "ClusterRole"]


class ClusterRoleBindingStrategy(_BindingStrategy):
    role_kinds = ["ClusterRole"]
    namespaced = False
