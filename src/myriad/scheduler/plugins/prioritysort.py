"""PrioritySort, the QueueSort plugin (upstream ``pkg/scheduler/framework/plugins/queuesort/
priority_sort.go``): a pod of higher ``spec.priority`` (0 when unset) comes first, and among
equal priorities the one queued earlier. ``timestamp`` is when the queue last (re)added the
pod; the queue refreshes it on every requeue, as upstream does.
"""

from __future__ import annotations

from typing import Any

from myriad.scheduler.types import PodInfo


class PrioritySort:
    name = "PrioritySort"

    def sort_key(self, pod: PodInfo, timestamp: float) -> tuple[Any, ...]:
        """Smaller sorts first: ``(-priority, timestamp)``."""
        return (-pod.priority, timestamp)
