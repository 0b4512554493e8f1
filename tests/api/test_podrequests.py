"""What a pod requests of its node: containers add up, init containers take their peak."""

from __future__ import annotations

import pytest

from myriad.api.podrequests import Requests, pod_requests


def _c(cpu: str | None = None, memory: str | None = None, *, sidecar: bool = False) -> dict:
    requests = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v is not None}
    container: dict = {"name": "c", "resources": {"requests": requests}}
    if sidecar:
        container["restartPolicy"] = "Always"
    return container


@pytest.mark.parametrize(("spec", "wanted"), [
    ({"containers": [{"name": "a"}]}, Requests()),
    ({"containers": [_c("100m", "64Mi"), _c("0.25", "1Gi")]}, Requests(350, 64 * 2**20 + 2**30)),
    ({"containers": [_c("1.0005")]}, Requests(1001)),  # MilliValue rounds up
    ({"containers": [_c("100m")], "initContainers": [_c("2")]}, Requests(2000)),  # the init peak
    ({"containers": [_c("100m")], "initContainers": [_c("500m", sidecar=True), _c("1")]}, Requests(1500)),
    ({"containers": [_c("3")], "initContainers": [_c("500m", sidecar=True), _c("1")]}, Requests(3500)),
    ({"containers": [_c("1")], "overhead": {"cpu": "250m", "memory": "120Mi"}}, Requests(1250, 120 * 2**20)),
    ({"containers": [_c("1", "1Gi")], "resources": {"requests": {"cpu": "4"}}}, Requests(4000, 2**30)),
])
def test_pod_requests_sum_as_upstreams_helper(spec: dict, wanted: Requests) -> None:
    assert pod_requests(spec) == wanted
