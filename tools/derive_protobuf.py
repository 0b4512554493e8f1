"""Derives the message table of ``src/myriad/api/protobuf/schema.json`` from kubectl's type
descriptors (see ``derive_gotypes.py`` for how they are read).

Every Go field of a built-in type carries its protobuf tag (``protobuf:"bytes,2,opt,name=
volumeSource"``): the field number, wire type, repetition and protobuf name. With the Go type
that gives the table entry ``number → [name, kind, type, repeated]``, as ``generated.proto``
would. Messages kubectl does not link (apiextensions) and those whose protobuf form is not
their Go layout (Time, Quantity, IntOrString, runtime.Unknown…) are kept as the committed table
has them.

    python tools/derive_protobuf.py .venv/bin/kubectl > /tmp/schema.json && mv /tmp/schema.json \\
        src/myriad/api/protobuf/schema.json
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).parent))
from derive_gotypes import Binary, Types  # noqa: E402

SCHEMA = Path(__file__).parents[1] / "src" / "myriad" / "api" / "protobuf" / "schema.json"
_PROTOBUF_TAG = re.compile(r'(?:^| )protobuf:"([^"]*)"')
#: Packages whose structs are messages laid out as their Go fields.
_PACKAGES = ("k8s.io/api/", "k8s.io/apimachinery/pkg/apis/meta/v1")
_SCALARS = {"bool": "bool", "int32": "int32", "int64": "int64", "uint32": "uint32", "uint64": "uint64",
            "float64": "double", "float32": "float", "string": "string", "int": "int64"}


def message_name(info: dict[str, Any]) -> str:
    """``k8s.io/api/core/v1`` ``v1.Volume`` → ``k8s.io.api.core.v1.Volume``."""
    return info["pkg"].replace("/", ".").replace("-", "_") + "." + info["name"].rsplit(".", 1)[-1]


class Table:
    def __init__(self, types: Types) -> None:
        self.types = types
        self.messages: dict[str, dict[str, list[Any]]] = {}

    def _deref(self, addr: int) -> dict[str, Any]:
        info = self.types.seen[addr]
        while info["kind"] == "ptr":
            info = self.types.seen[info["elem"]]
        return info

    def kind_of(self, info: dict[str, Any]) -> tuple[str, Any]:
        """A protobuf kind and type for a (non-repeated) Go value."""
        if info["kind"] == "struct":
            return "message", message_name(info)
        if info["kind"] == "slice" and self.types.seen[info["elem"]]["kind"] == "uint8":
            return "bytes", None
        if info["kind"] == "slice" and info["pkg"]:  # a named slice (Verbs, ExtraValue): a message of its items
            name = message_name(info)
            item_kind, item_type = self.kind_of(self._deref(info["elem"]))
            self.messages[name] = {"1": ["items", item_kind, item_type, True]}
            return "message", name
        return _SCALARS[info["kind"]], None

    def add(self, info: dict[str, Any]) -> None:
        name = message_name(info)
        fields: dict[str, list[Any]] = {}
        for field_name, tag, _embedded, type_at in info["fields"]:
            match = _PROTOBUF_TAG.search(tag)
            if match is None or match.group(1) == "-":
                continue
            parts = match.group(1).split(",")
            number = parts[1]
            proto_name = next((p[5:] for p in parts if p.startswith("name=")), field_name[:1].lower() + field_name[1:])
            value = self._deref(type_at)
            if value["kind"] == "map":
                key_kind, _ = self.kind_of(self._deref(value["key"]))
                value_kind, value_type = self.kind_of(self._deref(value["elem"]))
                fields[number] = [proto_name, "map", [key_kind, value_type or value_kind], False]
                continue
            elem = self.types.seen[value["elem"]] if value["kind"] == "slice" else None
            repeated = elem is not None and not value["pkg"] and elem["kind"] != "uint8"
            if repeated:
                value = self._deref(value["elem"])
            kind, type_ = self.kind_of(value)
            fields[number] = [proto_name, kind, type_, repeated]
        self.messages[name] = dict(sorted(fields.items(), key=lambda item: int(item[0])))


def derive(kubectl: Path, committed: dict[str, Any]) -> dict[str, Any]:
    types = Types(Binary(kubectl.read_bytes()))
    table = Table(types)
    for info in types.seen.values():
        if info["kind"] == "struct" and info["pkg"].startswith(_PACKAGES) and "/unstructured" not in info["pkg"]:
            table.add(info)
    kept = committed["messages"]
    special = {name for name in kept if name.startswith(("k8s.io.apiextensions_apiserver", "k8s.io.apimachinery.pkg."))
               and not name.startswith("k8s.io.apimachinery.pkg.apis.meta.v1.")} | \
        {f"k8s.io.apimachinery.pkg.apis.meta.v1.{n}" for n in ("Time", "MicroTime", "Duration", "FieldsV1")}
    messages = {name: fields for name, fields in table.messages.items() if name not in special}
    messages.update({name: kept[name] for name in special if name in kept})
    proto = committed["source"].get("generated.proto", committed["source"])
    kept_files = {key: {path: value for path, value in proto[key].items() if "/k8s.io/api/" not in path}
                  for key in ("files", "file_repos") if key in proto}
    source = {"kubectl": _version(kubectl), "generated.proto": {**proto, **kept_files}}
    return {"source": source, "messages": dict(sorted(messages.items()))}


def _version(kubectl: Path) -> str:
    import subprocess

    out = subprocess.run([str(kubectl), "version", "--client", "-o", "json"], capture_output=True, check=True).stdout
    client = orjson.loads(out)["clientVersion"]
    return f"kubectl {client['gitVersion']} ({client['goVersion']}) type descriptors: every message but " \
           "apiextensions' and apimachinery's own (Time, Quantity, IntOrString, runtime), which come from the " \
           "generated.proto files below"


if __name__ == "__main__":
    committed = orjson.loads(SCHEMA.read_bytes())
    sys.stdout.buffer.write(orjson.dumps(derive(Path(sys.argv[1]), committed)))
