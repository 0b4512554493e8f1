"""The scheduler's Prometheus metrics under upstream's names (``pkg/scheduler/metrics``):

* ``scheduler_schedule_attempts_total{result,profile}``: scheduled, unschedulable or error;
* ``scheduler_scheduling_attempt_duration_seconds{result,profile}``: one cycle, PreFilter to
  the hand-off to binding;
* ``scheduler_pod_scheduling_sli_duration_seconds{attempts}``: from the pod's first entry into
  the queue to its binding, for pods that bound;
* ``scheduler_pending_pods{queue}``: active, backoff, unschedulable and gated;
* ``scheduler_plugin_execution_duration_seconds{plugin,extension_point,status}``: sampled in
  one cycle of ten, as upstream samples;
* ``myriad_scheduler_cycles_total{kind}``: cycles run in full, and answered from a batch of
  equivalent pods (myriad's own).

Loop only: the scheduler records, the HTTP server's thread only reads the histograms.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

#: Upstream's buckets: exponential from 1 ms, factor 2, 15 buckets (attempts) and from 10 ms,
#: factor 1.5, 20 buckets (the SLI); plugins from 10 µs, factor 1.5, 20 buckets.
ATTEMPT_BUCKETS = tuple(0.001 * 2 ** i for i in range(15))
SLI_BUCKETS = tuple(0.01 * 1.5 ** i for i in range(20))
PLUGIN_BUCKETS = tuple(0.00001 * 1.5 ** i for i in range(20))
#: One cycle in this many has its plugins timed (upstream's pluginMetricsSamplePercent = 10).
PLUGIN_SAMPLE_EVERY = 10


class SchedulerMetrics:
    def __init__(self, registry: CollectorRegistry, *, pending: Callable[[], dict[str, int]],
                 cycles: Callable[[], dict[str, int]] = dict) -> None:
        self.attempts = Counter("scheduler_schedule_attempts", "Scheduling attempts by result.",
                                ["result", "profile"], registry=registry)
        self.attempt_duration = Histogram("scheduler_scheduling_attempt_duration_seconds",
                                          "Scheduling attempt latency (scheduling algorithm and binding hand-off).",
                                          ["result", "profile"], buckets=ATTEMPT_BUCKETS, registry=registry)
        self.sli = Histogram("scheduler_pod_scheduling_sli_duration_seconds",
                             "E2e latency for a pod being scheduled, from the time it first entered the queue.",
                             ["attempts"], buckets=SLI_BUCKETS, registry=registry)
        self.plugin_duration = Histogram("scheduler_plugin_execution_duration_seconds",
                                         "Duration of running a plugin at a specific extension point.",
                                         ["plugin", "extension_point", "status"], buckets=PLUGIN_BUCKETS,
                                         registry=registry)
        registry.register(_PendingCollector(pending, cycles))

    def attempt(self, result: str, profile: str, seconds: float) -> None:
        self.attempts.labels(result, profile).inc()
        self.attempt_duration.labels(result, profile).observe(seconds)

    def bound(self, attempts: int, seconds: float) -> None:
        self.sli.labels(str(attempts)).observe(seconds)

    def plugin(self, plugin: str, point: str, status: str, seconds: float) -> None:
        self.plugin_duration.labels(plugin, point, status).observe(seconds)


class _PendingCollector:
    """scheduler_pending_pods and myriad_scheduler_cycles_total, read when scraped."""

    def __init__(self, pending: Callable[[], dict[str, int]], cycles: Callable[[], dict[str, int]]) -> None:
        self._pending = pending
        self._cycles = cycles

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("scheduler_pending_pods", "Number of pending pods, by the queue type.",
                                   labels=["queue"])
        for queue, count in sorted(self._pending().items()):
            family.add_metric([queue], count)
        yield family
        cycles = CounterMetricFamily("myriad_scheduler_cycles", "Scheduling cycles, run in full or batched.",
                                     labels=["kind"])
        for kind, count in sorted(self._cycles().items()):
            cycles.add_metric([kind], count)
        yield cycles
