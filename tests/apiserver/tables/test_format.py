"""The printers' text helpers against upstream's documented outputs (pure logic)."""

from __future__ import annotations

import pytest

from myriad.apiserver.tables.format import human_duration, labels_text, selector_text


@pytest.mark.parametrize(("seconds", "text"), [
    (-2, "<invalid>"), (-1, "0s"), (0, "0s"), (45, "45s"), (119, "119s"), (120, "2m"), (310, "5m10s"),
    (599, "9m59s"), (600, "10m"), (179 * 60, "179m"), (3 * 3600, "3h"), (3 * 3600 + 300, "3h5m"),
    (8 * 3600, "8h"), (47 * 3600, "47h"), (48 * 3600, "2d"), (53 * 3600, "2d5h"), (8 * 86400, "8d"),
    (729 * 86400, "729d"), (730 * 86400, "2y"), (3 * 365 * 86400 + 12 * 86400, "3y12d"), (9 * 365 * 86400, "9y"),
])
def test_human_duration_matches_apimachinery(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_labels_and_selectors_format_sorted_with_none_for_empty() -> None:
    assert labels_text({"b": "2", "a": "1"}) == "a=1,b=2"
    assert labels_text({}) == "<none>"
    selector = {"matchLabels": {"app": "web"}, "matchExpressions": [
        {"key": "tier", "operator": "In", "values": ["b", "a"]}, {"key": "canary", "operator": "DoesNotExist"}]}
    assert selector_text(selector) == "app=web,!canary,tier in (a,b)"
    assert selector_text({}) == "<none>"
    assert selector_text({"matchExpressions": [{"key": "k", "operator": "Near"}]}) == "<error>"
