"""default_normalize_score reproduces upstream's helper.DefaultNormalizeScore (MaxNodeScore 100,
Go integer division)."""

from __future__ import annotations

import numpy as np
import pytest

from myriad.scheduler.plugins.normalize import default_normalize_score


@pytest.mark.parametrize(("scores", "reverse", "expected"), [
    # maxCount starts at 0: all zero scores stay 0 ...
    ([0, 0, 0], False, [0, 0, 0]),
    # ... or all become MaxNodeScore when reversed (TaintToleration with no PreferNoSchedule taints).
    ([0, 0, 0], True, [100, 100, 100]),
    # s = 100 * s / max, truncated: 100*1/3 = 33, 100*2/3 = 66.
    ([1, 2, 3], False, [33, 66, 100]),
    # reverse: 100 - (100 * s / max).
    ([1, 2, 3], True, [67, 34, 0]),
    ([0, 5], False, [0, 100]),
    ([0, 5], True, [100, 0]),
    # weights larger than 100 scale down: 100*7/300 = 2 (truncated, not rounded to 2.33 -> 2).
    ([7, 150, 300], False, [2, 50, 100]),
    ([199, 200], False, [99, 100]),
    # Go truncates toward zero (numpy // would floor -33.3 to -34).
    ([-1, 3], False, [-33, 100]),
    # all negative: maxCount stays 0, nothing is scaled.
    ([-4, -1], False, [-4, -1]),
    ([], False, []),
    ([], True, []),
])
def test_default_normalize_score(scores: list[int], reverse: bool, expected: list[int]) -> None:
    given = np.array(scores, dtype=np.int64)
    before = given.copy()
    result = default_normalize_score(given, reverse=reverse)
    assert result.dtype == np.int64
    assert result.tolist() == expected
    assert given.tolist() == before.tolist()  # the input is not modified
