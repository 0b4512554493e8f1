"""The CronJob controller on an injected clock against a real API server; schedules as tables."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from myriad.api.cron import parse_standard
from myriad.api.meta import rfc3339
from myriad.client.events.recorder import EventRecorder, RecorderOptions
from myriad.client.informers.factory import SharedInformerFactory
from myriad.client.rest import Client
from myriad.client.types import NAMESPACES
from myriad.clock import FakeClock
from myriad.controllers.cronjob import CRONJOBS, CronJobController, most_recent
from myriad.controllers.discovery import discover
from myriad.controllers.job.controller import JOBS
from myriad.controllers.manager import ControllerManager
from myriad.controllers.types import ControllerContext
from tests.controllers.test_replicaset import until

AT = datetime(2026, 12, 3, 18, 22, 30, tzinfo=UTC)


@pytest.mark.parametrize(("spec", "zone", "expected"), [
    ("* * * * *", None, datetime(2026, 12, 3, 18, 23, tzinfo=UTC)),
    ("*/15 * * * *", None, datetime(2026, 12, 3, 18, 30, tzinfo=UTC)),
    ("0 9 * * 1-5", None, datetime(2026, 12, 4, 9, 0, tzinfo=UTC)),
    ("0 0 1,15 * 5", None, datetime(2026, 12, 4, 0, 0, tzinfo=UTC)),  # day of month *or* of week
    ("0 0 1,15 * *", None, datetime(2026, 12, 15, 0, 0, tzinfo=UTC)),
    ("30 2 29 2 *", None, datetime(2028, 2, 29, 2, 30, tzinfo=UTC)),
    ("@hourly", None, datetime(2026, 12, 3, 19, 0, tzinfo=UTC)),
    ("@every 90s", None, datetime(2026, 12, 3, 18, 24, 0, tzinfo=UTC)),
    ("0 9 * * *", "Asia/Tokyo", datetime(2026, 12, 4, 0, 0, tzinfo=UTC)),
    ("TZ=America/New_York 0 9 * * *", None, datetime(2026, 12, 4, 14, 0, tzinfo=UTC)),
])
def test_schedules_fire_when_robfig_cron_says(spec: str, zone: str | None, expected: datetime) -> None:
    assert parse_standard(spec).next(AT, ZoneInfo(zone) if zone else None) == expected


def test_the_most_recent_missed_time_is_found_and_the_misses_counted() -> None:
    schedule = parse_standard("*/10 * * * *")
    latest, missed = most_recent(schedule, datetime(2026, 12, 3, 17, 0, tzinfo=UTC), AT, UTC)
    assert (latest, missed) == (datetime(2026, 12, 3, 18, 20, tzinfo=UTC), 8)
    latest, missed = most_recent(parse_standard("* * * * *"), datetime(2026, 12, 1, tzinfo=UTC), AT, UTC)
    assert latest == datetime(2026, 12, 3, 18, 22, tzinfo=UTC) and missed > 100


@pytest.fixture
async def driven(client: Client) -> AsyncIterator[tuple[CronJobController, FakeClock]]:
    # Half past a minute, ahead of the server's clock (which stamps creationTimestamp): the tests'
    # one-second ticks then never cross into a new minute and schedule a Job they do not expect.
    clock = FakeClock((time.time() // 60 + 1) * 60 + 30)
    context = ControllerContext(client=client, factory=SharedInformerFactory(client), clock=clock,
                                recorder=EventRecorder(client, RecorderOptions(controller="cronjob-test")),
                                resources=await discover(client))
    controller = CronJobController(context)
    manager = ControllerManager(context, {"cronjob-controller": controller})
    running = asyncio.create_task(manager.run())
    await asyncio.wait_for(manager.leading.wait(), 30)
    yield controller, clock
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)


def cronjob(name: str, **spec: object) -> dict:
    return {"metadata": {"name": name}, "spec": {"schedule": "* * * * *", "jobTemplate": {
        "metadata": {"labels": {"team": "a"}}, "spec": {"template": {"spec": {
            "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "i"}]}}}}, **spec}}


async def jobs(client: Client, ns: str) -> list[dict]:
    return sorted((await client.list(JOBS, namespace=ns))["items"], key=lambda j: j["metadata"]["name"])


async def tick(controller: CronJobController, clock: FakeClock, seconds: float, key: str) -> None:
    """Moves the injected clock on, and has the CronJob synced at its new time."""
    clock.advance(seconds)
    controller.queue.add(key, event="update")
    await asyncio.sleep(0.3)


async def complete(client: Client, ns: str, name: str, at: float) -> None:
    job = await client.get(JOBS, name, namespace=ns)
    stamp = rfc3339(at)
    await client.update(JOBS, {**job, "status": {"startTime": stamp, "completionTime": stamp, "succeeded": 1,
                                                 "conditions": [{"type": "SuccessCriteriaMet", "status": "True"},
                                                                {"type": "Complete", "status": "True"}]}},
                        subresource="status")


async def test_a_cronjob_starts_a_job_each_time_forbids_overlap_and_keeps_its_history(
        client: Client, driven: tuple[CronJobController, FakeClock]) -> None:
    controller, clock = driven
    ns = "cron-basic"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    made = await client.create(CRONJOBS, cronjob("tick", concurrencyPolicy="Forbid", successfulJobsHistoryLimit=1),
                               namespace=ns)
    key = f"{ns}/tick"
    await tick(controller, clock, 61, key)
    [first] = await until(lambda: jobs(client, ns), "the first Job")
    annotations = first["metadata"]["annotations"]
    scheduled = datetime.fromisoformat(annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"])
    assert first["metadata"]["name"] == f"tick-{int(scheduled.timestamp()) // 60}"
    assert first["metadata"]["labels"]["team"] == "a"
    assert first["metadata"]["ownerReferences"][0]["uid"] == made["metadata"]["uid"]

    async def recorded() -> dict | None:
        status = (await client.get(CRONJOBS, "tick", namespace=ns)).get("status") or {}
        return status if status.get("active") and status.get("lastScheduleTime") else None
    status = await until(recorded, "status.active and lastScheduleTime")
    assert status["active"][0]["name"] == first["metadata"]["name"]
    await tick(controller, clock, 60, key)
    assert len(await jobs(client, ns)) == 1  # Forbid: the first still runs
    await complete(client, ns, first["metadata"]["name"], clock.now())
    await tick(controller, clock, 60, key)

    async def second() -> list[dict] | None:
        found = await jobs(client, ns)
        return found if len(found) == 2 else None
    found = await until(second, "a second Job once the first completed")
    successor = next(j for j in found if j["metadata"]["name"] != first["metadata"]["name"])
    await complete(client, ns, successor["metadata"]["name"], clock.now())
    await tick(controller, clock, 1, key)

    async def trimmed() -> list[str] | None:
        names = [j["metadata"]["name"] for j in await jobs(client, ns) if not j["metadata"].get("deletionTimestamp")]
        return names if names == [successor["metadata"]["name"]] else None
    await until(trimmed, "only the newest successful Job kept")
    assert (await client.get(CRONJOBS, "tick", namespace=ns))["status"]["lastSuccessfulTime"]


async def test_a_suspended_cronjob_starts_nothing_and_replace_swaps_the_running_job(
        client: Client, driven: tuple[CronJobController, FakeClock]) -> None:
    controller, clock = driven
    ns = "cron-replace"
    await client.create(NAMESPACES, {"metadata": {"name": ns}})
    await client.create(CRONJOBS, cronjob("swap", concurrencyPolicy="Replace", suspend=True), namespace=ns)
    key = f"{ns}/swap"
    await tick(controller, clock, 61, key)
    assert not await jobs(client, ns)
    await client.patch(CRONJOBS, "swap", {"spec": {"suspend": False}}, namespace=ns)
    await tick(controller, clock, 1, key)
    [first] = await until(lambda: jobs(client, ns), "a Job once resumed")
    await tick(controller, clock, 60, key)

    async def replaced() -> list[str] | None:
        names = [j["metadata"]["name"] for j in await jobs(client, ns) if not j["metadata"].get("deletionTimestamp")]
        return names if len(names) == 1 and names[0] != first["metadata"]["name"] else None
    await until(replaced, "the running Job replaced by the next")
