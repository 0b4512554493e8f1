"""Cron schedules as robfig/cron v3's ``ParseStandard`` reads them (what upstream's CronJobs
use): five fields (minute, hour, day of month, month, day of week) or a descriptor (``@daily``,
``@every 1h30m``…), with robfig's error messages, which the API server shows verbatim, and
robfig's ``Next``: the first time after a given one that the schedule fires, in the schedule's
time zone, where a day matches its day-of-month *or* day-of-week unless either is ``*``."""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from myriad.api import durations

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


#: robfig's starBit: the field was ``*`` or ``?`` (with no step beyond 1).
STAR = 1 << 63
_DESCRIBED = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
              "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


class CronError(ValueError):
    """Why a schedule does not parse, worded as robfig/cron words it."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """A parsed schedule: a bitmask per field, or a constant delay (``@every``); ``zone`` from a
    ``TZ=`` prefix, if any."""

    fields: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)
    every: float = 0.0
    zone: str | None = None

    def next(self, after: datetime, zone: tzinfo | None = None) -> datetime | None:
        """The first firing strictly after ``after`` (aware), in ``zone`` (the ``TZ=`` prefix's
        wins; UTC when neither), returned in ``after``'s zone; None if none within five years."""
        if self.every:
            step = max(int(self.every), 1)
            return after.replace(microsecond=0) + timedelta(seconds=step)
        origin = after.tzinfo
        where = zoneinfo.ZoneInfo(self.zone) if self.zone and self.zone not in ("UTC", "Local") else (zone or UTC)
        minute, hour, dom, month, dow = self.fields
        t = after.astimezone(where).replace(microsecond=0) + timedelta(seconds=1)
        t = t.replace(second=0) + (timedelta(minutes=1) if t.second else timedelta())
        limit = t.year + 5
        while t.year <= limit:
            if not month >> t.month & 1:
                t = (t.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not _day_matches(dom, dow, t):
                t = (t + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if not hour >> t.hour & 1:
                t = (t + timedelta(hours=1)).replace(minute=0)
                continue
            if not minute >> t.minute & 1:
                t += timedelta(minutes=1)
                continue
            return t.astimezone(origin)
        return None


def _day_matches(dom: int, dow: int, t: datetime) -> bool:
    day_of_month = bool(dom >> t.day & 1)
    day_of_week = bool(dow >> ((t.weekday() + 1) % 7) & 1)  # Sunday is 0
    if dom & STAR or dow & STAR:
        return day_of_month and day_of_week
    return day_of_month or day_of_week


def parse_standard(spec: str) -> Schedule:
    """``spec`` as robfig's standard parser reads it; raises :class:`CronError` if it does not."""
    if not spec:
        raise CronError("empty spec string")
    zone = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        space = spec.find(" ")
        location = spec[spec.index("=") + 1:space if space >= 0 else len(spec)]
        error = location_error(location)
        if error:
            raise CronError(f"provided bad location {location}: {error}")
        zone = location
        spec = spec[space:].strip() if space >= 0 else ""
    if spec.startswith("@"):
        return _descriptor(spec, zone)
    fields = spec.split()
    if len(fields) != len(_FIELDS):
        raise CronError(f"expected exactly {len(_FIELDS)} fields, found {len(fields)}: [{' '.join(fields)}]")
    masks = []
    for field, bounds in zip(fields, _FIELDS, strict=True):
        mask = 0
        for expression in (part for part in field.split(",") if part):
            mask |= _range(expression, bounds)
        masks.append(mask)
    return Schedule(fields=tuple(masks), zone=zone)  # type: ignore[arg-type]


def _descriptor(spec: str, zone: str | None) -> Schedule:
    if spec in _DESCRIPTORS:
        return parse_standard(_DESCRIBED[spec]) if zone is None else parse_standard(f"TZ={zone} {_DESCRIBED[spec]}")
    if spec.startswith("@every "):
        error = _duration_error(spec[len("@every "):])
        if error:
            raise CronError(f"failed to parse duration {spec}: {error}")
        text = spec[len("@every "):].lstrip("+")
        return Schedule(every=0.0 if text.startswith("-") else durations.seconds(text), zone=zone)
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


def _range(expression: str, bounds: tuple[int, int, dict[str, int] | None]) -> int:
    """The field's bits for one comma-separated ``expression`` (robfig's getRange)."""
    low_bound, high_bound, names = bounds
    range_and_step = expression.split("/")
    low_high = range_and_step[0].split("-")
    extra = 0
    if low_high[0] in ("*", "?"):
        start, end = low_bound, high_bound
        extra = STAR
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
        if step > 1:
            extra = 0
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
    return sum(1 << value for value in range(start, end + 1, step)) | extra


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
