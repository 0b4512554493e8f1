"""Workload controllers and what scales or protects them: Deployments, ReplicaSets,
StatefulSets, DaemonSets, ControllerRevisions, ReplicationControllers, Jobs, CronJobs,
HorizontalPodAutoscalers and PodDisruptionBudgets."""

from __future__ import annotations

from myriad.api import quantity
from myriad.apiserver.tables.format import (
    NONE,
    containers_cells,
    dig,
    human_duration,
    labels_text,
    selector_text,
    since,
    timestamp,
)
from myriad.apiserver.tables.printers.base import (
    AGE,
    CONTAINERS,
    IMAGES,
    NAME,
    Column,
    Obj,
    Printer,
    age,
    bool_text,
    doc,
    entries,
    first_condition,
    integer,
    mapping,
    name,
    text,
)

_READY = "Number of the pod with ready state"


def _template_spec(obj: Obj) -> object:
    return dig(obj, "spec", "template", "spec")


def _selector(definition: str) -> Column:
    return Column("Selector", description=doc(definition, "selector"), priority=1)


def _deployment_cells(d: Obj, now: float) -> list[object]:
    return [name(d), f"{integer(dig(d, 'status', 'readyReplicas'))}/{integer(dig(d, 'spec', 'replicas'))}",
            integer(dig(d, "status", "updatedReplicas")), integer(dig(d, "status", "availableReplicas")), age(d, now),
            *containers_cells(_template_spec(d)),
            selector_text(dig(d, "spec", "selector"), empty="", invalid="<invalid>")]


DEPLOYMENTS = Printer(
    (NAME, Column("Ready", description=_READY),
     Column("Up-to-date", description=doc("apps.v1.DeploymentStatus", "updatedReplicas")),
     Column("Available", description=doc("apps.v1.DeploymentStatus", "availableReplicas")),
     AGE, CONTAINERS, IMAGES, _selector("apps.v1.DeploymentSpec")),
    _deployment_cells)


def _replicas_columns(spec: str, status: str) -> tuple[Column, ...]:
    """The columns ReplicaSets and ReplicationControllers share."""
    return (NAME, Column("Desired", "integer", description=doc(spec, "replicas")),
            Column("Current", "integer", description=doc(status, "replicas")),
            Column("Ready", "integer", description=doc(status, "readyReplicas")),
            AGE, CONTAINERS, IMAGES, _selector(spec))


def _replicas_cells(obj: Obj, now: float) -> list[object]:
    return [name(obj), integer(dig(obj, "spec", "replicas")), integer(dig(obj, "status", "replicas")),
            integer(dig(obj, "status", "readyReplicas")), age(obj, now), *containers_cells(_template_spec(obj))]


REPLICASETS = Printer(_replicas_columns("apps.v1.ReplicaSetSpec", "apps.v1.ReplicaSetStatus"),
                      lambda rs, now: [*_replicas_cells(rs, now), selector_text(dig(rs, "spec", "selector"))])

#: A ReplicationController's selector is a plain label map.
REPLICATIONCONTROLLERS = Printer(
    _replicas_columns("core.v1.ReplicationControllerSpec", "core.v1.ReplicationControllerStatus"),
    lambda rc, now: [*_replicas_cells(rc, now), labels_text(dig(rc, "spec", "selector"))])

STATEFULSETS = Printer(
    (NAME, Column("Ready", description=_READY), AGE, CONTAINERS, IMAGES),
    lambda s, now: [name(s), f"{integer(dig(s, 'status', 'readyReplicas'))}/{integer(dig(s, 'spec', 'replicas'))}",
                    age(s, now), *containers_cells(_template_spec(s))])

_DAEMONSET_COUNTS = ("desiredNumberScheduled", "currentNumberScheduled", "numberReady", "updatedNumberScheduled",
                     "numberAvailable")

DAEMONSETS = Printer(
    (NAME, *(Column(title, "integer", description=doc("apps.v1.DaemonSetStatus", field))
             for title, field in zip(("Desired", "Current", "Ready", "Up-to-date", "Available"), _DAEMONSET_COUNTS,
                                     strict=True)),
     Column("Node Selector", description=doc("core.v1.PodSpec", "nodeSelector")),
     AGE, CONTAINERS, IMAGES, _selector("apps.v1.DaemonSetSpec")),
    lambda ds, now: [name(ds), *(integer(dig(ds, "status", field)) for field in _DAEMONSET_COUNTS),
                     labels_text(dig(ds, "spec", "template", "spec", "nodeSelector")), age(ds, now),
                     *containers_cells(_template_spec(ds)), selector_text(dig(ds, "spec", "selector"))])


def _controller_text(obj: Obj) -> str:
    """The controlling owner as ``kind.group/name`` in lower case (``statefulset.apps/web``)."""
    owner = next((o for o in entries(dig(obj, "metadata", "ownerReferences")) if o.get("controller") is True), None)
    if owner is None:
        return NONE
    api_version, kind, owner_name = text(owner.get("apiVersion")), text(owner.get("kind")), text(owner.get("name"))
    group = api_version.split("/", 1)[0] if "/" in api_version else ""
    group_kind = f"{kind}.{group}" if group else kind
    return f"{group_kind.lower()}/{owner_name}" if group_kind else owner_name


CONTROLLERREVISIONS = Printer(
    (NAME, Column("Controller", description="Controller of the object"),
     Column("Revision", description=doc("apps.v1.ControllerRevision", "revision")), AGE),
    lambda cr, now: [name(cr), _controller_text(cr), integer(cr.get("revision")), age(cr, now)])


# -- batch -----------------------------------------------------------------------------------------


def _condition_true(obj: Obj, kind: str) -> bool:
    condition = first_condition(obj, kind)
    return condition is not None and condition.get("status") == "True"


def _job_cells(job: Obj, now: float) -> list[object]:
    if _condition_true(job, "Complete"):
        status = "Complete"
    elif _condition_true(job, "Failed"):
        status = "Failed"
    elif dig(job, "metadata", "deletionTimestamp"):
        status = "Terminating"
    else:
        status = next((kind for kind in ("Suspended", "FailureTarget", "SuccessCriteriaMet")
                       if _condition_true(job, kind)), "Running")
    succeeded = integer(dig(job, "status", "succeeded"))
    completions, parallelism = dig(job, "spec", "completions"), integer(dig(job, "spec", "parallelism"))
    if isinstance(completions, int):
        done = f"{succeeded}/{completions}"
    elif parallelism > 1:
        done = f"{succeeded}/1 of {parallelism}"
    else:
        done = f"{succeeded}/1"
    start = timestamp(dig(job, "status", "startTime"))
    end = timestamp(dig(job, "status", "completionTime"))
    duration = "" if start is None else human_duration((now if end is None else end) - start)
    return [name(job), status, done, duration, age(job, now), *containers_cells(_template_spec(job)),
            selector_text(dig(job, "spec", "selector"))]


JOBS = Printer(
    (NAME, Column("Status", description="Status of the job."),
     Column("Completions", description=doc("batch.v1.JobStatus", "succeeded")),
     Column("Duration", description="Time required to complete the job."), AGE, CONTAINERS, IMAGES,
     _selector("batch.v1.JobSpec")),
    _job_cells)


def _cronjob_cells(cronjob: Obj, now: float) -> list[object]:
    spec = mapping(cronjob.get("spec"))
    last = dig(cronjob, "status", "lastScheduleTime")
    job_spec = dig(spec, "jobTemplate", "spec")
    zone = spec.get("timeZone")
    return [name(cronjob), text(spec.get("schedule")), zone if isinstance(zone, str) else NONE,
            bool_text(spec.get("suspend")), len(entries(dig(cronjob, "status", "active"))),
            NONE if last is None else since(last, now), age(cronjob, now),
            *containers_cells(dig(job_spec, "template", "spec")), selector_text(dig(job_spec, "selector"))]


CRONJOBS = Printer(
    (NAME, Column("Schedule", description=doc("batch.v1.CronJobSpec", "schedule")),
     Column("Timezone", description=doc("batch.v1.CronJobSpec", "timeZone")),
     Column("Suspend", "boolean", description=doc("batch.v1.CronJobSpec", "suspend")),
     Column("Active", "integer", description=doc("batch.v1.CronJobStatus", "active")),
     Column("Last Schedule", description=doc("batch.v1.CronJobStatus", "lastScheduleTime")),
     AGE, CONTAINERS, IMAGES, _selector("batch.v1.JobSpec")),
    _cronjob_cells)


# -- autoscaling and disruption budgets ------------------------------------------------------------


def _metric_text(spec: dict[str, object], status: dict[str, object] | None) -> str:
    """One ``autoscaling/v2`` metric as ``current/target``; ``status`` is the current metric at the
    same index (upstream pairs them by position, not by name)."""
    kind = spec.get("type")
    field = {"External": "external", "Pods": "pods", "Object": "object", "Resource": "resource",
             "ContainerResource": "containerResource"}.get(text(kind))
    if field is None:
        return "<unknown type>"
    source, target = mapping(spec.get(field)), mapping(dig(spec, field, "target"))
    current = dig(status, field) if status is not None else None
    now_value = mapping(dig(current, "current")) if isinstance(current, dict) else None
    if kind == "Pods":
        value = "<unknown>" if now_value is None else quantity.canonical(now_value.get("averageValue"))
        return f"{value}/{quantity.canonical(target.get('averageValue'))}"
    if kind in ("External", "Object"):
        if target.get("averageValue") is not None:
            value = "<unknown>" if now_value is None or now_value.get("averageValue") is None \
                else quantity.canonical(now_value["averageValue"])
            return f"{value}/{quantity.canonical(target['averageValue'])} (avg)"
        value = "<unknown>" if now_value is None else quantity.canonical(now_value.get("value"))
        return f"{value}/{quantity.canonical(target.get('value'))}"
    resource = text(source.get("name"))
    if target.get("averageValue") is not None:
        value = "<unknown>" if now_value is None else quantity.canonical(now_value.get("averageValue"))
        return f"{resource}: {value}/{quantity.canonical(target['averageValue'])}"
    utilization = None if now_value is None else now_value.get("averageUtilization")
    value = "<unknown>" if utilization is None else f"{utilization}%"
    wanted = target.get("averageUtilization")
    return f"{resource}: {value}/{'<auto>' if wanted is None else f'{wanted}%'}"


def _hpa_targets(hpa: Obj) -> str:
    """The first two metrics, then ``+ N more...``; ``<none>`` without metrics."""
    metrics = entries(dig(hpa, "spec", "metrics"))
    if not metrics:
        return NONE
    statuses = dig(hpa, "status", "currentMetrics")
    statuses = statuses if isinstance(statuses, list) else []
    texts = [_metric_text(m, statuses[i] if i < len(statuses) and isinstance(statuses[i], dict) else None)
             for i, m in enumerate(metrics)]
    joined = ", ".join(texts[:2])
    return f"{joined} + {len(texts) - 2} more..." if len(texts) > 2 else joined


def _hpa_cells(hpa: Obj, now: float) -> list[object]:
    spec = mapping(hpa.get("spec"))
    target = mapping(spec.get("scaleTargetRef"))
    minimum = spec.get("minReplicas")
    return [name(hpa), f"{text(target.get('kind'))}/{text(target.get('name'))}", _hpa_targets(hpa),
            str(minimum) if isinstance(minimum, int) else "<unset>", integer(spec.get("maxReplicas")),
            integer(dig(hpa, "status", "currentReplicas")), age(hpa, now)]


_HPA_SPEC = "autoscaling.v2.HorizontalPodAutoscalerSpec"

#: Printed from the stored ``autoscaling/v2`` form, whichever version was asked for.
HORIZONTALPODAUTOSCALERS = Printer(
    (NAME, Column("Reference", description=doc(_HPA_SPEC, "scaleTargetRef")),
     Column("Targets", description=doc(_HPA_SPEC, "metrics")),
     Column("MinPods", description=doc(_HPA_SPEC, "minReplicas")),
     Column("MaxPods", description=doc(_HPA_SPEC, "maxReplicas")),
     Column("Replicas", description=doc("autoscaling.v2.HorizontalPodAutoscalerStatus", "currentReplicas")), AGE),
    _hpa_cells)


def _int_or_string(value: object) -> str:
    """An IntOrString as upstream prints it, ``N/A`` when unset."""
    if value is None:
        return "N/A"
    return str(value)


PODDISRUPTIONBUDGETS = Printer(
    (NAME, Column("Min Available", description="The minimum number of pods that must be available."),
     Column("Max Unavailable", description="The maximum number of pods that may be unavailable."),
     Column("Allowed Disruptions", "integer", description="Calculated number of pods that may be disrupted at this "
                                                          "time."), AGE),
    lambda pdb, now: [name(pdb), _int_or_string(dig(pdb, "spec", "minAvailable")),
                      _int_or_string(dig(pdb, "spec", "maxUnavailable")),
                      integer(dig(pdb, "status", "disruptionsAllowed")), age(pdb, now)])

PRINTERS = {
    ("apps", "deployments"): DEPLOYMENTS, ("apps", "replicasets"): REPLICASETS, ("apps", "statefulsets"): STATEFULSETS,
    ("apps", "daemonsets"): DAEMONSETS, ("apps", "controllerrevisions"): CONTROLLERREVISIONS,
    ("", "replicationcontrollers"): REPLICATIONCONTROLLERS, ("batch", "jobs"): JOBS, ("batch", "cronjobs"): CRONJOBS,
    ("autoscaling", "horizontalpodautoscalers"): HORIZONTALPODAUTOSCALERS,
    ("policy", "poddisruptionbudgets"): PODDISRUPTIONBUDGETS,
}
