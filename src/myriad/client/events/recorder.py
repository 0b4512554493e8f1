"""The event recorder: builds events.k8s.io/v1 Events and writes them through a series cache.

``recorder.event(regarding, type=..., reason=..., action=..., note=...)`` never blocks and never
raises: it queues the occurrence, or drops it when the queue is full (counted in
:attr:`EventRecorder.dropped`). One writer task turns queued occurrences into API calls as
:class:`~myriad.client.events.series.SeriesCache` decides, and runs the heartbeat (30 min) and
finish (6 min) ticks on the injected clock.

Back-pressure: the recorder's writes (one source: its reporting controller and instance) pass a
token bucket of ``qps`` with ``burst``; a write that finds it empty waits for its token while
occurrences keep counting in the series cache. The client already retries 429s with their
Retry-After; if a write still fails with 429 the writer also pauses, for an exponentially
growing while up to ``max_pause``. A patch of a series whose Event was deleted falls back to a
create, as upstream's does.

Concurrency: loop only; :meth:`event` is synchronous and safe from any task.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from myriad.api.meta import rfc3339_micro
from myriad.client.errors import ClientError, NotFound, TooManyRequests
from myriad.client.events.series import FINISH, HEARTBEAT, Event, SeriesCache, Write
from myriad.client.rest import Client
from myriad.client.tasks import cancel_and_wait
from myriad.client.types import EVENTS
from myriad.client.workqueue.ratelimit import BucketLimiter
from myriad.clock import Clock, SystemClock


class EventSink(Protocol):
    async def create(self, event: Event) -> Any: ...

    async def patch(self, event: Event) -> Any: ...


class ClientSink:
    """Writes through a :class:`~myriad.client.rest.Client`."""

    def __init__(self, client: Client) -> None:
        self._client = client

    async def create(self, event: Event) -> Any:
        return await self._client.create(EVENTS, event, namespace=event["metadata"]["namespace"])

    async def patch(self, event: Event) -> Any:
        return await self._client.patch(EVENTS, event["metadata"]["name"], {"series": event["series"]},
                                        namespace=event["metadata"]["namespace"])


@dataclass(frozen=True, kw_only=True)
class RecorderOptions:
    controller: str
    instance: str = field(default_factory=lambda: f"{os.uname().nodename}-{os.getpid()}")
    #: Event writes (creates and patches) a second, and their burst; further writes wait.
    qps: float = 5.0
    burst: int = 25
    #: Events waiting for the writer; beyond this they are dropped.
    queue_size: int = 1000
    heartbeat: float = HEARTBEAT
    finish_check: float = FINISH
    max_pause: float = 60.0
    clock: Clock = field(default_factory=SystemClock)


def object_reference(obj: dict[str, Any]) -> dict[str, str]:
    """The ObjectReference of ``obj`` for ``regarding``/``related`` (without resourceVersion, so
    occurrences across the object's updates stay isomorphic)."""
    metadata = obj.get("metadata") or {}
    reference = {"apiVersion": obj.get("apiVersion", ""), "kind": obj.get("kind", ""),
                 "name": metadata.get("name", ""), "namespace": metadata.get("namespace", ""),
                 "uid": metadata.get("uid", "")}
    return {k: v for k, v in reference.items() if v}


class EventRecorder:
    def __init__(self, sink: EventSink | Client, options: RecorderOptions) -> None:
        self.sink: EventSink = ClientSink(sink) if isinstance(sink, Client) else sink
        self.options = options
        self.clock = options.clock
        self.series = SeriesCache(options.clock, finish_after=options.finish_check)
        self._bucket = BucketLimiter(qps=options.qps, burst=options.burst, clock=options.clock)
        self._queue: asyncio.Queue[Event] = asyncio.Queue(options.queue_size)
        self._tasks: list[asyncio.Task[None]] = []
        self._pause = 0.0
        self._last_nanos = 0
        #: Occurrences dropped because the queue was full, and writes that failed for good.
        self.dropped = 0
        self.failed_writes = 0

    def event(self, regarding: dict[str, Any], *, type: Literal["Normal", "Warning"] = "Normal", reason: str,
              action: str, note: str = "", related: dict[str, Any] | None = None,
              instance: str | None = None) -> None:
        """Records an occurrence; ``regarding``/``related`` are objects or ObjectReferences;
        ``instance`` replaces the options' reporting instance (one process's hollow kubelets each
        report as their node)."""
        reference = object_reference(regarding) if "metadata" in regarding else dict(regarding)
        now = self.clock.now()
        # Named ``<regarding>.<nanoseconds in hex>`` as upstream, kept strictly increasing so two
        # events in one clock tick do not collide.
        self._last_nanos = max(int(now * 1e9), self._last_nanos + 1)
        event: Event = {
            "apiVersion": "events.k8s.io/v1", "kind": "Event",
            "metadata": {"name": f"{reference.get('name', 'event')}.{self._last_nanos:x}",
                         "namespace": reference.get("namespace") or "default"},
            "eventTime": rfc3339_micro(now), "reportingController": self.options.controller,
            "reportingInstance": instance or self.options.instance, "action": action, "reason": reason,
            "regarding": reference, "note": note[:1024], "type": type,
        }
        if related is not None:
            event["related"] = object_reference(related) if "metadata" in related else dict(related)
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    def start(self) -> None:
        if self._tasks:
            return
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._write_loop(), name="myriad-events-writer"),
                       loop.create_task(self._tick(self.options.heartbeat, self.series.heartbeats),
                                        name="myriad-events-heartbeat"),
                       loop.create_task(self._tick(self.options.finish_check, self.series.finish),
                                        name="myriad-events-finish")]

    async def flush(self) -> None:
        """Waits until every queued occurrence has been handled."""
        await self._queue.join()

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        await cancel_and_wait(tasks)

    async def _write_loop(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                write = self.series.observe(event)
                if write is not None:
                    await self._write(write)
            finally:
                self._queue.task_done()

    async def _tick(self, interval: float, due: Callable[[], list[Write]]) -> None:
        while True:
            await self.clock.sleep(interval)
            for write in due():
                await self._write(write)

    async def _write(self, write: Write) -> None:
        wait = max(self._pause, self._bucket.when(None))
        if wait > 0:
            await self.clock.sleep(wait)
        try:
            await self._send(write)
            self._pause = 0.0
        except TooManyRequests:
            self._pause = min(self.options.max_pause, max(1.0, self._pause * 2))
            self.failed_writes += 1
        except ClientError:
            self.failed_writes += 1
            if write.verb == "create":
                self.series.forget(write.event)

    async def _send(self, write: Write) -> Any:
        if write.verb == "patch":
            try:
                return await self.sink.patch(write.event)
            except NotFound:
                pass  # the Event was deleted (or expired): create it again with its series
        event = {**write.event, "metadata": {k: v for k, v in write.event["metadata"].items()
                                             if k != "resourceVersion"}}
        return await self.sink.create(event)
