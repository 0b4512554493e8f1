"""What a write's body and options must pass before anything else looks at them: the
fieldValidation directive (unknown fields and keys given twice: Ignore, Warn or Strict), values
Go could not decode, and the fieldManager option."""

from __future__ import annotations

import unicodedata

from myriad.api import gojson, structural
from myriad.api.errors import BadRequestError, InvalidError, StatusError
from myriad.api.meta import invalid, too_long
from myriad.api.registry import ResourceType
from myriad.api.schemas import FieldTypeError, prune_unknown
from myriad.api.strictjson import duplicate_fields
from myriad.apiserver.http import Request
from myriad.apiserver.rest.interfaces import Obj

#: Upstream's FieldManagerMaxLength.
FIELD_MANAGER_MAX = 128
#: Characters of a patched object an error quotes, at most (upstream quotes all of it).
QUOTE_LIMIT = 1024


def field_validation(request: Request) -> str:
    """The request's fieldValidation directive (Warn by default); 400 for another value."""
    value = request.param("fieldValidation") or "Warn"
    if value not in ("Ignore", "Warn", "Strict"):
        raise BadRequestError(f'fieldValidation: Unsupported value: "{value}": supported values: "Ignore", '
                              '"Strict", "Warn"')
    return value


#: Subresources whose bodies are the whole object (the strategy decides what each may change): their
#: fields are checked as the object's are.
WHOLE_OBJECT = ("", "status", "approval", "ephemeralcontainers", "resize")


def check_fields(obj: Obj, resource: ResourceType, request: Request, *, patch: bool, repeats: bool = False,
                 touched: Obj | None = None) -> tuple[str, ...]:
    """Drops fields the schema does not know; Strict refuses them (and keys given twice in a JSON
    create or update body: ``repeats`` says it may give some), Warn reports them. A value Go could
    not decode is refused whatever the mode. ``touched``: the merge or strategic merge patch that
    made ``obj`` from the stored object, so that only what it reached is looked at (built-in kinds)."""
    metadata = obj.get("metadata")
    if isinstance(metadata, dict) and metadata.get("managedFields") == []:
        # Go keeps a non-nil empty slice apart from a missing one, and its field manager clears the
        # entries for it; the encoding below would drop it, so it is marked as [{}], which says the same.
        metadata["managedFields"] = [{}]
    mode = field_validation(request)
    # Keys given twice in a JSON create or update body are reported too, as upstream's strict decoder does.
    check_duplicates = repeats and mode != "Ignore" and not patch
    if resource.custom:
        unknown = structural.prune(obj, resource.extra.get("schema") or {})  # type: ignore[arg-type]
    else:
        try:
            unknown = prune_unknown(obj, resource.api_version, resource.kind, touched=touched)
        except FieldTypeError as e:
            raise _undecodable(obj, resource, str(e), patch=patch) from e
    duplicates = duplicate_fields(request.body) if check_duplicates else []
    if not (unknown or duplicates) or mode == "Ignore":
        return ()
    if mode == "Strict":
        detail = "strict decoding error: " + ", ".join([*(f'duplicate field "{path}"' for path in duplicates),
                                                         *(f'unknown field "{path}"' for path in unknown)])
        raise _undecodable(obj, resource, detail, patch=patch)
    return (*(f'duplicate field "{path}"' for path in duplicates), *(f'unknown field "{path}"' for path in unknown))


def _undecodable(obj: Obj, resource: ResourceType, detail: str, *, patch: bool) -> StatusError:
    """What upstream answers when the typed decode of a body fails: 400 for a create or update
    body; for a patch, 422 on the field ``patch`` carrying the patched object."""
    if patch:
        return undecodable_patch(obj, detail)
    return BadRequestError(f'{resource.kind} in version "{resource.version}" cannot be handled as a '
                           f"{resource.kind}: {detail}")


def undecodable_patch(patched: Obj, detail: str) -> InvalidError:
    """422 on the field ``patch`` carrying the patched object (upstream quotes it whole; here it
    is cut at :data:`QUOTE_LIMIT` characters, so the answer stays small however large it grew)."""
    text = gojson.dumps(patched).decode()
    if len(text) > QUOTE_LIMIT:
        text = f"{text[:QUOTE_LIMIT]}... ({len(text) - QUOTE_LIMIT} more characters)"
    return InvalidError(f' "" is invalid: patch: Invalid value: "{text}": {detail}',
                        causes=[invalid("patch", text, detail)])


def check_field_manager(request: Request, options_kind: str) -> None:
    """Upstream's ValidateFieldManager: at most 128 characters, all printable (422 on the
    request's CreateOptions, UpdateOptions or PatchOptions)."""
    manager = request.param("fieldManager") or ""
    causes = [too_long("fieldManager", FIELD_MANAGER_MAX)] if len(manager) > FIELD_MANAGER_MAX else []
    causes += [invalid("fieldManager", manager, f"invalid character U+{ord(c):04X} {unicodedata.name(c, '')!r} "
                                                f"(at position {i})".replace(" ''", ""))
               for i, c in enumerate(manager) if not c.isprintable()]
    if causes:
        raise InvalidError.of(options_kind, "meta.k8s.io", "", causes)
