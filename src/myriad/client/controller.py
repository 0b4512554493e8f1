"""The controller scaffold: informers, a priority workqueue and N async workers running
``reconcile(key)``, with retries, metrics, graceful stop and optional leader election.

A subclass declares what it watches in :meth:`Controller.setup` (``self.watch(informer, ...)``
turns each informer event into a queue key, by default the object's ``namespace/name``, with
the event's priority: add, update, delete, or sync for a resync) and implements
:meth:`Controller.reconcile`. A reconcile that raises is retried with the queue's per-key
backoff, up to ``max_retries`` times; one that returns a number of seconds is queued again after
that long; one that returns None is done (its backoff forgotten).

Informers run from :meth:`Controller.run` on, leader or not (a hot standby), and keep queueing
keys; workers run only while leading. On becoming leader every cached key is queued as a sync,
so the new leader acts at once on anything the old one left. On losing the lease the workers
stop, and the controller contends again. Without leader election the workers start once the
informers have synced.

Concurrency: loop only. Workers are tasks; a key is never reconciled by two workers at once
(the queue guarantees it).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Callable, Hashable
from dataclasses import dataclass

from prometheus_client import Counter, Histogram

from myriad.client.informers.factory import SharedInformerFactory
from myriad.client.informers.informer import Handler, SharedInformer
from myriad.client.informers.store import Obj, object_key
from myriad.client.leaderelection import LeaderElectionConfig, LeaderElector
from myriad.client.rest import Client
from myriad.client.tasks import cancel_and_wait
from myriad.client.workqueue.errors import ShutDown
from myriad.client.workqueue.priority import PriorityQueue, priority_queue
from myriad.client.workqueue.ratelimit import RateLimiter

log = logging.getLogger(__name__)

RECONCILES = Counter("controller_reconciles", "Reconciles by controller and result (success, error, requeue).",
                     ["controller", "result"])
RECONCILE_SECONDS = Histogram("controller_reconcile_duration_seconds", "Seconds per reconcile.", ["controller"])


@dataclass(frozen=True, kw_only=True)
class ControllerOptions:
    name: str
    workers: int = 2
    #: Retries of a failing key before it is dropped (and its backoff forgotten).
    max_retries: int = 15
    limiter: RateLimiter | None = None
    leader_election: LeaderElectionConfig | None = None
    #: Seconds to wait for the informers' first sync before giving up.
    sync_timeout: float = 60.0


class Controller(abc.ABC):
    def __init__(self, client: Client, options: ControllerOptions, *,
                 factory: SharedInformerFactory | None = None) -> None:
        self.client = client
        self.options = options
        self.factory = factory or SharedInformerFactory(client)
        self.queue: PriorityQueue = priority_queue(name=options.name, clock=client.options.clock,
                                                   limiter=options.limiter)
        self._watched: list[tuple[SharedInformer, Callable[[Obj], Hashable | None]]] = []
        self._workers: list[asyncio.Task[None]] = []
        self._elector: LeaderElector | None = None
        self.setup()

    @abc.abstractmethod
    def setup(self) -> None:
        """Declares the informers to watch (:meth:`watch`); called once from the constructor."""

    @abc.abstractmethod
    async def reconcile(self, key: Hashable) -> float | None:
        """Brings ``key``'s world to its desired state; raise to retry with backoff, or return
        seconds after which to run again."""

    def watch(self, informer: SharedInformer, *, key: Callable[[Obj], Hashable | None] = object_key,
              changed: Callable[[Obj, Obj], bool] | None = None) -> None:
        """Queues ``key(obj)`` for each change ``informer`` sees (None skips the object); an
        update only if ``changed(old, new)`` says so, when given (resyncs always)."""
        self._watched.append((informer, key))

        def enqueue(obj: Obj, event: str) -> None:
            queued = key(obj)
            if queued is not None:
                self.queue.add(queued, event=event)

        def on_update(old: Obj, new: Obj) -> None:
            same = old.resource_version == new.resource_version
            if not same and changed is not None and not changed(old, new):
                return
            enqueue(new, "sync" if same else "update")

        informer.add_handler(Handler(on_add=lambda obj: enqueue(obj, "add"), on_update=on_update,
                                     on_delete=lambda obj: enqueue(obj, "delete")))

    # -- running -------------------------------------------------------------------------------

    @property
    def leading(self) -> bool:
        return bool(self._workers)

    async def run(self) -> None:
        """Runs until cancelled: informers always, workers while leading (or always, without
        leader election). Cancelling it is a graceful stop: see :meth:`_shutdown`."""
        self.factory.start()
        try:
            if not await self.factory.wait_for_sync(self.options.sync_timeout):
                raise TimeoutError(f"controller {self.options.name}: informers did not sync in time")
            election = self.options.leader_election
            if election is None:
                self._start_workers()
                await asyncio.Event().wait()
            while True:
                self._elector = LeaderElector(self.client, election, on_started_leading=self.lead)
                await self._elector.run()
        finally:
            await self._shutdown()

    async def lead(self) -> None:
        """Queues every cached key as a sync, then runs the workers until cancelled: what
        :meth:`run` does on becoming leader. A manager that elects once for many controllers
        sharing its factory calls this itself, and :meth:`drain` at the end, instead of
        :meth:`run`."""
        for informer, key in self._watched:
            for obj in informer.indexer.list():
                queued = key(obj)
                if queued is not None:
                    self.queue.add(queued, event="sync")
        self._start_workers()
        try:
            await asyncio.Event().wait()
        finally:
            await self._stop_workers()

    def _start_workers(self) -> None:
        loop = asyncio.get_running_loop()
        self._workers = [loop.create_task(self._work(), name=f"{self.options.name}-worker-{n}")
                         for n in range(self.options.workers)]

    async def _stop_workers(self) -> None:
        workers, self._workers = self._workers, []
        await cancel_and_wait(workers)

    async def _work(self) -> None:
        name = self.options.name
        while True:
            try:
                key = await self.queue.get()
            except ShutDown:
                return
            try:
                with RECONCILE_SECONDS.labels(name).time():
                    again = await self.reconcile(key)
            except asyncio.CancelledError:
                self.queue.add(key, event="update")  # unfinished: queued again when done() below
                raise
            except Exception:
                RECONCILES.labels(name, "error").inc()
                if self.queue.retries(key) < self.options.max_retries:
                    log.debug("%s: reconciling %s failed; retrying", name, key, exc_info=True)
                    self.queue.add_rate_limited(key)
                else:
                    log.warning("%s: reconciling %s failed %d times; dropped", name, key,
                                self.options.max_retries + 1, exc_info=True)
                    self.queue.forget(key)
            else:
                self.queue.forget(key)
                if again is not None:
                    RECONCILES.labels(name, "requeue").inc()
                    self.queue.add_after(key, again)
                else:
                    RECONCILES.labels(name, "success").inc()
            finally:
                self.queue.done(key)

    async def drain(self) -> None:
        """Lets the workers finish the keys they hold (10 s at most), then stops them."""
        self.queue.shut_down()
        if self._workers:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.gather(*self._workers, return_exceptions=True), 10)
        await self._stop_workers()

    async def _shutdown(self) -> None:
        """:meth:`drain`, then the informers stop."""
        await self.drain()
        await self.factory.stop()
