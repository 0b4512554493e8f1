"""Object metadata helpers and the upstream name, label and annotation rules (apimachinery's
``validation`` package), returning :class:`~myriad.api.errors.Cause` lists."""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime

from myriad.api import gojson
from myriad.api.errors import Cause

#: generateName suffix alphabet: no vowels (so no words) and no look-alike characters.
_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
DNS1123_LABEL_MAX = 63
DNS1123_SUBDOMAIN_MAX = 253
_ANNOTATIONS_MAX_BYTES = 256 * 1024
#: Label keys and values seen valid lately, so the same labels on many objects are checked once.
_valid_label_keys: set[str] = set()
_valid_label_values: set[str] = set()
_VALID_MEMO_SIZE = 16384
_RANDOM_BLOCK = 4096
_random_lock = threading.Lock()
_random_pool = b""
_random_offset = 0
#: The last second :func:`rfc3339` formatted; objects created in one second share its text.
_last_rfc3339: tuple[int, str] = (-1, "")


def rfc3339(seconds: float | None = None) -> str:
    """Whole-second RFC 3339 in UTC, as metav1.Time marshals."""
    global _last_rfc3339
    whole = math.floor(time.time() if seconds is None else seconds)
    last = _last_rfc3339
    if last[0] == whole:
        return last[1]
    text = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(whole))
    _last_rfc3339 = (whole, text)
    return text


def rfc3339_micro(seconds: float) -> str:
    """RFC 3339 in UTC with microseconds, as metav1.MicroTime marshals (``2006-01-02T15:04:05.000000Z``)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: object) -> float | None:
    """An RFC 3339 time (``metav1.Time`` or ``MicroTime``) as seconds since the epoch; None for
    anything else, an empty or missing time included."""
    if not isinstance(text, str) or not text:
        return None
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def _random_bytes(n: int) -> bytes:
    """``n`` bytes from the OS's random source, read in blocks: one ``getrandom`` (which releases
    the GIL, and a busy server then waits to get it back) serves hundreds of calls."""
    global _random_pool, _random_offset
    with _random_lock:
        if _random_offset + n > len(_random_pool):
            _random_pool, _random_offset = os.urandom(_RANDOM_BLOCK), 0
        start = _random_offset
        _random_offset += n
        return _random_pool[start:_random_offset]


def new_uid() -> str:
    """A random (version 4) UUID in its canonical text form, as ``str(uuid.uuid4())`` but cheaper."""
    raw = bytearray(_random_bytes(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def generate_name(base: str) -> str:
    """``base`` (cut so the result fits 63 characters) plus 5 random characters."""
    if len(base) > DNS1123_LABEL_MAX - 5:
        base = base[: DNS1123_LABEL_MAX - 5]
    alphabet = len(_SUFFIX_ALPHABET)
    usable = 256 - 256 % alphabet  # bytes at or above this would favour the first letters
    suffix: list[str] = []
    while len(suffix) < 5:
        suffix.extend(_SUFFIX_ALPHABET[b % alphabet] for b in _random_bytes(8) if b < usable)
    return base + "".join(suffix[:5])


def dns1123_label_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_LABEL_MAX:
        errors.append(f"must be no more than {DNS1123_LABEL_MAX} characters")
    if not _DNS1123_LABEL.match(value):
        errors.append("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
                      "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
                      "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')")
    return errors


def dns1123_subdomain_errors(value: str) -> list[str]:
    errors = []
    if len(value) > DNS1123_SUBDOMAIN_MAX:
        errors.append(f"must be no more than {DNS1123_SUBDOMAIN_MAX} characters")
    if not _DNS1123_SUBDOMAIN.match(value):
        errors.append("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
                      "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
                      "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
    return errors


def path_segment_errors(value: str) -> list[str]:
    """Names any resource accepts: not "." or "..", no "/" or "%"."""
    if value in (".", ".."):
        return [f"may not be '{value}'"]
    return [f"may not contain '{bad}'" for bad in ("/", "%") if bad in value]


def qualified_name_errors(value: str) -> list[str]:
    """A label or annotation key: an optional DNS subdomain prefix and "/", then a name."""
    errors = []
    prefix, slash, name = value.rpartition("/")
    if slash:
        if not prefix:
            errors.append("prefix part must be non-empty")
        else:
            errors.extend("prefix part " + e for e in dns1123_subdomain_errors(prefix))
    if not name:
        errors.append("name part must be non-empty")
    elif len(name) > 63:
        errors.append("name part must be no more than 63 characters")
    elif not _QUALIFIED_NAME.match(name):
        errors.append("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end "
                      "with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
                      "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')")
    return errors


def label_value_errors(value: str) -> list[str]:
    errors = []
    if len(value) > 63:
        errors.append("must be no more than 63 characters")
    if not _LABEL_VALUE.match(value):
        errors.append("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
                      "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',"
                      "  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')")
    return errors


def quote(value: object) -> str:
    return gojson.dumps(value).decode()


def invalid(field: str, value: object, detail: str) -> Cause:
    return Cause("FieldValueInvalid", f"Invalid value: {quote(value)}: {detail}", field)


def required(field: str, detail: str = "") -> Cause:
    return Cause("FieldValueRequired", "Required value" + (f": {detail}" if detail else ""), field)


def forbidden(field: str, detail: str) -> Cause:
    return Cause("FieldValueForbidden", f"Forbidden: {detail}", field)


def unsupported(field: str, value: object, supported: list[str]) -> Cause:
    values = ", ".join(quote(v) for v in supported)
    return Cause("FieldValueNotSupported", f"Unsupported value: {quote(value)}: supported values: {values}", field)


def labels_errors(labels: object, field: str) -> list[Cause]:
    if labels is None:
        return []
    if not isinstance(labels, Mapping):
        return [invalid(field, labels, "must be a map of strings")]
    causes = []
    for key, value in labels.items():
        if isinstance(value, str) and key in _valid_label_keys and value in _valid_label_values:
            continue
        key_causes = [invalid(field, key, e) for e in qualified_name_errors(key)]
        if not isinstance(value, str):
            value_causes = [invalid(f"{field}[{key}]", value, "must be a string")]
        else:
            value_causes = [invalid(f"{field}[{key}]", value, e) for e in label_value_errors(value)]
        causes += key_causes + value_causes
        _remember_valid(_valid_label_keys, key, not key_causes)
        _remember_valid(_valid_label_values, value, not value_causes)
    return causes


def _remember_valid(memo: set[str], text: object, valid: bool) -> None:
    if valid and isinstance(text, str):
        if len(memo) >= _VALID_MEMO_SIZE:
            memo.clear()
        memo.add(text)


def annotations_errors(annotations: object, field: str) -> list[Cause]:
    if annotations is None:
        return []
    if not isinstance(annotations, Mapping):
        return [invalid(field, annotations, "must be a map of strings")]
    causes = []
    total = 0
    for key, value in annotations.items():
        causes.extend(invalid(field, key, e) for e in qualified_name_errors(key.lower()))
        if not isinstance(value, str):
            causes.append(invalid(f"{field}[{key}]", value, "must be a string"))
        else:
            total += len(key) + len(value)
    if total > _ANNOTATIONS_MAX_BYTES:
        causes.append(too_long(field, _ANNOTATIONS_MAX_BYTES))
    return causes


def too_long(field: str, limit: int) -> Cause:
    """field.TooLong as upstream words it since 1.30."""
    return Cause("FieldValueTooLong", f"Too long: may not be more than {limit} bytes", field)


def duplicate(field: str, value: object) -> Cause:
    return Cause("FieldValueDuplicate", f"Duplicate value: {quote(value)}", field)


def immutable(field: str, value: object) -> Cause:
    return invalid(field, value, "field is immutable")
