"""NodeUnschedulable, a Filter (upstream ``pkg/scheduler/framework/plugins/nodeunschedulable/
node_unschedulable.go``): a node with ``spec.unschedulable`` rejects every pod that does not
tolerate the taint ``node.kubernetes.io/unschedulable:NoSchedule`` (empty value), with
"node(s) were unschedulable", UnschedulableAndUnresolvable. No PreFilter, no Score.
"""

from __future__ import annotations

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.types import Code, CycleState, PodInfo, Reason, Taint, Verdict

UNSCHEDULABLE_TAINT = Taint("node.kubernetes.io/unschedulable", "", "NoSchedule")
REASON = Reason("node(s) were unschedulable", Code.UNRESOLVABLE)


class NodeUnschedulable:
    name = "NodeUnschedulable"

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        if any(t.tolerates(UNSCHEDULABLE_TAINT) for t in pod.tolerations):
            failed = np.zeros(len(rows), dtype=np.uint32)
        else:
            failed = table.unschedulable[rows].astype(np.uint32)
        return Verdict(failed, (REASON,))
