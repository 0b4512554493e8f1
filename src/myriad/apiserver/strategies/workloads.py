"""Workloads (apps/v1 deployments, replica sets, stateful sets, daemon sets; batch/v1 jobs):
upstream's defaults, pod template defaults and validation, a required selector that must match
the template's labels and may not change, and non-negative replicas."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.api.selectors import SelectorError, selector_from_object
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.podspec import default_pod_spec, validate_pod_spec
from myriad.apiserver.strategies.volumes import claim_templates, default_claim_template

JOB_RESTART_POLICIES = ["OnFailure", "Never"]


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


class WorkloadStrategy(GenericStrategy):
    """The shape every pod-template workload shares; subclasses add their own defaults."""

    has_replicas = True

    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if self.has_replicas:
            spec.setdefault("replicas", 1)
        template_spec = _dict(spec.get("template")).get("spec")
        if isinstance(template_spec, dict):
            default_pod_spec(template_spec)
        self.default_spec(spec)

    def default_spec(self, spec: dict[str, object]) -> None:
        """The resource's own defaults."""

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return [*causes, meta.required("spec")]
        replicas = spec.get("replicas")
        if self.has_replicas and replicas is not None and (not isinstance(replicas, int) or replicas < 0):
            causes.append(meta.invalid("spec.replicas", replicas, "must be greater than or equal to 0"))
        causes.extend(self._validate_selector(spec))
        template = spec.get("template")
        if not isinstance(template, dict):
            causes.append(meta.required("spec.template"))
        else:
            template_meta = _dict(template.get("metadata"))
            causes.extend(meta.labels_errors(template_meta.get("labels"), "spec.template.metadata.labels"))
            causes.extend(validate_pod_spec(template.get("spec"), "spec.template.spec"))
        causes.extend(self.validate_spec(spec))
        return causes

    def validate_spec(self, spec: dict[str, object]) -> list[Cause]:
        return []

    def _validate_selector(self, spec: dict[str, object]) -> list[Cause]:
        selector = spec.get("selector")
        if selector is None:
            return [meta.required("spec.selector")]
        try:
            parsed = selector_from_object(selector)
        except SelectorError as exc:
            return [meta.invalid("spec.selector", selector, str(exc))]
        if parsed.empty:
            return [meta.invalid("spec.selector", selector, "empty selector is invalid for deployment")]
        labels = _dict(_dict(_dict(spec.get("template")).get("metadata")).get("labels"))
        if not parsed.matches(labels):  # type: ignore[arg-type]
            return [meta.invalid("spec.template.metadata.labels", labels,
                                 "`selector` does not match template `labels`")]
        return []

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self.validate(new)
        if subresource != "status":
            old_selector = _dict(old.get("spec")).get("selector")
            new_selector = _dict(new.get("spec")).get("selector")
            if old_selector != new_selector:
                causes.append(meta.immutable("spec.selector", new_selector))
        return causes


def _default_strategy(spec: dict[str, object], field: str, rolling_defaults: dict[str, object]) -> None:
    """``spec[field]`` defaults to type RollingUpdate, whose ``rollingUpdate`` gets
    ``rolling_defaults``; other types are left alone."""
    strategy = spec.get(field)
    if not isinstance(strategy, dict):
        strategy = spec[field] = {}
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.get("rollingUpdate")
        if not isinstance(rolling, dict):
            rolling = strategy["rollingUpdate"] = {}
        for name, value in rolling_defaults.items():
            rolling.setdefault(name, value)


class DeploymentStrategy(WorkloadStrategy):
    def default_spec(self, spec: dict[str, object]) -> None:
        _default_strategy(spec, "strategy", {"maxUnavailable": "25%", "maxSurge": "25%"})
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)

    def validate_spec(self, spec: dict[str, object]) -> list[Cause]:
        """Upstream's ValidateDeploymentSpec beyond the shared checks: non-negative counts, a
        progress deadline past minReadySeconds, and a known strategy."""
        causes = [meta.invalid(f"spec.{field}", spec[field], "must be greater than or equal to 0")
                  for field in ("minReadySeconds", "revisionHistoryLimit", "progressDeadlineSeconds")
                  if isinstance(spec.get(field), int) and spec[field] < 0]  # type: ignore[operator]
        deadline, ready = spec.get("progressDeadlineSeconds"), spec.get("minReadySeconds") or 0
        if isinstance(deadline, int) and isinstance(ready, int) and deadline >= 0 and deadline <= ready:
            causes.append(meta.invalid("spec.progressDeadlineSeconds", deadline,
                                       "must be greater than minReadySeconds"))
        strategy = _dict(spec.get("strategy"))
        kind = strategy.get("type")
        if kind == "Recreate" and strategy.get("rollingUpdate") is not None:
            causes.append(meta.forbidden("spec.strategy.rollingUpdate",
                                         "may not be specified when strategy `type` is 'Recreate'"))
        elif kind not in ("Recreate", "RollingUpdate"):
            # Go prints the whole strategy struct as the unsupported value
            value = (f'apps.DeploymentStrategy{{Type:"{kind or ""}", '
                     "RollingUpdate:(*apps.RollingUpdateDeployment)(nil)}")
            causes.append(Cause("FieldValueNotSupported", f'Unsupported value: {value}: supported values: "Recreate", '
                                                          '"RollingUpdate"', "spec.strategy"))
        return causes


class StatefulSetStrategy(WorkloadStrategy):
    def default_spec(self, spec: dict[str, object]) -> None:
        """SetDefaults_StatefulSet, and each volume claim template defaulted as a claim is
        (``volumeMode: Filesystem``, phase ``Pending``)."""
        spec.setdefault("podManagementPolicy", "OrderedReady")
        _default_strategy(spec, "updateStrategy", {"partition": 0})
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("persistentVolumeClaimRetentionPolicy", {"whenDeleted": "Retain", "whenScaled": "Retain"})
        for claim in claim_templates(spec):
            default_claim_template(claim)


class DaemonSetStrategy(WorkloadStrategy):
    has_replicas = False

    def default_spec(self, spec: dict[str, object]) -> None:
        _default_strategy(spec, "updateStrategy", {"maxUnavailable": 1, "maxSurge": 0})
        spec.setdefault("revisionHistoryLimit", 10)


class JobStrategy(WorkloadStrategy):
    """Jobs generate their selector from the object's uid (unless ``manualSelector``) and label
    the template to match, as upstream does."""

    has_replicas = False

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        spec = obj.get("spec")
        if not isinstance(spec, dict) or spec.get("manualSelector"):
            return
        metadata = _dict(obj.get("metadata"))
        uid, name = str(metadata.get("uid", "")), str(metadata.get("name", ""))
        labels = {"batch.kubernetes.io/controller-uid": uid, "batch.kubernetes.io/job-name": name,
                  "controller-uid": uid, "job-name": name}
        spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
        template = spec.get("template")
        if isinstance(template, dict):
            template_meta = template.get("metadata")
            if not isinstance(template_meta, dict):
                template_meta = template["metadata"] = {}
            template_meta["labels"] = {**_dict(template_meta.get("labels")), **labels}

    def default_spec(self, spec: dict[str, object]) -> None:
        completions, parallelism = spec.get("completions"), spec.get("parallelism")
        if completions is None and parallelism is None:
            spec["completions"] = spec["parallelism"] = 1
        elif parallelism is None:
            spec["parallelism"] = 1
        spec.setdefault("backoffLimit", 6)
        spec.setdefault("completionMode", "NonIndexed")
        spec.setdefault("suspend", False)
        if spec.get("podFailurePolicy") is None:
            spec.setdefault("podReplacementPolicy", "TerminatingOrFailed")

    def validate_spec(self, spec: dict[str, object]) -> list[Cause]:
        restart = _dict(_dict(spec.get("template")).get("spec")).get("restartPolicy")
        if restart not in JOB_RESTART_POLICIES:
            return [meta.unsupported("spec.template.spec.restartPolicy", restart or "", JOB_RESTART_POLICIES)]
        return []
