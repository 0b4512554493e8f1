"""The density bench's pod watch: timelines, phase counts kept as events come, latencies."""

from __future__ import annotations

import time

from myriad.bench.density.podwatch import PodWatch
from myriad.client.objects import ObjectCodec
from myriad.client.views import PodView

CODEC = ObjectCodec(PodView)


def _pod(name: str, *, node: str = "", phase: str = "", ready: bool = False, deleting: bool = False):  # type: ignore[no-untyped-def]
    meta = {"name": name, "namespace": "ns", **({"deletionTimestamp": "2026-12-05T00:00:00Z"} if deleting else {})}
    status = {"phase": phase, "conditions": [{"type": "Ready", "status": "True" if ready else "False"}]}
    return CODEC.from_dict({"metadata": meta, "spec": {"nodeName": node}, "status": status})


def test_the_watch_keeps_each_pods_timeline_and_the_counts_by_phase() -> None:
    watch = PodWatch(client=None, selector="x", began=time.monotonic())  # type: ignore[arg-type]
    watch._apply("ADDED", _pod("a"))
    watch._apply("ADDED", _pod("b"))
    watch._apply("MODIFIED", _pod("a", node="n1"))
    watch._apply("MODIFIED", _pod("a", node="n1", phase="Running", ready=True))
    assert watch.by_phase() == {"Pending": 1, "Running": 1, "Succeeded": 0, "Failed": 0, "Terminating": 0}
    a = watch.pods["ns/a"]
    assert a.created is not None and a.created <= a.scheduled <= a.running <= a.ready  # type: ignore[operator]
    assert [watch.latencies[t].count for t in ("create_to_schedule", "schedule_to_run", "create_to_watch")] == [1, 1, 1]
    watch._apply("MODIFIED", _pod("a", node="n1", phase="Running", deleting=True))
    assert watch.by_phase()["Terminating"] == 1 and watch.by_phase()["Running"] == 0
    watch._apply("DELETED", _pod("a", node="n1", phase="Running", deleting=True))
    watch._apply("DELETED", _pod("a", node="n1", phase="Running", deleting=True))  # seen twice: counted once
    assert watch.by_phase() == {"Pending": 1, "Running": 0, "Succeeded": 0, "Failed": 0, "Terminating": 0}
    assert watch.gone == 1 and watch.pods["ns/a"].deleted is not None
    watch._apply("MODIFIED", _pod("b", node="n2", phase="Running"))
    assert watch.by_phase() == {"Pending": 0, "Running": 1, "Succeeded": 0, "Failed": 0, "Terminating": 0}
