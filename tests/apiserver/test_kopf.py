"""kopf (the real operator framework) running a small operator against a real `myriad apiserver`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from myriad.bench.apiserver_process import stop_process
from tests.apiserver.conftest import RunningServer

OPERATOR = Path(__file__).parent / "operators" / "widgets.py"
NAMESPACE = "kopf-test"
WIDGETS = f"/apis/kopf.myriad.test/v1/namespaces/{NAMESPACE}/widgets"

CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.kopf.myriad.test"},
    "spec": {
        "group": "kopf.myriad.test", "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{
            "name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {"type": "object", "properties": {
                "spec": {"type": "object", "properties": {"size": {"type": "integer"}}},
                "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": True},
            }}},
        }],
    },
}


def eventually(probe: Callable[[], Any], *, timeout: float = 20.0) -> Any:
    """Polls ``probe`` until it returns something truthy; fails with the last value after ``timeout``."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"condition not met in {timeout} s; last value: {value!r}")


@pytest.fixture(scope="module")
def operator(apiserver: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    assert apiserver.send("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", CRD)[0] == 201
    assert apiserver.send("POST", "/api/v1/namespaces", {"metadata": {"name": NAMESPACE}})[0] == 201
    record = tmp_path_factory.mktemp("kopf") / "record.txt"
    record.touch()
    log = record.with_name("operator.log")
    env = {**os.environ, "KUBECONFIG": str(apiserver.kubeconfig), "WIDGETS_RECORD": str(record)}
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "kopf", "run", "--standalone", "--namespace", NAMESPACE,
                                    str(OPERATOR)], env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield record
    finally:
        stop_process(process, sig=signal.SIGINT, timeout=15)
        errors = [line for line in log.read_text().splitlines() if "ERROR" in line or "Traceback" in line]
        assert not errors, "kopf logged errors:\n" + log.read_text()


def read_widget(apiserver: RunningServer, name: str) -> dict[str, Any] | None:
    status, raw = apiserver.get(f"{WIDGETS}/{name}")
    return json.loads(raw) if status == 200 else None


def test_the_operator_reacts_to_create_update_and_delete(apiserver: RunningServer, operator: Path) -> None:
    widget = {"apiVersion": "kopf.myriad.test/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 1}}
    assert apiserver.send("POST", WIDGETS, widget)[0] == 201

    created = eventually(lambda: (read_widget(apiserver, "w1") or {}).get("status", {}).get("phase") == "Created")
    assert created
    current = read_widget(apiserver, "w1")
    assert current is not None and current["status"]["observedSize"] == 1
    assert any(f.startswith("kopf.zalando.org/") for f in current["metadata"].get("finalizers", []))

    assert apiserver.send("PATCH", f"{WIDGETS}/w1", {"spec": {"size": 3}})[0] == 200
    eventually(lambda: (read_widget(apiserver, "w1") or {}).get("status", {}).get("phase") == "Resized")
    assert read_widget(apiserver, "w1")["status"]["observedSize"] == 3

    code, marked = apiserver.send("DELETE", f"{WIDGETS}/w1", None)
    assert code == 200 and marked["metadata"].get("deletionTimestamp")
    eventually(lambda: read_widget(apiserver, "w1") is None)
    assert operator.read_text() == f"deleted {NAMESPACE}/w1\n"


def test_the_operator_posts_an_event_from_its_handler(apiserver: RunningServer, operator: Path) -> None:
    widget = {"apiVersion": "kopf.myriad.test/v1", "kind": "Widget", "metadata": {"name": "w2"}, "spec": {"size": 2}}
    assert apiserver.send("POST", WIDGETS, widget)[0] == 201

    def handler_events() -> list[dict[str, Any]]:
        status, raw = apiserver.get(f"/api/v1/namespaces/{NAMESPACE}/events"
                                    "?fieldSelector=involvedObject.kind%3DWidget,involvedObject.name%3Dw2")
        assert status == 200
        return [e for e in json.loads(raw)["items"] if e["reason"] == "Created"]

    events = eventually(handler_events)
    assert events[0]["message"] == "widget created with size 2"
    assert events[0]["involvedObject"]["apiVersion"] == "kopf.myriad.test/v1"
    assert events[0]["type"] == "Normal" and events[0]["source"]["component"] == "kopf"
