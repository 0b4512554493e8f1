"""ValidatingAdmissionPolicies and MutatingAdmissionPolicies and their bindings
(admissionregistration.k8s.io/v1), as upstream's strategies, v1 defaults and
pkg/apis/admissionregistration/validation treat them: policies fail closed by default, match
resources select everything by equivalent match unless told otherwise; generations move on spec
changes and updates must be conditional. CEL expressions are checked for presence only: Myriad
has no CEL compiler. MutatingAdmissionPolicy's mutations are checked for their patch type and
its expression, which is as far as this re-implementation goes (marked in the report)."""

from __future__ import annotations

import re

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import (
    as_dict,
    dicts,
    dns1035_label_errors,
    go_strings,
    label_selector_errors,
    raw_invalid,
    spec_of,
    strings,
)
from myriad.apiserver.strategies.webhooks import (
    FAILURE_POLICIES,
    MATCH_POLICIES,
    REINVOCATION_POLICIES,
    default_rules,
    match_condition_errors,
    rule_with_operations_errors,
)

VALIDATION_ACTIONS = ["Audit", "Deny", "Warn"]
NOT_FOUND_ACTIONS = ["Deny", "Allow"]
REASONS = ["Forbidden", "Invalid", "RequestEntityTooLarge"]
PATCH_TYPES = ["ApplyConfiguration", "JSONPatch"]
MAX_AUDIT_ANNOTATIONS = 20
_MAX_VALUE_EXPRESSION = 5 * 1024
_CEL_IDENTIFIER = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")
_CEL_RESERVED = frozenset({"true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
                           "function", "if", "import", "let", "loop", "package", "namespace", "return", "var", "void",
                           "while"})


def default_match_resources(match: object) -> None:
    """SetDefaults_MatchResources, and scope ``*`` on each rule."""
    if not isinstance(match, dict):
        return
    if match.get("matchPolicy") is None:
        match["matchPolicy"] = "Equivalent"
    for key in ("namespaceSelector", "objectSelector"):
        if match.get(key) is None:
            match[key] = {}
    default_rules(match.get("resourceRules"))
    default_rules(match.get("excludeResourceRules"))


def match_resources_errors(match: dict[str, object], path: str) -> list[Cause]:
    """validateMatchResources."""
    causes = []
    policy = match.get("matchPolicy")
    if policy is None:
        causes.append(meta.required(f"{path}.matchPolicy"))
    elif policy not in MATCH_POLICIES:
        causes.append(meta.unsupported(f"{path}.matchPolicy", policy, MATCH_POLICIES))
    for key in ("namespaceSelector", "objectSelector"):
        if match.get(key) is None:
            causes.append(meta.required(f"{path}.{key}"))
        else:
            causes += label_selector_errors(match[key], f"{path}.{key}")
    for key in ("resourceRules", "excludeResourceRules"):
        for i, rule in enumerate(dicts(match.get(key))):
            item = f"{path}.{key}[{i}]"
            names: set[str] = set()
            for j, name in enumerate(strings(rule.get("resourceNames"))):
                causes += [meta.invalid(f"{item}.resourceNames[{j}]", name, e) for e in meta.path_segment_errors(name)]
                if name in names:
                    causes.append(meta.duplicate(f"{item}.resourceNames[{j}]", name))
                names.add(name)
            causes += rule_with_operations_errors(rule, item)
    return causes


def _param_kind_errors(kind: dict[str, object], path: str) -> list[Cause]:
    causes = []
    api_version = kind.get("apiVersion")
    if not api_version or not isinstance(api_version, str):
        causes.append(meta.required(f"{path}.apiVersion"))
    elif api_version.count("/") > 1:
        causes.append(meta.invalid(f"{path}.apiVersion", api_version,
                                   f"unexpected GroupVersion string: {api_version}"))
    else:
        group, _, version = api_version.rpartition("/")
        if group:
            errors = meta.dns1123_subdomain_errors(group)
            if errors:
                causes.append(meta.invalid(f"{path}.apiVersion", group, ",".join(errors)))
        if not version:
            causes.append(meta.invalid(f"{path}.apiVersion", api_version, "version must be specified"))
        elif dns1035_label_errors(version):
            causes.append(meta.invalid(f"{path}.apiVersion", version, ",".join(dns1035_label_errors(version))))
    name = kind.get("kind")
    if not name or not isinstance(name, str):
        causes.append(meta.required(f"{path}.kind"))
    elif dns1035_label_errors(name.lower()):
        causes.append(meta.invalid(f"{path}.kind", name, "may have mixed case, but should otherwise match: "
                                   + ",".join(dns1035_label_errors(name.lower()))))
    return causes


def _variable_errors(variables: object, path: str) -> list[Cause]:
    causes: list[Cause] = []
    for i, variable in enumerate(dicts(variables)):
        name, expression = str(variable.get("name") or ""), str(variable.get("expression") or "")
        if not name.strip():
            causes.append(meta.required(f"{path}[{i}].name", "name is not specified"))
        elif not _CEL_IDENTIFIER.fullmatch(name) or name in _CEL_RESERVED:
            causes.append(meta.invalid(f"{path}[{i}].name", name, "name is not a valid CEL identifier"))
        if not expression.strip():
            causes.append(meta.required(f"{path}[{i}].expression", "expression is not specified"))
    return causes


def _policy_common_errors(spec: dict[str, object]) -> list[Cause]:
    """What both kinds of policy check: failure policy, param kind, match constraints and
    conditions, variables."""
    causes = []
    policy = spec.get("failurePolicy")
    if policy is None:
        causes.append(meta.required("spec.failurePolicy"))
    elif policy not in FAILURE_POLICIES:
        causes.append(meta.unsupported("spec.failurePolicy", policy, FAILURE_POLICIES))
    if isinstance(spec.get("paramKind"), dict):
        causes += _param_kind_errors(as_dict(spec["paramKind"]), "spec.paramKind")
    constraints = spec.get("matchConstraints")
    if not isinstance(constraints, dict):
        causes.append(meta.required("spec.matchConstraints"))
    else:
        causes += match_resources_errors(constraints, "spec.matchConstraints")
        if not dicts(constraints.get("resourceRules")):
            causes.append(meta.required("spec.matchConstraints.resourceRules"))
    causes += match_condition_errors(spec.get("matchConditions"), "spec.matchConditions")
    return causes + _variable_errors(spec.get("variables"), "spec.variables")


class _PolicyStrategy(GenericStrategy):
    allow_unconditional_update = False

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            if spec.get("failurePolicy") is None:
                spec["failurePolicy"] = "Fail"
            default_match_resources(spec.get("matchConstraints"))

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        return self.validate(new)


class ValidatingAdmissionPolicyStrategy(_PolicyStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj) + _policy_common_errors(spec)
        validations, annotations = dicts(spec.get("validations")), spec.get("auditAnnotations")
        if not validations and not annotations:
            message = "validations or auditAnnotations must contain at least one item"
            return [*causes, meta.required("spec.validations", message),
                    meta.required("spec.auditAnnotations", message)]
        for i, validation in enumerate(validations):
            causes += _validation_errors(validation, f"spec.validations[{i}]")
        items = dicts(annotations)
        if len(items) > MAX_AUDIT_ANNOTATIONS:
            causes.append(meta.invalid("spec.auditAnnotations", items,
                                       f"must not have more than {MAX_AUDIT_ANNOTATIONS} auditAnnotations"))
        name = str(as_dict(obj.get("metadata")).get("name") or "")
        keys: set[object] = set()
        for i, annotation in enumerate(items):
            causes += _audit_annotation_errors(annotation, name, f"spec.auditAnnotations[{i}]")
            if annotation.get("key") in keys:
                causes.append(meta.duplicate(f"spec.auditAnnotations[{i}].key", annotation.get("key")))
            keys.add(annotation.get("key"))
        return causes


def _validation_errors(validation: dict[str, object], path: str) -> list[Cause]:
    causes = []
    if not str(validation.get("expression") or "").strip():
        causes.append(meta.required(f"{path}.expression", "expression is not specified"))
    message_expression = validation.get("messageExpression")
    if isinstance(message_expression, str) and message_expression and not message_expression.strip():
        causes.append(meta.invalid(f"{path}.messageExpression", message_expression, "must be non-empty if specified"))
    message = validation.get("message")
    if isinstance(message, str) and message and not message.strip():
        causes.append(meta.invalid(f"{path}.message", message, "message must be non-empty if specified"))
    elif isinstance(message, str) and re.search(r"[\n\r]", message.strip()):
        causes.append(meta.invalid(f"{path}.message", message, "message must not contain line breaks"))
    reason = validation.get("reason")
    if reason is not None and reason not in REASONS:
        causes.append(meta.unsupported(f"{path}.reason", reason, REASONS))
    return causes


def _audit_annotation_errors(annotation: dict[str, object], policy: str, path: str) -> list[Cause]:
    key = str(annotation.get("key") or "")
    if policy:
        causes = [meta.invalid(f"{path}.key", f"{policy}/{key}", e)
                  for e in meta.qualified_name_errors(f"{policy}/{key}")]
    else:
        causes = [meta.invalid(f"{path}.key", key, "requires metadata.name be non-empty")]
    value = str(annotation.get("valueExpression") or "").strip()
    if not value:
        causes.append(meta.required(f"{path}.valueExpression", "valueExpression is not specified"))
    elif len(value) > _MAX_VALUE_EXPRESSION:
        causes.append(meta.required(f"{path}.valueExpression",
                                    f"must not exceed {_MAX_VALUE_EXPRESSION} bytes in length"))
    return causes


class MutatingAdmissionPolicyStrategy(_PolicyStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj) + _policy_common_errors(spec)
        mutations = dicts(spec.get("mutations"))
        if not mutations:
            causes.append(meta.required("spec.mutations", "mutations must contain at least one item"))
        for i, mutation in enumerate(mutations):
            path = f"spec.mutations[{i}]"
            kind = mutation.get("patchType")
            if kind not in PATCH_TYPES:
                causes.append(meta.unsupported(f"{path}.patchType", kind or "", PATCH_TYPES))
                continue
            key = "applyConfiguration" if kind == "ApplyConfiguration" else "jsonPatch"
            if not str(as_dict(mutation.get(key)).get("expression") or "").strip():
                causes.append(meta.required(f"{path}.{key}.expression", "expression is not specified"))
        policy = spec.get("reinvocationPolicy")
        if policy is not None and policy not in REINVOCATION_POLICIES:
            causes.append(meta.unsupported("spec.reinvocationPolicy", policy, REINVOCATION_POLICIES))
        return causes


class _BindingStrategy(GenericStrategy):
    allow_unconditional_update = False
    #: Validating bindings name validation actions; mutating ones do not.
    has_actions = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict):
            default_match_resources(spec.get("matchResources"))

    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj)
        policy = spec.get("policyName")
        if not policy:
            causes.append(meta.required("spec.policyName"))
        else:
            causes += [meta.invalid("spec.policyName", policy, e) for e in meta.dns1123_subdomain_errors(str(policy))]
        if isinstance(spec.get("paramRef"), dict):
            causes += _param_ref_errors(as_dict(spec["paramRef"]), "spec.paramRef")
        if isinstance(spec.get("matchResources"), dict):
            causes += match_resources_errors(as_dict(spec["matchResources"]), "spec.matchResources")
        if self.has_actions:
            causes += _action_errors(strings(spec.get("validationActions")), "spec.validationActions")
        return causes


def _param_ref_errors(ref: dict[str, object], path: str) -> list[Cause]:
    causes = []
    name, selector = ref.get("name"), ref.get("selector")
    if name:
        causes += [meta.invalid(f"{path}.name", name, e) for e in meta.path_segment_errors(str(name))]
        if selector is not None:
            causes.append(meta.forbidden(f"{path}.name", "name and selector are mutually exclusive"))
    if selector is not None:
        causes += label_selector_errors(selector, f"{path}.selector")
        if name:
            causes.append(meta.forbidden(f"{path}.selector", "name and selector are mutually exclusive"))
    if not name and selector is None:
        causes.append(meta.required(path, "one of name or selector must be specified"))
    action = ref.get("parameterNotFoundAction")
    if not action:
        causes.append(meta.required(f"{path}.parameterNotFoundAction"))
    elif action not in NOT_FOUND_ACTIONS:
        causes.append(meta.unsupported(f"{path}.parameterNotFoundAction", action, NOT_FOUND_ACTIONS))
    return causes


def _action_errors(actions: list[str], path: str) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, action in enumerate(actions):
        if action not in VALIDATION_ACTIONS:
            causes.append(meta.unsupported(f"{path}[{i}]", action, VALIDATION_ACTIONS))
        if action in seen:
            causes.append(meta.duplicate(f"{path}[{i}]", action))
        seen.add(action)
    if "Deny" in seen and "Warn" in seen:
        causes.append(raw_invalid(path, go_strings("admissionregistration.ValidationAction", actions),
                                  "must not contain both Deny and Warn (repeating the same validation failure "
                                  "information in the API response and headers serves no purpose)"))
    if not seen:
        causes.append(meta.required(path, "at least one validation action is required"))
    return causes


class ValidatingAdmissionPolicyBindingStrategy(_BindingStrategy):
    pass


class MutatingAdmissionPolicyBindingStrategy(_BindingStrategy):
    has_actions = False
