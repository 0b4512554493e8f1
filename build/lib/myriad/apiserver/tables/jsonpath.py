"""The JSONPath subset CRD ``additionalPrinterColumns`` use: ``.a.b``, ``.a[0]``, ``.a[*].b``
and ``.a['dotted.key']``. :func:`compile_path` raises ValueError on anything else, as upstream
refuses a column it cannot parse."""

from __future__ import annotations

import re
from collections.abc import Callable

_STEP = re.compile(r"""\.([A-Za-z0-9_$-]+)|\[(\d+|-\d+|\*)\]|\[['"]([^'"]+)['"]\]""")


def compile_path(path: str) -> Callable[[object], list[object]]:
    """A function from an object to every value the path reaches (none when a key is missing)."""
    text = path.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1].strip()
    if not text.startswith("."):
        raise ValueError(f"unsupported JSONPath {path!r}: it must start with '.'")
    steps: list[str | int | None] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if match is None:
            raise ValueError(f"unsupported JSONPath {path!r} at character {position}")
        name, index, quoted = match.groups()
        if name is not None or quoted is not None:
            steps.append(name if name is not None else quoted)
        else:
            steps.append(None if index == "*" else int(index))
        position = match.end()

    def evaluate(obj: object) -> list[object]:
        current = [obj]
        for step in steps:
            following: list[object] = []
            for value in current:
                if step is None:
                    if isinstance(value, list):
                        following.extend(value)
                    elif isinstance(value, dict):
                        following.extend(value.values())
                elif isinstance(step, int):
                    if isinstance(value, list) and -len(value) <= step < len(value):
                        following.append(value[step])
                elif isinstance(value, dict) and step in value:
                    following.append(value[step])
            current = following
        return current

    return evaluate
