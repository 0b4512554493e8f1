"""YAML bodies, read and written as kube-apiserver's ``sigs.k8s.io/yaml`` does: a YAML document
is converted to the JSON value it denotes, and an answer is the JSON value written as YAML with
its keys sorted.

Go's YAML decoder (yaml.v2) leaves timestamps as strings, and refuses a document whose aliases
would expand it out of all proportion to its size (a "billion laughs"); :func:`loads` does the
same, before anything is expanded. libyaml does the parsing where it is installed. It refuses
more than :data:`MAX_DEPTH` levels of nesting, where Go reads JSON 10,000 deep; PyYAML's own
parser, which could go deeper, takes time quadratic in the depth (18 s for 10,000 levels), so
the same limit holds without libyaml too.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
#: Levels of nesting a document may have (libyaml's own limit).
MAX_DEPTH = 1000
#: A document may expand to this many nodes whatever its aliases...
EXPANSION_FLOOR = 1_000_000
#: ...and beyond that, to at most this many times the nodes it holds.
EXPANSION_RATIO = 10


class YAMLError(ValueError):
    """The body is not YAML, or not YAML a JSON value can come from; the message is shown to the client."""


def _without_timestamps(base: type) -> type:
    """``base`` (a safe loader) without the timestamp resolver: a date stays the string it was
    written as."""
    resolvers = {first: [(tag, regexp) for tag, regexp in found if tag != "tag:yaml.org,2002:timestamp"]
                 for first, found in base.yaml_implicit_resolvers.items()}  # type: ignore[attr-defined]
    return type(f"JSON{base.__name__}", (base,), {"yaml_implicit_resolvers": resolvers})


_JSONLoader = _without_timestamps(_Loader)


def loads(body: bytes) -> Any:
    """The JSON value ``body`` denotes (None for an empty document)."""
    try:
        value = _load(_JSONLoader, body)
    except yaml.YAMLError as exc:
        raise YAMLError(f"error converting YAML to JSON: yaml: {_problem(exc)}") from exc
    _check_keys(value)
    return value


def _load(loader_type: type, body: bytes) -> Any:
    loader = loader_type(body)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def duplicate_keys(body: bytes) -> list[str]:
    """What yaml.v2's strict decoding says of ``body``'s keys given twice in one mapping:
    ``line N: key "k" already set in map`` for each repeat, in document order; none for a body
    that gives none, or that does not parse (:func:`loads` says why)."""
    loader = _JSONLoader(body)
    try:
        root = loader.get_single_node()
    except yaml.YAMLError:
        return []
    finally:
        loader.dispose()
    found: list[tuple[int, int, str]] = []
    seen: set[int] = set()
    stack = [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:  # an alias: the node it names, met again
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode):
                    if (key.tag, key.value) in keys:
                        mark = key.start_mark
                        found.append((mark.line, mark.column, f"line {mark.line + 1}: key {_go_quoted(key)} "
                                                              f"already set in map"))
                    keys.add((key.tag, key.value))
        stack.extend(_children(node))
    return [text for _, _, text in sorted(found)]


def _go_quoted(key: yaml.ScalarNode) -> str:
    """The key as Go's ``%#v`` prints it: a string quoted, a number or boolean bare."""
    if key.tag.rsplit(":", 1)[-1] in ("int", "float", "bool"):
        return key.value
    return json.dumps(key.value, ensure_ascii=False)


def dumps(value: Any) -> bytes:
    """``value`` as YAML: block style, keys sorted, as sigs.k8s.io/yaml writes it."""
    return yaml.dump(value, Dumper=_Dumper, default_flow_style=False, sort_keys=True, allow_unicode=True,
                     width=2**31 - 1).encode()


def _problem(exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    return f"line {mark.line + 1}: {problem}" if mark is not None else problem


def _check_expansion(root: yaml.Node) -> None:
    """Walks the composed nodes without expanding aliases (an alias is the node it names, met
    again): refuses more than MAX_DEPTH levels, and an expansion past the allowance."""
    expanded: dict[int, int] = {}  # node id -> nodes it expands to
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            raise yaml.YAMLError("exceeded maximum nesting depth")
        key = id(node)
        children = _children(node)
        if done:
            expanded[key] = 1 + sum(expanded[id(child)] for child in children)
            continue
        if key in expanded:
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in expanded)
    total = expanded[id(root)]
    if total > max(EXPANSION_FLOOR, EXPANSION_RATIO * len(expanded)):
        raise yaml.YAMLError("document contains excessive aliasing")


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_keys(value: Any) -> None:
    """JSON object keys are strings: yaml.v2 converts numbers and booleans to their text, and
    refuses anything else."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key in list(item):
                if not isinstance(key, str):
                    if isinstance(key, (dict, list, tuple)) or key is None:
                        raise YAMLError(f"error converting YAML to JSON: yaml: invalid map key: {key!r}")
                    item[_key_text(key)] = item.pop(key)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float) and key.is_integer():
        return str(int(key))
    return str(key)
