"""A real ``myriad apiserver`` subprocess on a free loopback port, as a user would start it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from myriad.bench.apiserver_process import running_apiserver


@dataclass(frozen=True)
class RunningServer:
    url: str
    kubeconfig: Path
    data_dir: Path

    def get(self, path: str, *, accept: str = "application/json") -> tuple[int, bytes]:
        request = urllib.request.Request(self.url + path, headers={"Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def send(self, method: str, path: str, body: object, *, content_type: str | None = None,
             accept: str = "application/json") -> tuple[int, dict[str, Any]]:
        """A JSON request; PATCH defaults to a merge patch. Returns the status and decoded body."""
        if content_type is None:
            content_type = "application/merge-patch+json" if method == "PATCH" else "application/json"
        request = urllib.request.Request(self.url + path, method=method, data=json.dumps(body).encode(),
                                         headers={"Content-Type": content_type, "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def kubectl_command(self, *args: str) -> tuple[list[str], dict[str, str]]:
        kubectl = Path(sys.executable).parent / "kubectl"
        env = {**os.environ, "KUBECONFIG": str(self.kubeconfig)}
        return [str(kubectl), f"--cache-dir={self.data_dir / 'kcache'}", *args], env

    def kubectl(self, *args: str, input: str | None = None, check: bool = True,
                env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        command, base_env = self.kubectl_command(*args)
        result = subprocess.run(command, input=input, capture_output=True, text=True, env={**base_env, **(env or {})},
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr}")
        return result


@pytest.fixture(scope="module")
def apiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    data_dir = tmp_path_factory.mktemp("apiserver")
    with running_apiserver(data_dir=data_dir, cpu=None) as url:
        yield RunningServer(url=url, kubeconfig=data_dir / "kubeconfig", data_dir=data_dir)
