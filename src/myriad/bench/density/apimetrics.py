"""API call latency, calls and rejections between two scrapes of the API server's own ``/metrics``,
as clusterloader2's APIResponsiveness measurement reads them.

:func:`parse` reads the exposition text (see ``myriad.apiserver.metrics``) into a :class:`Scrape`:

* ``apiserver_request_duration_seconds_bucket{verb,group,version,resource,subresource,scope,le}``:
  cumulative bucket counts per key (``_sum`` and ``_count`` are not needed);
* ``apiserver_request_total{verb,group,version,resource,subresource,scope,code}``;
* ``apiserver_flowcontrol_rejected_requests_total{priority_level,flow_schema,reason}``, summed per
  priority level.

Everything else is skipped. The parser is a small hand parser rather than
``prometheus_client.parser.text_string_to_metric_families``: on a 518 KB exposition of the real
metrics code (3,700 lines, 132 histogram keys) it takes 20 ms against the library's 138 ms
(best of 7, CPython 3.11), since it skips unwanted lines on their name and builds no sample objects.

Between two scrapes (:func:`latencies`, :func:`calls`, :func:`rejections`, :func:`errors`) every
series is differenced; a series absent from ``before`` counts from zero, and so does one whose count
went down (the server restarted in between), as Prometheus's ``increase`` does.

Non-resource requests (``/metrics``, ``/healthz``, ``/readyz``…: empty resource label) are left out
throughout, as the SLO is defined for resources: the bench's own scrapes and probes are among them.
WATCH and CONNECT are long-running and excluded from the latencies, as upstream's SLO excludes them
(Myriad's server keeps no WATCH histogram at all, but counts watches in ``apiserver_request_total``).

Quantiles follow Prometheus's ``histogram_quantile``: the rank ``q * count`` is found in the first
bucket whose cumulative count reaches it and interpolated linearly between that bucket's lower bound
(the previous bucket's ``le``, or 0 for the first) and its ``le``. A quantile falling in the ``+Inf``
bucket returns the highest finite bound (60 s with the server's buckets): the value is then a floor,
not an estimate.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: verb, group, version, resource, subresource, scope: the histogram's labels.
Key = tuple[str, str, str, str, str, str]
#: Upper bound (``math.inf`` last) and cumulative count, ascending.
Buckets = tuple[tuple[float, int], ...]

_DURATION = "apiserver_request_duration_seconds_bucket"
_TOTAL = "apiserver_request_total"
_REJECTED = "apiserver_flowcontrol_rejected_requests_total"
_KEY_LABELS = ("verb", "group", "version", "resource", "subresource", "scope")
_LABEL = re.compile(r'([a-zA-Z_]\w*)="((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r'\\[\\"n]')
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_LONG_RUNNING = frozenset({"WATCH", "CONNECT"})
_QUANTILES = (0.5, 0.9, 0.99)
#: Verbs upstream's single-object SLIs cover (read-only GET, and mutations).
_SINGLE = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})


@dataclass(frozen=True)
class Scrape:
    """One scrape's series of interest, keyed by their labels."""

    #: Per histogram key: its buckets, cumulative as exported.
    buckets: Mapping[Key, Buckets]
    #: Per histogram key plus HTTP code: requests served.
    requests: Mapping[tuple[str, str, str, str, str, str, int], int]
    #: Per priority level: requests rejected (429), over all flow schemas and reasons.
    rejected: Mapping[str, int]


@dataclass(frozen=True)
class ApiLatency:
    """Latency of one verb on one resource, subresource and scope, group and version merged."""

    verb: str
    resource: str
    subresource: str
    scope: str
    count: int
    p50_s: float
    p90_s: float
    p99_s: float
    #: None for calls no SLO covers (DELETECOLLECTION; a collection's mutations).
    slo_s: float | None
    met: bool

    def to_json(self) -> dict[str, str | int | float | bool | None]:
        return {"verb": self.verb, "resource": self.resource, "subresource": self.subresource, "scope": self.scope,
                "count": self.count, "p50_s": self.p50_s, "p90_s": self.p90_s, "p99_s": self.p99_s,
                "slo_s": self.slo_s, "met": self.met}


@dataclass(frozen=True)
class Errors:
    """Responses between two scrapes that were throttled (429) or server errors (5xx)."""

    throttled: int
    server_errors: int


def parse(text: str) -> Scrape:
    """Reads Prometheus text exposition; lines of other metrics are skipped."""
    buckets: dict[Key, dict[float, int]] = {}
    requests: dict[tuple[str, str, str, str, str, str, int], int] = {}
    rejected: dict[str, int] = {}
    for line in text.splitlines():
        if not line.startswith("apiserver_"):
            continue
        brace = line.find("{")
        name = line[:brace]
        if name not in (_DURATION, _TOTAL, _REJECTED):
            continue
        close = line.rfind("}")
        pairs = _LABEL.findall(line, brace + 1, close)
        labels = {label: _unescape(value) for label, value in pairs} if "\\" in line else dict(pairs)
        value = int(float(line[close + 1:].split()[0]))
        if name == _REJECTED:
            level = labels["priority_level"]
            rejected[level] = rejected.get(level, 0) + value
            continue
        key: Key = tuple(labels[label] for label in _KEY_LABELS)  # type: ignore[assignment]
        if name == _TOTAL:
            requests[(*key, int(labels["code"]))] = value
        else:
            buckets.setdefault(key, {})[float(labels["le"])] = value
    return Scrape(buckets={key: tuple(sorted(series.items())) for key, series in buckets.items()},
                  requests=requests, rejected=rejected)


def latencies(before: Scrape, after: Scrape, *, single_slo: float = 1.0, list_slo: float = 30.0) -> list[ApiLatency]:
    """Per verb, resource, subresource and scope with calls in between: count, p50/p90/p99 and the
    SLO, as upstream's SLIs cover calls: ``list_slo`` for LIST, ``single_slo`` for a GET or a
    mutation of one object (scope ``resource``), none for the rest (DELETECOLLECTION). Worst p99
    relative to its SLO first; those without an SLO last, slowest first."""
    merged: dict[tuple[str, str, str, str], dict[float, int]] = {}
    for key, series in after.buckets.items():
        verb, _group, _version, resource, subresource, scope = key
        if verb in _LONG_RUNNING or not resource:
            continue
        delta = _difference(before.buckets.get(key, ()), series)
        if delta[-1][1] == 0:
            continue
        sums = merged.setdefault((verb, resource, subresource, scope), {})
        for bound, count in delta:
            sums[bound] = sums.get(bound, 0) + count
    rows = []
    for (verb, resource, subresource, scope), sums in merged.items():
        cumulative = tuple(sorted(sums.items()))
        p50, p90, p99 = (quantile(q, cumulative) for q in _QUANTILES)
        slo = list_slo if verb == "LIST" else single_slo if scope == "resource" and verb in _SINGLE else None
        rows.append(ApiLatency(verb=verb, resource=resource, subresource=subresource, scope=scope,
                               count=cumulative[-1][1], p50_s=p50, p90_s=p90, p99_s=p99, slo_s=slo,
                               met=slo is None or p99 <= slo))
    rows.sort(key=lambda row: (row.slo_s is None, -row.p99_s / (row.slo_s or 1.0), row.verb, row.resource,
                               row.subresource, row.scope))
    return rows


def quantile(q: float, buckets: Buckets) -> float:
    """Prometheus's ``histogram_quantile`` over cumulative ``buckets``: at least one finite bound,
    ``+Inf`` last, a total above zero."""
    total = buckets[-1][1]
    rank = q * total
    index = bisect_left([count for _, count in buckets[:-1]], rank)
    if index == len(buckets) - 1:
        return buckets[-2][0]
    upper, count = buckets[index]
    lower, below = buckets[index - 1] if index else (0.0, 0)
    return lower + (upper - lower) * (rank - below) / (count - below)


def calls(before: Scrape, after: Scrape) -> dict[str, int]:
    """Requests per verb in between (every code), verbs with none left out."""
    per_verb: dict[str, int] = {}
    for key, count in _request_deltas(before, after):
        per_verb[key[0]] = per_verb.get(key[0], 0) + count
    return per_verb


def errors(before: Scrape, after: Scrape) -> Errors:
    """Responses in between with code 429 and with a code of 500 or above."""
    throttled = server_errors = 0
    for key, count in _request_deltas(before, after):
        if key[6] == 429:
            throttled += count
        elif key[6] >= 500:
            server_errors += count
    return Errors(throttled=throttled, server_errors=server_errors)


def rejections(before: Scrape, after: Scrape) -> dict[str, int]:
    """429 rejections in between per priority level, for every level that has rejected since the
    server started (0 for one that rejected only before)."""
    return {level: _increase(before.rejected.get(level, 0), count) for level, count in after.rejected.items()}


def _request_deltas(before: Scrape, after: Scrape) -> Iterable[tuple[tuple[str, str, str, str, str, str, int], int]]:
    for key, count in after.requests.items():
        if key[3]:
            delta = _increase(before.requests.get(key, 0), count)
            if delta:
                yield key, delta


def _difference(before: Buckets, after: Buckets) -> Buckets:
    if not before or before[-1][1] > after[-1][1]:
        return after
    previous = dict(before)
    return tuple((bound, count - previous.get(bound, 0)) for bound, count in after)


def _increase(before: int, after: int) -> int:
    return after - before if after >= before else after


def _unescape(value: str) -> str:
    return _ESCAPE.sub(lambda match: _ESCAPES[match.group()], value)
