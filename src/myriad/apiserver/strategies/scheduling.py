"""PriorityClasses (scheduling.k8s.io/v1) and RuntimeClasses (node.k8s.io/v1).

PriorityClasses default to preempting lower priorities; names starting ``system-`` are
reserved for upstream's two system classes (which may not be deleted), user classes are capped
at one billion, and value and preemption policy are fixed once created. Whether another class
is already the global default is admission's question (:mod:`myriad.apiserver.admission`).
RuntimeClasses name a DNS-label handler, fixed once created, and may pin pods to nodes through
a node selector and tolerations; updates must be conditional."""

from __future__ import annotations

from myriad.api import meta, quantity
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, immutable_if_changed

#: Upstream's system classes: name → (value, globalDefault).
SYSTEM_CLASSES = {"system-node-critical": (2000001000, False), "system-cluster-critical": (2000000000, False)}
HIGHEST_USER_PRIORITY = 1000000000
PREEMPTION_POLICIES = ["PreemptLowerPriority", "Never"]
TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"]
TOLERATION_OPERATORS = ["Equal", "Exists"]


class PriorityClassStrategy(GenericStrategy):
    tracks_generation = False

    def default(self, obj: Obj) -> None:
        if obj.get("preemptionPolicy") is None:
            obj["preemptionPolicy"] = "PreemptLowerPriority"

    def deletion_forbidden(self, name: str) -> str | None:
        return "this is a system priority class and cannot be deleted" if name in SYSTEM_CLASSES else None

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        name = str(as_dict(obj.get("metadata")).get("name") or "")
        value, global_default = obj.get("value", 0), obj.get("globalDefault") is True
        if name.startswith("system-"):
            error = _system_class_error(name, value, global_default)
            if error:
                causes.append(meta.forbidden("metadata.name", "priority class names with 'system-' prefix are "
                                                              f"reserved for system use only. error: {error}"))
        elif isinstance(value, int) and value > HIGHEST_USER_PRIORITY:
            causes.append(meta.forbidden("value", "maximum allowed value of a user defined priority is "
                                                  f"{HIGHEST_USER_PRIORITY}"))
        policy = obj.get("preemptionPolicy")
        if policy == "":
            causes.append(meta.required("preemptionPolicy"))
        elif policy is not None and policy not in PREEMPTION_POLICIES:
            causes.append(meta.unsupported("preemptionPolicy", policy, PREEMPTION_POLICIES))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate_metadata(new)
        if new.get("value", 0) != old.get("value", 0):
            causes.append(meta.forbidden("value", "may not be changed in an update."))
        return causes + immutable_if_changed(new.get("preemptionPolicy"), old.get("preemptionPolicy"),
                                             "preemptionPolicy")


def _system_class_error(name: str, value: object, global_default: bool) -> str | None:
    if name not in SYSTEM_CLASSES:
        return f"{name} is not a known system priority class"
    wanted_value, wanted_default = SYSTEM_CLASSES[name]
    if value != wanted_value:
        return f"value of {name} PriorityClass must be {wanted_value}"
    if global_default != wanted_default:
        return f"globalDefault of {name} PriorityClass must be {'true' if wanted_default else 'false'}"
    return None


def toleration_errors(tolerations: object, path: str) -> list[Cause]:
    """ValidateTolerations."""
    causes: list[Cause] = []
    for i, toleration in enumerate(dicts(tolerations)):
        item = f"{path}[{i}]"
        key, operator = str(toleration.get("key") or ""), toleration.get("operator") or ""
        effect, value = toleration.get("effect") or "", str(toleration.get("value") or "")
        if key:
            causes += [meta.invalid(f"{item}.key", key, e) for e in meta.qualified_name_errors(key)]
        if not key and operator != "Exists":
            causes.append(meta.invalid(f"{item}.operator", operator, "operator must be Exists when `key` is empty, "
                                                                      'which means "match all values and all keys"'))
        if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
            causes.append(meta.invalid(f"{item}.effect", effect,
                                       "effect must be 'NoExecute' when `tolerationSeconds` is set"))
        if operator in ("Equal", ""):
            errors = meta.label_value_errors(value)
            if errors:
                causes.append(meta.invalid(f"{item}.operator", value, ";".join(errors)))
        elif operator == "Exists":
            if value:
                causes.append(meta.invalid(f"{item}.operator", toleration,
                                           "value must be empty when `operator` is 'Exists'"))
        else:
            causes.append(meta.unsupported(f"{item}.operator", operator, TOLERATION_OPERATORS))
        if effect and effect not in TAINT_EFFECTS:
            causes.append(meta.unsupported(f"{item}.effect", effect, TAINT_EFFECTS))
    return causes


class RuntimeClassStrategy(GenericStrategy):
    tracks_generation = False
    allow_unconditional_update = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        handler = obj.get("handler") if isinstance(obj.get("handler"), str) else ""
        causes += [meta.invalid("handler", handler, e) for e in meta.dns1123_label_errors(str(handler))]
        for name, value in as_dict(as_dict(obj.get("overhead")).get("podFixed")).items():
            parsed = quantity.parse(value)
            if parsed is not None and parsed < 0:
                causes.append(meta.invalid(f"overhead.podFixed[{name}]", quantity.canonical(value),
                                           "must be greater than or equal to 0"))
        scheduling = as_dict(obj.get("scheduling"))
        causes += meta.labels_errors(scheduling.get("nodeSelector"), "scheduling.nodeSelector")
        return causes + toleration_errors(scheduling.get("tolerations"), "scheduling.tolerations")

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return self.validate(new) + immutable_if_changed(new.get("handler"), old.get("handler"), "handler")
