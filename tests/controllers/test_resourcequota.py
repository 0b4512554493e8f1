"""ResourceQuota: the controller's status against a real API server, and the server's quota
admission refusing creates beyond it with upstream's 403s."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import DEPLOYMENTS, PODS
from myriad.controllers.manager import ControllerManager
from myriad.controllers.resourcequota import RESOURCEQUOTAS
from tests.controllers.conftest import running
from tests.controllers.test_replicaset import namespace, until


@pytest.fixture
async def manager(client: Client) -> AsyncIterator[ControllerManager]:
    async with running(client, ("resourcequota-controller",)) as built:
        yield built


def pod(name: str, *, requests: dict[str, str] | None = None, **spec: Any) -> dict:
    container: dict[str, Any] = {"name": "c", "image": "i"}
    if requests:
        container["resources"] = {"requests": requests}
    return {"metadata": {"name": name}, "spec": {"containers": [container], **spec}}


async def used_is(client: Client, ns: str, name: str, **used: str) -> dict:
    wanted = {k.replace("__", "/").replace("_", "."): v for k, v in used.items()}

    async def check() -> dict | None:
        # a consistent list, served once the server's watch cache (which quota admission
        # reads) has caught up
        quota = next(q for q in (await client.list(RESOURCEQUOTAS, namespace=ns))["items"]
                     if q["metadata"]["name"] == name)
        status = quota.get("status") or {}
        return quota if status.get("used") == wanted else None
    return await until(check, f"used {wanted}")


async def forbidden(client: Client, ns: str, body: dict) -> str:
    with pytest.raises(errors.Forbidden) as caught:
        await client.create(PODS, body, namespace=ns)
    return caught.value.message


async def test_a_create_beyond_the_quota_is_refused_and_a_deletion_frees_room(
        client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "quota-pods")
    await client.create(PODS, pod("before"), namespace=ns)
    await client.create(RESOURCEQUOTAS, {"metadata": {"name": "pods"}, "spec": {"hard": {"pods": "2"}}},
                        namespace=ns)
    quota = await used_is(client, ns, "pods", pods="1")
    assert quota["status"]["hard"] == {"pods": "2"}
    await client.create(PODS, pod("second"), namespace=ns)
    await used_is(client, ns, "pods", pods="2")  # charged by admission
    message = await forbidden(client, ns, pod("third"))
    assert message == ('pods "third" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, '
                       "limited: pods=2")
    await client.delete(PODS, "before", namespace=ns, grace_period_seconds=0)
    await used_is(client, ns, "pods", pods="1")  # replenished by the controller
    await client.create(PODS, pod("third"), namespace=ns)


async def test_compute_quotas_need_requests_and_sum_them(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "quota-cpu")
    await client.create(RESOURCEQUOTAS, {"metadata": {"name": "compute"},
                                         "spec": {"hard": {"requests.cpu": "1", "requests.memory": "1Gi"}}},
                        namespace=ns)
    await used_is(client, ns, "compute", requests_cpu="0", requests_memory="0")
    message = await forbidden(client, ns, pod("bare"))
    assert message == ('pods "bare" is forbidden: failed quota: compute: must specify requests.cpu for: c; '
                       "requests.memory for: c")
    await client.create(PODS, pod("a", requests={"cpu": "600m", "memory": "512Mi"}), namespace=ns)
    await used_is(client, ns, "compute", requests_cpu="600m", requests_memory="512Mi")
    message = await forbidden(client, ns, pod("b", requests={"cpu": "600m", "memory": "256Mi"}))
    assert message == ('pods "b" is forbidden: exceeded quota: compute, requested: requests.cpu=600m, '
                       "used: requests.cpu=600m, limited: requests.cpu=1")
    await client.create(PODS, pod("c", requests={"cpu": "400m", "memory": "512Mi"}), namespace=ns)
    await used_is(client, ns, "compute", requests_cpu="1", requests_memory="1Gi")


async def test_a_scoped_quota_counts_only_the_pods_it_selects(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "quota-scope")
    await client.create(RESOURCEQUOTAS, {"metadata": {"name": "besteffort"},
                                         "spec": {"hard": {"pods": "1"}, "scopes": ["BestEffort"]}}, namespace=ns)
    await used_is(client, ns, "besteffort", pods="0")
    await client.create(PODS, pod("sized", requests={"cpu": "100m"}), namespace=ns)
    await client.create(PODS, pod("free"), namespace=ns)
    assert "exceeded quota: besteffort" in await forbidden(client, ns, pod("free-2"))
    await client.create(PODS, pod("sized-2", requests={"cpu": "100m"}), namespace=ns)
    await used_is(client, ns, "besteffort", pods="1")


async def test_object_counts_of_any_resource_are_counted(client: Client, manager: ControllerManager) -> None:
    ns = await namespace(client, "quota-count")
    deployment = {"metadata": {"name": "web"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    await client.create(DEPLOYMENTS, deployment, namespace=ns)
    await client.create(RESOURCEQUOTAS, {"metadata": {"name": "objects"},
                                         "spec": {"hard": {"count/deployments.apps": "1"}}}, namespace=ns)
    await used_is(client, ns, "objects", count__deployments_apps="1")
    with pytest.raises(errors.Forbidden, match="exceeded quota: objects, requested: count/deployments.apps=1"):
        await client.create(DEPLOYMENTS, {**deployment, "metadata": {"name": "api"}}, namespace=ns)
    await client.delete(DEPLOYMENTS, "web", namespace=ns)
    await used_is(client, ns, "objects", count__deployments_apps="0")  # replenished from the shared informer
    await client.create(DEPLOYMENTS, {**deployment, "metadata": {"name": "api"}}, namespace=ns)


async def test_a_quota_without_usage_refuses_what_it_restricts(client: Client) -> None:
    ns = await namespace(client, "quota-unknown")
    quota = await client.create(RESOURCEQUOTAS, {"metadata": {"name": "fresh"}, "spec": {"hard": {"pods": "5"}}},
                                namespace=ns)
    await client.create(PODS, pod("unrestricted"), namespace=ns)  # no status yet: nothing restricted
    await client.update(RESOURCEQUOTAS, {**quota, "status": {"hard": {"pods": "5"}}}, subresource="status")
    await client.list(RESOURCEQUOTAS, namespace=ns)  # a consistent list: the server's cache holds the update
    message = await forbidden(client, ns, pod("restricted"))
    assert message == 'pods "restricted" is forbidden: status unknown for quota: fresh, resources: pods'
