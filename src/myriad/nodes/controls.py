"""Failing a node on purpose: ``kubectl annotate node hollow-12 myriad.dev/heartbeat=stopped``
stops its heartbeats (its Lease lapses, as a dead kubelet's does) until the annotation goes.

One watch per process of the hollow Nodes (by label), keeping nothing of them but the annotation:
a list, then a watch from its resourceVersion, and a new list whenever the watch ends badly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from myriad.client import errors
from myriad.client.rest import Client
from myriad.client.types import NODES
from myriad.nodes.registration import HOLLOW_LABEL

HEARTBEAT_ANNOTATION = "myriad.dev/heartbeat"


async def follow_heartbeat_annotations(client: Client, apply: Callable[[str, bool], None], *,
                                       retry_delay: float = 1.0) -> None:
    """Calls ``apply(node, stopped)`` for every hollow Node as listed and then as it changes,
    until cancelled."""
    while True:
        try:
            listed = await client.list(NODES, label_selector=HOLLOW_LABEL)
            for node in listed.get("items") or []:
                _apply(node, apply)
            version = listed.get("metadata", {}).get("resourceVersion")
            async with client.watch(NODES, label_selector=HOLLOW_LABEL, resource_version=version) as watch:
                async for event in watch:
                    if event.type in ("ADDED", "MODIFIED"):
                        _apply(event.object, apply)
        except errors.ClientError:
            pass  # a broken or expired watch: list again
        await client.options.clock.sleep(retry_delay)


def _apply(node: dict[str, Any], apply: Callable[[str, bool], None]) -> None:
    metadata = node.get("metadata") or {}
    apply(metadata.get("name", ""), (metadata.get("annotations") or {}).get(HEARTBEAT_ANNOTATION) == "stopped")
