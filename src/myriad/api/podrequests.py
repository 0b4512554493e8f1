"""What a pod requests of its node, as upstream's component-helpers ``PodRequests`` sums it
(the kubelet's admission and the scheduler's NodeResourcesFit share it).

Regular containers and restartable init containers (sidecars) run together, so they add up.
Ordinary init containers run one at a time, each beside the sidecars started before it, so
the pod needs at least the largest of those moments. Pod-level ``spec.resources.requests``,
where given, replace the containers' sum for the resources they name. ``spec.overhead`` is
added on top. CPU is counted in millicores and rounded up, as ``MilliValue()`` does; memory
and ephemeral storage in bytes, rounded up.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from math import ceil
from typing import Any

from myriad.api import quantity


@dataclass(frozen=True, slots=True)
class Requests:
    cpu_milli: int = 0
    memory: int = 0
    ephemeral_storage: int = 0

    def __add__(self, other: Requests) -> Requests:
        return Requests(self.cpu_milli + other.cpu_milli, self.memory + other.memory,
                        self.ephemeral_storage + other.ephemeral_storage)

    def __sub__(self, other: Requests) -> Requests:
        return Requests(self.cpu_milli - other.cpu_milli, self.memory - other.memory,
                        self.ephemeral_storage - other.ephemeral_storage)

    def max(self, other: Requests) -> Requests:
        return Requests(max(self.cpu_milli, other.cpu_milli), max(self.memory, other.memory),
                        max(self.ephemeral_storage, other.ephemeral_storage))


def resource_list(values: Mapping[str, Any] | None) -> Requests:
    """A ResourceList's cpu, memory and ephemeral-storage (other resources are not counted)."""
    if not values:
        return Requests()
    return Requests(_amount(values.get("cpu"), 1000), _amount(values.get("memory"), 1),
                    _amount(values.get("ephemeral-storage"), 1))


def _amount(value: object, scale: int) -> int:
    """``value`` times ``scale``, rounded up (memoized: the same few quantities recur in every pod)."""
    if value is None:
        return 0
    try:
        return _scaled(value, type(value), scale)
    except TypeError:  # unhashable: not a quantity
        return 0


@functools.lru_cache(maxsize=4096)
def _scaled(value: object, _kind: type, scale: int) -> int:
    amount = quantity.parse(value)
    return ceil(amount * scale) if amount else 0


def pod_requests(spec: Mapping[str, Any]) -> Requests:
    """The pod ``spec``'s effective requests."""
    total = Requests()
    for container in spec.get("containers") or []:
        total = total + _requests(container)
    sidecars, init_peak = Requests(), Requests()
    for container in spec.get("initContainers") or []:
        if container.get("restartPolicy") == "Always":
            sidecars = sidecars + _requests(container)
            init_peak = init_peak.max(sidecars)
        else:
            init_peak = init_peak.max(sidecars + _requests(container))
    total = (total + sidecars).max(init_peak)
    pod_level = (spec.get("resources") or {}).get("requests")
    if pod_level:
        given = resource_list(pod_level)
        total = Requests(given.cpu_milli if "cpu" in pod_level else total.cpu_milli,
                         given.memory if "memory" in pod_level else total.memory,
                         given.ephemeral_storage if "ephemeral-storage" in pod_level else total.ephemeral_storage)
    return total + resource_list(spec.get("overhead"))


def _requests(container: Mapping[str, Any]) -> Requests:
    return resource_list((container.get("resources") or {}).get("requests"))
