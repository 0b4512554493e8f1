"""NodePorts: PreFilter and Filter (upstream ``pkg/scheduler/framework/plugins/nodeports/
node_ports.go``, with ``HostPortInfo.CheckConflict`` from ``framework/types.go``).

* PreFilter skips a pod without host ports (those of its containers and sidecar init
  containers, ``hostPort > 0``).
* Filter: a node fails when any wanted host port conflicts with one in use there by its pods
  (:meth:`~myriad.scheduler.types.HostPort.conflicts`: same protocol and port, on the same IP
  or with either on ``0.0.0.0``): "node(s) didn't have free ports for the requested pod
  ports", Unschedulable, so preemption may free the port.

Host ports in use are not a table column: the rows whose node has some in use are found once
per table generation (a pass over the node infos, only for the rare pods that want host
ports), and ports are compared, in Python, only on those of ``rows``.
"""

from __future__ import annotations

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.types import PASS, SKIP, Code, CycleState, PodInfo, PreFilterResult, Reason, Verdict

REASON = Reason("node(s) didn't have free ports for the requested pod ports", Code.UNSCHEDULABLE)


class NodePorts:
    name = "NodePorts"

    def __init__(self) -> None:
        self._held: tuple[NodeTable, int, np.ndarray] | None = None

    def pre_filter(self, state: CycleState, pod: PodInfo, table: NodeTable) -> PreFilterResult:
        return PASS if pod.host_ports else SKIP

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        failed = np.zeros(len(rows), dtype=np.uint32)
        wanted = pod.host_ports
        if not wanted:
            return Verdict(failed, (REASON,))
        rows = np.asarray(rows)
        busy = np.flatnonzero(np.isin(rows, self._rows_with_ports(table)))
        for i in busy.tolist():
            used = table.infos[rows[i]].ports  # type: ignore[union-attr]
            if any(w.conflicts(u) for w in wanted for u in used):
                failed[i] = 1
        return Verdict(failed, (REASON,))

    def _rows_with_ports(self, table: NodeTable) -> np.ndarray:
        held = self._held
        if held is None or held[0] is not table or held[1] != table.generation:
            rows = np.fromiter((i.row for i in table.infos if i is not None and i.ports), dtype=np.intp)
            self._held = held = (table, table.generation, rows)
        return held[2]
