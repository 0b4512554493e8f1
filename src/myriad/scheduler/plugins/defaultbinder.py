"""DefaultBinder: POSTs a ``pods/binding`` naming the pod's uid, as upstream's default binder
(``pkg/scheduler/framework/plugins/defaultbinder``); the API server sets ``spec.nodeName``
and the PodScheduled condition."""

from __future__ import annotations

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import PODS
from myriad.scheduler.errors import BindError
from myriad.scheduler.types import PodInfo


class DefaultBinder:
    name = "DefaultBinder"

    def __init__(self, client: Client) -> None:
        self._client = client

    async def bind(self, pod: PodInfo, node: str) -> None:
        binding = {"apiVersion": "v1", "kind": "Binding",
                   "metadata": {"name": pod.name, "namespace": pod.namespace, "uid": pod.uid},
                   "target": {"apiVersion": "v1", "kind": "Node", "name": node}}
        try:
            await self._client.create(PODS, binding, namespace=pod.namespace, subresource="binding", name=pod.name)
        except errors.NotFound as exc:
            raise BindError(str(exc), gone=True) from exc
        except errors.ClientError as exc:
            raise BindError(str(exc)) from exc
