"""Reading a kubeconfig: the API server URL and default namespace of a context.

Files come from ``path``, else ``$KUBECONFIG`` (a list joined by ``os.pathsep``), else
``~/.kube/config``. As kubectl does, several files merge: for each named cluster, context and
user the first file that defines it wins, and the first ``current-context`` set wins.
Credentials are not read: Myriad serves plain HTTP on loopback until authentication exists.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from myriad.client.errors import ClientError


@dataclass(frozen=True, slots=True)
class KubeconfigContext:
    name: str
    server: str
    namespace: str


def load_kubeconfig(path: str | os.PathLike[str] | None = None, *, context: str | None = None) -> KubeconfigContext:
    """The server and namespace of ``context`` (default: the current context); ClientError if
    the files are missing, unreadable or do not define it."""
    paths = _paths(path)
    clusters: dict[str, dict[str, Any]] = {}
    contexts: dict[str, dict[str, Any]] = {}
    current = ""
    for file in paths:
        try:
            document = yaml.safe_load(file.read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ClientError(f"cannot read kubeconfig {file}: {exc}") from exc
        if not isinstance(document, dict):
            raise ClientError(f"kubeconfig {file} is not a mapping")
        for entry in document.get("clusters") or []:
            clusters.setdefault(entry.get("name", ""), entry.get("cluster") or {})
        for entry in document.get("contexts") or []:
            contexts.setdefault(entry.get("name", ""), entry.get("context") or {})
        current = current or document.get("current-context") or ""
    name = context or current
    if not name:
        raise ClientError(f"kubeconfig {os.pathsep.join(map(str, paths))} sets no current-context")
    if name not in contexts:
        raise ClientError(f"kubeconfig has no context {name!r}")
    cluster_name = contexts[name].get("cluster", "")
    server = clusters.get(cluster_name, {}).get("server")
    if not server:
        raise ClientError(f"kubeconfig context {name!r} names cluster {cluster_name!r}, which has no server")
    return KubeconfigContext(name=name, server=server, namespace=contexts[name].get("namespace") or "default")


def _paths(path: str | os.PathLike[str] | None) -> list[Path]:
    if path is not None:
        return [Path(path)]
    joined = os.environ.get("KUBECONFIG", "")
    if joined:
        found = [Path(p) for p in joined.split(os.pathsep) if p and Path(p).exists()]
        if found:
            return found
        raise ClientError(f"none of the KUBECONFIG files exist: {joined}")
    return [Path.home() / ".kube" / "config"]
