"""apimetrics against expositions of the real ``myriad.apiserver.metrics`` and flow controller: calls
observed with known latencies, scraped before and after, differenced."""

from __future__ import annotations

import math

import pytest

from myriad.apiserver.flowcontrol.classify import HEADER
from myriad.apiserver.flowcontrol.limiter import FlowController, Rejected
from myriad.apiserver.flowcontrol.types import FlowControlOptions
from myriad.apiserver.metrics import _BUCKETS, ServerMetrics
from myriad.apiserver.requestinfo import RequestInfo
from myriad.bench.density.apimetrics import ApiLatency, Errors, Scrape, calls, errors, latencies, parse, rejections

_METHODS = {"get": "GET", "list": "GET", "watch": "GET", "create": "POST", "update": "PUT", "patch": "PATCH",
            "delete": "DELETE", "deletecollection": "DELETE"}


def info(verb: str, resource: str = "pods", *, name: str = "", namespace: str = "default", group: str = "",
         version: str = "v1", subresource: str = "") -> RequestInfo:
    return RequestInfo(is_resource=True, path="/", verb=verb, group=group, version=version, namespace=namespace,
                       resource=resource, name=name, subresource=subresource)


class Server:
    """The metrics half of an API server: requests observed as the router observes them."""

    def __init__(self, flow: FlowController | None = None) -> None:
        self.metrics = ServerMetrics()
        if flow is not None:
            self.metrics.flow_control(flow)

    def call(self, request: RequestInfo, seconds: float, *, times: int = 1, code: int = 200) -> None:
        for _ in range(times):
            self.metrics.observe(request, _METHODS.get(request.verb, "GET"), code, seconds)

    def scrape(self) -> Scrape:
        return parse(self.metrics.exposition().decode())


def only(rows: list[ApiLatency]) -> ApiLatency:
    assert len(rows) == 1, rows
    return rows[0]


def test_parse_reads_cumulative_buckets_and_totals() -> None:
    server = Server()
    get = info("get", name="a")
    for seconds in (0.003, 0.03, 0.03, 100.0):
        server.call(get, seconds)
    server.call(get, 0.001, code=404)
    scrape = server.scrape()
    key = ("GET", "", "v1", "pods", "", "resource")
    samples = (0.003, 0.03, 0.03, 100.0, 0.001)
    assert scrape.buckets[key] == tuple((bound, sum(s <= bound for s in samples)) for bound in (*_BUCKETS, math.inf))
    assert scrape.requests == {(*key, 200): 4, (*key, 404): 1}
    assert scrape.rejected == {}


def test_quantiles_interpolate_inside_the_bucket_and_ignore_calls_before() -> None:
    server = Server()
    get = info("get", name="a")
    server.call(get, 5.0, times=50)
    before = server.scrape()
    server.call(get, 0.003, times=90)  # le=0.005
    server.call(get, 0.3, times=10)  # le=0.4: the 91st to 100th calls
    row = only(latencies(before, server.scrape()))
    assert (row.verb, row.resource, row.subresource, row.scope, row.count) == ("GET", "pods", "", "resource", 100)
    assert row.p50_s == pytest.approx(0.005 * 50 / 90)  # rank 50 of 90 in (0, 0.005]
    assert row.p90_s == pytest.approx(0.005)  # rank 90: the top of the first bucket
    assert row.p99_s == pytest.approx(0.2 + 0.2 * 9 / 10)  # rank 99: 9th of 10 in (0.2, 0.4]
    assert (row.slo_s, row.met) == (1.0, True)


def test_quantile_in_the_inf_bucket_is_the_highest_finite_bound() -> None:
    server = Server()
    before = server.scrape()
    server.call(info("get", name="a"), 0.003, times=98)
    server.call(info("get", name="a"), 100.0, times=2)  # past the 60 s bucket
    row = only(latencies(before, server.scrape()))
    assert row.p99_s == _BUCKETS[-1] == 60
    assert row.p50_s == pytest.approx(0.005 * 50 / 98)
    assert not row.met


@pytest.mark.parametrize(("verb", "name", "namespace", "metric_verb", "scope", "slo", "met"), [
    ("get", "a", "default", "GET", "resource", 0.5, False),
    ("list", "", "default", "LIST", "namespace", 7.0, True),
    ("list", "", "", "LIST", "cluster", 7.0, True),
    ("create", "", "default", "POST", "resource", 0.5, False),
    ("update", "a", "default", "PUT", "resource", 0.5, False),
    ("patch", "a", "default", "PATCH", "resource", 0.5, False),
    ("delete", "a", "default", "DELETE", "resource", 0.5, False),
    ("deletecollection", "", "default", "DELETECOLLECTION", "namespace", None, True),  # no SLI covers it
])
def test_slo_is_list_slo_for_lists_single_slo_for_one_object_and_none_otherwise(
        verb: str, name: str, namespace: str, metric_verb: str, scope: str, slo: float | None, met: bool) -> None:
    server = Server()
    before = server.scrape()
    server.call(info(verb, name=name, namespace=namespace), 0.45)  # p99 = 0.4 + 0.2 * 0.99 = 0.598
    row = only(latencies(before, server.scrape(), single_slo=0.5, list_slo=7.0))
    assert (row.verb, row.scope, row.slo_s, row.met) == (metric_verb, scope, slo, met)
    assert row.p99_s == pytest.approx(0.598)


def test_default_slos() -> None:
    server = Server()
    before = server.scrape()
    server.call(info("get", name="a"), 0.01)
    server.call(info("list"), 0.01)
    slos = {row.verb: row.slo_s for row in latencies(before, server.scrape())}
    assert slos == {"GET": 1.0, "LIST": 30.0}


def test_keys_differing_only_in_group_and_version_are_merged() -> None:
    server = Server()
    before = server.scrape()
    server.call(info("get", "deployments", name="a", group="apps", version="v1"), 0.003, times=10)
    server.call(info("get", "deployments", name="a", group="extensions", version="v1beta1"), 0.3, times=10)
    server.call(info("list", "deployments", group="apps"), 0.003)  # another scope: its own row
    server.call(info("list", "deployments", group="apps", namespace=""), 0.003)
    rows = {(row.verb, row.scope): row for row in latencies(before, server.scrape())}
    assert sorted(rows) == [("GET", "resource"), ("LIST", "cluster"), ("LIST", "namespace")]
    merged = rows["GET", "resource"]
    assert merged.count == 20
    assert merged.p50_s == pytest.approx(0.005)  # rank 10: all of the apps/v1 calls
    assert merged.p99_s == pytest.approx(0.2 + 0.2 * 9.8 / 10)  # rank 19.8: 9.8th of 10 in (0.2, 0.4]


def test_watch_and_connect_are_excluded() -> None:
    server = Server()
    before = server.scrape()
    server.call(info("watch"), 30.0)
    server.call(info("get", name="a"), 0.01)
    after = server.scrape()
    assert [row.verb for row in latencies(before, after)] == ["GET"]
    assert calls(before, after) == {"GET": 1, "WATCH": 1}
    # Upstream's server keeps WATCH and CONNECT histograms: the same buckets under those verbs.
    (key, buckets), = after.buckets.items()
    upstream = Scrape(buckets={(verb, *key[1:]): buckets for verb in ("WATCH", "CONNECT", "PATCH")}, requests={},
                      rejected={})
    assert [row.verb for row in latencies(before, upstream)] == ["PATCH"]


def test_non_resource_requests_are_left_out() -> None:
    server = Server()
    before = server.scrape()
    server.metrics.observe(RequestInfo(is_resource=False, path="/metrics"), "GET", 200, 0.002)
    server.metrics.observe(RequestInfo(is_resource=False, path="/healthz"), "GET", 500, 0.002)
    after = server.scrape()
    assert ("GET", "", "", "", "", "") in after.buckets
    assert (latencies(before, after), calls(before, after), errors(before, after)) == ([], {}, Errors(0, 0))


def test_keys_absent_before_count_from_zero_and_idle_keys_are_dropped() -> None:
    server = Server()
    server.call(info("get", name="a"), 0.01, times=5)
    before = server.scrape()
    server.call(info("create"), 0.01, times=3)
    rows = latencies(before, server.scrape())
    assert [(row.verb, row.count) for row in rows] == [("POST", 3)]
    assert only(latencies(parse(""), before)).count == 5


def test_a_restarted_server_counts_from_zero() -> None:
    old, new = Server(), Server()
    old.call(info("get", name="a"), 0.01, times=100)
    new.call(info("get", name="a"), 0.3, times=4)
    before, after = old.scrape(), new.scrape()
    row = only(latencies(before, after))
    assert (row.count, row.p50_s) == (4, pytest.approx(0.3))
    assert calls(before, after) == {"GET": 4}


def test_rows_are_sorted_by_p99_relative_to_the_slo() -> None:
    server = Server()
    before = server.scrape()
    server.call(info("list"), 3.0, times=10)  # le=3 (bounds are inclusive): 2.99 / 30
    server.call(info("get", name="a"), 0.3, times=10)  # 0.398 / 1
    server.call(info("create"), 0.9, times=10)  # 0.998 / 1
    rows = latencies(before, server.scrape())
    assert [row.verb for row in rows] == ["POST", "GET", "LIST"]
    assert [row.p99_s for row in rows] == pytest.approx([0.998, 0.398, 2.99])


def test_to_json() -> None:
    server = Server()
    before = server.scrape()
    server.call(info("patch", name="a", subresource="status"), 0.003, times=2)
    assert only(latencies(before, server.scrape())).to_json() == {
        "verb": "PATCH", "resource": "pods", "subresource": "status", "scope": "resource", "count": 2,
        "p50_s": pytest.approx(0.0025), "p90_s": pytest.approx(0.0045), "p99_s": pytest.approx(0.00495),
        "slo_s": 1.0, "met": True}


def test_escaped_label_values_are_read_back() -> None:
    server = Server()
    before = server.scrape()
    odd = 'we"ird\\sub\nresource'
    server.call(info("get", name="a", subresource=odd), 0.01)
    assert only(latencies(before, server.scrape())).subresource == odd


def test_calls_per_verb_and_errors_between_scrapes() -> None:
    server = Server()
    server.call(info("get", name="a"), 0.01, times=7, code=429)
    before = server.scrape()
    server.call(info("get", name="a"), 0.01, times=3)
    server.call(info("get", name="a"), 0.01, times=2, code=429)
    server.call(info("list", namespace=""), 0.01, code=429)
    server.call(info("create"), 0.01, code=201)
    server.call(info("create"), 0.01, code=503)
    server.call(info("update", name="a"), 0.01, code=500)
    server.call(info("delete", name="a"), 0.01, code=404)
    server.call(info("watch"), 0.01)
    after = server.scrape()
    assert calls(before, after) == {"GET": 5, "LIST": 1, "POST": 2, "PUT": 1, "DELETE": 1, "WATCH": 1}
    assert errors(before, after) == Errors(throttled=3, server_errors=2)


async def test_rejections_per_priority_level_between_scrapes() -> None:
    flow = FlowController(FlowControlOptions(max_watches=0), count_objects=lambda _: 1)
    server = Server(flow)

    async def watch(user_agent: str, level: str = "") -> None:
        with pytest.raises(Rejected):
            await flow.admit(info("watch"), user_agent=user_agent, headers={HEADER: level} if level else {})

    await watch("curl/8")
    await watch("kubelet/1.30", "node-high")
    before = server.scrape()
    await watch("curl/8")
    await watch("python/3", "catch-all")  # the same level through another flow schema
    await watch("kubelet/1.30")
    after = server.scrape()
    assert after.rejected == {"catch-all": 3, "node-high": 1, "workload-high": 1}
    assert rejections(before, after) == {"catch-all": 2, "node-high": 0, "workload-high": 1}
    assert rejections(after, Server(flow).scrape()) == {"catch-all": 0, "node-high": 0, "workload-high": 0}
    assert rejections(after, Server().scrape()) == {}
