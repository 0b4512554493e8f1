"""Series de-duplication as pure logic: which occurrence costs which write."""

from __future__ import annotations

import pytest

from myriad.client.events.series import SeriesCache
from myriad.clock import FakeClock


def occurrence(reason: str = "Pulled", regarding: str = "pod-a", **extra: object) -> dict:
    return {"metadata": {"name": f"{regarding}.1", "namespace": "default"}, "reason": reason, "action": "Pull",
            "reportingController": "kubelet", "reportingInstance": "node-1",
            "regarding": {"kind": "Pod", "name": regarding}, "note": "n", **extra}


@pytest.mark.parametrize(("steps", "writes"), [
    (["o"], ["create"]),
    (["o", "o"], ["create", "patch:2"]),
    (["o"] * 5, ["create", "patch:2"]),                        # 3rd..5th only count
    (["o", "o", "o", "finish@7"], ["create", "patch:2", "patch:3"]),  # idle 6 min: final patch
    (["o", "finish@7", "o"], ["create", "create"]),            # a lone event expires; the next starts afresh
    (["o", "o", "o", "heartbeat"], ["create", "patch:2", "patch:3"]),
    (["o", "other", "o"], ["create", "create", "patch:2"]),    # different reason: not isomorphic
])
def test_each_occurrence_costs_what_kep_383_says(steps: list[str], writes: list[str]) -> None:
    clock = FakeClock()
    cache = SeriesCache(clock)
    made = []
    for step in steps:
        if step == "o":
            write = cache.observe(occurrence())
            made += [write] if write else []
        elif step == "other":
            made.append(cache.observe(occurrence(reason="Failed")))
        elif step.startswith("finish@"):
            clock.advance(60 * int(step.split("@")[1]))
            made += cache.finish()
        else:
            made += cache.heartbeats()
    assert [w.verb + (f":{w.event['series']['count']}" if w.verb == "patch" else "") for w in made] == writes


def test_note_differences_do_not_break_isomorphism_but_related_does() -> None:
    cache = SeriesCache(FakeClock())
    cache.observe(occurrence())
    assert cache.observe(occurrence(note="different")).verb == "patch"
    assert cache.observe(occurrence(related={"kind": "Node", "name": "n1"})).verb == "create"
