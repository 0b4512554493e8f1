"""Cron schedules as robfig/cron v3's ``ParseStandard`` reads them (what upstream validates a
CronJob's schedule with): five fields (minute, hour, day of month, month, day of week) or a
descriptor (``@daily``, ``@every 1h30m``…), with robfig's error messages, which upstream shows
verbatim. Only whether and why a schedule fails to parse is needed, not the schedule itself."""

from __future__ import annotations

import re
import zoneinfo

_MONTHS = {name: i for i, name in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                             "nov", "dec"), start=1)}
_DAYS = {name: i for i, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
#: (min, max, names) for minute, hour, day of month, month and day of week.
_FIELDS: tuple[tuple[int, int, dict[str, int] | None], ...] = (
    (0, 59, None), (0, 23, None), (1, 31, None), (1, 12, _MONTHS), (0, 6, _DAYS))
_DESCRIPTORS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"})
_INT = re.compile(r"[+-]?[0-9]+")
_INT64_MAX = (1 << 63) - 1
_DURATION_PART = re.compile(r"([0-9]*(?:\.[0-9]*)?)([^0-9.]*)")
_DURATION_UNITS = {"ns", "us", "µs", "μs", "ms", "s", "m", "h"}


class CronError(ValueError):
    """Why a schedule does not parse, worded as robfig/cron words it."""


def parse_standard(spec: str) -> None:
    """Raises :class:`CronError` unless ``spec`` parses as robfig's standard parser reads it."""
    if not spec:
        raise CronError("empty spec string")
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        location = spec[spec.index("=") + 1:space if space >= 0 else len(spec)]
        error = location_error(location)
        if error:
            raise CronError(f"provided bad location {location}: {error}")
        spec = spec[space:].strip() if space >= 0 else ""
    if spec.startswith("@"):
        _descriptor(spec)
        return
    fields = spec.split()
    if len(fields) != len(_FIELDS):
        raise CronError(f"expected exactly {len(_FIELDS)} fields, found {len(fields)}: [{' '.join(fields)}]")
    for field, bounds in zip(fields, _FIELDS, strict=True):
        for expression in (part for part in field.split(",") if part):
            _range(expression, bounds)


def _descriptor(spec: str) -> None:
    if spec in _DESCRIPTORS:
        return
    if spec.startswith("@every "):
        error = _duration_error(spec[len("@every "):])
        if error:
            raise CronError(f"failed to parse duration {spec}: {error}")
        return
    raise CronError(f"unrecognized descriptor: {spec}")


def _int(text: str) -> int:
    """strconv.Atoi, then robfig's refusal of negative numbers."""
    if not _INT.fullmatch(text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    number = int(text)
    if abs(number) > _INT64_MAX:
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": value out of range')
    if number < 0:
        raise CronError(f"negative number ({number}) not allowed: {text}")
    return number


def _range(expression: str, bounds: tuple[int, int, dict[str, int] | None]) -> None:
    low_bound, high_bound, names = bounds
    range_and_step = expression.split("/")
    low_high = range_and_step[0].split("-")
    if low_high[0] in ("*", "?"):
        start, end = low_bound, high_bound
    else:
        start = names[low_high[0].lower()] if names and low_high[0].lower() in names else _int(low_high[0])
        if len(low_high) == 1:
            end = start
        elif len(low_high) == 2:
            end = names[low_high[1].lower()] if names and low_high[1].lower() in names else _int(low_high[1])
        else:
            raise CronError(f"too many hyphens: {expression}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _int(range_and_step[1])
        if len(low_high) == 1:
            end = high_bound
    else:
        raise CronError(f"too many slashes: {expression}")
    if start < low_bound:
        raise CronError(f"beginning of range ({start}) below minimum ({low_bound}): {expression}")
    if end > high_bound:
        raise CronError(f"end of range ({end}) above maximum ({high_bound}): {expression}")
    if start > end:
        raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expression}")
    if step == 0:
        raise CronError(f"step of range should be a positive number: {expression}")


def _duration_error(text: str) -> str | None:
    """Go's time.ParseDuration error for ``text``, or None when it parses."""
    quoted = '"' + text + '"'
    body = text[1:] if text[:1] in ("+", "-") else text
    if body == "0":
        return None
    if not body:
        return f"time: invalid duration {quoted}"
    while body:
        match = _DURATION_PART.match(body)
        assert match is not None
        number, unit = match.groups()
        if number in ("", ".") or match.end() == 0:
            return f"time: invalid duration {quoted}"
        if not unit:
            return f"time: missing unit in duration {quoted}"
        if unit not in _DURATION_UNITS:
            return f'time: unknown unit "{unit}" in duration {quoted}'
        body = body[match.end():]
    return None


def location_error(name: str) -> str | None:
    """Go's time.LoadLocation error for ``name`` (``""`` is UTC and ``Local`` the server's zone,
    both fine), or None."""
    if name in ("", "UTC", "Local"):
        return None
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return f"unknown time zone {name}"
    return None
