"""Leader election on coordination.k8s.io/v1 Leases, with client-go's record and rules.

The record is the Lease's spec: ``holderIdentity``, ``leaseDurationSeconds``, ``acquireTime``,
``renewTime`` (MicroTime, UTC) and ``leaseTransitions``. A contender may take the lease when it
does not exist, when its holder is empty (released), or when the record has not changed for
``lease_duration`` as measured on the contender's own monotonic clock from the moment it first
saw that record (not from ``renewTime``, so clock skew between machines does not matter).
Every write carries the resourceVersion it read, so two contenders cannot both win.

Timing (``LeaderElectionConfig``): the leader renews every ``retry_period``. If no renewal has
succeeded for ``renew_deadline`` it stops leading at once: the leading task is cancelled before
any other contender can acquire, because they must first see the record unchanged for
``lease_duration`` > ``renew_deadline`` (fencing). While the lease is held, standbys read it
every ``retry_period`` and also wake exactly when the record they observed lapses, so after a
leader dies one takes over within ``lease_duration + retry_period`` of its last renewal. When
nobody holds it, contenders retry at jittered intervals (up to 1.2×) so they do not collide. On
a graceful stop the leader releases the lease (empty holder, duration 1 s), so a standby takes
over on its next read. With ``watch`` set, a standby also watches the Lease and reads it again at
once when it changes, so it takes a released lease within a round trip rather than a retry
period (the controller manager's fast failover).

Concurrency: one task runs :meth:`LeaderElector.run`; the leading callback runs in a task of its
own that is cancelled when leadership ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from myriad.api.meta import rfc3339_micro
from myriad.client.errors import ClientError, Conflict, NotFound
from myriad.client.rest import Client
from myriad.client.types import LEASES
from myriad.clock import Clock, SystemClock

JITTER = 1.2


@dataclass(frozen=True, kw_only=True)
class LeaderElectionConfig:
    name: str
    namespace: str = "kube-system"
    identity: str
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    release_on_cancel: bool = True
    #: Standbys watch the Lease and try again as soon as it changes (a release is seen at once).
    watch: bool = False
    clock: Clock = field(default_factory=SystemClock)

    def __post_init__(self) -> None:
        if not self.lease_duration > self.renew_deadline > JITTER * self.retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > 1.2 x retry_period > 0 (client-go's rule)")
        if not self.identity:
            raise ValueError("a leader election identity must not be empty")


class LeaderElector:
    def __init__(self, client: Client, config: LeaderElectionConfig, *,
                 on_started_leading: Callable[[], Awaitable[Any]],
                 on_stopped_leading: Callable[[], Any] | None = None,
                 on_new_leader: Callable[[str], Any] | None = None) -> None:
        self._client = client
        self.config = config
        self._on_started = on_started_leading
        self._on_stopped = on_stopped_leading
        self._on_new_leader = on_new_leader
        self._observed: dict[str, Any] | None = None
        self._observed_version = ""
        self._observed_at = 0.0
        self._observed_duration = 0.0
        self._leading = False
        #: The holder last seen in the lease ("" when none).
        self.leader = ""

    def is_leader(self) -> bool:
        return self._leading

    async def run(self) -> None:
        """Contends until this elector leads, leads until it loses the lease, then returns.
        Cancelling it while leading stops the leading task and, if configured, releases."""
        await self._acquire()
        leading = asyncio.get_running_loop().create_task(self._on_started(), name="myriad-leading")
        try:
            await self._renew(leading)
        finally:
            self._leading = False
            if not leading.done():
                leading.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await leading
            if self._on_stopped is not None:
                self._on_stopped()
            if self.config.release_on_cancel and self._observed_holder() == self.config.identity:
                with contextlib.suppress(ClientError, asyncio.CancelledError):
                    await asyncio.shield(self._release())

    # -- the loops -----------------------------------------------------------------------------

    async def _acquire(self) -> None:
        clock = self.config.clock
        period = self.config.retry_period
        changed = asyncio.Event()
        watcher = asyncio.create_task(self._watch(changed)) if self.config.watch else None
        try:
            changed.clear()
            while not await self._try_acquire_or_renew():
                if not self._observed_holder():
                    await self._wait(period * random.uniform(1.0, JITTER), changed)  # contended: spread the tries
                    continue
                # Held: poll every period, and wake exactly when the observed record lapses.
                remaining = self._observed_at + self._observed_duration - clock.monotonic()
                await self._wait(remaining if 0 < remaining < period else period, changed)
        finally:
            if watcher is not None:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
        self._leading = True

    async def _wait(self, seconds: float, changed: asyncio.Event) -> None:
        """Sleeps ``seconds``, or less if the Lease changes meanwhile (when watched)."""
        sleep = asyncio.ensure_future(self.config.clock.sleep(seconds))
        woken = asyncio.ensure_future(changed.wait())
        try:
            await asyncio.wait((sleep, woken), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleep.cancel()
            woken.cancel()
        changed.clear()

    async def _watch(self, changed: asyncio.Event) -> None:
        """Sets ``changed`` on every event of the Lease's watch, re-watching after errors."""
        selector = f"metadata.name={self.config.name}"
        while True:
            try:
                async with self._client.watch(LEASES, namespace=self.config.namespace,
                                              field_selector=selector) as stream:
                    async for event in stream:
                        if event.type != "BOOKMARK":
                            changed.set()
            except ClientError:
                pass
            await self.config.clock.sleep(self.config.retry_period)

    async def _renew(self, leading: asyncio.Task[Any]) -> None:
        clock = self.config.clock
        last_renewed = clock.monotonic()
        while True:
            sleep = asyncio.ensure_future(clock.sleep(self.config.retry_period))
            try:
                await asyncio.wait((sleep, leading), return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleep.cancel()
            if leading.done():
                return  # the leader's work ended on its own: give up the lease
            remaining = self.config.renew_deadline - (clock.monotonic() - last_renewed)
            renewed = False
            if remaining > 0:
                try:
                    async with asyncio.timeout(remaining):
                        renewed = await self._try_acquire_or_renew()
                except TimeoutError:
                    renewed = False
            if renewed:
                last_renewed = clock.monotonic()
            elif clock.monotonic() - last_renewed >= self.config.renew_deadline:
                return  # fencing: stop before anyone else may acquire

    # -- one attempt ---------------------------------------------------------------------------

    async def _try_acquire_or_renew(self) -> bool:
        config = self.config
        now = config.clock.now()
        try:
            lease = await self._client.get(LEASES, config.name, namespace=config.namespace)
        except NotFound:
            record = self._record(now, acquire=now, transitions=0)
            try:
                lease = await self._client.create(LEASES, {"metadata": {"name": config.name,
                                                                       "namespace": config.namespace},
                                                           "spec": record}, namespace=config.namespace)
            except ClientError:  # AlreadyExists: another contender created it first
                return False
            self._observe(lease)
            return True
        except ClientError:
            return False
        self._observe(lease)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        mine = holder == config.identity
        valid = config.clock.monotonic() < self._observed_at + float(spec.get("leaseDurationSeconds") or 0)
        if holder and not mine and valid:
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        if mine:
            record = self._record(now, acquire=None, transitions=transitions, keep=spec)
        else:
            record = self._record(now, acquire=now, transitions=transitions + 1)
        lease = {**lease, "spec": record}
        try:
            updated = await self._client.update(LEASES, lease, namespace=config.namespace)
        except ClientError:  # Conflict: another contender wrote first; read again next time
            return False
        self._observe(updated)
        return True

    async def _release(self) -> None:
        """Empties the holder if it is still this elector. Retries a Conflict: a renewal cut off
        by the cancellation may still land between the read and the write."""
        for _ in range(3):
            lease = await self._client.get(LEASES, self.config.name, namespace=self.config.namespace)
            spec = lease.get("spec") or {}
            if spec.get("holderIdentity") != self.config.identity:
                return
            now = self.config.clock.now()
            released = {"holderIdentity": "", "leaseDurationSeconds": 1, "acquireTime": rfc3339_micro(now),
                        "renewTime": rfc3339_micro(now), "leaseTransitions": int(spec.get("leaseTransitions") or 0)}
            try:
                await self._client.update(LEASES, {**lease, "spec": released}, namespace=self.config.namespace)
                return
            except Conflict:
                continue

    def _record(self, now: float, *, acquire: float | None, transitions: int,
                keep: dict[str, Any] | None = None) -> dict[str, Any]:
        if acquire is not None:
            acquired = rfc3339_micro(acquire)
        else:
            acquired = (keep or {}).get("acquireTime", rfc3339_micro(now))
        return {"holderIdentity": self.config.identity,
                "leaseDurationSeconds": max(1, round(self.config.lease_duration)),
                "acquireTime": acquired, "renewTime": rfc3339_micro(now), "leaseTransitions": transitions}

    def _observe(self, lease: dict[str, Any]) -> None:
        spec = lease.get("spec") or {}
        if spec != self._observed:
            self._observed = dict(spec)
            self._observed_at = self.config.clock.monotonic()
            self._observed_duration = float(spec.get("leaseDurationSeconds") or 0)
        holder = spec.get("holderIdentity") or ""
        if holder != self.leader:
            self.leader = holder
            if holder and self._on_new_leader is not None:
                self._on_new_leader(holder)

    def _observed_holder(self) -> str:
        return (self._observed or {}).get("holderIdentity") or ""
