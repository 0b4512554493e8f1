"""``myriad up`` starts the control plane on embedded storage and tells how to reach it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def test_up_serves_the_api_and_prints_the_kubeconfig_export(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-m", "myriad", "up", "--port", "0", "--data-dir", str(tmp_path)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (lines and lines[-1].startswith("export KUBECONFIG=")):
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
        assert lines and lines[-1].strip() == f"export KUBECONFIG={(tmp_path / 'kubeconfig').resolve()}", lines
        url = lines[-2].split("API server on ")[1].split()[0]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "/readyz", timeout=10) as response:
            assert response.read() == b"ok"
        with urllib.request.urlopen(url + "/api/v1/namespaces/default", timeout=10) as response:
            assert response.status == 200
        accounts: list[str] = []
        while time.monotonic() < deadline + 30 and accounts != ["default"]:  # the controller manager runs
            with urllib.request.urlopen(url + "/api/v1/namespaces/kube-system/serviceaccounts", timeout=10) as answer:
                accounts = [sa["metadata"]["name"] for sa in json.load(answer)["items"]]
            time.sleep(0.2)
        assert accounts == ["default"]
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
