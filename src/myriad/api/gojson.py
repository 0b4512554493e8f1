"""JSON bodies read as Go's encoding/json reads them where orjson is stricter.

Go accepts a string holding bytes that are not UTF-8 and writes U+FFFD for each bad byte; it
writes U+FFFD for a ``\\u`` surrogate escape that is not half of a pair, too. orjson refuses both.
:func:`loads` parses with orjson, and only when that fails rewrites those two cases and parses
again, so a well-formed body costs nothing extra. Errors are orjson's, from the first parse.
"""

from __future__ import annotations

import codecs
import re
from typing import Any

import orjson

_ERRORS = "myriad-go-replace"
#: An escaped backslash (kept, so the escapes after it stay aligned), a high surrogate escape
#: with its low half or alone, or a low surrogate escape alone.
_ESCAPES = re.compile(r"(\\\\)|(\\u[dD][89abAB][0-9a-fA-F]{2})(\\u[dD][c-fC-F][0-9a-fA-F]{2})?"
                      r"|(\\u[dD][c-fC-F][0-9a-fA-F]{2})")


def _per_byte(error: UnicodeError) -> tuple[str, int]:
    """U+FFFD for each bad byte, as Go's utf8.DecodeRune gives (RuneError, 1)."""
    assert isinstance(error, UnicodeDecodeError)
    return "\ufffd" * (error.end - error.start), error.end


codecs.register_error(_ERRORS, _per_byte)


def _escape(match: re.Match[str]) -> str:
    if match.group(1) or match.group(3):
        return match.group(0)
    return "\\ufffd"


def loads(body: bytes | str) -> Any:
    """``body`` decoded; raises orjson.JSONDecodeError for what Go refuses too."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as first:
        text = body.decode("utf-8", _ERRORS) if isinstance(body, bytes) else body
        repaired = _ESCAPES.sub(_escape, text) if "\\u" in text else text
        try:
            return orjson.loads(repaired)
        except orjson.JSONDecodeError:
            raise first from None
