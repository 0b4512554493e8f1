"""Go's duration strings (``time.ParseDuration``, as ``metav1.Duration`` and upstream's duration
flags take them): ``40s``, ``1m30s``, ``500ms``."""

from __future__ import annotations

import math
import re

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "μs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def seconds(text: str) -> float:
    """A Go duration (or a plain ``0``) in seconds; ValueError for anything else, or a negative,
    infinite or NaN one."""
    if text == "0":
        return 0.0
    if not text or _PART.sub("", text) != "":
        raise ValueError(f'"{text}" is not a duration (e.g. 500ms, 40s, 1m30s)')
    total = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(text))
    if math.isinf(total) or math.isnan(total):
        raise ValueError(f'"{text}" is not a finite duration')
    return total
