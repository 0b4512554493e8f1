"""ConfigMaps and Secrets: key names, size, immutability and typed Secrets, as upstream's
ValidateConfigMap and ValidateSecret check them; a Secret's ``stringData`` is merged into
``data`` (base64, ``stringData`` winning) and never stored, and its type defaults to Opaque, as
upstream's conversion and defaults do."""

from __future__ import annotations

import base64
import binascii
import re

import orjson

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy

#: api.MaxSecretSize: the most a ConfigMap's or Secret's values may hold together.
MAX_SIZE = 1024 * 1024
_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_KEY_MAX = 253
#: Keys each Secret type needs: all of them ("all") or at least one ("any").
_TYPED_KEYS: dict[str, tuple[str, tuple[str, ...]]] = {
    "kubernetes.io/tls": ("all", ("tls.crt", "tls.key")),
    "kubernetes.io/basic-auth": ("any", ("username", "password")),
}
#: Secret types whose one key must hold a JSON object.
_JSON_KEYS = {"kubernetes.io/dockercfg": ".dockercfg", "kubernetes.io/dockerconfigjson": ".dockerconfigjson"}


def key_errors(key: str) -> list[str]:
    """Upstream's IsConfigMapKey."""
    errors = []
    if len(key) > _KEY_MAX:
        errors.append(f"must be no more than {_KEY_MAX} characters")
    if not _KEY.fullmatch(key):
        errors.append("a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name', "
                      " or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')")
    if key in (".", ".."):
        errors.append(f"must not be '{key}'")
    elif key.startswith(".."):
        errors.append("must not start with '..'")
    return errors


def _keys(values: object, field: str) -> list[Cause]:
    if not isinstance(values, dict):
        return []
    return [meta.invalid(f"{field}[{key}]", key, error) for key in values for error in key_errors(key)]


def _size(values: object, *, encoded: bool) -> int:
    if not isinstance(values, dict):
        return 0
    if encoded:  # base64 text: the decoded length, without decoding
        return sum(len(v) * 3 // 4 - v.count("=", -2) for v in values.values() if isinstance(v, str))
    return sum(len(v.encode()) for v in values.values() if isinstance(v, str))


def _immutable_errors(new: Obj, old: Obj, fields: tuple[str, ...]) -> list[Cause]:
    """Once ``immutable`` is true, neither it nor the data may change."""
    if old.get("immutable") is not True:
        return []
    causes = []
    if new.get("immutable") is not True:
        causes.append(meta.forbidden("immutable", "field is immutable when `immutable` is set"))
    causes += [meta.forbidden(field, "field is immutable when `immutable` is set") for field in fields
               if (new.get(field) or {}) != (old.get(field) or {})]
    return causes


class ConfigMapStrategy(GenericStrategy):
    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        data, binary = obj.get("data"), obj.get("binaryData")
        causes += _keys(data, "data")
        if isinstance(data, dict) and isinstance(binary, dict):
            causes += [meta.invalid(f"data[{key}]", key, "duplicate of key present in binaryData")
                       for key in data if key in binary]
        causes += _keys(binary, "binaryData")
        if _size(data, encoded=False) + _size(binary, encoded=True) > MAX_SIZE:
            causes.append(meta.too_long("[]", MAX_SIZE))  # Go prints the empty path as "[]"
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return _immutable_errors(new, old, ("data", "binaryData")) + self.validate(new)


class SecretStrategy(GenericStrategy):
    def default(self, obj: Obj) -> None:
        string_data = obj.pop("stringData", None)
        if isinstance(string_data, dict) and string_data:
            data = obj.get("data")
            if not isinstance(data, dict):
                data = obj["data"] = {}
            for key, value in string_data.items():
                if isinstance(value, str):
                    data[key] = base64.b64encode(value.encode()).decode()
        if not obj.get("type"):
            obj["type"] = "Opaque"

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        data = obj.get("data") if isinstance(obj.get("data"), dict) else {}
        causes += _keys(data, "data")
        if _size(data, encoded=True) > MAX_SIZE:
            causes.append(meta.too_long("data", MAX_SIZE))
        return causes + _type_errors(obj, data)  # type: ignore[arg-type]

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = [meta.immutable("type", new.get("type"))] if new.get("type") != old.get("type") else []
        return causes + _immutable_errors(new, old, ("data",)) + self.validate(new)


def _type_errors(obj: Obj, data: dict[str, object]) -> list[Cause]:
    """What each Secret type requires of its data (upstream's ValidateSecret)."""
    kind = obj.get("type")
    if kind == "kubernetes.io/service-account-token":
        annotations = (obj.get("metadata") or {}).get("annotations") or {}  # type: ignore[union-attr]
        if not annotations.get("kubernetes.io/service-account.name"):
            return [meta.required("metadata.annotations[kubernetes.io/service-account.name]")]
        return []
    if kind == "kubernetes.io/ssh-auth":
        return [] if data.get("ssh-privatekey") else [meta.required("data[ssh-privatekey]")]
    if kind in _JSON_KEYS:
        key = _JSON_KEYS[kind]  # type: ignore[index]
        if key not in data:
            return [meta.required(f"data[{key}]")]
        error = _json_object_error(data[key])
        return [] if error is None else [meta.invalid(f"data[{key}]", "<secret contents redacted>", error)]
    rule = _TYPED_KEYS.get(kind)  # type: ignore[arg-type]
    if rule is None:
        return []
    how, keys = rule
    missing = [key for key in keys if key not in data]
    if how == "any" and len(missing) < len(keys):
        return []
    return [meta.required(f"data[{key}]") for key in missing]


def _json_object_error(value: object) -> str | None:
    """Go's error unmarshalling the (base64) value into a map, or None."""
    try:
        decoded = orjson.loads(base64.b64decode(str(value)))
    except (binascii.Error, ValueError):
        return "invalid character looking for beginning of value"
    if decoded is not None and not isinstance(decoded, dict):
        kind = {list: "array", str: "string", bool: "bool"}.get(type(decoded), "number")
        return f"json: cannot unmarshal {kind} into Go value of type map[string]interface {{}}"
    return None
