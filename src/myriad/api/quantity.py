"""Kubernetes resource quantities (``500m``, ``1Gi``, ``1e3``): read as exact fractions for the
comparisons validation makes, and written back as apimachinery's ``Quantity`` writes them.

A decoded quantity is written in canonical form (``1.5`` → ``1500m``, ``1024Mi`` → ``1Gi``,
``2000`` → ``2k``), keeping the suffix family (binary, decimal SI, decimal exponent) it was
written in, unless the string given already is canonical (upstream's ParseQuantity keeps it
then): that is what upstream stores, so the body walk (:mod:`myriad.api.schemas`) stores it too.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from math import ceil

#: Go's ErrFormatWrong: what a value that is not a quantity gets when a body is decoded.
FORMAT_ERROR = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?")
_NUMBER = re.compile(r"([+-]?)0*([0-9]*)(?:\.([0-9]*))?(.*)")
#: Suffix → power of ten (decimal SI) or of two (binary SI).
_DECIMAL_SI = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SI = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_SUFFIX = {exponent: suffix for suffix, exponent in _DECIMAL_SI.items()}
_BINARY_SUFFIX = ("", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei")
_INT64_MAX = 2**63 - 1


def parse(value: object) -> Fraction | None:
    """The quantity's exact value, or None when ``value`` is not a quantity (Go would not have
    decoded it)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Fraction(value)
    if not isinstance(value, str):
        return None
    match = _QUANTITY.fullmatch(value.strip())
    if match is None:
        return None
    number, suffix = Fraction(match.group(1)), match.group(2) or ""
    if suffix in _BINARY_SI:
        return number * 2 ** _BINARY_SI[suffix]
    if suffix in _DECIMAL_SI:
        return number * Fraction(10) ** _DECIMAL_SI[suffix]
    return number * Fraction(10) ** int(suffix[1:])


def valid(value: str | int | float) -> bool:
    """Whether Go would decode ``value`` as a quantity (memoized: the same few values recur in
    every pod)."""
    return _valid(value, type(value))


@functools.lru_cache(maxsize=4096)
def _valid(value: str | int | float, _kind: type) -> bool:
    return parse(value) is not None


def canonical(value: object) -> str:
    """The canonical form of a quantity field's value (a string or a JSON number), as Go's
    Quantity writes it back; a value that does not parse as a quantity is returned as it is."""
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return _canonical_of(value, type(value))
    return ""


@functools.lru_cache(maxsize=4096)
def _canonical_of(value: str | int | float, _kind: type) -> str:
    raw = str(value).strip()
    if raw == "0":
        return raw
    match = _NUMBER.fullmatch(raw)
    if match is None or not raw:
        return raw
    sign, whole, fraction, suffix = match.groups()
    fraction = fraction or ""
    if suffix in _DECIMAL_SI:
        base, exponent, kind = 10, _DECIMAL_SI[suffix], "si"
    elif suffix in _BINARY_SI:
        base, exponent, kind = 2, _BINARY_SI[suffix], "binary"
    elif suffix[:1] in ("e", "E") and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        base, exponent, kind = 10, int(suffix[1:]), "exponent"
    else:
        return raw
    if _kept_as_written(whole or "0", fraction, exponent, kind):
        return raw
    amount = Fraction(int((whole or "0") + fraction), 10 ** len(fraction)) * Fraction(base) ** exponent
    amount = Fraction(ceil(amount * 10**9), 10**9)  # round up to nano precision
    if kind == "binary":
        amount = min(amount, Fraction(_INT64_MAX))
    return _canonical(-amount if sign == "-" else amount, kind)


def format_amount(amount: Fraction, *, binary: bool) -> str:
    """``amount`` written as Go's Quantity writes it: in the binary SI family (``1Gi``) when
    ``binary`` and it is whole KiB, else decimal SI (``1500m``, ``2k``)."""
    return _canonical(amount, "binary" if binary else "si")


def _kept_as_written(whole: str, fraction: str, exponent: int, kind: str) -> bool:
    """ParseQuantity keeps the string it parsed when it is already canonical and fits in int64."""
    if kind == "binary":
        if fraction or len(whole) + exponent * 3 // 10 > 14:
            return False
        value = int(whole)
        return value << exponent <= _INT64_MAX and exponent % 10 == 0 and value & 0x07 != 0
    digits = whole + fraction
    scale = exponent - len(fraction)
    if len(digits) > 18 or scale < -9:
        return False
    return scale % 3 == 0 and not digits.endswith("000") and digits[0] != "0"


def _canonical(amount: Fraction, kind: str) -> str:
    if amount == 0:
        return "0"
    if kind == "binary" and abs(amount) >= 1024 and amount.denominator == 1:
        number, times = int(amount), 0
        while abs(number) >= 1024 and number % 1024 == 0:
            number, times = number // 1024, times + 1
        return f"{number}{_BINARY_SUFFIX[times] if times < len(_BINARY_SUFFIX) else ''}"
    mantissa, exponent = int(amount * 10**9), -9
    while abs(mantissa) >= 10 and mantissa % 10 == 0:
        mantissa, exponent = mantissa // 10, exponent + 1
    floor = exponent - exponent % 3
    mantissa *= 10 ** (exponent - floor)
    if kind == "exponent":
        return f"{mantissa}e{floor}" if floor else str(mantissa)
    return f"{mantissa}{_DECIMAL_SUFFIX.get(floor, '')}"
