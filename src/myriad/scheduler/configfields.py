"""The field errors and strict typed readers shared by the ``KubeSchedulerConfiguration`` modules.

Contract:

* Errors are upstream's ``field.Error``: :class:`_FieldError` renders as
  ``<path>: <kind>: <value>: <detail>`` (no value for ``Required value`` and ``Forbidden``),
  values rendered by :func:`_render` as Go prints them (strings quoted, ``null``, ``true``;
  a :class:`_Text` as it is). :func:`_invalid`, :func:`_required`, :func:`_duplicate`,
  :func:`_unsupported` and :func:`_forbidden` build them; :func:`_aggregate` joins several as
  upstream's aggregate (duplicates once; one bare, several as ``[e1, e2]``).
* The readers (:func:`_object`, :func:`_list`, :func:`_int`, :func:`_number`, :func:`_str`,
  :func:`_bool`, :func:`_duration`) decode strictly: ``None`` (absent) stays ``None`` (``{}`` /
  ``[]`` for objects and lists); an unknown field or a value of the wrong type raises
  :class:`ConfigError` at once (``strict decoding error: unknown field "<path>"``,
  ``<path>: Invalid value: <v>: must be …``). They never collect errors.
* Durations are Go's: :func:`_duration` reads ``"1m30s"`` as nanoseconds,
  :func:`_format_duration` is ``time.Duration.String``.

The names keep their leading underscore: they are the configuration package's internals, imported
by name by ``config`` and ``configargs`` only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from myriad.scheduler.errors import ConfigError
from myriad.scheduler.profiles import go_quote

API_VERSION = "kubescheduler.config.k8s.io/v1"

_SECOND = 1_000_000_000


# -- field errors, rendered as upstream's field.Error ---------------------------------------------


class _Text(str):
    """A value rendered as it is (upstream's Stringer values: paths, durations, Go structs)."""


def _render(value: Any) -> str:
    if isinstance(value, _Text):
        return str(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e21 else repr(value)
    if isinstance(value, str):
        return go_quote(value)
    return json.dumps(value, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class _FieldError:
    path: str
    kind: str
    value: Any = None
    detail: str = ""

    def __str__(self) -> str:
        body = self.kind
        if self.kind not in ("Required value", "Forbidden"):
            body += f": {_render(self.value)}"
        if self.detail:
            body += f": {self.detail}"
        return f"{self.path}: {body}"


def _invalid(path: str, value: Any, detail: str) -> _FieldError:
    return _FieldError(path, "Invalid value", value, detail)


def _required(path: str, detail: str = "") -> _FieldError:
    return _FieldError(path, "Required value", None, detail)


def _duplicate(path: str, value: Any) -> _FieldError:
    return _FieldError(path, "Duplicate value", value)


def _unsupported(path: str, value: Any, supported: Sequence[str]) -> _FieldError:
    return _FieldError(path, "Unsupported value", value,
                       "supported values: " + ", ".join(go_quote(s) for s in supported))


def _forbidden(path: str, detail: str) -> _FieldError:
    return _FieldError(path, "Forbidden", None, detail)


def _aggregate(errors: Sequence[_FieldError]) -> str:
    texts = list(dict.fromkeys(str(e) for e in errors))
    return texts[0] if len(texts) == 1 else f"[{', '.join(texts)}]"


def _child(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# -- strict decoding -----------------------------------------------------------------------------


def _object(value: Any, path: str, fields: Collection[str]) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(str(_invalid(path or "<root>", value, "must be an object")))
    for key in value:
        if key not in fields:
            raise ConfigError(f"strict decoding error: unknown field {go_quote(_child(path, str(key)))}")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(str(_invalid(path, value, "must be a list")))
    return value


def _int(value: Any, path: str) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(str(_invalid(path, value, "must be an integer")))
    return value


def _number(value: Any, path: str) -> float | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
        raise ConfigError(str(_invalid(path, value, "must be a number")))
    return None if value is None else float(value)


def _str(value: Any, path: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ConfigError(str(_invalid(path, value, "must be a string")))
    return value


def _bool(value: Any, path: str) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise ConfigError(str(_invalid(path, value, "must be a boolean")))
    return value


_DURATION_PART = re.compile(r"([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": _SECOND,
          "m": 60 * _SECOND, "h": 3600 * _SECOND}


def _duration(value: Any, path: str) -> int | None:
    """A Go duration string ("15s", "1m30s") in nanoseconds."""
    if value is None:
        return None
    text = value if isinstance(value, str) else ""
    sign, rest = (-1, text[1:]) if text.startswith("-") else (1, text.removeprefix("+"))
    total: int | None = 0 if rest == "0" else None
    if rest and rest != "0":
        total, pos = 0, 0
        while pos < len(rest):
            match = _DURATION_PART.match(rest, pos)
            if match is None or match.group(1) in ("", "."):
                total = None
                break
            try:
                total += int(Decimal(match.group(1)) * _UNITS[match.group(2)])
            except InvalidOperation:
                total = None
                break
            pos = match.end()
    if total is None:
        raise ConfigError(str(_invalid(path, value, "must be a duration such as \"15s\"")))
    return sign * total


def _format_duration(nanos: int) -> str:
    """Go's time.Duration.String."""
    if nanos == 0:
        return "0s"

    def fraction(value: int, digits: int) -> str:
        whole, part = divmod(value, 10 ** digits)
        decimals = str(part).rjust(digits, "0").rstrip("0")
        return f"{whole}.{decimals}" if decimals else str(whole)

    size = abs(nanos)
    if size < 1_000:
        text = f"{size}ns"
    elif size < 1_000_000:
        text = fraction(size, 3) + "µs"
    elif size < _SECOND:
        text = fraction(size, 6) + "ms"
    else:
        hours, rest = divmod(size, 3600 * _SECOND)
        minutes, rest = divmod(rest, 60 * _SECOND)
        text = (f"{hours}h" if hours else "") + (f"{minutes}m" if hours or minutes else "") + fraction(rest, 9) + "s"
    return ("-" if nanos < 0 else "") + text
