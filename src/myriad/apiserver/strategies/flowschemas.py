"""API Priority and Fairness objects (flowcontrol.apiserver.k8s.io/v1): FlowSchemas and
PriorityLevelConfigurations, as upstream's strategies, v1 defaults and
pkg/apis/flowcontrol/validation treat them: a schema's precedence defaults to 1000, a limited
level to 30 nominal shares and 0% lendable, its queues to 64 queues, hands of 8 and 50 waiting
requests; generations move on spec changes; a PUT must name an existing object.
Upstream also pins the specs of the mandatory ``exempt`` and ``catch-all`` objects; that
check is left out, so bootstrap's sizes (:mod:`myriad.apiserver.bootstrap`) stand."""

from __future__ import annotations

import math

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, go_strings, go_struct, raw_invalid, spec_of, strings

DISTINGUISHERS = ["ByNamespace", "ByUser"]
SUBJECT_KINDS = ["Group", "ServiceAccount", "User"]
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch"]
LEVEL_TYPES = ["Exempt", "Limited"]
RESPONSE_TYPES = ["Queue", "Reject"]
MAX_PRECEDENCE = 10000
MAX_QUEUES = 10_000_000
MAX_HASH_BITS = 60
_QUEUING_DEFAULTS = {"handSize": 8, "queues": 64, "queueLengthLimit": 50}
_NAMESPACE_INTRO = "each member of this list must be '*' or a DNS-1123 label; "


class FlowSchemaStrategy(GenericStrategy):
    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if isinstance(spec, dict) and not spec.get("matchingPrecedence"):
            spec["matchingPrecedence"] = 1000

    def validate(self, obj: Obj) -> list[Cause]:
        name = str(as_dict(obj.get("metadata")).get("name") or "")
        return self.validate_metadata(obj) + _schema_errors(spec_of(obj), name) + _condition_errors(obj)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return _condition_errors(new)
        return self.validate(new)


def _condition_errors(obj: Obj) -> list[Cause]:
    causes: list[Cause] = []
    seen: set[object] = set()
    for i, condition in enumerate(dicts(as_dict(obj.get("status")).get("conditions"))):
        kind = condition.get("type")
        if kind in seen:
            causes.append(meta.duplicate(f"status.conditions[{i}].type", kind))
        seen.add(kind)
        if not kind:
            causes.append(meta.required(f"status.conditions[{i}].type", "must not be empty"))
    return causes


def _schema_errors(spec: dict[str, object], name: str) -> list[Cause]:
    causes = []
    precedence = spec.get("matchingPrecedence", 0)
    if isinstance(precedence, int):
        if precedence <= 0:
            causes.append(meta.invalid("spec.matchingPrecedence", precedence, "must be a positive value"))
        if precedence > MAX_PRECEDENCE:
            causes.append(meta.invalid("spec.matchingPrecedence", precedence,
                                       f"must not be greater than {MAX_PRECEDENCE}"))
        if precedence == 1 and name != "exempt":
            causes.append(meta.invalid("spec.matchingPrecedence", precedence,
                                       "only the schema named 'exempt' may have matchingPrecedence 1"))
    method = spec.get("distinguisherMethod")
    if isinstance(method, dict) and method.get("type") not in DISTINGUISHERS:
        rendered = go_struct("flowcontrol.FlowDistinguisherMethod", [("Type", str(method.get("type") or ""))])
        causes.append(Cause("FieldValueNotSupported", f"Unsupported value: {rendered}: supported values: "
                            + ", ".join(meta.quote(v) for v in DISTINGUISHERS), "spec.distinguisherMethod.type"))
    level = as_dict(spec.get("priorityLevelConfiguration")).get("name")
    if level:
        causes += [meta.invalid("spec.priorityLevelConfiguration.name", level, e)
                   for e in meta.dns1123_subdomain_errors(str(level))]
    else:
        causes.append(meta.required("spec.priorityLevelConfiguration.name", "must reference a priority level"))
    for i, rule in enumerate(dicts(spec.get("rules"))):
        causes += _rule_errors(rule, f"spec.rules[{i}]")
    return causes


def _rule_errors(rule: dict[str, object], path: str) -> list[Cause]:
    subjects = dicts(rule.get("subjects"))
    causes = [] if subjects else [meta.required(f"{path}.subjects", "subjects must contain at least one value")]
    for i, subject in enumerate(subjects):
        causes += _subject_errors(subject, f"{path}.subjects[{i}]")
    resource_rules, other_rules = dicts(rule.get("resourceRules")), dicts(rule.get("nonResourceRules"))
    if not resource_rules and not other_rules:
        causes.append(meta.required(path, "at least one of resourceRules and nonResourceRules has to be non-empty"))
    for i, resource_rule in enumerate(resource_rules):
        causes += _resource_rule_errors(resource_rule, f"{path}.resourceRules[{i}]")
    for i, other in enumerate(other_rules):
        causes += _non_resource_rule_errors(other, f"{path}.nonResourceRules[{i}]")
    return causes


_SUBJECT_FIELDS = {"ServiceAccount": "serviceAccount", "User": "user", "Group": "group"}


def _subject_errors(subject: dict[str, object], path: str) -> list[Cause]:
    kind = subject.get("kind")
    if kind not in _SUBJECT_FIELDS:
        return [meta.unsupported(f"{path}.kind", kind or "", SUBJECT_KINDS)]
    own = _SUBJECT_FIELDS[str(kind)]
    body = subject.get(own)
    causes: list[Cause] = []
    if not isinstance(body, dict):
        causes.append(meta.required(f"{path}.{own}", f"{own} is required when subject kind is '{kind}'"))
    elif kind == "ServiceAccount":
        name, namespace = body.get("name"), body.get("namespace")
        if not name:
            causes.append(meta.required(f"{path}.serviceAccount.name"))
        elif name != "*":
            causes += [meta.invalid(f"{path}.serviceAccount.name", name, e)
                       for e in meta.dns1123_subdomain_errors(str(name))]
        if not namespace:
            causes.append(meta.required(f"{path}.serviceAccount.namespace", "must specify namespace for service "
                                                                            "account"))
        else:
            causes += [meta.invalid(f"{path}.serviceAccount.namespace", namespace, e)
                       for e in meta.dns1123_label_errors(str(namespace))]
    elif not body.get("name"):
        causes.append(meta.required(f"{path}.{own}.name"))
    for other_kind, other in _SUBJECT_FIELDS.items():
        if other != own and subject.get(other) is not None:
            causes.append(meta.forbidden(f"{path}.{other}", f"{other} is forbidden when subject kind is not "
                                                            f"'{other_kind}'"))
    return causes


def _verb_errors(verbs: list[str], path: str) -> list[Cause]:
    if not verbs:
        return [meta.required(path, "verbs must contain at least one value")]
    if "*" in verbs:
        return [] if len(verbs) == 1 else [raw_invalid(path, go_strings("string", verbs),
                                                       "if '*' is present, must not specify other verbs")]
    if not set(verbs) <= set(VERBS):
        return [Cause("FieldValueNotSupported", f"Unsupported value: {go_strings('string', verbs)}: supported "
                      "values: " + ", ".join(meta.quote(v) for v in VERBS), path)]
    return []


def _resource_rule_errors(rule: dict[str, object], path: str) -> list[Cause]:
    causes = _verb_errors(strings(rule.get("verbs")), f"{path}.verbs")
    for key, what in (("apiGroups", "api group"), ("resources", "resource")):
        values = strings(rule.get(key))
        if not values:
            causes.append(meta.required(f"{path}.{key}", f"resource rules must supply at least one {what}"))
        elif len(values) > 1 and "*" in values:
            causes.append(raw_invalid(f"{path}.{key}", go_strings("string", values),
                                      f"if '*' is present, must not specify other {what}s"))
    namespaces = strings(rule.get("namespaces"))
    if not namespaces and rule.get("clusterScope") is not True:
        causes.append(meta.required(f"{path}.namespaces", "resource rules that are not cluster scoped must supply "
                                                          "at least one namespace"))
    elif "*" in namespaces:
        if len(namespaces) > 1:
            causes.append(raw_invalid(f"{path}.namespaces", go_strings("string", namespaces),
                                      "if '*' is present, must not specify other namespaces"))
    else:
        causes += [meta.invalid(f"{path}.namespaces[{i}]", namespace, _NAMESPACE_INTRO + e)
                   for i, namespace in enumerate(namespaces) for e in meta.dns1123_label_errors(namespace)]
    return causes


def _non_resource_rule_errors(rule: dict[str, object], path: str) -> list[Cause]:
    causes = _verb_errors(strings(rule.get("verbs")), f"{path}.verbs")
    urls = strings(rule.get("nonResourceURLs"))
    if not urls:
        causes.append(meta.required(f"{path}.nonResourceURLs", "nonResourceURLs must contain at least one value"))
    elif "*" in urls:
        if len(urls) > 1:
            causes.append(raw_invalid(f"{path}.nonResourceURLs", go_strings("string", urls),
                                      "if '*' is present, must not specify other non-resource URLs"))
    else:
        for i, url in enumerate(urls):
            error = _url_path_error(url)
            if error:
                causes.append(meta.invalid(f"{path}.nonResourceURLs[{i}]", url, error))
    return causes


def _url_path_error(url: str) -> str | None:
    """ValidateNonResourceURLPath."""
    if not url:
        return "must not be empty"
    if url == "/":
        return None
    if not url.startswith("/"):
        return "must start with slash"
    if " " in url:
        return "must not contain white-space"
    if "//" in url:
        return "must not contain double slash"
    stars = url.count("*")
    if stars > 1 or (stars == 1 and not url.endswith("/*")):
        return "wildcard can only do suffix matching"
    return None


class PriorityLevelConfigurationStrategy(GenericStrategy):
    def default(self, obj: Obj) -> None:
        spec = spec_of(obj)
        exempt = spec.get("exempt")
        if isinstance(exempt, dict):
            for key in ("nominalConcurrencyShares", "lendablePercent"):
                if exempt.get(key) is None:
                    exempt[key] = 0
        limited = spec.get("limited")
        if isinstance(limited, dict):
            if limited.get("nominalConcurrencyShares") is None:
                limited["nominalConcurrencyShares"] = 30
            if limited.get("lendablePercent") is None:
                limited["lendablePercent"] = 0
            queuing = as_dict(limited.get("limitResponse")).get("queuing")
            if isinstance(queuing, dict):
                for key, value in _QUEUING_DEFAULTS.items():
                    if not queuing.get(key):
                        queuing[key] = value

    def validate(self, obj: Obj) -> list[Cause]:
        name = str(as_dict(obj.get("metadata")).get("name") or "")
        return self.validate_metadata(obj) + _level_errors(spec_of(obj), name) + _condition_errors(obj)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return _condition_errors(new)
        return self.validate(new)


def _level_errors(spec: dict[str, object], name: str) -> list[Cause]:
    kind = spec.get("type") or ""
    causes = []
    if (name == "exempt") != (kind == "Exempt"):
        causes.append(meta.invalid("spec.type", kind, "type must be 'Exempt' if and only if name is 'exempt'"))
    limited, exempt = spec.get("limited"), spec.get("exempt")
    if kind == "Exempt":
        if limited is not None:
            causes.append(meta.forbidden("spec.limited", "must be nil if the type is not Limited"))
        if isinstance(exempt, dict):
            causes += _shares_errors(exempt, "spec.exempt")
    elif kind == "Limited":
        if not isinstance(limited, dict):
            causes.append(meta.required("spec.limited", "must not be empty when type is Limited"))
        else:
            causes += _shares_errors(limited, "spec.limited")
            causes += _response_errors(as_dict(limited.get("limitResponse")), "spec.limited.limitResponse")
            borrowing = limited.get("borrowingLimitPercent")
            if isinstance(borrowing, int) and borrowing < 0:
                causes.append(meta.invalid("spec.limited.borrowingLimitPercent", borrowing,
                                           "if specified, must be a non-negative integer"))
        if exempt is not None:
            causes.append(meta.forbidden("spec.exempt", "must be nil if the type is Limited"))
    else:
        causes.append(meta.unsupported("spec.type", kind, LEVEL_TYPES))
    return causes


def _shares_errors(config: dict[str, object], path: str) -> list[Cause]:
    causes = []
    shares, lendable = config.get("nominalConcurrencyShares"), config.get("lendablePercent")
    if isinstance(shares, int) and shares < 0:
        causes.append(meta.invalid(f"{path}.nominalConcurrencyShares", shares, "must be a non-negative integer"))
    if isinstance(lendable, int) and not 0 <= lendable <= 100:
        causes.append(meta.invalid(f"{path}.lendablePercent", lendable, "must be between 0 and 100, inclusive"))
    return causes


def _response_errors(response: dict[str, object], path: str) -> list[Cause]:
    kind, queuing = response.get("type") or "", response.get("queuing")
    if kind == "Reject":
        return [meta.forbidden(f"{path}.queuing", "must be nil if limited.limitResponse.type is not Limited")] \
            if queuing is not None else []
    if kind != "Queue":
        return [meta.unsupported(f"{path}.type", kind, RESPONSE_TYPES)]
    if not isinstance(queuing, dict):
        return [meta.required(f"{path}.queuing", "must not be empty if limited.limitResponse.type is Limited")]
    causes = []
    limit, queues, hand = (int(queuing.get(key) or 0)  # type: ignore[call-overload]
                           for key in ("queueLengthLimit", "queues", "handSize"))
    if limit <= 0:
        causes.append(meta.invalid(f"{path}.queuing.queueLengthLimit", limit, "must be positive"))
    if queues <= 0:
        causes.append(meta.invalid(f"{path}.queuing.queues", queues, "must be positive"))
    elif queues > MAX_QUEUES:
        causes.append(meta.invalid(f"{path}.queuing.queues", queues, f"must not be greater than {MAX_QUEUES}"))
    if hand <= 0:
        causes.append(meta.invalid(f"{path}.queuing.handSize", hand, "must be positive"))
    elif hand > queues:
        causes.append(meta.invalid(f"{path}.queuing.handSize", hand, f"should not be greater than queues ({queues})"))
    elif math.ceil(math.log2(queues) * hand) > MAX_HASH_BITS:
        causes.append(meta.invalid(f"{path}.queuing.handSize", hand,
                                   f"required entropy bits of deckSize {queues} and handSize {hand} should not be "
                                   f"greater than {MAX_HASH_BITS}"))
    return causes
