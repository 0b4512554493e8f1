"""The field manager's errors.

- :class:`ManagedFieldsError`: base.
  - :class:`InvalidManagedFields`: entries upstream could not decode (callers fall back to the
    live object's, silently, as upstream does).
  - :class:`ApplyConflicts`: an apply would change fields other managers own; the message and
    one cause per field are upstream's (409).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from myriad.api.managed.fieldset import describe


class ManagedFieldsError(ValueError):
    pass


class InvalidManagedFields(ManagedFieldsError):
    pass


@dataclass(frozen=True, slots=True)
class Conflict:
    manager: str
    operation: str
    api_version: str
    subresource: str
    path: tuple[str, ...]

    @property
    def owner(self) -> str:
        """The manager as upstream prints it: ``"m" with subresource "scale" using apps/v1``
        (``using`` for Update managers only)."""
        out = f'"{self.manager}"'
        if self.subresource:
            out += f' with subresource "{self.subresource}"'
        if self.operation == "Update":
            out += f" using {self.api_version}"
        return out

    @property
    def field(self) -> str:
        return describe(self.path)


class ApplyConflicts(ManagedFieldsError):
    def __init__(self, conflicts: Sequence[Conflict]) -> None:
        self.conflicts = tuple(conflicts)
        super().__init__(_message(self.conflicts))


def _message(conflicts: Sequence[Conflict]) -> str:
    if len(conflicts) == 1:
        only = conflicts[0]
        return f"Apply failed with 1 conflict: conflict with {only.owner}: {only.field}"
    by_owner: dict[str, list[str]] = {}
    for conflict in conflicts:
        by_owner.setdefault(conflict.owner, []).append(conflict.field)
    lines = []
    for owner in sorted(by_owner):
        lines.append(f"conflicts with {owner}:")
        lines.extend(f"- {path}" for path in by_owner[owner])
    return f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
