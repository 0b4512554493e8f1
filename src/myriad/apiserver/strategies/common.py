"""Small pieces the per-kind strategies share: reading decoded bodies defensively, Go's ``%#v``
rendering of the values upstream puts in a few messages, and upstream's shared name and label
selector checks."""

from __future__ import annotations

import re

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.api.selectors import SelectorError, selector_from_object
from myriad.apiserver.rest.interfaces import Obj

#: How ``field.Invalid`` words a value it is given as a nil pointer or nil interface.
NULL = "null"


def as_dict(value: object) -> dict[str, object]:
    """``value`` when it is a JSON object, else an empty dict (for reading only)."""
    return value if isinstance(value, dict) else {}


def dicts(value: object) -> list[dict[str, object]]:
    """The JSON objects of a JSON array (other items skipped), or ``[]``."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def strings(value: object) -> list[str]:
    """The strings of a JSON array, or ``[]``."""
    return [item for item in value if isinstance(item, str)] if isinstance(value, list) else []


def spec_of(obj: Obj | None) -> dict[str, object]:
    return as_dict(obj.get("spec")) if obj is not None else {}


def ensure_dict(parent: dict[str, object], key: str) -> dict[str, object]:
    """``parent[key]``, made an empty object first when it is missing or not an object."""
    value = parent.get(key)
    if not isinstance(value, dict):
        value = parent[key] = {}
    return value


def raw_invalid(field: str, rendered: str, detail: str) -> Cause:
    """``field.Invalid`` with a value already rendered as Go prints it (``%#v`` of a struct or
    slice, a bare number)."""
    return Cause("FieldValueInvalid", f"Invalid value: {rendered}: {detail}", field)


def go_strings(type_name: str, values: list[str]) -> str:
    """Go's ``%#v`` of a string slice type: ``[]string{"a", "b"}``."""
    return "[]" + type_name + "{" + ", ".join(meta.quote(v) for v in values) + "}"


def go_map(values: dict[str, object]) -> str:
    """Go's ``%#v`` of a ``map[string]string`` (keys sorted, as fmt prints maps)."""
    return "map[string]string{" + ", ".join(f"{meta.quote(k)}:{meta.quote(str(values[k]))}"
                                            for k in sorted(values)) + "}"


def go_struct(type_name: str, fields: list[tuple[str, str]]) -> str:
    """Go's ``%#v`` of a struct of string fields: ``rbac.RoleRef{APIGroup:"x", Kind:"y"}``."""
    return type_name + "{" + ", ".join(f"{name}:{meta.quote(value)}" for name, value in fields) + "}"


def label_selector_errors(selector: object, field: str) -> list[Cause]:
    """Upstream's ValidateLabelSelector, as far as the selector parser words it."""
    if selector is None:
        return []
    try:
        selector_from_object(selector)
    except SelectorError as exc:
        return [meta.invalid(field, selector, str(exc))]
    return []


def immutable_if_changed(new: object, old: object, field: str) -> list[Cause]:
    """``field is immutable`` when the value changed (``value`` shown as the new one)."""
    return [] if new == old else [meta.immutable(field, new if new is not None else NULL)]


def spec_changed(new: Obj, old: Obj) -> bool:
    return new.get("spec") != old.get("spec")


def bump_generation_on_spec_change(new: Obj, old: Obj) -> None:
    """What strategies that set no generation on create do on update (CSIDriver): the old
    generation plus one when the spec changed, else the old one (Go omits a zero)."""
    if not spec_changed(new, old):
        return
    metadata = as_dict(new.get("metadata"))
    metadata["generation"] = int(as_dict(old.get("metadata")).get("generation") or 0) + 1  # type: ignore[call-overload]


_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def dns1035_label_errors(value: str) -> list[str]:
    """IsDNS1035Label: service names."""
    errors = [] if len(value) <= meta.DNS1123_LABEL_MAX else [f"must be no more than {meta.DNS1123_LABEL_MAX} "
                                                               "characters"]
    if not _DNS1035_LABEL.fullmatch(value):
        errors.append("a lowercase RFC 1035 label must consist of lower case alphanumeric characters or '-', start "
                      "with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or "
                      "'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')")
    return errors


_PORT_NAME = re.compile(r"[-a-z0-9]+")


def port_name_errors(name: str) -> list[str]:
    """IsValidPortName."""
    errors = [] if len(name) <= 15 else ["must be no more than 15 characters"]
    if not _PORT_NAME.fullmatch(name):
        errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
    if not re.search(r"[a-z]", name):
        errors.append("must contain at least one letter (a-z)")
    if "--" in name:
        errors.append("must not contain consecutive hyphens")
    if name and (name[0] == "-" or name[-1] == "-"):
        errors.append("must not begin or end with a hyphen")
    return errors


def port_number_errors(value: object) -> list[str]:
    """IsValidPortNum."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 65535:
        return []
    return ["must be between 1 and 65535, inclusive"]
