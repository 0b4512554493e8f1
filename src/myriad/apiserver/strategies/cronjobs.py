"""CronJobs (batch/v1), as upstream's CronJob strategy, SetDefaults_CronJob and ValidateCronJob
treat them: concurrency policy ``Allow``, not suspended, 3 successful and 1 failed job kept by
default, the job template's pod spec defaulted like any pod template (its job spec is not: the
Job defaults apply to Jobs only). The schedule must parse as robfig/cron's standard parser
reads it and may not name a zone (``TZ=``/``CRON_TZ=``; use ``timeZone``, which must be in the
IANA database); names are at most 52 characters on create. Generation is tracked."""

from __future__ import annotations

import re

from myriad.api import meta
from myriad.api.cron import CronError, location_error, parse_standard
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, spec_of
from myriad.apiserver.strategies.replication import default_template, template_errors
from myriad.apiserver.strategies.workloads import JOB_RESTART_POLICIES

CONCURRENCY_POLICIES = ["Allow", "Forbid", "Replace"]
MAX_NAME = 52
_ZONE_PART = r"[A-Za-z.\-_0-9+]{1,14}"
_NON_NEGATIVE = "must be greater than or equal to 0"


class CronJobStrategy(GenericStrategy):
    def default(self, obj: Obj) -> None:
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if not spec.get("concurrencyPolicy"):
            spec["concurrencyPolicy"] = "Allow"
        for key, value in (("suspend", False), ("successfulJobsHistoryLimit", 3), ("failedJobsHistoryLimit", 1)):
            if spec.get(key) is None:
                spec[key] = value
        job_spec = as_dict(spec.get("jobTemplate")).get("spec")
        if isinstance(job_spec, dict):
            default_template(job_spec.get("template"))

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        name = as_dict(obj.get("metadata")).get("name")
        if isinstance(name, str) and len(name) > MAX_NAME:
            causes.append(meta.invalid("metadata.name", name, f"must be no more than {MAX_NAME} characters"))
        return causes + _spec_errors(spec_of(obj), None)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        return self.validate_metadata(new) + _spec_errors(spec_of(new), spec_of(old))


def _spec_errors(spec: dict[str, object], old: dict[str, object] | None) -> list[Cause]:
    """validateCronJobSpec; ``old`` is the stored spec on update."""
    causes: list[Cause] = []
    schedule, zone = spec.get("schedule"), spec.get("timeZone")
    if not schedule or not isinstance(schedule, str):
        causes.append(meta.required("spec.schedule"))
    else:
        causes += _schedule_errors(schedule, zone, allow_tz=old is not None and "TZ" in str(old.get("schedule", "")))
    deadline = spec.get("startingDeadlineSeconds")
    if isinstance(deadline, int) and deadline < 0:
        causes.append(meta.invalid("spec.startingDeadlineSeconds", deadline, _NON_NEGATIVE))
    if old is None or old.get("timeZone") != zone:
        causes += time_zone_errors(zone, "spec.timeZone")
    policy = spec.get("concurrencyPolicy")
    if not policy:
        causes.append(meta.required("spec.concurrencyPolicy"))
    elif policy not in CONCURRENCY_POLICIES:
        causes.append(meta.unsupported("spec.concurrencyPolicy", policy, CONCURRENCY_POLICIES))
    causes += _job_template_errors(as_dict(as_dict(spec.get("jobTemplate")).get("spec")), "spec.jobTemplate.spec")
    for key in ("successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        value = spec.get(key)
        if isinstance(value, int) and value < 0:
            causes.append(meta.invalid(f"spec.{key}", value, _NON_NEGATIVE))
    return causes


def _schedule_errors(schedule: str, zone: object, *, allow_tz: bool) -> list[Cause]:
    causes = []
    try:
        parse_standard(schedule)
    except CronError as exc:
        causes.append(meta.invalid("spec.schedule", schedule, str(exc)))
    if "TZ" in schedule:
        if not allow_tz:
            causes.append(meta.invalid("spec.schedule", schedule,
                                       "cannot use TZ or CRON_TZ in schedule, use timeZone field instead"))
        elif zone is not None:
            causes.append(meta.invalid("spec.schedule", schedule,
                                       "cannot use both timeZone field and TZ or CRON_TZ in schedule"))
    return causes


def time_zone_errors(zone: object, path: str) -> list[Cause]:
    """validateTimeZone: unset, or a zone of the IANA database named explicitly."""
    if zone is None:
        return []
    name = zone if isinstance(zone, str) else ""
    if not name:
        return [meta.invalid(path, name, "timeZone must be nil or non-empty string")]
    for part in name.split("/"):
        if part in (".", "..") or part.startswith("-") or not re.fullmatch(_ZONE_PART, part):
            return [meta.invalid(path, name, f"unknown time zone {name}")]
    causes = []
    if name.lower() == "local":
        causes.append(meta.invalid(path, name, "timeZone must be an explicit time zone as defined in "
                                               "https://www.iana.org/time-zones"))
    error = location_error(name)
    if error:
        causes.append(meta.invalid(path, name, error))
    return causes


def _job_template_errors(job: dict[str, object], path: str) -> list[Cause]:
    """ValidateJobTemplateSpec: the job spec's counts and pod template, and a selector left to
    the job controller."""
    causes: list[Cause] = []
    for key in ("parallelism", "completions", "backoffLimit", "activeDeadlineSeconds"):
        value = job.get(key)
        if isinstance(value, int) and value < 0:
            causes.append(meta.invalid(f"{path}.{key}", value, _NON_NEGATIVE))
    template = job.get("template")
    if not isinstance(template, dict):
        causes.append(meta.required(f"{path}.template"))
    else:
        causes += template_errors(template, f"{path}.template")
        restart = as_dict(template.get("spec")).get("restartPolicy")
        if restart not in JOB_RESTART_POLICIES:
            causes.append(meta.unsupported(f"{path}.template.spec.restartPolicy", restart or "",
                                           JOB_RESTART_POLICIES))
    if job.get("selector") is not None:
        causes.append(meta.invalid(f"{path}.selector", job["selector"], "`selector` will be auto-generated"))
    if job.get("manualSelector") is True:
        causes.append(meta.unsupported(f"{path}.manualSelector", True, ["nil", "false"]))
    return causes
