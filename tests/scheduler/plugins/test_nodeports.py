"""NodePorts (upstream nodeports/node_ports.go, HostPortInfo.CheckConflict in framework/types.go).

PreFilter skips a pod without host ports (containers and sidecar init containers, hostPort > 0).
Filter: a wanted (ip, protocol, port) conflicts with a used one of the same protocol and port
when either IP is 0.0.0.0 or the IPs are equal; hostIP "" is 0.0.0.0 and protocol "" is TCP.
Rejection: "node(s) didn't have free ports for the requested pod ports", Unschedulable.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.nodeports import NodePorts
from myriad.scheduler.podinfo import pod_info
from myriad.scheduler.types import SKIP, Code, CycleState, PreFilterResult, Reason

REASON = Reason("node(s) didn't have free ports for the requested pod ports", Code.UNSCHEDULABLE)
_uids = itertools.count()


def _port(port: int, ip: str | None = None, protocol: str | None = None, container_port: int = 80) -> dict:
    spec: dict = {"containerPort": container_port, "hostPort": port}
    if ip is not None:
        spec["hostIP"] = ip
    if protocol is not None:
        spec["protocol"] = protocol
    return spec


def _pod(*ports: dict, sidecar_ports: tuple[dict, ...] = (), init_ports: tuple[dict, ...] = ()):
    uid = f"u{next(_uids)}"
    spec: dict = {"containers": [{"name": "c", "ports": list(ports)}]}
    init = []
    if sidecar_ports:
        init.append({"name": "side", "restartPolicy": "Always", "ports": list(sidecar_ports)})
    if init_ports:
        init.append({"name": "init", "ports": list(init_ports)})
    if init:
        spec["initContainers"] = init
    return pod_info({"metadata": {"namespace": "default", "name": uid, "uid": uid}, "spec": spec})


def _table(used: dict[str, list[dict]]) -> NodeTable:
    table = NodeTable()
    for name, ports in used.items():
        table.set_node({"metadata": {"name": name}})
        if ports:
            table.add_pod(_pod(*ports), name)
    return table


@pytest.mark.parametrize(("pod", "skip"), [
    (_pod(), True),                                              # no ports at all
    (_pod({"containerPort": 80}), True),                         # container ports without hostPort
    (_pod(_port(0)), True),                                      # hostPort 0 is not a host port
    (_pod(init_ports=(_port(8080),)), True),                     # a plain init container's port is ignored
    (_pod(_port(8080)), False),
    (_pod(sidecar_ports=(_port(8080),)), False),                 # a sidecar's host port counts
])
def test_pre_filter(pod, skip: bool) -> None:
    result = NodePorts().pre_filter(CycleState(), pod, NodeTable())
    assert result == (SKIP if skip else PreFilterResult())


@pytest.mark.parametrize(("used", "wanted", "fails"), [
    ([], [_port(8080)], False),                                                       # nothing in use
    ([_port(8080)], [_port(8080)], True),                                             # same port, both 0.0.0.0
    ([_port(8080)], [_port(8081)], False),                                            # another port
    ([_port(8080)], [_port(8080, protocol="UDP")], False),                            # another protocol
    ([_port(8080, protocol="UDP")], [_port(8080, protocol="UDP")], True),
    ([_port(8080, ip="10.0.0.1")], [_port(8080, ip="10.0.0.2")], False),              # distinct IPs
    ([_port(8080, ip="10.0.0.1")], [_port(8080, ip="10.0.0.1")], True),               # the same IP
    ([_port(8080, ip="10.0.0.1")], [_port(8080)], True),                              # wanted on 0.0.0.0
    ([_port(8080)], [_port(8080, ip="10.0.0.1")], True),                              # used on 0.0.0.0
    ([_port(8080, ip="")], [_port(8080, ip="10.0.0.1")], True),                       # "" is 0.0.0.0
    ([_port(8080, protocol="")], [_port(8080, protocol="TCP")], True),                # "" is TCP
    ([_port(8080, protocol="SCTP")], [_port(8080)], False),
    ([_port(9000)], [_port(8080), _port(9000)], True),                                # any wanted port
    ([_port(8080, container_port=1)], [_port(8080, container_port=2)], True),         # containerPort irrelevant
])
def test_filter(used: list[dict], wanted: list[dict], fails: bool) -> None:
    table = _table({"busy": used, "free": []})
    rows = np.array([table.index["busy"], table.index["free"]])
    verdict = NodePorts().filter(CycleState(), _pod(*wanted), table, rows)
    assert verdict.failed.dtype == np.uint32
    assert verdict.failed.tolist() == [int(fails), 0]
    assert verdict.reasons == (REASON,)


def test_filter_sidecar_ports_on_both_sides() -> None:
    table = NodeTable()
    table.set_node({"metadata": {"name": "n1"}})
    table.add_pod(_pod(sidecar_ports=(_port(7000),)), "n1")
    verdict = NodePorts().filter(CycleState(), _pod(sidecar_ports=(_port(7000),)), table, table.live_rows())
    assert verdict.failed.tolist() == [1]


def test_filter_follows_pod_removal_and_row_order() -> None:
    plugin = NodePorts()
    table = _table({"a": [], "b": [], "c": []})
    holder = _pod(_port(443))
    table.add_pod(holder, "c")
    rows = np.array([table.index["c"], table.index["a"], table.index["b"]])
    assert plugin.filter(CycleState(), _pod(_port(443)), table, rows).failed.tolist() == [1, 0, 0]
    table.remove_pod(holder, "c")  # the port is freed; the plugin's cache follows the table
    assert plugin.filter(CycleState(), _pod(_port(443)), table, rows).failed.tolist() == [0, 0, 0]
    table.add_pod(_pod(_port(443)), "b")
    assert plugin.filter(CycleState(), _pod(_port(443)), table, rows).failed.tolist() == [0, 0, 1]


def test_filter_without_host_ports_passes_everything() -> None:
    table = _table({"a": [_port(80)]})
    verdict = NodePorts().filter(CycleState(), _pod(), table, table.live_rows())
    assert verdict.failed.tolist() == [0]
