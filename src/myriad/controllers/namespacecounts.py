"""The example controller: keeps ConfigMap ``<namespace>/namespace-counts`` holding, for every
namespace, how many pods it has (``data[namespace] = "<count>"``).

Every namespace and pod event maps to one queue key, so a burst of pod changes collapses into
one reconcile; the reconcile counts from the informers' namespace index, not from the API, and
writes the ConfigMap only when the counts differ from what it holds.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from myriad.client.controller import Controller, ControllerOptions
from myriad.client.errors import AlreadyExists
from myriad.client.informers.store import BY_NAMESPACE
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, NAMESPACES, PODS

KEY = "counts"
NAME = "namespace-counts"


class NamespaceCounts(Controller):
    def __init__(self, client: Client, options: ControllerOptions | None = None, *,
                 namespace: str = "kube-system") -> None:
        #: Where the ConfigMap lives.
        self.namespace = namespace
        super().__init__(client, options or ControllerOptions(name="namespace-counts"))

    def setup(self) -> None:
        self.namespaces = self.factory.informer(NAMESPACES)
        self.pods = self.factory.informer(PODS)
        self.configmap = self.factory.informer(CONFIGMAPS, namespace=self.namespace,
                                               field_selector=f"metadata.name={NAME}")
        for informer in (self.namespaces, self.pods, self.configmap):
            self.watch(informer, key=lambda _obj: KEY)

    def counts(self) -> dict[str, str]:
        return {ns["metadata"]["name"]: str(len(self.pods.indexer.by_index(BY_NAMESPACE, ns["metadata"]["name"])))
                for ns in self.namespaces.indexer.list()}

    async def reconcile(self, key: Hashable) -> float | None:
        wanted = self.counts()
        current = self.configmap.indexer.get(f"{self.namespace}/{NAME}")
        if current is not None and (current.get("data") or {}) == wanted:
            return None
        if current is None:
            body: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                                    "metadata": {"name": NAME, "namespace": self.namespace}, "data": wanted}
            try:
                await self.client.create(CONFIGMAPS, body)
                return None
            except AlreadyExists:  # the cache lags behind the server
                current = await self.client.get(CONFIGMAPS, NAME, namespace=self.namespace)
        held = current.get("data") or {}
        patch = {**{name: None for name in held if name not in wanted}, **wanted}  # null removes a key
        await self.client.patch(CONFIGMAPS, NAME, {"data": patch}, namespace=self.namespace)
        return None
