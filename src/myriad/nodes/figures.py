"""What a hollow-node process reports: one plain snapshot (nodes, pods by phase, counters, API
requests, latency since the start and, as an encoded HDR histogram, since the last snapshot),
taken on the event loop once a second, so that ``/metrics``, the progress bar and a
supervisor read a finished copy and never the live state.

A snapshot is JSON-able: a worker process prints it as a line (``figures {...}``) and its
supervisor adds the workers' snapshots up with :func:`merge`.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from myriad.nodes.hollow import HollowNodes

Snapshot = dict[str, Any]
LINE_PREFIX = "figures "


def snapshot(nodes: HollowNodes) -> Snapshot:
    """The figures now; its ``histograms`` cover the time since the previous call (take one
    snapshot a second, from one place)."""
    states = nodes.states
    stopped = sum(1 for state in states.values() if state.stopped)
    counters: dict[str, int] = {}
    latency: dict[str, dict[str, float]] = {}
    histograms: dict[str, str] = {}
    if nodes.heartbeats is not None:
        figures = nodes.heartbeats.figures
        counters.update(lease_renewals=figures.renewals, lease_conflicts=figures.conflicts,
                        lease_errors=figures.errors)
        latency["lease_renewal"] = figures.latency_ms()
        histograms["lease_renewal"] = figures.take_interval()
    if nodes.reports is not None:
        counters.update(status_reports=nodes.reports.figures.reports, status_report_errors=nodes.reports.figures.errors)
    pods: dict[str, int] = {}
    if nodes.pods is not None:
        figures = nodes.pods.figures
        counters.update(pods_admitted=figures.admitted, pods_adopted=figures.adopted, pods_rejected=figures.rejected,
                        pod_status_writes=figures.status_writes, pod_deletions=figures.deletions,
                        pod_write_errors=figures.write_errors)
        gate = nodes.pods.gate.figures
        counters.update(config_gets=gate.gets, config_lists=gate.lists, config_watches=gate.watches)
        pods = nodes.pods.phases()
    if nodes.watches is not None:
        watched = nodes.watches.stats()
        counters.update(pod_watch_lists=watched.lists, pod_watch_events=watched.events,
                        pod_watch_errors=watched.errors)
    if nodes.recorder is not None:
        counters.update(events_dropped=nodes.recorder.dropped, event_write_failures=nodes.recorder.failed_writes)
    return {
        "nodes": {"total": nodes.options.count, "registered": nodes.registered,
                  "ready": len(states) - stopped if nodes.ready.is_set() else 0, "stopped": stopped},
        "pods": pods,
        "counters": counters,
        "latency": latency,
        "histograms": histograms,
        "requests": [[verb, resource, code, count] for (verb, resource, code), count in nodes.requests().items()],
    }


def merge(snapshots: list[Snapshot]) -> Snapshot:
    """The sum of several processes' snapshots; of latency percentiles, the worst (percentiles
    do not add up)."""
    nodes: Counter[str] = Counter()
    pods: Counter[str] = Counter()
    counters: Counter[str] = Counter()
    requests: Counter[tuple[str, str, str]] = Counter()
    latency: dict[str, dict[str, float]] = {}
    for one in snapshots:
        for name, figures in (one.get("latency") or {}).items():
            worst = latency.setdefault(name, {})
            for key, value in figures.items():
                worst[key] = worst.get(key, 0) + value if key == "count" else max(worst.get(key, 0), value)
        nodes.update(one.get("nodes") or {})
        pods.update(one.get("pods") or {})
        counters.update(one.get("counters") or {})
        for verb, resource, code, count in one.get("requests") or []:
            requests[(verb, resource, code)] += count
    return {"nodes": dict(nodes), "pods": dict(pods), "counters": dict(counters), "latency": latency,
            "requests": [[verb, resource, code, count] for (verb, resource, code), count in requests.items()]}
