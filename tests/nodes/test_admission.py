"""A kubelet's admission: upstream's order, reasons and messages."""

from __future__ import annotations

import pytest

from myriad.api.podrequests import Requests
from myriad.nodes.admission import NodeUsage, Rejection, admit

LABELS = {"kubernetes.io/os": "linux", "zone": "a"}


def _usage(pods: int = 0) -> NodeUsage:
    usage = NodeUsage(allocatable=Requests(3900, 16 * 2**30, 100 * 2**30), max_pods=3)
    for i in range(pods):
        usage.add(f"ns/p{i}", Requests(1000, 2**30))
    return usage


def _pod(cpu: str = "100m", memory: str = "64Mi", **spec: object) -> dict:
    return {"metadata": {}, "spec": {"containers": [{"name": "a", "resources": {"requests": {
        "cpu": cpu, "memory": memory}}}], **spec}}


@pytest.mark.parametrize(("pod", "pods", "reason", "message"), [
    (_pod(), 0, None, None),
    (_pod(), 3, "OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 3, capacity: 3"),
    (_pod(cpu="1"), 2, None, None),
    (_pod(cpu="2"), 2, "OutOfcpu",
     "Node didn't have enough resource: cpu, requested: 2000, used: 2000, capacity: 3900"),
    (_pod(memory="20Gi"), 0, "OutOfmemory",
     "Node didn't have enough resource: memory, requested: 21474836480, used: 0, capacity: 17179869184"),
    (_pod(cpu="8", memory="20Gi"), 0, "OutOfcpu", None),  # the first failure is named
    (_pod(nodeSelector={"zone": "b"}), 0, "NodeAffinity",
     "Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector"),
    (_pod(cpu="8", nodeSelector={"zone": "b"}), 0, "OutOfcpu", None),  # resources come first
    (_pod(os={"name": "windows"}), 0, "PodOSNotSupported", "Failed to admit pod as the OS field doesn't match node OS"),
    ({**_pod(), "metadata": {"labels": {"kubernetes.io/os": "windows"}}}, 0, "PodOSSelectorNodeLabelDoesNotMatch",
     "Failed to admit pod as the `kubernetes.io/os` label doesn't match node label"),
])
def test_admission_names_the_first_reason_as_the_kubelet(pod: dict, pods: int, reason: str | None,
                                                        message: str | None) -> None:
    rejection = admit(pod, node="n1", labels=LABELS, usage=_usage(pods))
    if reason is None:
        assert rejection is None
    else:
        assert isinstance(rejection, Rejection) and rejection.reason == reason
        if message is not None:
            assert rejection.message == message


def test_usage_counts_each_pod_once_and_gives_back_what_it_took() -> None:
    usage = _usage()
    usage.add("ns/a", Requests(500, 10))
    usage.add("ns/a", Requests(500, 10))
    assert usage.requested == Requests(500, 10) and len(usage.pods) == 1
    usage.remove("ns/a")
    usage.remove("ns/missing")
    assert usage.requested == Requests() and not usage.pods
