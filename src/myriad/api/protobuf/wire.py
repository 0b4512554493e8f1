"""The protobuf wire format: fields of one message as ``(number, wire type, value)``.

Varints come back as unsigned integers (callers apply two's complement or zigzag as the field's
type says), 32- and 64-bit fields as their raw 4 or 8 bytes, length-delimited fields as bytes.
Groups (wire types 3 and 4) are not used by Kubernetes and are refused.
"""

from __future__ import annotations

from collections.abc import Iterator

VARINT, FIXED64, LENGTH, FIXED32 = 0, 1, 2, 5


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(data: bytes, pos: int) -> tuple[int, int]:
    """The varint at ``pos`` and the position after it."""
    result = shift = 0
    while True:
        if pos >= len(data):
            raise WireError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7
        if shift > 63:
            raise WireError("varint longer than 10 bytes")


def fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """The fields of one message, in the order they appear."""
    pos, end = 0, len(data)
    while pos < end:
        key, pos = read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        if wire == VARINT:
            value, pos = read_varint(data, pos)
            yield number, wire, value
        elif wire == LENGTH:
            length, pos = read_varint(data, pos)
            if pos + length > end:
                raise WireError(f"field {number} runs past the end of the message")
            yield number, wire, data[pos:pos + length]
            pos += length
        elif wire in (FIXED64, FIXED32):
            size = 8 if wire == FIXED64 else 4
            if pos + size > end:
                raise WireError(f"field {number} runs past the end of the message")
            yield number, wire, data[pos:pos + size]
            pos += size
        else:
            raise WireError(f"unsupported wire type {wire} for field {number}")


def signed(value: int, bits: int) -> int:
    """A varint read as a two's-complement ``bits``-bit integer (int32 and int64 fields)."""
    value &= (1 << 64) - 1
    if value >= 1 << 63:
        value -= 1 << 64
    if bits == 32:
        value = ((value + (1 << 31)) % (1 << 32)) - (1 << 31)
    return value


def zigzag(value: int) -> int:
    """A varint read as a zigzag-encoded integer (sint32 and sint64 fields)."""
    return (value >> 1) ^ -(value & 1)
