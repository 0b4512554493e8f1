"""The text helpers upstream's printers share: human durations, label maps, label selectors and
container lists, each formatted exactly as kubectl shows them."""

from __future__ import annotations

from datetime import datetime

from myriad.api.selectors import label_selector_string

UNKNOWN = "<unknown>"
NONE = "<none>"


def human_duration(seconds: float) -> str:
    """apimachinery's ``duration.HumanDuration``: ``45s``, ``5m10s``, ``3h5m``, ``2d5h``, ``3y12d``."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m" if s % 60 == 0 else f"{minutes}m{s % 60}s"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h" if minutes % 60 == 0 else f"{hours}h{minutes % 60}m"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{hours // 24}d" if hours % 24 == 0 else f"{hours // 24}d{hours % 24}h"
    if hours < 17520:
        return f"{hours // 24}d"
    days = hours // 24
    if hours < 70080:
        return f"{days // 365}y" if days % 365 == 0 else f"{days // 365}y{days % 365}d"
    return f"{days // 365}y"


def timestamp(value: object) -> float | None:
    """Seconds since the epoch of an RFC 3339 time (whole or fractional seconds); None if unset
    or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def since(value: object, now: float) -> str:
    """``translateTimestampSince``: the age of a timestamp, ``<unknown>`` when unset."""
    moment = timestamp(value)
    return UNKNOWN if moment is None else human_duration(now - moment)


def labels_text(labels: object) -> str:
    """``labels.FormatLabels``: sorted ``k=v`` joined with commas, ``<none>`` when empty."""
    if not isinstance(labels, dict) or not labels:
        return NONE
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def selector_text(selector: object, *, empty: str = NONE, invalid: str = "<error>") -> str:
    """``metav1.FormatLabelSelector``: ``<none>`` for nil or empty, ``<error>`` when invalid (the
    Deployment printer shows the raw selector: ``empty=""``, ``invalid="<invalid>"``)."""
    if not isinstance(selector, dict) or not (selector.get("matchLabels") or selector.get("matchExpressions")):
        return empty
    try:
        return label_selector_string(selector) or empty
    except ValueError:
        return invalid


def containers_cells(pod_spec: object) -> list[str]:
    """The Containers and Images cells: names and images joined with commas."""
    containers = pod_spec.get("containers") if isinstance(pod_spec, dict) else None
    if not isinstance(containers, list):
        return ["", ""]
    items = [c for c in containers if isinstance(c, dict)]
    return [",".join(str(c.get("name", "")) for c in items), ",".join(str(c.get("image", "")) for c in items)]


def dig(obj: object, *path: str | int) -> object:
    """``obj[path[0]][path[1]]…``, or None as soon as a step is missing or of the wrong type."""
    for step in path:
        if isinstance(step, int):
            if not isinstance(obj, list) or not -len(obj) <= step < len(obj):
                return None
            obj = obj[step]
        elif isinstance(obj, dict):
            obj = obj.get(step)
        else:
            return None
    return obj
