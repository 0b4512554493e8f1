"""Query parameters converted as upstream's parameter codec converts them
(apimachinery's Convert_Slice_string_To_bool and _To_int64): a bool is false only for ``0`` or
``false`` (any case) and true for anything else, ``?watch`` alone included; an integer is a Go
int64, and anything else is upstream's 400 with strconv's error."""

from __future__ import annotations

from myriad.api.errors import BadRequestError

_INT64 = (-(2**63), 2**63 - 1)


def go_bool(value: str | None) -> bool | None:
    """None when the parameter is absent."""
    if value is None:
        return None
    return not (value == "0" or value.lower() == "false")


def go_int64(value: str) -> int:
    """``value`` as Go's strconv.ParseInt(value, 10, 64) reads it; a 400 when it cannot."""
    digits = value[1:] if value[:1] in ("+", "-") else value
    if not digits or not digits.isascii() or not digits.isdigit():
        raise BadRequestError(f'strconv.ParseInt: parsing "{value}": invalid syntax')
    number = int(value)
    if not _INT64[0] <= number <= _INT64[1]:
        raise BadRequestError(f'strconv.ParseInt: parsing "{value}": value out of range')
    return number
