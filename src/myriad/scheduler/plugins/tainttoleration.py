"""TaintToleration: Filter, PreScore, Score and NormalizeScore (upstream
``pkg/scheduler/framework/plugins/tainttoleration/taint_toleration.go``).

* Filter: a node fails when it carries a ``NoSchedule`` or ``NoExecute`` taint that none of
  the pod's tolerations tolerates: "node(s) had untolerated taint(s)" (the 1.35 text),
  UnschedulableAndUnresolvable.
* PreScore never skips; it keeps the tolerations whose effect is empty or ``PreferNoSchedule``.
* Score: the number of the node's ``PreferNoSchedule`` taints those tolerations leave
  untolerated; NormalizeScore is DefaultNormalizeScore reversed, so fewer is better and a
  cluster with none gives every node 100.

Each distinct taint is a bool column of the table, so each is tested against the tolerations
once per cycle, not once per node.
"""

from __future__ import annotations

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.plugins.normalize import default_normalize_score
from myriad.scheduler.types import Code, CycleState, PodInfo, Reason, Toleration, Verdict

REASON = Reason("node(s) had untolerated taint(s)", Code.UNRESOLVABLE)
_FILTERED_EFFECTS = ("NoSchedule", "NoExecute")
_PREFER = "PreferNoSchedule"


def _untolerated(tolerations: tuple[Toleration, ...], table: NodeTable, effects: tuple[str, ...]):
    """The bool columns of the taints with one of ``effects`` that no toleration tolerates."""
    for taint, column in table.taints.items():
        if taint.effect in effects and not any(t.tolerates(taint) for t in tolerations):
            yield column


class TaintToleration:
    name = "TaintToleration"

    def filter(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> Verdict:
        failed = np.zeros(len(rows), dtype=bool)
        for column in _untolerated(pod.tolerations, table, _FILTERED_EFFECTS):
            failed |= column[rows]
        return Verdict(failed.astype(np.uint32), (REASON,))

    def pre_score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> bool:
        state.data[self.name] = tuple(t for t in pod.tolerations if t.effect in ("", _PREFER))
        return True

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        tolerations = state.data.get(self.name)
        if tolerations is None:
            tolerations = tuple(t for t in pod.tolerations if t.effect in ("", _PREFER))
        counts = np.zeros(len(rows), dtype=np.int64)
        for column in _untolerated(tolerations, table, (_PREFER,)):
            counts += column[rows]
        return counts

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        return default_normalize_score(scores, reverse=True)
