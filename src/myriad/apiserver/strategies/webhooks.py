"""ValidatingWebhookConfigurations and MutatingWebhookConfigurations
(admissionregistration.k8s.io/v1), as upstream's strategies, v1 defaults and
pkg/apis/admissionregistration/validation treat them: each webhook fails closed, matches
equivalent requests, selects everything and waits 10 seconds by default (mutating ones are not
reinvoked), a rule's scope is ``*`` and a service port 443; the generation moves when the
webhooks change; updates must be conditional. On update, what the stored configuration already
does is tolerated (side effects, review versions, duplicate names), as upstream's options do.
Match condition expressions are checked for presence only: Myriad has no CEL compiler.

The rule helpers here serve the admission policies too (:mod:`.admissionpolicies`)."""

from __future__ import annotations

from urllib.parse import urlsplit

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
    port_number_errors,
    raw_invalid,
    strings,
)

FAILURE_POLICIES = ["Fail", "Ignore"]
MATCH_POLICIES = ["Equivalent", "Exact"]
SIDE_EFFECTS = ["None", "NoneOnDryRun", "Some", "Unknown"]
NO_SIDE_EFFECTS = ["None", "NoneOnDryRun"]
OPERATIONS = ["*", "CONNECT", "CREATE", "DELETE", "UPDATE"]
SCOPES = ["*", "Cluster", "Namespaced"]
REINVOCATION_POLICIES = ["IfNeeded", "Never"]
REVIEW_VERSIONS = ["v1", "v1beta1"]
_URL_FORM = "; desired format: https://host[/path]"
_WEBHOOK_DEFAULTS = {"failurePolicy": "Fail", "matchPolicy": "Equivalent", "timeoutSeconds": 10}


def default_rules(rules: object) -> None:
    """SetDefaults_Rule: scope ``*``."""
    for rule in dicts(rules):
        if rule.get("scope") is None:
            rule["scope"] = "*"


def _default_webhook(webhook: dict[str, object], *, mutating: bool) -> None:
    for key, value in _WEBHOOK_DEFAULTS.items():
        if webhook.get(key) is None:
            webhook[key] = value
    for key in ("namespaceSelector", "objectSelector"):
        if webhook.get(key) is None:
            webhook[key] = {}
    if mutating and webhook.get("reinvocationPolicy") is None:
        webhook["reinvocationPolicy"] = "Never"
    service = as_dict(webhook.get("clientConfig")).get("service")
    if isinstance(service, dict) and service.get("port") is None:
        service["port"] = 443
    default_rules(webhook.get("rules"))


def fully_qualified_name_errors(name: object, path: str) -> list[Cause]:
    """IsFullyQualifiedName: a DNS subdomain of at least three labels."""
    if not name or not isinstance(name, str):
        return [meta.required(path)]
    errors = meta.dns1123_subdomain_errors(name)
    if errors:
        return [meta.invalid(path, name, ",".join(errors))]
    if len(name.split(".")) < 3:
        return [meta.invalid(path, name, "should be a domain with at least three segments separated by dots")]
    return []


def _resources_errors(resources: list[str], path: str) -> list[Cause]:
    """validateResources: ``*``, ``x/*``, ``*/x`` and ``*/*`` may not overlap other entries."""
    causes = [] if resources else [meta.required(path)]
    wildcard_sub: set[str] = set()
    wildcard_res: set[str] = set()
    single = plain = False
    for i, entry in enumerate(resources):
        if not entry:
            causes.append(meta.required(f"{path}[{i}]"))
            continue
        single = single or entry == "*"
        if "/" not in entry:
            plain = entry != "*"
            continue
        resource, sub = entry.split("/", 1)
        if resource in wildcard_sub:
            causes.append(meta.invalid(f"{path}[{i}]", entry,
                                       f"if '{resource}/*' is present, must not specify {entry}"))
        if sub in wildcard_res:
            causes.append(meta.invalid(f"{path}[{i}]", entry, f"if '*/{sub}' is present, must not specify {entry}"))
        if sub == "*":
            wildcard_sub.add(resource)
        if resource == "*":
            wildcard_res.add(sub)
    if len(resources) > 1 and "*/*" in resources:
        causes.append(raw_invalid(path, go_strings("string", resources),
                                  "if '*/*' is present, must not specify other resources"))
    if single and plain:
        causes.append(raw_invalid(path, go_strings("string", resources),
                                  "if '*' is present, must not specify other resources without subresources"))
    return causes


def rule_with_operations_errors(rule: dict[str, object], path: str) -> list[Cause]:
    """validateRuleWithOperations."""
    operations = strings(rule.get("operations"))
    causes = [] if operations else [meta.required(f"{path}.operations")]
    if len(operations) > 1 and "*" in operations:
        causes.append(raw_invalid(f"{path}.operations", go_strings("admissionregistration.OperationType", operations),
                                  "if '*' is present, must not specify other operations"))
    causes += [meta.unsupported(f"{path}.operations[{i}]", op, OPERATIONS)
               for i, op in enumerate(operations) if op not in OPERATIONS]
    groups, versions = strings(rule.get("apiGroups")), strings(rule.get("apiVersions"))
    if not groups:
        causes.append(meta.required(f"{path}.apiGroups"))
    if len(groups) > 1 and "*" in groups:
        causes.append(raw_invalid(f"{path}.apiGroups", go_strings("string", groups),
                                  "if '*' is present, must not specify other API groups"))
    if not versions:
        causes.append(meta.required(f"{path}.apiVersions"))
    if len(versions) > 1 and "*" in versions:
        causes.append(raw_invalid(f"{path}.apiVersions", go_strings("string", versions),
                                  "if '*' is present, must not specify other API versions"))
    causes += [meta.required(f"{path}.apiVersions[{i}]") for i, version in enumerate(versions) if not version]
    causes += _resources_errors(strings(rule.get("resources")), f"{path}.resources")
    scope = rule.get("scope")
    if scope is not None and scope not in SCOPES:
        causes.append(meta.unsupported(f"{path}.scope", scope, SCOPES))
    return causes


def match_condition_errors(conditions: object, path: str) -> list[Cause]:
    """validateMatchConditions: at most 64, named (qualified names, unique), with an expression."""
    items = dicts(conditions)
    causes = [Cause("FieldValueTooMany", f"Too many: {len(items)}: must have at most 64 items", path)] \
        if len(items) > 64 else []
    names: set[object] = set()
    for i, condition in enumerate(items):
        expression, name = str(condition.get("expression") or "").strip(), condition.get("name")
        if not expression:
            causes.append(meta.required(f"{path}[{i}].expression"))
        if not name:
            causes.append(meta.required(f"{path}[{i}].name"))
        else:
            causes += [meta.invalid(f"{path}[{i}].name", name, e) for e in meta.qualified_name_errors(str(name))]
            if name in names:
                causes.append(meta.duplicate(f"{path}[{i}].name", name))
            names.add(name)
    return causes


def _client_config_errors(config: dict[str, object], path: str) -> list[Cause]:
    url, service = config.get("url"), config.get("service")
    if (url is None) == (service is None):
        return [meta.required(path, "exactly one of url or service is required")]
    if isinstance(url, str):
        return _url_errors(url, f"{path}.url")
    service = as_dict(service)
    causes = []
    if not service.get("name"):
        causes.append(meta.required(f"{path}.service.name", "service name is required"))
    if not service.get("namespace"):
        causes.append(meta.required(f"{path}.service.namespace", "service namespace is required"))
    port = service.get("port", 443)
    errors = port_number_errors(port)
    if errors:
        causes.append(meta.invalid(f"{path}.service.port", port, "port is not valid: " + ", ".join(errors)))
    return causes + _service_path_errors(service.get("path"), f"{path}.service.path")


def _url_errors(url: str, path: str) -> list[Cause]:
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port Go's parser refuses raises here
    except ValueError as exc:
        return [meta.required(path, f"url must be a valid URL: {exc}{_URL_FORM}")]
    causes = []
    if parts.scheme != "https":
        causes.append(meta.invalid(path, parts.scheme, "'https' is the only allowed URL scheme" + _URL_FORM))
    host = parts.netloc.rpartition("@")[2]
    if not host:
        causes.append(meta.invalid(path, host, "host must be specified" + _URL_FORM))
    if "@" in parts.netloc:
        causes.append(meta.invalid(path, parts.netloc.rpartition("@")[0],
                                   "user information is not permitted in the URL"))
    if parts.fragment:
        causes.append(meta.invalid(path, parts.fragment, "fragments are not permitted in the URL"))
    if parts.query:
        causes.append(meta.invalid(path, parts.query, "query parameters are not permitted in the URL"))
    return causes


def _service_path_errors(value: object, path: str) -> list[Cause]:
    if not isinstance(value, str) or value in ("", "/"):
        return []
    if value == "//":
        return [meta.invalid(path, value, "segment[0] may not be empty")]
    causes = [] if value.startswith("/") else [meta.invalid(path, value, "must start with a '/'")]
    steps = value[1:]
    if steps.endswith("/"):
        steps = steps[:-1]
    for i, step in enumerate(steps.split("/")):
        if not step:
            causes.append(meta.invalid(path, value, f"segment[{i}] may not be empty"))
            continue
        causes += [meta.invalid(path, value, f"segment[{i}]: {e}") for e in meta.dns1123_subdomain_errors(step)]
    return causes


def _review_version_errors(versions: list[str], path: str, *, require_known: bool) -> list[Cause]:
    if not versions:
        return [meta.required(path, "must specify one of " + ", ".join(REVIEW_VERSIONS))]
    causes: list[Cause] = []
    seen: set[str] = set()
    for i, version in enumerate(versions):
        if version in seen:
            causes.append(meta.invalid(f"{path}[{i}]", version, "duplicate version"))
            continue
        seen.add(version)
        causes += [meta.invalid(f"{path}[{i}]", version, e) for e in dns1035_label_errors(version)]
    if require_known and not seen & set(REVIEW_VERSIONS):
        causes.append(raw_invalid(path, go_strings("string", versions),
                                  "must include at least one of " + ", ".join(REVIEW_VERSIONS)))
    return causes


class _WebhookConfigurationStrategy(GenericStrategy):
    """The generation moves when ``webhooks`` changes; updates must be conditional."""

    allow_unconditional_update = False
    mutating = False

    def default(self, obj: Obj) -> None:
        for webhook in dicts(obj.get("webhooks")):
            _default_webhook(webhook, mutating=self.mutating)

    def validate(self, obj: Obj) -> list[Cause]:
        return self._errors(obj, no_side_effects=True, known_versions=True, unique=True)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        hooks = dicts(old.get("webhooks"))
        names = [hook.get("name") for hook in hooks]
        return self._errors(
            new,
            no_side_effects=all(hook.get("sideEffects") in NO_SIDE_EFFECTS for hook in hooks),
            known_versions=all(not strings(hook.get("admissionReviewVersions"))
                               or set(strings(hook.get("admissionReviewVersions"))) & set(REVIEW_VERSIONS)
                               for hook in hooks),
            unique=len(set(names)) == len(names))

    def _errors(self, obj: Obj, *, no_side_effects: bool, known_versions: bool, unique: bool) -> list[Cause]:
        causes = self.validate_metadata(obj)
        names: set[object] = set()
        for i, hook in enumerate(dicts(obj.get("webhooks"))):
            path = f"webhooks[{i}]"
            causes += self._webhook_errors(hook, path, no_side_effects=no_side_effects)
            causes += _review_version_errors(strings(hook.get("admissionReviewVersions")),
                                             f"{path}.admissionReviewVersions", require_known=known_versions)
            name = hook.get("name")
            if unique and name:
                if name in names:
                    causes.append(meta.duplicate(f"{path}.name", name))
                names.add(name)
        return causes

    def _webhook_errors(self, hook: dict[str, object], path: str, *, no_side_effects: bool) -> list[Cause]:
        causes = fully_qualified_name_errors(hook.get("name"), f"{path}.name")
        for i, rule in enumerate(dicts(hook.get("rules"))):
            causes += rule_with_operations_errors(rule, f"{path}.rules[{i}]")
        for key, supported in (("failurePolicy", FAILURE_POLICIES), ("matchPolicy", MATCH_POLICIES)):
            value = hook.get(key)
            if value is not None and value not in supported:
                causes.append(meta.unsupported(f"{path}.{key}", value, supported))
        allowed = NO_SIDE_EFFECTS if no_side_effects else SIDE_EFFECTS
        side_effects = hook.get("sideEffects")
        if side_effects is None:
            causes.append(meta.required(f"{path}.sideEffects", "must specify one of " + ", ".join(allowed)))
        elif side_effects not in allowed:
            causes.append(meta.unsupported(f"{path}.sideEffects", side_effects, allowed))
        timeout = hook.get("timeoutSeconds")
        if isinstance(timeout, int) and not 1 <= timeout <= 30:
            causes.append(meta.invalid(f"{path}.timeoutSeconds", timeout,
                                       "the timeout value must be between 1 and 30 seconds"))
        for key in ("namespaceSelector", "objectSelector"):
            causes += label_selector_errors(hook.get(key), f"{path}.{key}")
        policy = hook.get("reinvocationPolicy")
        if self.mutating and policy is not None and policy not in REINVOCATION_POLICIES:
            causes.append(meta.unsupported(f"{path}.reinvocationPolicy", policy, REINVOCATION_POLICIES))
        causes += _client_config_errors(as_dict(hook.get("clientConfig")), f"{path}.clientConfig")
        return causes + match_condition_errors(hook.get("matchConditions"), f"{path}.matchConditions")


class ValidatingWebhookConfigurationStrategy(_WebhookConfigurationStrategy):
    pass


class MutatingWebhookConfigurationStrategy(_WebhookConfigurationStrategy):
    mutating = True
