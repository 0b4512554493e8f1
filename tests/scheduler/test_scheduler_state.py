"""The scheduler's bookkeeping under informer orderings a real cluster produces, driven through
its handlers (no API calls are made: nothing here binds)."""

from __future__ import annotations

import numpy as np

from myriad.client.events.recorder import EventRecorder, RecorderOptions
from myriad.client.objects import Object, ObjectCodec
from myriad.client.rest import Client
from myriad.client.types import ClientOptions
from myriad.client.views import NodeView, PodView, View
from myriad.scheduler.framework import Framework
from myriad.scheduler.plugins.defaultbinder import DefaultBinder
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.profiles import build_profile
from myriad.scheduler.scheduler import Scheduler


def scheduler() -> Scheduler:
    client = Client(ClientOptions(endpoints=("http://127.0.0.1:9",)))  # never called
    return Scheduler(client, lambda handle: {"default-scheduler": Framework(build_profile(handle=handle))},
                     DefaultBinder(client), recorder=EventRecorder(client, RecorderOptions(controller="t")))


def node(name: str) -> Object:
    return ObjectCodec(NodeView).from_dict({"metadata": {"name": name}, "spec": {},
                                            "status": {"allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}})


def pod(name: str, uid: str, node_name: str = "", cpu: str = "1", **status: str) -> Object:
    return ObjectCodec(PodView).from_dict({
        "metadata": {"name": name, "namespace": "ns", "uid": uid},
        "spec": {"nodeName": node_name, "containers": [{"name": "c", "image": "pause",
                                                        "resources": {"requests": {"cpu": cpu}}}]},
        "status": status})


def requested(s: Scheduler, name: str) -> list[int]:
    row = s.table.index[name]
    return s.table.requested[row].tolist()


def test_a_pod_listed_before_its_node_counts_once_the_node_arrives() -> None:
    s = scheduler()
    s._pod_added(pod("p", "u1", "n1"))
    s._node_added(node("n1"))
    assert requested(s, "n1")[0] == 1000 and requested(s, "n1")[3] == 1


def test_a_node_deleted_and_made_again_counts_its_pods_again() -> None:
    s = scheduler()
    s._node_added(node("n1"))
    s._pod_added(pod("p", "u1", "n1"))
    s._node_deleted(node("n1"))
    s._node_added(node("n1"))
    assert requested(s, "n1")[0] == 1000
    s._pod_deleted(pod("p", "u1", "n1"))
    assert requested(s, "n1")[0] == 0


def test_a_bound_pods_status_update_carries_its_pod_info_over_and_a_resize_is_read_afresh() -> None:
    s = scheduler()
    s._node_added(node("n1"))
    first = pod("p", "u1", "n1")
    s._pod_added(first)
    running = pod("p", "u1", "n1", phase="Running")
    s._pod_updated(first, running)
    held = s._placed["u1"][1]
    assert held.pod.view is running.view and held.requests.cpu_milli == 1000 and requested(s, "n1")[0] == 1000
    assert held.pod.raw == b""  # a bound pod is held as its view alone
    resized = pod("p", "u1", "n1", cpu="2", phase="Running")
    s._pod_updated(running, resized)
    assert s._placed["u1"][1].pod.view is resized.view and requested(s, "n1")[0] == 2000


def test_the_echo_of_a_binding_confirms_the_assumed_pod() -> None:
    s = scheduler()
    s._node_added(node("n1"))
    pending = pod("p", "u1")
    s._pod_added(pending)
    s._assume(pod_info(pending), "n1")
    bound = pod("p", "u1", "n1")
    s._pod_updated(pending, bound)
    assert "u1" not in s.assumed and s._placed["u1"][0] == "n1" and s._placed["u1"][1].pod.view is bound.view
    assert s._placed["u1"][1].node_name == "n1" and requested(s, "n1")[0] == 1000


def test_a_node_update_reaches_the_table_only_when_its_scheduling_properties_change() -> None:
    s = scheduler()
    calls: list[str] = []
    set_node = s.table.set_node
    s.table.set_node = lambda n: calls.append(n.name) or set_node(n)  # type: ignore[method-assign]
    first = node("n1")
    s._node_added(first)
    heartbeat = ObjectCodec(NodeView).from_dict({**first.decode(), "metadata": {"name": "n1", "resourceVersion": "9"}})
    s._node_updated(first.view_only(), heartbeat)  # the informer keeps nodes as views alone
    labelled = ObjectCodec(NodeView).from_dict({**first.decode(), "metadata": {"name": "n1", "labels": {"a": "b"}}})
    s._node_updated(heartbeat.view_only(), labelled)
    assert calls == ["n1", "n1"]


def test_a_pod_made_again_under_its_name_replaces_the_old_one() -> None:
    s = scheduler()
    s._node_added(node("n1"))
    s._pod_added(pod("p", "old", "n1"))
    s._pod_updated(pod("p", "old", "n1"), pod("p", "new", "n1", cpu="2"))
    assert requested(s, "n1")[0] == 2000 and requested(s, "n1")[3] == 1
    assert "old" not in s._placed and "new" in s._placed


def test_a_late_nomination_echo_does_not_hold_room_for_a_placed_pod() -> None:
    s = scheduler()
    s._node_added(node("n1"))
    bound = pod("p", "u1", "n1")
    s._pod_added(bound)
    s._keep_nomination(pod_info(pod("p", "u1", nominatedNodeName="n1")))
    assert not s.table.nominations and not np.any(s.table.nominated)


def test_a_handler_that_fails_on_a_bad_object_does_not_raise() -> None:
    s = scheduler()
    handler = s._pods._handlers[0]
    handler.on_add(ObjectCodec(View).from_dict({"metadata": {"name": "bad", "uid": "x"},
                                                "spec": {"nodeName": "n1", "containers": "nonsense"}}))
