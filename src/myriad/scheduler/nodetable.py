"""The scheduler's cache of nodes as numpy columns, one row per node, kept up to date by
informer events and by assumed pods, so filters and scores over every candidate node are a few
array operations.

Row ``i`` holds a node while ``present[i]``; a deleted node's row is reused by a later node.
Columns:

* ``allocatable`` and ``requested``: int64 ``(rows, 4)`` over :data:`CPU` (millicores),
  :data:`MEMORY`, :data:`EPHEMERAL` (bytes) and :data:`PODS` (count); ``nonzero`` is ``(rows,
  2)`` cpu and memory requested with upstream's scoring defaults;
* ``unschedulable``: ``spec.unschedulable``;
* labels: per label key an int32 column of value codes, -1 where the node lacks the key;
* taints: per distinct taint a bool column of the nodes that carry it;
* images: per image name an int64 column of its size on each node (-1: not held).

Every row also has a :class:`NodeInfo` with the node object, its pods, labels, taints and host
ports in use, for what is not vectorised.

Event loop only; nothing here awaits. Costs are O(changed node) per event, never O(cluster),
except the amortised doubling of the arrays.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from myriad.api.podrequests import resource_list
from myriad.api.quantity import parse as parse_quantity
from myriad.scheduler.podindex import PodIndex
from myriad.scheduler.types import HostPort, PodInfo, Taint

CPU, MEMORY, EPHEMERAL, PODS = range(4)
RESOURCES = ("cpu", "memory", "ephemeral-storage", "pods")
_INITIAL_ROWS = 64


@dataclass(slots=True, eq=False)
class NodeInfo:
    name: str
    row: int
    node: Mapping[str, Any]
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    images: Mapping[str, int]
    pods: dict[str, PodInfo] = field(default_factory=dict)
    ports: list[HostPort] = field(default_factory=list)


class NodeTable:
    def __init__(self) -> None:
        self.rows = 0
        self.names: list[str | None] = []
        self.index: dict[str, int] = {}
        self.infos: list[NodeInfo | None] = []
        self._free: list[int] = []
        self.present = np.zeros(0, dtype=bool)
        self.allocatable = np.zeros((0, 4), dtype=np.int64)
        self.requested = np.zeros((0, 4), dtype=np.int64)
        self.nonzero = np.zeros((0, 2), dtype=np.int64)
        #: What pods nominated to each row by preemption request there (held for them, so
        #: others do not take the room their victims free); see :meth:`nominate`.
        self.nominated = np.zeros((0, 4), dtype=np.int64)
        self.nominations: dict[str, tuple[str, PodInfo]] = {}
        self.unschedulable = np.zeros(0, dtype=bool)
        self._labels: dict[str, np.ndarray] = {}
        self._label_values: dict[str, dict[str, int]] = {}
        self.taints: dict[Taint, np.ndarray] = {}
        self.images: dict[str, np.ndarray] = {}
        #: Rows of present nodes, in the order they were added; rebuilt lazily.
        self._live: np.ndarray | None = None
        #: Bumped on every change; plugins that cache derived arrays compare it.
        self.generation = 0
        #: Placed pods by namespace and label (see :mod:`myriad.scheduler.podindex`).
        self.pods = PodIndex(self)

    # -- reads ---------------------------------------------------------------------------------

    def live_rows(self) -> np.ndarray:
        """Rows of every present node, in a stable order."""
        if self._live is None:
            self._live = np.flatnonzero(self.present)
        return self._live

    def __len__(self) -> int:
        return len(self.index)

    def info(self, name: str) -> NodeInfo | None:
        row = self.index.get(name)
        return None if row is None else self.infos[row]

    def label_column(self, key: str) -> np.ndarray | None:
        """Value codes of label ``key`` over all rows (-1: no such label); None if no node has it."""
        return self._labels.get(key)

    def label_code(self, key: str, value: str) -> int:
        """The code of ``value`` under ``key``, -2 if no node has it (matches no row)."""
        return self._label_values.get(key, {}).get(value, -2)

    def label_values(self, key: str) -> Mapping[str, int]:
        return self._label_values.get(key, {})

    # -- nodes ---------------------------------------------------------------------------------

    def set_node(self, node: Mapping[str, Any]) -> int:
        """Adds or replaces a node; its pods stay. Returns its row."""
        meta = node.get("metadata") or {}
        name = meta["name"]
        row = self.index.get(name)
        if row is None:
            row = self._new_row(name)
            info = NodeInfo(name, row, node, {}, (), {})
            self.infos[row] = info
        else:
            info = self.infos[row]  # type: ignore[assignment]
            self._clear_node_columns(info)
        spec, status = node.get("spec") or {}, node.get("status") or {}
        info.node = node
        info.labels = dict(meta.get("labels") or {})
        info.taints = tuple(Taint(t.get("key", ""), t.get("value", "") or "", t.get("effect", ""))
                            for t in spec.get("taints") or [])
        info.images = _image_sizes(status.get("images") or [])
        allocatable = status.get("allocatable") or status.get("capacity") or {}
        amounts = resource_list(allocatable)
        self.allocatable[row] = (amounts.cpu_milli, amounts.memory, amounts.ephemeral_storage,
                                 _count(allocatable.get("pods")))
        self.unschedulable[row] = bool(spec.get("unschedulable"))
        for key, value in info.labels.items():
            column = self._label_column_for(key)
            codes = self._label_values[key]
            column[row] = codes.setdefault(value, len(codes))
        for taint in info.taints:
            self._bool_column(self.taints, taint)[row] = True
        for image, size in info.images.items():
            column = self.images.get(image)
            if column is None:
                column = self.images[image] = np.full(len(self.present), -1, dtype=np.int64)
            column[row] = size
        self.generation += 1
        return row

    def remove_node(self, name: str) -> None:
        """Forgets a node and the pods it held."""
        row = self.index.pop(name, None)
        if row is None:
            return
        info = self.infos[row]
        assert info is not None
        for pod in info.pods.values():
            self.pods.remove(pod, row)
        self._clear_node_columns(info)
        self.infos[row] = None
        self.names[row] = None
        self.present[row] = False
        self.allocatable[row] = 0
        self.requested[row] = 0
        self.nonzero[row] = 0
        self.nominated[row] = 0
        for uid in [uid for uid, (held, _) in self.nominations.items() if held == name]:
            del self.nominations[uid]
        self._free.append(row)
        self._live = None
        self.generation += 1

    def _clear_node_columns(self, info: NodeInfo) -> None:
        row = info.row
        for key in info.labels:
            self._labels[key][row] = -1
        for taint in info.taints:
            self.taints[taint][row] = False
        for image in info.images:
            self.images[image][row] = -1
        self.unschedulable[row] = False

    # -- pods ----------------------------------------------------------------------------------

    def add_pod(self, pod: PodInfo, node: str) -> bool:
        """Counts ``pod`` on ``node``; False if no such node (the pod is then not counted)."""
        row = self.index.get(node)
        if row is None:
            return False
        info = self.infos[row]
        assert info is not None
        if pod.uid in info.pods:
            self.remove_pod(info.pods[pod.uid], node)
        info.pods[pod.uid] = pod
        self.pods.add(pod, row, info)
        info.ports.extend(pod.host_ports)
        self._count(row, pod, 1)
        return True

    def confirm_pod(self, pod: PodInfo, node: str) -> bool:
        """Replaces the pod held on ``node`` under ``pod.uid`` with ``pod`` when what the table
        counts of it (requests, host ports, labels, affinity) is unchanged, without counting a
        change (the informer's copy of an assumed pod replaces the scheduler's: schedulers
        batching on an unchanged table keep their batch). False if it is not held so."""
        row = self.index.get(node)
        info = self.infos[row] if row is not None else None
        held = info.pods.get(pod.uid) if info is not None else None
        if held is None or row is None or info is None or not _counted_alike(held, pod):
            return False
        info.pods[pod.uid] = pod
        self.pods.replace(pod)
        return True

    def remove_pod(self, pod: PodInfo, node: str) -> None:
        row = self.index.get(node)
        if row is None:
            return
        info = self.infos[row]
        assert info is not None
        held = info.pods.pop(pod.uid, None)
        if held is None:
            return
        self.pods.remove(held, row)
        for port in held.host_ports:
            info.ports.remove(port)
        self._count(row, held, -1)

    def nominate(self, pod: PodInfo, node: str) -> None:
        """Holds ``pod``'s requests on ``node`` for it (upstream's nominator): filters count them
        there for every other pod."""
        self.unnominate(pod.uid)
        row = self.index.get(node)
        if row is None:
            return
        self.nominations[pod.uid] = (node, pod)
        self.nominated[row] += _amounts(pod)
        self.generation += 1

    def unnominate(self, uid: str) -> None:
        held = self.nominations.pop(uid, None)
        if held is None:
            return
        row = self.index.get(held[0])
        if row is not None:
            self.nominated[row] -= _amounts(held[1])
        self.generation += 1

    def used(self, rows: np.ndarray, pod: PodInfo) -> np.ndarray:
        """Requested plus what is held for nominated pods, over ``rows`` (``(len(rows), 4)``),
        less ``pod``'s own nomination."""
        used = self.requested.take(rows, axis=0)
        if self.nominations:
            used += self.nominated.take(rows, axis=0)
            own = self.nominations.get(pod.uid)
            if own is not None:
                used[rows == self.index.get(own[0], -1)] -= _amounts(own[1])
        return used

    def _count(self, row: int, pod: PodInfo, sign: int) -> None:
        r = pod.requests
        requested = self.requested[row]
        requested[CPU] += sign * r.cpu_milli
        requested[MEMORY] += sign * r.memory
        requested[EPHEMERAL] += sign * r.ephemeral_storage
        requested[PODS] += sign
        self.nonzero[row, 0] += sign * pod.nonzero_cpu
        self.nonzero[row, 1] += sign * pod.nonzero_memory
        self.generation += 1

    # -- storage -------------------------------------------------------------------------------

    def _new_row(self, name: str) -> int:
        if self._free:
            row = self._free.pop()
        else:
            row = self.rows
            self.rows += 1
            if row >= len(self.present):
                self._grow(max(_INITIAL_ROWS, 2 * len(self.present)))
            self.names.append(None)
            self.infos.append(None)
        self.names[row] = name
        self.index[name] = row
        self.present[row] = True
        self._live = None
        return row

    def _grow(self, size: int) -> None:
        def grown(array: np.ndarray, fill: Any = 0) -> np.ndarray:
            bigger = np.full((size, *array.shape[1:]), fill, dtype=array.dtype)
            bigger[:len(array)] = array
            return bigger

        self.present = grown(self.present, False)
        self.allocatable = grown(self.allocatable)
        self.requested = grown(self.requested)
        self.nonzero = grown(self.nonzero)
        self.nominated = grown(self.nominated)
        self.unschedulable = grown(self.unschedulable, False)
        self._labels = {k: grown(v, -1) for k, v in self._labels.items()}
        self.taints = {k: grown(v, False) for k, v in self.taints.items()}
        self.images = {k: grown(v, -1) for k, v in self.images.items()}

    def _label_column_for(self, key: str) -> np.ndarray:
        column = self._labels.get(key)
        if column is None:
            column = self._labels[key] = np.full(len(self.present), -1, dtype=np.int32)
            self._label_values[key] = {}
        return column

    def _bool_column(self, columns: dict[Any, np.ndarray], key: Any) -> np.ndarray:
        column = columns.get(key)
        if column is None:
            column = columns[key] = np.zeros(len(self.present), dtype=bool)
        return column


def _amounts(pod: PodInfo) -> np.ndarray:
    r = pod.requests
    return np.array((r.cpu_milli, r.memory, r.ephemeral_storage, 1), dtype=np.int64)


def _counted_alike(a: PodInfo, b: PodInfo) -> bool:
    return (a.requests == b.requests and a.nonzero_cpu == b.nonzero_cpu and a.nonzero_memory == b.nonzero_memory
            and a.host_ports == b.host_ports and a.labels == b.labels and a.namespace == b.namespace
            and a.deleting == b.deleting
            and a.required_affinity == b.required_affinity and a.required_anti_affinity == b.required_anti_affinity
            and a.preferred_affinity == b.preferred_affinity
            and a.preferred_anti_affinity == b.preferred_anti_affinity)


def _image_sizes(images: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Every name of every image in ``status.images`` with its size, as the node reports it
    (upstream keys image states by the reported names; only the pod's names are normalized)."""
    sizes: dict[str, int] = {}
    for image in images:
        for name in image.get("names") or []:
            sizes[name] = int(image.get("sizeBytes") or 0)
    return sizes


def normalized_image(image: str) -> str:
    """Upstream's normalizedImageName: a pod's image with no tag or digest gets ``:latest``."""
    last = image.rsplit("/", 1)[-1]
    if ":" not in last and "@" not in last:
        return image + ":latest"
    return image


def _count(value: object) -> int:
    if value is None:
        return 0
    amount = parse_quantity(value)
    return int(amount) if amount else 0
