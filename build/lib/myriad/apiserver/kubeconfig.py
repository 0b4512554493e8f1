"""The kubeconfig `myriad apiserver` writes for its clients: one cluster, one context and one
user entry (kopf insists on both), as JSON, which every kubeconfig reader accepts."""

from __future__ import annotations

import os
from pathlib import Path

import orjson


def write_kubeconfig(path: Path, *, server: str, name: str = "myriad") -> None:
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {"server": server}}],
        "users": [{"name": name, "user": {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": "default"}}],
        "current-context": name,
        "preferences": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(orjson.dumps(config, option=orjson.OPT_INDENT_2) + b"\n")
    os.replace(temporary, path)
