"""The scheduler's PodInfo: read from the informer object's view and whole, shared where equal."""

from __future__ import annotations

from myriad.client.objects import ObjectCodec
from myriad.client.views import PodView
from myriad.scheduler.podinfo import pod_info

CODEC = ObjectCodec(PodView)


def pod(name: str, node: str = "", cpu: str = "250m") -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", "labels": {"app": "web"}},
            "spec": {"nodeName": node, "schedulerName": "custom", "priority": 7,
                     "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": cpu}}}],
                     "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoSchedule"}]},
            "status": {"phase": "Pending"}}


def test_a_pod_info_reads_identity_from_the_view_and_details_from_the_whole_object():
    info = pod_info(CODEC.from_dict(pod("a", node="n1")))
    assert (info.key, info.uid, info.namespace, info.name) == ("ns/a", "uid-a", "ns", "a")
    assert (info.node_name, info.scheduler_name, info.priority) == ("n1", "custom", 7)
    assert info.labels == {"app": "web"} and info.requests.cpu_milli == 250
    assert info.images == ("nginx:latest",)
    assert [(t.key, t.operator, t.effect) for t in info.tolerations] == [("k", "Exists", "NoSchedule")]


def test_pods_of_one_template_share_requests_tolerations_images_and_labels():
    one, two = (pod_info(CODEC.from_dict(pod(name))) for name in ("a", "b"))
    assert one.requests is two.requests and one.tolerations is two.tolerations
    assert one.images is two.images and one.labels is two.labels
    other = pod_info(CODEC.from_dict(pod("c", cpu="1")))
    assert other.requests is not one.requests and other.requests.cpu_milli == 1000


def test_a_decoded_pod_is_made_into_an_object_first():
    info = pod_info(pod("d"))
    assert info.pod.view.status.phase == "Pending" and info.pod["spec"]["priority"] == 7
