"""NodeName, a Filter (upstream ``pkg/scheduler/framework/plugins/nodename/node_name.go``): a
pod with ``spec.nodeName`` fits only the node of that name, else "node(s) didn't match the
requested node name", UnschedulableAndUnresolvable; a pod without one fits every node.
No PreFilter, no Score.
"""

from __future__ import annotations

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.types import Code, CycleState, PodInfo, Reason, Verdict

REASON = Reason("node(s) didn't match the requested node name", Code.UNRESOLVABLE)


class NodeName:
    name = "NodeName"

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        if not pod.node_name:
            failed = np.zeros(len(rows), dtype=np.uint32)
        else:
            wanted = table.index.get(pod.node_name, -1)
            failed = (np.asarray(rows) != wanted).astype(np.uint32)
        return Verdict(failed, (REASON,))
