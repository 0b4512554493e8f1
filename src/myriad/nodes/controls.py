"""What a process's hollow kubelets follow of their own Node objects: one watch per process of
the hollow Nodes (by label), a list, then a watch from its resourceVersion, and a new list
whenever the watch ends badly.

- Failing a node on purpose: ``kubectl annotate node hollow-12 myriad.dev/heartbeat=stopped``
  stops its heartbeats (its Lease lapses, as a dead kubelet's does) until the annotation goes.
- Labels set on a node (``kubectl label node``) count in pod admission's node affinity, as the
  kubelet admits against its Node as the API has it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import NODES
from myriad.nodes.registration import HOLLOW_LABEL

HEARTBEAT_ANNOTATION = "myriad.dev/heartbeat"


async def follow_nodes(client: Client, apply: Callable[[dict[str, Any]], None], *,
                       retry_delay: float = 1.0) -> None:
    """Calls ``apply(node)`` for every hollow Node as listed and then as it changes, until
    cancelled."""
    while True:
        try:
            version = None
            async for page in client.list_pages(NODES, label_selector=HOLLOW_LABEL):  # Nodes are large
                version = version or page.get("metadata", {}).get("resourceVersion")
                for node in page.get("items") or []:
                    apply(node)
            async with client.watch(NODES, label_selector=HOLLOW_LABEL, resource_version=version) as watch:
                async for event in watch:
                    if event.type in ("ADDED", "MODIFIED"):
                        apply(event.object)
        except errors.ClientError:
            pass  # a broken or expired watch: list again
        await client.options.clock.sleep(retry_delay)


def heartbeat_stopped(node: dict[str, Any]) -> bool:
    return ((node.get("metadata") or {}).get("annotations") or {}).get(HEARTBEAT_ANNOTATION) == "stopped"
