"""Prometheus metrics under upstream's names: ``apiserver_request_total``,
``apiserver_request_duration_seconds``, ``apiserver_storage_objects`` and
``apiserver_longrunning_requests`` (current watches), plus the standard ``process_*`` series
(CPU seconds, resident memory, open fds) as upstream components export. One registry per server."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Gauge, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.utils import floatToGoString

from myriad.apiserver.requestinfo import RequestInfo

if TYPE_CHECKING:
    from myriad.apiserver.cache.watchcache import WatchCache as WatchCacheStats
    from myriad.apiserver.flowcontrol.limiter import FlowController

_VERBS = {"get": "GET", "list": "LIST", "watch": "WATCH", "create": "POST", "update": "PUT", "patch": "PATCH",
          "delete": "DELETE", "deletecollection": "DELETECOLLECTION"}
_BUCKETS = (0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60)


def scope(info: RequestInfo) -> str:
    """Upstream's ``CleanScope``, the SLOs' third dimension: ``resource`` for one object (and a
    create), ``namespace`` or ``cluster`` for a collection, empty for a non-resource path."""
    if info.name or info.verb == "create":
        return "resource"
    if info.namespace:
        return "namespace"
    return "cluster" if info.is_resource else ""


def metric_verb(info: RequestInfo, method: str) -> str:
    return _VERBS.get(info.verb, method) if info.is_resource else method


_BUCKET_LABELS = [*map(floatToGoString, _BUCKETS), "+Inf"]


class _RequestCollector:
    """``apiserver_request_total`` and ``apiserver_request_duration_seconds``, counted in plain
    dicts and lists and turned into metric families only when scraped: the client library's
    locked counters and per-bucket loop cost several microseconds on every request.

    Event loop only (observations and scrapes both run there)."""

    def __init__(self) -> None:
        self.counts: dict[tuple[str, str, str, str, str, str, int], int] = {}
        #: Per (verb, group, version, resource, subresource, scope): per-bucket counts (not cumulative),
        #: the +Inf bucket last, and the sum of observations.
        self.histograms: dict[tuple[str, str, str, str, str, str], tuple[list[int], list[float]]] = {}

    def observe(self, key: tuple[str, str, str, str, str, str, int], seconds: float | None) -> None:
        self.counts[key] = self.counts.get(key, 0) + 1
        if seconds is None:
            return
        series = self.histograms.get(key[:6])
        if series is None:
            series = self.histograms[key[:6]] = ([0] * (len(_BUCKETS) + 1), [0.0])
        series[0][bisect_left(_BUCKETS, seconds)] += 1
        series[1][0] += seconds

    def collect(self) -> Iterator[Metric]:
        labels = ["verb", "group", "version", "resource", "subresource", "scope"]
        total = CounterMetricFamily("apiserver_request_total", "Requests by verb, resource and HTTP code.",
                                    labels=[*labels, "code"])
        for key, count in self.counts.items():
            total.add_metric([*key[:6], str(key[6])], count)
        yield total
        duration = HistogramMetricFamily("apiserver_request_duration_seconds",
                                         "Response latency by verb and resource.", labels=labels)
        for key, (buckets, total_seconds) in self.histograms.items():
            cumulative, running = [], 0
            for bound, count in zip(_BUCKET_LABELS, buckets, strict=True):
                running += count
                cumulative.append((bound, running))
            duration.add_metric(list(key), cumulative, total_seconds[0])
        yield duration


class _CacheCollector:
    """Watch cache series, read from the caches' plain counters when scraped. Upstream's names
    where upstream has the series (``apiserver_watch_cache_events_dispatched_total``,
    ``apiserver_registered_watchers``, ``apiserver_terminated_watchers_total``,
    ``apiserver_cache_list_total``, ``apiserver_watch_cache_consistent_read_total``); Myriad's
    own for the cache's size (objects, their encoded bytes) and bookmarks sent, which upstream does not export."""

    def __init__(self, caches: Callable[[], Iterable[WatchCacheStats]]) -> None:
        self._caches = caches

    def collect(self) -> Iterator[Metric]:
        gr = ["group", "resource"]
        families = {
            "objects": GaugeMetricFamily("apiserver_watch_cache_objects", "Objects held by each watch cache.",
                                         labels=gr),
            "bytes": GaugeMetricFamily("apiserver_watch_cache_object_bytes",
                                       "Encoded bytes of the objects each watch cache holds.", labels=gr),
            "window": GaugeMetricFamily("apiserver_watch_cache_window_events",
                                        "Events held for resuming watches, by cache.", labels=gr),
            "dispatched": CounterMetricFamily("apiserver_watch_cache_events_dispatched_total",
                                              "Events dispatched to watchers, by cache.", labels=gr),
            "watchers": GaugeMetricFamily("apiserver_registered_watchers", "Watchers open on each cache.",
                                          labels=["group", "version", "kind"]),
            "bookmarks": CounterMetricFamily("apiserver_watch_cache_bookmarks_sent_total",
                                             "Bookmarks sent to watchers, by cache.", labels=gr),
            "terminated": CounterMetricFamily("apiserver_terminated_watchers_total",
                                              "Watchers ended for falling too far behind.", labels=gr),
            "lists": CounterMetricFamily("apiserver_cache_list_total", "Lists served from a watch cache.",
                                         labels=[*gr, "index"]),
            "consistent": CounterMetricFamily("apiserver_watch_cache_consistent_read_total",
                                              "Consistent lists, by whether the cache served them.",
                                              labels=[*gr, "success", "fallback"]),
        }
        for cache in self._caches():
            resource = cache.resource
            labels = [resource.group, resource.plural]
            families["objects"].add_metric(labels, len(cache.objects))
            families["bytes"].add_metric(labels, cache.object_bytes)
            families["window"].add_metric(labels, len(cache.window))
            families["dispatched"].add_metric(labels, cache.events_dispatched)
            families["watchers"].add_metric([resource.group, resource.version, resource.kind],
                                            cache.dispatcher.count)
            families["bookmarks"].add_metric(labels, cache.bookmarks_sent)
            families["terminated"].add_metric(labels, cache.terminated_slow)
            for index, count in cache.lists_served.items():
                families["lists"].add_metric([*labels, index], count)
            for (success, fallback), count in cache.consistent_reads.items():
                families["consistent"].add_metric([*labels, success, fallback], count)
        yield from families.values()


class _FlowCollector:
    """Flow control series under upstream's APF names."""

    def __init__(self, flow: FlowController) -> None:
        self._flow = flow

    def collect(self) -> Iterator[Metric]:
        flow = self._flow
        rejected = CounterMetricFamily("apiserver_flowcontrol_rejected_requests_total",
                                       "Requests rejected (429) by priority level, flow schema and reason.",
                                       labels=["priority_level", "flow_schema", "reason"])
        for key, count in flow.rejected.items():
            rejected.add_metric(list(key), count)
        dispatched = CounterMetricFamily("apiserver_flowcontrol_dispatched_requests_total",
                                         "Requests admitted, by priority level and flow schema.",
                                         labels=["priority_level", "flow_schema"])
        for key, count in flow.dispatched.items():
            dispatched.add_metric(list(key), count)
        seats = GaugeMetricFamily("apiserver_flowcontrol_current_executing_seats", "Seats in use, by priority level.",
                                  labels=["priority_level"])
        limit = GaugeMetricFamily("apiserver_flowcontrol_nominal_limit_seats", "Seats of each priority level.",
                                  labels=["priority_level"])
        queued = GaugeMetricFamily("apiserver_flowcontrol_current_inqueue_requests",
                                   "Requests waiting for seats, by priority level.", labels=["priority_level"])
        for name, level in flow.levels.items():
            seats.add_metric([name], level.executing)
            limit.add_metric([name], level.seats)
            queued.add_metric([name], level.queued)
        yield from (rejected, dispatched, seats, limit, queued)


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self._requests = _RequestCollector()
        self.registry.register(self._requests)  # type: ignore[arg-type]
        self.storage_objects = Gauge("apiserver_storage_objects", "Stored objects by resource.", ["resource"],
                                     registry=self.registry)
        self.longrunning = Gauge("apiserver_longrunning_requests", "Open long-running requests (watches).",
                                 ["verb", "group", "version", "resource"], registry=self.registry)

    def flow_control(self, flow: FlowController) -> None:
        self.registry.register(_FlowCollector(flow))  # type: ignore[arg-type]

    def watch_caches(self, caches: Callable[[], Iterable[WatchCacheStats]]) -> None:
        """Exports the watch caches ``caches()`` returns at each scrape."""
        self.registry.register(_CacheCollector(caches))  # type: ignore[arg-type]

    def observe(self, info: RequestInfo, method: str, code: int, seconds: float) -> None:
        verb = metric_verb(info, method)
        self._requests.observe((verb, info.group, info.version, info.resource, info.subresource, scope(info), code),
                               None if verb == "WATCH" else seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
