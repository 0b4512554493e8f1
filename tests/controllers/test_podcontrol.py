"""Pure logic shared by the controllers: expectations, the deletion ranking, slow-start batches,
the ``--controllers`` list and pods made from templates."""

from __future__ import annotations

import asyncio

import pytest

from myriad.api.meta import rfc3339
from myriad.api.selectors import parse_label_selector
from myriad.client.objects import ObjectCodec
from myriad.client.views import PodView
from myriad.clock import FakeClock
from myriad.controllers.errors import ConfigError
from myriad.controllers.expectations import Expectations
from myriad.controllers.podcontrol import Claims, available, pod_from_template, ready, slow_start
from myriad.controllers.ranking import pods_to_delete
from myriad.controllers.registry import KNOWN, enabled

NOW = 1_800_000_000.0


def test_expectations_are_met_by_what_is_observed_or_expire() -> None:
    clock = FakeClock(NOW)
    expectations = Expectations(clock=clock, ttl=300)
    assert expectations.satisfied("ns/rs")
    expectations.expect_creations("ns/rs", 2)
    assert not expectations.satisfied("ns/rs")
    expectations.creation_observed("ns/rs")
    assert not expectations.satisfied("ns/rs") and expectations.pending("ns/rs") == (1, 0)
    expectations.creation_observed("ns/rs")
    assert expectations.satisfied("ns/rs")
    expectations.expect_deletions("ns/rs", ["ns/a", "ns/b"])
    expectations.deletion_observed("ns/rs", "ns/other")  # not one it expects
    expectations.deletion_observed("ns/rs", "ns/a")
    assert not expectations.satisfied("ns/rs")
    clock.advance(301)
    assert expectations.satisfied("ns/rs")  # a lost event does not wedge the owner
    expectations.forget("ns/rs")
    assert expectations.pending("ns/rs") == (0, 0)


def pod(name: str, *, node: str = "", phase: str = "Running", ready_for: float | None = None, age: float = 3600,
        restarts: int = 0, cost: int | None = None, uid: str = "") -> dict:
    conditions = [] if ready_for is None else [{"type": "Ready", "status": "True",
                                                "lastTransitionTime": rfc3339(NOW - ready_for)}]
    annotations = {} if cost is None else {"controller.kubernetes.io/pod-deletion-cost": str(cost)}
    return {"metadata": {"name": name, "uid": uid or name, "creationTimestamp": rfc3339(NOW - age),
                         "annotations": annotations},
            "spec": {"nodeName": node},
            "status": {"phase": phase, "conditions": conditions,
                       "containerStatuses": [{"name": "c", "restartCount": restarts}]}}


@pytest.mark.parametrize(("first", "second", "why"), [
    (pod("a"), pod("b", node="n1"), "unassigned before assigned"),
    (pod("a", node="n1", phase="Pending"), pod("b", node="n1", phase="Running"), "Pending before Running"),
    (pod("a", node="n1", phase="Unknown"), pod("b", node="n1", phase="Running"), "Unknown before Running"),
    (pod("a", node="n1"), pod("b", node="n1", ready_for=10), "not ready before ready"),
    (pod("a", node="n1", ready_for=10, cost=-5), pod("b", node="n1", ready_for=10), "lower deletion cost first"),
    (pod("a", node="n1", ready_for=10), pod("b", node="n2", ready_for=10), "doubled up first"),
    (pod("a", node="n3", ready_for=10), pod("b", node="n4", ready_for=10_000), "ready more recently first"),
    (pod("a", node="n3", ready_for=100, restarts=3), pod("b", node="n4", ready_for=101), "more restarts first"),
    (pod("a", node="n3", age=10), pod("b", node="n4", age=10_000), "younger first"),
    (pod("b", node="n3", age=100, uid="1"), pod("a", node="n4", age=101, uid="2"), "same age bucket: lower uid"),
])
def test_pods_are_deleted_in_upstreams_order(first: dict, second: dict, why: str) -> None:
    crowd = [pod("x", node="n1"), first, second] if "doubled" in why else [first, second]
    assert pods_to_delete([second, first], crowd, 1, now=NOW) == [first], why


def test_available_means_ready_for_min_ready_seconds() -> None:
    assert available(pod("a", ready_for=11), 10, NOW)
    assert not available(pod("a", ready_for=5), 10, NOW)
    assert available(pod("a", ready_for=0), 0, NOW)
    assert not available(pod("a"), 0, NOW)


async def test_claiming_an_informers_pods_reads_their_views_and_decodes_none() -> None:
    # Informers may keep pods as their views alone (reading the whole object then raises): a
    # claim over tens of thousands of pods must not decode each of them on every sync.
    def kept(name: str, labels: dict[str, str], *, deleting: bool = False, is_ready: bool = False):  # type: ignore[no-untyped-def]
        meta = {"name": name, "namespace": "ns", "uid": name, "labels": labels}
        if deleting:
            meta["deletionTimestamp"] = rfc3339(NOW)
        status = {"conditions": [{"type": "Ready", "status": "True" if is_ready else "False"}]}
        return ObjectCodec(PodView).from_dict({"metadata": meta, "status": status}).view_only()

    async def never() -> bool:
        raise AssertionError("nothing here is an orphan to adopt")

    owner = {"metadata": {"name": "rs", "namespace": "ns", "uid": "rs-uid"}}
    owned = [kept("a", {"app": "web"}, is_ready=True), kept("b", {"app": "web", "tier": "x"})]
    orphans = [kept("c", {"app": "web"}, deleting=True), kept("d", {"app": "db"})]
    claims = Claims(None, owner, parse_label_selector("app=web"), never)  # type: ignore[arg-type]
    assert await claims.claim(owned, orphans) == owned
    assert [ready(p) for p in owned] == [True, False]  # what a ReplicaSet's status counts


async def test_slow_start_doubles_its_batches_and_stops_after_a_failing_one() -> None:
    batches: list[int] = []
    running = peak = 0

    async def create() -> None:  # a batch runs concurrently: its size is the peak between idle moments
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0)
        running -= 1
        if running == 0:
            batches.append(peak)
            peak = 0

    assert await slow_start(20, create) == (20, None)
    assert batches == [1, 2, 4, 8, 5]
    calls = 0

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls == 5:
            raise RuntimeError("quota")

    done, error = await slow_start(100, flaky)
    assert (done, calls, str(error)) == (6, 7, "quota")  # batches 1, 2, then 4 with one failure: no more


ALL = tuple(KNOWN)


@pytest.mark.parametrize(("spec", "expected"), [
    ("*", ALL),
    ("*,-replicaset-controller", tuple(n for n in ALL if n != "replicaset-controller")),
    ("-" + ",-".join(r.alias for r in KNOWN.values() if r.name != "garbage-collector-controller") + ",*",
     ("garbage-collector-controller",)),
    ("replicaset", ("replicaset-controller",)),
    ("garbagecollector,-garbagecollector", ("garbage-collector-controller",)),  # the first word decides
    ("-garbagecollector,garbagecollector,job", ("job-controller",)),
])
def test_the_controllers_list_reads_as_upstreams(spec: str, expected: tuple[str, ...]) -> None:
    assert enabled(spec) == expected


@pytest.mark.parametrize(("spec", "message"), [
    ("", "--controllers: at least one"),
    ("*,bogus", '--controllers: "bogus" is not in the list of known controllers'),
])
def test_a_bad_controllers_list_names_the_flag(spec: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        enabled(spec)


def test_pods_from_a_template_carry_its_metadata_and_the_controller_reference() -> None:
    owner = {"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "web", "uid": "u1"}}
    template = {"metadata": {"labels": {"app": "web"}, "annotations": {"a": "1"}, "finalizers": ["f"]},
                "spec": {"containers": [{"name": "c", "image": "i"}]}}
    made = pod_from_template(template, owner)
    assert made["metadata"] == {"generateName": "web-", "labels": {"app": "web"}, "annotations": {"a": "1"},
                                "finalizers": ["f"], "ownerReferences": [
                                    {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web", "uid": "u1",
                                     "controller": True, "blockOwnerDeletion": True}]}
    assert made["spec"] == template["spec"]
    long_name = {**owner, "metadata": {"name": "x" * 253, "uid": "u1"}}
    assert pod_from_template(template, long_name)["metadata"]["generateName"] == "x" * 253
