"""Upstream's ``helper.DefaultNormalizeScore`` (``pkg/scheduler/framework/plugins/helper/
normalize_score.go``) over a score array: scores are scaled so that the largest becomes
:data:`~myriad.scheduler.types.MAX_NODE_SCORE`, in Go integer arithmetic (division truncates
toward zero); ``reverse`` then maps each ``s`` to ``MAX_NODE_SCORE - s``.

The maximum starts at 0, so when no score is positive nothing is scaled: the scores come back
as they were, or all :data:`MAX_NODE_SCORE` when ``reverse``. The input is never modified.
"""

from __future__ import annotations

import numpy as np

from myriad.scheduler.types import MAX_NODE_SCORE


def default_normalize_score(scores: np.ndarray, *, reverse: bool) -> np.ndarray:
    """``scores`` (int64, aligned to rows) normalised to 0..MAX_NODE_SCORE as upstream does."""
    scores = np.asarray(scores, dtype=np.int64)
    top = max(int(scores.max()), 0) if scores.size else 0
    if top == 0:
        if reverse:
            return np.full(scores.shape, MAX_NODE_SCORE, dtype=np.int64)
        return scores.copy()
    scaled = MAX_NODE_SCORE * scores
    # Go's integer division truncates toward zero; numpy's // floors.
    normalized = np.sign(scaled) * (np.abs(scaled) // top)
    if reverse:
        normalized = MAX_NODE_SCORE - normalized
    return normalized.astype(np.int64, copy=False)
