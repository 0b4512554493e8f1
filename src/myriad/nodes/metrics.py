"""``/metrics`` for hollow nodes (``--metrics-port``): Prometheus text, built at each scrape from
the latest :mod:`~myriad.nodes.figures` snapshot (the HTTP server runs in its own thread, so it
reads a finished snapshot, never the event loop's live state).

Series: ``myriad_hollow_nodes{state}``, ``myriad_hollow_pods{phase}``,
``myriad_hollow_<counter>_total`` for each counter of the snapshot (lease renewals, status
reports, pod admissions, status writes, deletions, errors, events dropped, config reads, pod
watch events), ``myriad_hollow_lease_renewal_latency_seconds{quantile}`` (0.5, 0.99 and 1 since
the start, from an HDR histogram), and ``myriad_hollow_api_requests_total{verb,resource,code}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from myriad.nodes.figures import Snapshot


class HollowCollector:
    def __init__(self, latest: Callable[[], Snapshot]) -> None:
        self._latest = latest

    def collect(self) -> Iterator[Metric]:
        figures = self._latest()
        nodes = GaugeMetricFamily("myriad_hollow_nodes", "Hollow nodes by state (registered, ready, stopped, total)",
                                  labels=["state"])
        for state, count in sorted((figures.get("nodes") or {}).items()):
            nodes.add_metric([state], count)
        yield nodes
        pods = GaugeMetricFamily("myriad_hollow_pods", "Pods the hollow nodes run, by phase", labels=["phase"])
        for phase, count in sorted((figures.get("pods") or {}).items()):
            pods.add_metric([phase], count)
        yield pods
        for name, count in sorted((figures.get("counters") or {}).items()):
            yield CounterMetricFamily(f"myriad_hollow_{name}", name.replace("_", " ").capitalize(), value=count)
        for name, latency in sorted((figures.get("latency") or {}).items()):
            quantiles = GaugeMetricFamily(f"myriad_hollow_{name}_latency_seconds",
                                          f"{name.replace('_', ' ').capitalize()} latency since the start",
                                          labels=["quantile"])
            for label, key in (("0.5", "p50_ms"), ("0.99", "p99_ms"), ("1", "max_ms")):
                quantiles.add_metric([label], latency.get(key, 0) / 1000)
            yield quantiles
        requests = CounterMetricFamily("myriad_hollow_api_requests", "API requests the hollow nodes made",
                                       labels=["verb", "resource", "code"])
        for verb, resource, code, count in sorted(figures.get("requests") or []):
            requests.add_metric([verb, resource, code], count)
        yield requests


def serve_metrics(port: int, latest: Callable[[], Snapshot]) -> None:
    """Serves ``/metrics`` on 127.0.0.1:``port`` from a thread of its own."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HollowCollector(latest))  # type: ignore[arg-type]
    start_http_server(port, addr="127.0.0.1", registry=registry)
