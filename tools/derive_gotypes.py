"""Derives ``src/myriad/api/gotypes.json`` from the type descriptors in a kubectl binary.

Go keeps every type's layout in its binaries for ``reflect``: struct fields with their names,
types and tags. kubectl links every built-in API type (client-go's scheme), so its binary says,
for the Kubernetes release it was built from, what the OpenAPI schemas do not: which fields are
pointers, which are ``omitempty`` or ``omitzero``, and which are embedded inline. The API server
needs that to encode a decoded object as Go's JSON encoder would (see ``myriad.api.gotypes``).

    python tools/derive_gotypes.py .venv/bin/kubectl > src/myriad/api/gotypes.json

It reads the ELF section table, the ``.typelink`` offsets, and from them the ``abi.Type``
descriptors (Go 1.21 and later, amd64), following element and field types to every struct
reachable. Only structs whose OpenAPI name (``io.k8s.api.core.v1.Pod``) the bundled schemas
define are written. ``tests/api/test_gotypes.py`` derives the table again from the kubectl the
tests install and checks it is the committed one.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson

# abi.Kind values (the low five bits of abi.Type.Kind_).
_KINDS = {1: "bool", 2: "int", 3: "int8", 4: "int16", 5: "int32", 6: "int64", 7: "uint", 8: "uint8", 9: "uint16",
          10: "uint32", 11: "uint64", 12: "uintptr", 13: "float32", 14: "float64", 17: "array", 18: "chan",
          19: "func", 20: "interface", 21: "map", 22: "ptr", 23: "slice", 24: "string", 25: "struct"}
_TFLAG_UNCOMMON, _TFLAG_EXTRA_STAR = 1, 2
#: Bytes of the kind-specific part after the 48-byte abi.Type header, where an UncommonType follows.
_EXTRA = {"ptr": 8, "slice": 8, "array": 24, "struct": 32}
_JSON_TAG = re.compile(r'(?:^| )json:"([^"]*)"')


class Binary:
    def __init__(self, data: bytes) -> None:
        self.data = data
        shoff, = struct.unpack_from("<Q", data, 0x28)
        entsize, count, names_index = struct.unpack_from("<HHH", data, 0x3A)
        headers = [struct.unpack_from("<IIQQQQ", data, shoff + i * entsize) for i in range(count)]
        names_at = headers[names_index][4]
        self.sections: dict[str, tuple[int, int, int]] = {}
        for name, _type, _flags, addr, offset, size in headers:
            start = names_at + name
            self.sections[data[start:data.index(b"\0", start)].decode()] = (addr, offset, size)
        self.base = self.sections[".rodata"][0]

    def read(self, addr: int, size: int) -> bytes:
        for start, offset, length in self.sections.values():
            if start and start <= addr < start + length:
                return self.data[offset + addr - start:offset + addr - start + size]
        raise KeyError(f"address {addr:#x} is in no section")

    def word(self, addr: int) -> int:
        return struct.unpack("<Q", self.read(addr, 8))[0]

    def varint(self, addr: int) -> tuple[int, int]:
        value = shift = 0
        while True:
            byte = self.read(addr, 1)[0]
            addr += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value, addr

    def name(self, addr: int) -> tuple[str, str, bool]:
        """An abi.Name: its text, its tag and whether it names an embedded field."""
        flags = self.read(addr, 1)[0]
        length, at = self.varint(addr + 1)
        text = self.read(at, length).decode()
        tag = ""
        if flags & 2:
            tag_length, at = self.varint(at + length)
            tag = self.read(at, tag_length).decode()
        return text, tag, bool(flags & 8)

    def typelinks(self) -> list[int]:
        _addr, offset, size = self.sections[".typelink"]
        return [self.base + o for o in struct.unpack_from(f"<{size // 4}i", self.data, offset)]


class Types:
    """Every type reachable from the typelinks, as dicts: kind, name, pkg, elem/key, fields."""

    def __init__(self, binary: Binary) -> None:
        self.binary = binary
        self.seen: dict[int, dict[str, Any]] = {}
        pending = binary.typelinks()
        while pending:
            pending.extend(self._read(pending.pop()))

    def _read(self, addr: int) -> list[int]:
        if addr in self.seen:
            return []
        b = self.binary
        tflag, kind, name_off = struct.unpack_from("<20xBxxB16xi", b.read(addr, 48))
        kind_name = _KINDS.get(kind & 0x1F, "other")
        text = b.name(self.binary.base + name_off)[0]
        info: dict[str, Any] = {"kind": kind_name, "name": text[1:] if tflag & _TFLAG_EXTRA_STAR else text, "pkg": ""}
        self.seen[addr] = info
        if tflag & _TFLAG_UNCOMMON and kind_name in _EXTRA:
            pkg_off, = struct.unpack("<i", b.read(addr + 48 + _EXTRA[kind_name], 4))
            if pkg_off:
                info["pkg"] = b.name(b.base + pkg_off)[0]
        more: list[int] = []
        if kind_name in ("ptr", "slice", "array"):
            info["elem"] = b.word(addr + 48)
            more.append(info["elem"])
        elif kind_name == "map":
            info["key"], info["elem"] = b.word(addr + 48), b.word(addr + 56)
            more += [info["key"], info["elem"]]
        elif kind_name == "struct":
            fields_at, count = b.word(addr + 56), b.word(addr + 64)
            info["fields"] = []
            for i in range(count):
                name_at, type_at, _offset = struct.unpack("<QQQ", b.read(fields_at + 24 * i, 24))
                info["fields"].append((*b.name(name_at), type_at))
                more.append(type_at)
        return more

    def openapi_name(self, info: dict[str, Any]) -> str:
        """``k8s.io/api/core/v1`` ``v1.Pod`` → ``io.k8s.api.core.v1.Pod``."""
        host, _, rest = info["pkg"].partition("/")
        return ".".join([*reversed(host.split(".")), *rest.split("/"), info["name"].rsplit(".", 1)[-1]])

    def describe(self, addr: int) -> str:
        """A field type as the table writes it: ``string``, ``int32``, ``*int32``, ``[]…``,
        ``map[string]…``, or a struct's OpenAPI name."""
        info = self.seen[addr]
        kind = info["kind"]
        if kind == "ptr":
            return "*" + self.describe(info["elem"])
        if kind == "slice":
            return "[]" + self.describe(info["elem"])
        if kind == "map":
            return f"map[{self.describe(info['key'])}]{self.describe(info['elem'])}"
        if kind == "struct" and info["pkg"]:
            return self.openapi_name(info)
        return kind


def derive(kubectl: Path, known: set[str]) -> dict[str, Any]:
    """The table of every struct in ``known``, and of the structs they embed inline (which the
    OpenAPI schemas fold into their parents and so do not name)."""
    types = Types(Binary(kubectl.read_bytes()))
    structs = {types.openapi_name(info): info for info in types.seen.values()
               if info["kind"] == "struct" and info["pkg"]}
    table: dict[str, list[list[str]]] = {}
    pending = sorted(known & set(structs))
    while pending:
        name = pending.pop()
        if name in table:
            continue
        info = structs[name]
        fields = []
        for field_name, tag, embedded, type_at in info["fields"]:
            match = _JSON_TAG.search(tag)
            parts = match.group(1).split(",") if match else [field_name]
            if parts[0] == "-" or field_name == "TypeMeta":
                continue
            json_name = parts[0] or ("" if embedded else field_name)
            flags = ("i" if embedded and not json_name else "") + ("o" if "omitempty" in parts[1:] else "") + \
                ("z" if "omitzero" in parts[1:] else "")
            fields.append([json_name, flags, types.describe(type_at)])
            if "i" in flags:
                pending.append(types.describe(type_at))
        table[name] = fields
    version = subprocess.run([str(kubectl), "version", "--client", "-o", "json"], capture_output=True,
                             check=True).stdout
    client = orjson.loads(version)["clientVersion"]
    return {"source": f"kubectl {client['gitVersion']} ({client['goVersion']})",
            "types": dict(sorted(table.items()))}


def render(table: dict[str, Any]) -> bytes:
    """The table as committed: one type per line, so a new release's changes read as a diff."""
    lines = [b'{"source": %s, "types": {' % orjson.dumps(table["source"])]
    types = table["types"]
    lines += [b"%s: %s%s" % (orjson.dumps(name), orjson.dumps(fields), b"," if i < len(types) - 1 else b"")
              for i, (name, fields) in enumerate(types.items())]
    return b"\n".join([*lines, b"}}", b""])


def main() -> None:
    from myriad.api.schemas import definitions

    known = {name for name, schema in definitions().items() if "properties" in schema}
    sys.stdout.buffer.write(render(derive(Path(sys.argv[1]), known)))


if __name__ == "__main__":
    main()
