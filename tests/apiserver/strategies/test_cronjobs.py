"""CronJobs, and cron schedules as robfig/cron's standard parser reads them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from myriad.api.cron import CronError, parse_standard
from tests.apiserver.conftest import RunningServer
from tests.apiserver.strategies.kinds import create, server_causes, update

_JOB = {"template": {"spec": {"containers": [{"name": "job", "image": "busybox"}], "restartPolicy": "OnFailure"}}}


def _cron(name: str = "nightly", **spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default"},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": json.loads(json.dumps(_JOB))}, **spec}}


@pytest.mark.parametrize("schedule", ["*/5 * * * *", "0 0 1 jan,JUL mon-fri", "15 */2 ? * 0", "@daily", "@hourly",
                                      "@every 1h30m", "0-59/15 0-23 1-31 1-12 0-6"])
def test_schedules_robfig_accepts_parse(schedule: str) -> None:
    parse_standard(schedule)


@pytest.mark.parametrize(("schedule", "error"), [
    ("", "empty spec string"),
    ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
    ("* * * * * *", "expected exactly 5 fields, found 6: [* * * * * *]"),
    ("61 * * * *", "end of range (61) above maximum (59): 61"),
    ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
    ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
    ("x * * * *", 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'),
    ("*/0 * * * *", "step of range should be a positive number: */0"),
    ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
    ("*/2/3 * * * *", "too many slashes: */2/3"),
    ("@fortnightly", "unrecognized descriptor: @fortnightly"),
    ("@every 5", 'failed to parse duration @every 5: time: missing unit in duration "5"'),
    ("@every 5y", 'failed to parse duration @every 5y: time: unknown unit "y" in duration "5y"'),
])
def test_schedules_robfig_refuses_get_its_messages(schedule: str, error: str) -> None:
    with pytest.raises(CronError) as raised:
        parse_standard(schedule)
    assert str(raised.value) == error


def test_a_cron_job_allows_concurrency_keeps_three_and_one_jobs_and_is_not_suspended() -> None:
    stored, causes = create("batch", "cronjobs", _cron())
    assert causes == []
    spec = stored["spec"]
    assert (spec["concurrencyPolicy"], spec["suspend"], spec["successfulJobsHistoryLimit"],
            spec["failedJobsHistoryLimit"]) == ("Allow", False, 3, 1)
    job = spec["jobTemplate"]["spec"]
    assert job["template"]["spec"]["dnsPolicy"] == "ClusterFirst" and "backoffLimit" not in job


@pytest.mark.parametrize(("spec", "expected"), [
    ({"schedule": ""}, [("spec.schedule", "Required value")]),
    ({"schedule": "0 3 * *"}, [("spec.schedule", 'Invalid value: "0 3 * *": expected exactly 5 fields, found 4: '
                                                 "[0 3 * *]")]),
    ({"schedule": "TZ=UTC 0 3 * * *"},
     [("spec.schedule", 'Invalid value: "TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone '
                        "field instead")]),
    ({"timeZone": "Mars/Olympus"}, [("spec.timeZone", 'Invalid value: "Mars/Olympus": unknown time zone '
                                                      "Mars/Olympus")]),
    ({"timeZone": ""}, [("spec.timeZone", 'Invalid value: "": timeZone must be nil or non-empty string')]),
    ({"timeZone": "Local"}, [("spec.timeZone", 'Invalid value: "Local": timeZone must be an explicit time zone as '
                                               "defined in https://www.iana.org/time-zones")]),
    ({"concurrencyPolicy": "Sometimes"},
     [("spec.concurrencyPolicy", 'Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"')]),
    ({"startingDeadlineSeconds": -1},
     [("spec.startingDeadlineSeconds", "Invalid value: -1: must be greater than or equal to 0")]),
])
def test_cron_jobs_are_validated_with_upstreams_messages(spec: dict[str, Any],
                                                         expected: list[tuple[str, str]]) -> None:
    assert create("batch", "cronjobs", _cron(**spec))[1] == expected


def test_a_time_zone_from_the_iana_database_is_accepted() -> None:
    assert create("batch", "cronjobs", _cron(timeZone="Europe/Paris"))[1] == []


def test_the_job_template_must_restart_on_failure_or_never_and_leave_the_selector_alone() -> None:
    body = _cron()
    del body["spec"]["jobTemplate"]["spec"]["template"]["spec"]["restartPolicy"]
    body["spec"]["jobTemplate"]["spec"]["selector"] = {"matchLabels": {"a": "b"}}
    assert create("batch", "cronjobs", body)[1] == [
        ("spec.jobTemplate.spec.template.spec.restartPolicy",
         'Unsupported value: "Always": supported values: "OnFailure", "Never"'),
        ("spec.jobTemplate.spec.selector", 'Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be '
                                           "auto-generated")]


def test_names_are_limited_to_52_characters_on_create_only() -> None:
    long_name = "n" * 53
    assert create("batch", "cronjobs", _cron(long_name))[1] == [
        ("metadata.name", f'Invalid value: "{long_name}": must be no more than 52 characters')]
    assert update("batch", "cronjobs", _cron(long_name), _cron(long_name))[1] == []


def test_a_stored_tz_schedule_may_stay_but_not_beside_a_time_zone() -> None:
    old = _cron(schedule="CRON_TZ=UTC 0 3 * * *")
    assert update("batch", "cronjobs", old, old)[1] == []
    assert update("batch", "cronjobs", {**old, "spec": {**old["spec"], "timeZone": "UTC"}}, old)[1] == [
        ("spec.schedule", 'Invalid value: "CRON_TZ=UTC 0 3 * * *": cannot use both timeZone field and TZ or '
                          "CRON_TZ in schedule")]


def test_kubectl_create_cronjob_stores_upstreams_defaults(apiserver: RunningServer) -> None:
    apiserver.kubectl("create", "cronjob", "tick", "--image=busybox", "--schedule=*/5 * * * *", "-n", "default")
    stored = json.loads(apiserver.kubectl("get", "cronjob", "tick", "-n", "default", "-o", "json").stdout)
    assert stored["spec"]["concurrencyPolicy"] == "Allow" and stored["spec"]["suspend"] is False
    assert (stored["spec"]["successfulJobsHistoryLimit"], stored["spec"]["failedJobsHistoryLimit"]) == (3, 1)
    assert stored["metadata"]["generation"] == 1 and stored["status"] == {}


def test_a_bad_schedule_is_refused_by_the_server(apiserver: RunningServer) -> None:
    code, status = apiserver.send("POST", "/apis/batch/v1/namespaces/default/cronjobs", {
        "apiVersion": "batch/v1", "kind": "CronJob", **_cron("bad", schedule="61 * * * *")})
    assert code == 422 and server_causes(status) == [
        ("spec.schedule", 'Invalid value: "61 * * * *": end of range (61) above maximum (59): 61')]
