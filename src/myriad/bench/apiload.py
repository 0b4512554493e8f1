"""The API-server benchmark's operations, as request builders over pre-built pod bodies.

Every operation addresses pod ``i`` of :class:`PodSet`: the first :data:`LIST_SIZE` pods live in
the namespace ``<prefix>-list`` (what the list operation reads), the rest in ``<prefix>``. Pods
carry what a Deployment's pod would: labels, one container with an image, a port and resource
requests, so the server defaults and validates a realistic spec.

Each operation runs closed-loop (:func:`run_phase`): ``concurrency`` keep-alive connections,
each issuing its next request as soon as the previous one answers, latency from issue to the
last byte of the response. A response with any status but the expected one counts as an error,
and its latency is still recorded.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson

from myriad.bench.histogram import LatencyHistogram, Percentiles
from myriad.bench.httpclient import Connection

#: Pods in the namespace that the list operation reads whole.
LIST_SIZE = 1000

_NAME_MARK = b"@@NAME@@"
_NS_MARK = b"@@NS@@"

#: One request: method, path, body, content type.
Request = tuple[bytes, bytes, bytes, bytes]


def _pod_template() -> bytes:
    pod = {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": _NAME_MARK.decode(), "namespace": _NS_MARK.decode(),
                     "labels": {"app": "bench", "tier": "web", "pod-template-hash": "5d8f7c9b6"}},
        "spec": {"containers": [{
            "name": "app", "image": "registry.k8s.io/pause:3.10",
            "ports": [{"containerPort": 8080, "name": "http"}],
            "env": [{"name": "MODE", "value": "bench"}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        }]},
    }
    return orjson.dumps(pod)


@dataclass(kw_only=True)
class PodSet:
    """The pods one run creates and then reads, updates and patches; ``latest[i]`` holds the last
    body the server returned for pod ``i`` (what an update starts from)."""

    prefix: str
    count: int

    def __post_init__(self) -> None:
        self._template = _pod_template()
        self.latest: list[bytes | None] = [None] * self.count

    @property
    def namespaces(self) -> tuple[str, str]:
        return f"{self.prefix}-list", self.prefix

    def namespace(self, index: int) -> str:
        return self.namespaces[0] if index < LIST_SIZE else self.namespaces[1]

    def name(self, index: int) -> str:
        return f"pod-{index:07d}"

    def path(self, index: int) -> bytes:
        return f"/api/v1/namespaces/{self.namespace(index)}/pods/{self.name(index)}".encode()

    def create(self, index: int) -> Request:
        body = self._template.replace(_NAME_MARK, self.name(index).encode()).replace(
            _NS_MARK, self.namespace(index).encode())
        return b"POST", f"/api/v1/namespaces/{self.namespace(index)}/pods".encode(), body, b"application/json"

    def get(self, index: int) -> Request:
        return b"GET", self.path(index), b"", b""

    def _latest(self, index: int) -> bytes:
        latest = self.latest[index]
        if latest is None:
            raise RuntimeError(f"pod {index} was never created")
        return latest

    def update(self, index: int) -> Request:
        pod = orjson.loads(self._latest(index))
        pod["metadata"]["labels"]["round"] = str(int(pod["metadata"]["labels"].get("round", "0")) + 1)
        return b"PUT", self.path(index), orjson.dumps(pod), b"application/json"

    def untrack(self, index: int) -> Request:
        """A PUT of the pod's last body with ``managedFields: []``: the server stops tracking it."""
        pod = orjson.loads(self._latest(index))
        pod["metadata"]["managedFields"] = []
        return b"PUT", self.path(index), orjson.dumps(pod), b"application/json"

    def patch(self, index: int) -> Request:
        body = b'{"metadata":{"annotations":{"bench/patched":"%d"}}}' % index
        return b"PATCH", self.path(index), body, b"application/merge-patch+json"

    def apply(self, index: int) -> Request:
        body = b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"%s","labels":{"bench/applied":"%d"}}}' % (
            self.name(index).encode(), index)
        return (b"PATCH", self.path(index) + b"?fieldManager=bench-apply&force=true", body,
                b"application/apply-patch+yaml")

    def list(self, _index: int) -> Request:
        return b"GET", f"/api/v1/namespaces/{self.namespaces[0]}/pods".encode(), b"", b""


@dataclass(frozen=True, slots=True)
class PhaseFigures:
    """What one closed-loop phase did: ``count`` requests (``errors`` of them failed) in ``elapsed``
    seconds; ``first_error`` shows one failure's status and body."""

    count: int
    errors: int
    elapsed: float
    latency: Percentiles
    first_error: str | None

    @property
    def per_second(self) -> float:
        return self.count / self.elapsed if self.elapsed > 0 else 0.0


async def run_phase(connections: list[Connection], *, total: int, build: Callable[[int], Request],
                    expect: int, pick: Callable[[int], int] | None = None,
                    keep: Callable[[int, bytes], None] | None = None,
                    histogram: LatencyHistogram | None = None) -> PhaseFigures:
    """Issues ``total`` requests over ``connections``; request ``n`` is ``build(pick(n))`` (``pick``
    defaults to ``n``). ``keep(index, body)`` sees every response with the expected status.
    ``histogram``: one to record latencies into (and report from) rather than a new one, so that
    a phase run in parts reports as one."""
    histogram = histogram if histogram is not None else LatencyHistogram()
    issued = errors = 0
    first_error: str | None = None

    async def worker(connection: Connection) -> None:
        nonlocal issued, errors, first_error
        while issued < total:
            index = pick(issued) if pick else issued
            issued += 1
            method, path, body, content_type = build(index)
            started = time.perf_counter()
            status, reply = await connection.request(method, path, body, content_type=content_type)
            histogram.record_seconds(time.perf_counter() - started)
            if status != expect:
                errors += 1
                if first_error is None:
                    first_error = f"{method.decode()} {path.decode()} -> {status}: {reply[:300]!r}"
            elif keep is not None:
                keep(index, reply)

    started = time.perf_counter()
    async with asyncio.TaskGroup() as group:
        for connection in connections:
            group.create_task(worker(connection))
    return PhaseFigures(total, errors, time.perf_counter() - started, histogram.percentiles(), first_error)


def random_picker(count: int, *, seed: int = 1) -> Callable[[int], int]:
    """Uniformly random pod indexes in ``[0, count)``, reproducible for a seed."""
    chooser = random.Random(seed)
    return lambda _n: chooser.randrange(count)
