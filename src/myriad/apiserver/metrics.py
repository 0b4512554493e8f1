"""Prometheus metrics under upstream's names: ``apiserver_request_total``,
``apiserver_request_duration_seconds``, ``apiserver_storage_objects`` and
``apiserver_longrunning_requests`` (current watches). One registry per server."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from myriad.apiserver.requestinfo import RequestInfo

_VERBS = {"get": "GET", "list": "LIST", "watch": "WATCH", "create": "POST", "update": "PUT", "patch": "PATCH",
          "delete": "DELETE", "deletecollection": "DELETECOLLECTION"}
_BUCKETS = (0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60)


def metric_verb(info: RequestInfo, method: str) -> str:
    return _VERBS.get(info.verb, method) if info.is_resource else method


class ServerMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("apiserver_request_total", "Requests by verb, resource and HTTP code.",
                                ["verb", "group", "version", "resource", "subresource", "code"],
                                registry=self.registry)
        self.duration = Histogram("apiserver_request_duration_seconds", "Response latency by verb and resource.",
                                  ["verb", "group", "version", "resource", "subresource"], buckets=_BUCKETS,
                                  registry=self.registry)
        self.storage_objects = Gauge("apiserver_storage_objects", "Stored objects by resource.", ["resource"],
                                     registry=self.registry)
        self.longrunning = Gauge("apiserver_longrunning_requests", "Open long-running requests (watches).",
                                 ["verb", "group", "version", "resource"], registry=self.registry)

    def observe(self, info: RequestInfo, method: str, code: int, seconds: float) -> None:
        verb = metric_verb(info, method)
        self.requests.labels(verb, info.group, info.version, info.resource, info.subresource, str(code)).inc()
        if verb != "WATCH":
            self.duration.labels(verb, info.group, info.version, info.resource, info.subresource).observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
