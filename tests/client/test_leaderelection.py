"""Leader election against a real API server: the Lease record, release, fencing, and failover
between two contender processes (SIGKILL and SIGTERM)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from myriad.bench.apiserver_process import start_apiserver, stop_process
from myriad.client.leaderelection import LeaderElectionConfig, LeaderElector
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, LEASES, ClientOptions

CONTENDER = Path(__file__).with_name("contender.py")
LEASE, RENEW, RETRY = 3.0, 2.0, 0.4


def config(identity: str, **timing: float) -> LeaderElectionConfig:
    return LeaderElectionConfig(name="le-test", namespace="default", identity=identity,
                                **({"lease_duration": LEASE, "renew_deadline": RENEW, "retry_period": RETRY}
                                   | timing))


async def eventually(condition, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("lease", "renew", "retry"), [(1, 1, 0.5), (2, 1, 1)])
def test_timings_that_cannot_fence_are_refused(lease: float, renew: float, retry: float) -> None:
    with pytest.raises(ValueError, match="lease_duration > renew_deadline"):
        config("x", lease_duration=lease, renew_deadline=renew, retry_period=retry)


async def test_one_contender_leads_with_upstreams_record_and_hands_over_on_release(client: Client) -> None:
    started: list[str] = []
    stopped: list[str] = []

    def contender(identity: str) -> LeaderElector:
        async def lead() -> None:
            started.append(identity)
            await asyncio.Event().wait()
        return LeaderElector(client, config(identity), on_started_leading=lead,
                             on_stopped_leading=lambda: stopped.append(identity))

    first, second = contender("first"), contender("second")
    first_task = asyncio.create_task(first.run())
    await eventually(lambda: _async(started == ["first"]))
    second_task = asyncio.create_task(second.run())
    await asyncio.sleep(3 * RETRY)
    assert started == ["first"] and second.leader == "first" and not second.is_leader()
    lease = await client.get(LEASES, "le-test", namespace="default")
    spec = lease["spec"]
    assert spec["holderIdentity"] == "first" and spec["leaseDurationSeconds"] == 3 and spec["leaseTransitions"] == 0
    assert spec["renewTime"].endswith("Z") and len(spec["renewTime"]) == len("2026-01-01T00:00:00.000000Z")

    released_at = time.monotonic()
    first_task.cancel()  # a graceful stop releases the lease
    await asyncio.gather(first_task, return_exceptions=True)
    await eventually(lambda: _async(started == ["first", "second"]))
    assert time.monotonic() - released_at <= 1.0
    assert stopped == ["first"]
    lease = await client.get(LEASES, "le-test", namespace="default")
    assert lease["spec"]["holderIdentity"] == "second" and lease["spec"]["leaseTransitions"] == 1
    second_task.cancel()
    await asyncio.gather(second_task, return_exceptions=True)


async def _async(value: bool) -> bool:
    return value


async def test_a_leader_that_cannot_renew_stops_before_anyone_else_may_acquire(tmp_path: Path) -> None:
    process, url = start_apiserver(data_dir=tmp_path / "server")
    events: list[tuple[str, float]] = []
    try:
        async with Client(ClientOptions(endpoints=(url,), request_timeout=1.0)) as client:
            async def lead() -> None:
                events.append(("started", time.monotonic()))
                await asyncio.Event().wait()

            leader = LeaderElector(client, config("frozen-out"), on_started_leading=lead,
                                   on_stopped_leading=lambda: events.append(("stopped", time.monotonic())))
            task = asyncio.create_task(leader.run())
            await eventually(lambda: _async(leader.is_leader()))
            process.send_signal(signal.SIGSTOP)  # the server hangs: no renewal can succeed
            frozen = time.monotonic()
            try:
                await asyncio.wait_for(task, RENEW + 2 * RETRY + 1)
            finally:
                process.send_signal(signal.SIGCONT)
            stopped_after = events[-1][1] - frozen
    finally:
        stop_process(process)
    assert [e for e, _ in events] == ["started", "stopped"]
    # It stopped no later than renew_deadline after its last renewal (at most one retry period
    # before the freeze), so before lease_duration could pass for anyone watching the record.
    assert stopped_after <= RENEW + 0.3
    assert stopped_after < LEASE


def spawn(url: str, identity: str) -> subprocess.Popen[bytes]:
    process = subprocess.Popen([sys.executable, str(CONTENDER), url, identity, str(LEASE), str(RENEW), str(RETRY)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None and process.stdout.readline().strip() == b"contending"
    return process


async def acting(client: Client) -> str:
    try:
        return (await client.get(CONFIGMAPS, "acting", namespace="default"))["data"]["holder"]
    except Exception:
        return ""


@pytest.mark.timeout(90)
@pytest.mark.parametrize(("sig", "within"), [
    (signal.SIGKILL, LEASE + RETRY + 0.25),  # the lease lapses; slack for the first act to land
    (signal.SIGTERM, 1.0),                            # released: the standby's next retry takes it
])
async def test_the_standby_process_acts_soon_after_the_leader_dies_or_stops(client: Client, sig, within) -> None:
    url = client.options.endpoints[0]
    await client.delete(LEASES, "failover", namespace="default") if await _exists(client) else None
    contenders = {"one": spawn(url, "one")}
    try:
        async def one_acts() -> bool:
            return await acting(client) == "one"
        await eventually(one_acts)
        contenders["two"] = spawn(url, "two")
        await asyncio.sleep(2 * RETRY)
        assert await acting(client) == "one"
        os.kill(contenders["one"].pid, sig)
        stopped = time.monotonic()
        contenders["one"].wait(10)

        async def two_acts() -> bool:
            return await acting(client) == "two"
        await eventually(two_acts, timeout=LEASE + 10)
        took = time.monotonic() - stopped
    finally:
        for process in contenders.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    assert took <= within, f"the standby acted {took:.2f} s after the leader's {sig.name}"
    print(f"standby acted {took:.3f} s after {sig.name}")


async def _exists(client: Client) -> bool:
    try:
        await client.get(LEASES, "failover", namespace="default")
        return True
    except Exception:
        return False


async def test_a_standby_that_watches_the_lease_takes_a_released_one_at_once(client: Client) -> None:
    led: dict[str, float] = {}

    def contender(identity: str, *, watch: bool) -> LeaderElector:
        async def lead() -> None:
            led[identity] = time.monotonic()
            await asyncio.Event().wait()
        # A long retry period: without the watch the standby would wait up to 5 s to notice.
        return LeaderElector(client, LeaderElectionConfig(name="le-watch", namespace="default", identity=identity,
                                                          lease_duration=15, renew_deadline=10, retry_period=5,
                                                          watch=watch), on_started_leading=lead)

    first = asyncio.create_task(contender("first", watch=True).run())
    await eventually(lambda: _async("first" in led))
    second = asyncio.create_task(contender("second", watch=True).run())
    await asyncio.sleep(0.5)  # the standby has read the lease and watches it
    released = time.monotonic()
    first.cancel()
    await asyncio.gather(first, return_exceptions=True)  # released on the way out
    await eventually(lambda: _async("second" in led), timeout=4.0)
    assert led["second"] - released < 1.0
    second.cancel()
    await asyncio.gather(second, return_exceptions=True)
