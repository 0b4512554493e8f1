"""IntOrString fields (``maxSurge: 25%`` or ``maxUnavailable: 2``) against a total, as
upstream's ``intstr.GetScaledValueFromIntOrPercent``."""

from __future__ import annotations

import math
from typing import Any


def scaled(value: Any, total: int, *, round_up: bool) -> int:
    """``value`` itself if an integer (or a numeric string), else its percentage of ``total``,
    rounded up or down."""
    if isinstance(value, int):
        return value
    text = str(value or "0")
    if text.endswith("%"):
        exact = int(text[:-1]) * total / 100
        return math.ceil(exact) if round_up else math.floor(exact)
    return int(text)
