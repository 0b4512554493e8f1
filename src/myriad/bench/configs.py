"""What every benchmark's config dataclass shares: its JSON form and the server-CPU check."""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Any


def config_json(config: Any) -> dict[str, object]:
    """The config's fields, with paths as strings (``json_path``, ``data_dir``)."""
    document = asdict(config)
    document["json_path"] = str(config.json_path)
    document["data_dir"] = str(config.data_dir) if config.data_dir else None
    return document


def check_server_cpu(cpu: int | None) -> None:
    """ValueError when ``cpu`` is set but this process may not run there."""
    if cpu is not None and cpu not in os.sched_getaffinity(0):
        raise ValueError(f"--server-cpu {cpu} is not available here")
