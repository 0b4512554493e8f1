"""Where the time went: saturated stretches, queue peaks, rejections, the slower transition."""

from __future__ import annotations

from myriad.bench.density.attribution import attribute


def test_attribution_names_the_saturated_component_its_phases_and_what_to_speed_up_next() -> None:
    result = {
        "phases": [{"name": "create", "began_s": 0.0, "seconds": 10.0}, {"name": "delete", "began_s": 10.0,
                                                                          "seconds": 10.0}],
        "components": {
            "apiserver": {"samples": [[t, 0.97 if 2 <= t <= 8 else 0.3, 0] for t in range(20)]},
            "scheduler": {"samples": [[t, 0.95 if t in (4, 5) else 0.2, 0] for t in range(20)]},  # too short
        },
        "machine": [[t, 1.98 if 12 <= t <= 16 else 1.0] for t in range(20)],
        "queues": {"scheduler_pending": [[1, 3], [5, 40], [9, 0]], "workqueue_depth": [[1, 0]]},
        "rejections": {"by_level": {"workload-low": 12, "system": 0}},
        "pods": {"startup": {"create_to_schedule": {"count": 5, "p99_ms": 900.0},
                             "schedule_to_run": {"count": 5, "p99_ms": 120.0}}},
        "api": [{"verb": "LIST", "resource": "pods", "subresource": "", "scope": "cluster", "p99_s": 40.0,
                 "met": False}],
    }
    lines = attribute(result)
    assert lines[0] == "apiserver was CPU-saturated (≥ 0.9 core) for 6 s: 2–8 s, in create"
    assert not any(line.startswith("scheduler was") for line in lines)
    assert "the machine's cores were all busy for 4 s, in delete" in lines
    assert "the scheduler's pending pods peaked at 40 at 5 s (create)" in lines
    assert "flow control rejected (429) 12 at workload-low" in lines
    assert any(line.startswith("of pod startup, create to schedule is the larger part (p99 900 ms") for line in lines)
    assert "API calls over their SLO: LIST pods (cluster) p99 40.00 s" in lines
    assert lines[-1] == "speed up next: apiserver, saturated for 6 s of the run"


def test_a_quiet_run_attributes_nothing() -> None:
    assert attribute({"components": {"apiserver": {"samples": [[0, 0.1, 0], [1, 0.2, 0]]}}}) == []


def test_with_the_machine_busy_and_no_component_saturated_the_largest_share_is_named() -> None:
    result = {"phases": [{"name": "create", "began_s": 0.0, "seconds": 20.0}],
              "components": {"apiserver": {"cpu_s": 15.0, "samples": [[t, 0.8, 0] for t in range(20)]},
                             "nodes": {"cpu_s": 5.0, "samples": [[t, 0.6, 0] for t in range(20)]}},
              "machine": [[t, 1.99] for t in range(20)], "pods": {"created": 1000}}
    assert attribute(result)[-1] == ("speed up next: apiserver, the largest share of the busy machine (15 of 20 "
                                     "CPU-seconds, 15.0 ms a pod)")
