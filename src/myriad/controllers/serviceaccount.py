"""The ServiceAccount controller, as upstream's ``pkg/controller/serviceaccount``: every active
namespace has a ``default`` ServiceAccount, made again if it is deleted. (The API server also
makes it when a namespace is created, so a cluster without the controller manager has it too.)

Concurrency: loop only; keys are namespace names.
"""

from __future__ import annotations

from collections.abc import Hashable

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.types import NAMESPACES, Resource
from myriad.controllers.types import ControllerContext

NAME = "serviceaccount"
SERVICEACCOUNTS = Resource(api_version="v1", plural="serviceaccounts")
DEFAULT = "default"


class ServiceAccountController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=1), factory=context.factory)

    def setup(self) -> None:
        self.namespaces = self.factory.informer(NAMESPACES)
        self.accounts = self.factory.informer(SERVICEACCOUNTS)
        self.watch(self.namespaces)
        self.watch(self.accounts, key=lambda sa: sa["metadata"].get("namespace")
                   if sa["metadata"].get("name") == DEFAULT else None)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        namespace = self.namespaces.indexer.get(key)
        if namespace is None or namespace["metadata"].get("deletionTimestamp") or \
                (namespace.get("status") or {}).get("phase") == "Terminating":
            return None
        if self.accounts.indexer.get(f"{key}/{DEFAULT}") is not None:
            return None
        try:
            await self.client.create(SERVICEACCOUNTS, {"apiVersion": "v1", "kind": "ServiceAccount",
                                                       "metadata": {"name": DEFAULT, "namespace": key}})
        except errors.AlreadyExists:
            pass
        except errors.Forbidden:
            pass  # the namespace started terminating meanwhile
        return None
