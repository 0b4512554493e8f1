"""Label and field selector parsing and matching."""

from __future__ import annotations

import pytest

from myriad.api.selectors import SelectorError, parse_field_selector, parse_label_selector

LABELS = {"app": "web", "tier": "front", "version": "3"}


@pytest.mark.parametrize(("selector", "matches"), [
    ("app=web", True), ("app==web", True), ("app!=web", False), ("app in (web,db)", True),
    ("app notin (web)", False), ("tier", True), ("!tier", False), ("missing", False), ("!missing", True),
    ("version>2", True), ("version<3", False), ("app=web,tier=back", False), ("", True), ("app=", False),
])
def test_label_selectors(selector: str, matches: bool) -> None:
    assert parse_label_selector(selector).matches(LABELS) is matches


@pytest.mark.parametrize("selector", ["app in web", "=x", "app in (a", "a b", "app=web,,"])
def test_malformed_label_selectors_raise(selector: str) -> None:
    with pytest.raises(SelectorError):
        parse_label_selector(selector)


@pytest.mark.parametrize(("selector", "matches"), [
    ("spec.nodeName=n1", True), ("spec.nodeName!=n1", False), ("status.phase=Running,spec.nodeName=n1", True),
    ("spec.nodeName=n2", False), ("metadata.name=a\\,b", False),
])
def test_field_selectors(selector: str, matches: bool) -> None:
    fields = {"spec.nodeName": "n1", "status.phase": "Running"}
    assert parse_field_selector(selector).matches(fields.get) is matches
