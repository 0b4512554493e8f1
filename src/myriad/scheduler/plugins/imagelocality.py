"""ImageLocality: favours nodes that already hold the pod's images, weighted by image size and
by how widely each image has spread, as upstream's
``pkg/scheduler/framework/plugins/imagelocality/image_locality.go``.

Per node, over every init and regular container whose normalized image the node holds (a
repeated image counts each time): ``int64(float64(size) * (float64(nodes holding it) /
float64(all nodes)))``, summed. The sum is clamped to ``[23 MiB, 1000 MiB * containers]``,
``containers`` counting init and regular containers, and scaled to ``100 * (sum - 23 MiB) //
(max - 23 MiB)``. "All nodes" is every node in the table, not only the candidates. Sizes
are each node's own ``sizeBytes`` for the image, as upstream's. No NormalizeScore.
"""

from __future__ import annotations

import numpy as np

from myriad.scheduler.nodetable import NodeTable
from myriad.scheduler.types import MAX_NODE_SCORE, CycleState, PodInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


class ImageLocality:
    name = "ImageLocality"

    def score(self, state: CycleState, pod: PodInfo, table: NodeTable, rows: np.ndarray) -> np.ndarray:
        total_nodes = len(table)
        sums = np.zeros(len(rows), dtype=np.int64)
        if total_nodes:
            for image in pod.images:
                column = table.images.get(image)
                if column is None:
                    continue
                spread = float(np.count_nonzero(column >= 0)) / float(total_nodes)
                sizes = column[rows]
                sums += np.where(sizes >= 0, (sizes * spread).astype(np.int64), 0)
        spec = pod.spec
        containers = len(spec.get("initContainers") or []) + len(spec.get("containers") or [])
        return _priority(sums, containers)

    def normalize(self, state: CycleState, pod: PodInfo, scores: np.ndarray) -> np.ndarray:
        return scores


def _priority(sums: np.ndarray, containers: int) -> np.ndarray:
    """Upstream's calculatePriority: the clamped sum on a 0..100 scale."""
    max_threshold = MAX_CONTAINER_THRESHOLD * containers
    if max_threshold <= MIN_THRESHOLD:
        # no containers: upstream's sum clamps to minThreshold and the score is 0
        return np.zeros(len(sums), dtype=np.int64)
    clamped = np.clip(sums, MIN_THRESHOLD, max_threshold)
    return (MAX_NODE_SCORE * (clamped - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)).astype(np.int64)
