"""JSON Patch, RFC 6902: add, remove, replace, move, copy and test over JSON pointers (RFC 6901).

Bounded as upstream bounds it: at most :data:`MAX_OPERATIONS` operations, and the values copied
may add at most ``copy_limit`` bytes of JSON in all (json-patch's AccumulatedCopySizeLimit, which
kube-apiserver sets to its request body limit), so a patch's time and memory follow the sizes of
the object and the patch, not what a chain of copies could double them into.
"""

from __future__ import annotations

from typing import Any

from myriad.api import gojson
from myriad.api.patch.errors import PatchError, PatchTestFailedError, PatchTooLargeError

#: Upstream's maxJSONPatchOperations.
MAX_OPERATIONS = 10_000


def _tokens(pointer: object) -> list[str]:
    if not isinstance(pointer, str):
        raise PatchError(f"invalid JSON pointer: {pointer!r}")
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        raise PatchError(f'JSON pointer must start with "/": {pointer!r}')
    return [part.replace("~1", "/").replace("~0", "~") for part in pointer[1:].split("/")]


def _index(container: list[Any], token: str, *, allow_end: bool) -> int:
    if token == "-" and allow_end:
        return len(container)
    if not token.isdigit() or (len(token) > 1 and token.startswith("0")):
        raise PatchError(f"invalid array index: {token!r}")
    index = int(token)
    if index > len(container) or (index == len(container) and not allow_end):
        raise PatchError(f"array index out of bounds: {index}")
    return index


def _parent(doc: Any, tokens: list[str], path: str) -> Any:
    node = doc
    for token in tokens[:-1]:
        if isinstance(node, dict):
            if token not in node:
                raise PatchError(f"doc is missing path: \"{path}\": missing value")
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, allow_end=False)]
        else:
            raise PatchError(f"doc is missing path: \"{path}\": missing value")
    return node


def _get(doc: Any, path: str) -> Any:
    node = doc
    for token in _tokens(path):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(node, token, allow_end=False)]
        else:
            raise PatchError(f"doc is missing path: \"{path}\": missing value")
    return node


def _add(doc: Any, path: str, value: Any) -> Any:
    tokens = _tokens(path)
    if not tokens:
        return value
    parent = _parent(doc, tokens, path)
    if isinstance(parent, dict):
        parent[tokens[-1]] = value
    elif isinstance(parent, list):
        parent.insert(_index(parent, tokens[-1], allow_end=True), value)
    else:
        raise PatchError(f"doc is missing path: \"{path}\": missing value")
    return doc


def _remove(doc: Any, path: str) -> Any:
    tokens = _tokens(path)
    if not tokens:
        raise PatchError("cannot remove the whole document")
    parent = _parent(doc, tokens, path)
    if isinstance(parent, dict):
        if tokens[-1] not in parent:
            raise PatchError(f"Unable to remove nonexistent key: {tokens[-1]}: missing value")
        return parent.pop(tokens[-1])
    if isinstance(parent, list):
        return parent.pop(_index(parent, tokens[-1], allow_end=False))
    raise PatchError(f"doc is missing path: \"{path}\": missing value")


def apply_json_patch(doc: Any, operations: Any, *, copy_limit: int | None = None) -> Any:
    """Applies ``operations`` (a decoded JSON array) to a copy of ``doc`` and returns it; the
    ``copy`` operations may add ``copy_limit`` bytes of JSON in all (None: no limit)."""
    if not isinstance(operations, list):
        raise PatchError("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    if len(operations) > MAX_OPERATIONS:
        raise PatchTooLargeError(f"The allowed maximum operations in a JSON patch is {MAX_OPERATIONS}, got "
                                 f"{len(operations)}")
    copied = 0
    result = gojson.clone(doc)
    for operation in operations:
        if not isinstance(operation, dict):
            raise PatchError("invalid JSON Patch operation")
        op = operation.get("op")
        path = operation.get("path")
        if op in ("add", "replace", "test") and "value" not in operation:
            raise PatchError(f"missing value for operation {op!r}")
        if op == "add":
            result = _add(result, path, gojson.clone(operation["value"]))  # type: ignore[arg-type]
        elif op == "remove":
            _remove(result, path)  # type: ignore[arg-type]
        elif op == "replace":
            tokens = _tokens(path)
            if not tokens:
                result = gojson.clone(operation["value"])
                continue
            _get(result, path)  # type: ignore[arg-type]
            parent = _parent(result, tokens, path)  # type: ignore[arg-type]
            if isinstance(parent, list):
                parent[_index(parent, tokens[-1], allow_end=False)] = gojson.clone(operation["value"])
            else:
                parent[tokens[-1]] = gojson.clone(operation["value"])
        elif op in ("move", "copy"):
            source = operation.get("from")
            value = _get(result, source)  # type: ignore[arg-type]
            if op == "move":
                if isinstance(path, str) and isinstance(source, str) and path.startswith(source + "/"):
                    raise PatchError("a value cannot be moved into one of its children")
                _remove(result, source)  # type: ignore[arg-type]
            else:
                if copy_limit is not None:
                    copied += len(gojson.dumps(value))
                    if copied > copy_limit:
                        raise PatchError(f"Unable to complete the copy, the accumulated size increase of copy is "
                                         f"{copied}, exceeding the limit {copy_limit}")
                value = gojson.clone(value)
            result = _add(result, path, value)  # type: ignore[arg-type]
        elif op == "test":
            if _get(result, path) != operation["value"]:  # type: ignore[arg-type]
                raise PatchTestFailedError(f"testing value {path} failed: test failed")
        else:
            raise PatchError(f"Unexpected kind: {op}")
    return result
