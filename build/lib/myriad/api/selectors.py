"""Label and field selectors in the query-string syntax of ``labelSelector`` and ``fieldSelector``.

Label selectors: ``k=v``, ``k==v``, ``k!=v``, ``k in (a,b)``, ``k notin (a,b)``, ``k``, ``!k``,
``k>N``, ``k<N``, comma-separated and ANDed. Field selectors: ``f=v``, ``f==v``, ``f!=v``, comma
separated, with ``\\`` escaping ``,``, ``=`` and ``!`` in values. Parsing errors raise
:class:`SelectorError`; the API server turns them into 400 BadRequest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from myriad.api.meta import label_value_errors, qualified_name_errors


class SelectorError(ValueError):
    """A selector that does not parse; the message is shown to the client."""


@dataclass(frozen=True, slots=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!", ">", "<"
    values: tuple[str, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        op = self.op
        if op == "exists":
            return self.key in labels
        if op == "!":
            return self.key not in labels
        value = labels.get(self.key)
        if op in ("=", "in"):
            return value is not None and value in self.values
        if op in ("!=", "notin"):
            return value is None or value not in self.values
        if value is None:
            return False
        try:
            number = int(value)
        except ValueError:
            return False
        bound = int(self.values[0])
        return number > bound if op == ">" else number < bound


@dataclass(frozen=True, slots=True)
class LabelSelector:
    requirements: tuple[Requirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        labels = labels or {}
        return all(r.matches(labels) for r in self.requirements)

    def exact(self, key: str) -> str | None:
        """The single value ``key`` must equal, when the selector pins it (index lookups)."""
        for r in self.requirements:
            if r.key == key and r.op in ("=", "in") and len(r.values) == 1:
                return r.values[0]
        return None


_TOKEN = re.compile(r"\s*(!=|==|=|!|\(|\)|,|>|<|[^\s!=(),<>]+)")


def parse_label_selector(text: str | None) -> LabelSelector:
    if not text or not text.strip():
        return LabelSelector()
    tokens = _tokenize(text)
    requirements: list[Requirement] = []
    i = 0

    def expect_value(j: int) -> tuple[str, int]:
        if j < len(tokens) and tokens[j] not in ("(", ")", ",", "=", "==", "!=", "!", ">", "<"):
            return tokens[j], j + 1
        return "", j

    while i < len(tokens):
        if tokens[i] == "!":
            if i + 1 >= len(tokens):
                raise SelectorError(f"unable to parse requirement: found '', expected: identifier in {text!r}")
            key = _check_key(tokens[i + 1])
            requirements.append(Requirement(key, "!"))
            i += 2
        else:
            key = _check_key(tokens[i])
            i += 1
            if i >= len(tokens) or tokens[i] == ",":
                requirements.append(Requirement(key, "exists"))
            elif tokens[i] in ("=", "==", "!="):
                op = "!=" if tokens[i] == "!=" else "="
                value, i = expect_value(i + 1)
                requirements.append(Requirement(key, op, (_check_value(value),)))
            elif tokens[i] in (">", "<"):
                op = tokens[i]
                value, i = expect_value(i + 1)
                if not re.fullmatch(r"-?\d+", value):
                    raise SelectorError(f"unable to parse requirement: for '{op}', '{value}' must be an integer")
                requirements.append(Requirement(key, op, (value,)))
            elif tokens[i] in ("in", "notin"):
                op = tokens[i]
                i += 1
                if i >= len(tokens) or tokens[i] != "(":
                    raise SelectorError(f"unable to parse requirement: found '{tokens[i] if i < len(tokens) else ''}'"
                                        ", expected: '('")
                i += 1
                values: list[str] = []
                while i < len(tokens) and tokens[i] != ")":
                    if tokens[i] == ",":
                        i += 1
                        continue
                    values.append(_check_value(tokens[i]))
                    i += 1
                if i >= len(tokens):
                    raise SelectorError("unable to parse requirement: found '', expected: ')'")
                i += 1
                requirements.append(Requirement(key, op, tuple(sorted(set(values)))))
            else:
                raise SelectorError(f"unable to parse requirement: found '{tokens[i]}', expected: "
                                    "'=', '!=', '==', 'in', notin'")
        if i < len(tokens):
            if tokens[i] != ",":
                raise SelectorError(f"found '{tokens[i]}', expected: ',' or 'end of string'")
            i += 1
    return LabelSelector(tuple(requirements))


_OPERATORS = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}


def selector_from_object(selector: object) -> LabelSelector:
    """A metav1.LabelSelector (``matchLabels`` and ``matchExpressions``) as a :class:`LabelSelector`,
    requirements sorted by key as upstream's ``LabelSelectorAsSelector``. An empty selector
    matches everything; the caller decides what a missing one means."""
    if selector is None:
        return LabelSelector()
    if not isinstance(selector, dict):
        raise SelectorError("a label selector must be an object")
    requirements = []
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict):
        raise SelectorError("matchLabels must be an object")
    for key, value in match_labels.items():
        requirements.append(Requirement(_check_key(key), "=", (_check_value(str(value)),)))
    expressions = selector.get("matchExpressions") or []
    if not isinstance(expressions, list):
        raise SelectorError("matchExpressions must be a list")
    for expression in expressions:
        if not isinstance(expression, dict):
            raise SelectorError("a matchExpressions entry must be an object")
        key, operator = str(expression.get("key", "")), expression.get("operator")
        op = _OPERATORS.get(operator)  # type: ignore[arg-type]
        if op is None:
            raise SelectorError(f'"{operator}" is not a valid label selector operator')
        values = tuple(sorted(_check_value(str(v)) for v in expression.get("values") or []))
        if op in ("in", "notin") and not values:
            raise SelectorError("for 'in', 'notin' operators, values set can't be empty")
        if op in ("exists", "!") and values:
            raise SelectorError("values set must be empty for exists and does not exist")
        requirements.append(Requirement(_check_key(key), op, values))
    requirements.sort(key=lambda r: r.key)
    return LabelSelector(tuple(requirements))


def label_selector_string(selector: object) -> str:
    """The query-string form of a metav1.LabelSelector (``app=web,tier in (a,b)``), as the scale
    subresource's ``status.selector`` and the printers show it; raises SelectorError."""
    parts = []
    for r in selector_from_object(selector).requirements:
        if r.op == "=":
            parts.append(f"{r.key}={r.values[0]}")
        elif r.op in ("in", "notin"):
            parts.append(f"{r.key} {r.op} ({','.join(r.values)})")
        elif r.op == "exists":
            parts.append(r.key)
        else:
            parts.append(f"!{r.key}")
    return ",".join(parts)


def _tokenize(text: str) -> list[str]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            if text[position:].strip():
                raise SelectorError(f"unable to parse selector {text!r}")
            break
        tokens.append(match.group(1))
        position = match.end()
    return tokens


def _check_key(key: str) -> str:
    errors = qualified_name_errors(key)
    if errors:
        raise SelectorError(f"unable to parse requirement: invalid label key \"{key}\": {'; '.join(errors)}")
    return key


def _check_value(value: str) -> str:
    errors = label_value_errors(value)
    if errors:
        raise SelectorError(f"unable to parse requirement: invalid label value: \"{value}\": at key: "
                            f"{'; '.join(errors)}")
    return value


@dataclass(frozen=True, slots=True)
class FieldRequirement:
    field: str
    value: str
    negate: bool


@dataclass(frozen=True, slots=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.requirements

    def matches(self, fields: Callable[[str], str | None]) -> bool:
        for r in self.requirements:
            value = fields(r.field)
            value = "" if value is None else value
            if (value == r.value) == r.negate:
                return False
        return True

    def exact(self, field: str) -> str | None:
        for r in self.requirements:
            if r.field == field and not r.negate:
                return r.value
        return None

    @property
    def fields(self) -> set[str]:
        return {r.field for r in self.requirements}


def parse_field_selector(text: str | None) -> FieldSelector:
    if not text or not text.strip():
        return FieldSelector()
    requirements = []
    for term in _split_unescaped(text, ","):
        if not term.strip():
            continue
        for op in ("!=", "==", "="):
            index = _find_unescaped(term, op)
            if index >= 0:
                field = term[:index].strip()
                value = _unescape(term[index + len(op):])
                if not field:
                    raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
                requirements.append(FieldRequirement(field, value, op == "!="))
                break
        else:
            raise SelectorError(f"invalid selector: '{text}'; can't understand '{term}'")
    return FieldSelector(tuple(requirements))


def _split_unescaped(text: str, separator: str) -> list[str]:
    parts, current, escaped = [], [], False
    for ch in text:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _find_unescaped(term: str, op: str) -> int:
    i = 0
    while i < len(term):
        if term[i] == "\\":
            i += 2
            continue
        if term.startswith(op, i):
            if op == "=" and i > 0 and term[i - 1] == "!":
                i += 1
                continue
            return i
        i += 1
    return -1


def _unescape(value: str) -> str:
    out, escaped = [], False
    for ch in value:
        if escaped:
            out.append(ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(ch)
    return "".join(out)
