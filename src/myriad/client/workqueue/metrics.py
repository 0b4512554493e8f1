"""Prometheus metrics of every workqueue in the process, labelled by queue ``name`` as
client-go's are: depth, adds, time queued, work duration, retries, and work in progress."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_BUCKETS = (1e-5, 1e-4, 1e-3, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

DEPTH = Gauge("workqueue_depth", "Keys waiting in the queue.", ["name"])
ADDS = Counter("workqueue_adds", "Keys added (de-duplicated adds count once).", ["name"])
QUEUE_DURATION = Histogram("workqueue_queue_duration_seconds", "Seconds a key waited before a worker took it.",
                           ["name"], buckets=_BUCKETS)
WORK_DURATION = Histogram("workqueue_work_duration_seconds", "Seconds a worker held a key.", ["name"],
                          buckets=_BUCKETS)
RETRIES = Counter("workqueue_retries", "Keys re-added after a failure (rate-limited adds).", ["name"])
IN_PROGRESS = Gauge("workqueue_unfinished_work", "Keys taken by workers and not yet done.", ["name"])


class QueueMetrics:
    """The label-bound metrics of one queue."""

    def __init__(self, name: str) -> None:
        self.depth = DEPTH.labels(name)
        self.adds = ADDS.labels(name)
        self.queue_duration = QUEUE_DURATION.labels(name)
        self.work_duration = WORK_DURATION.labels(name)
        self.retries = RETRIES.labels(name)
        self.in_progress = IN_PROGRESS.labels(name)
