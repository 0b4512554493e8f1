"""What every printer shares: :class:`Column` and :class:`Printer`, the Name and Age columns,
upstream's column descriptions, and the small accessors cells are built with.

Upstream describes most columns with the Go field's ``SwaggerDoc``; :func:`doc` reads the same
text from the OpenAPI schemas of 1.37 (they come from the same Go comments). Descriptions upstream
writes out literally are written out here too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from myriad.api.schemas import definitions
from myriad.apiserver.tables.format import dig, since

Obj = dict[str, object]
#: ``(object, now)`` → a row's cells, one per column.
Cells = Callable[[Obj, float], list[object]]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}


@dataclass(frozen=True, slots=True)
class Printer:
    """A resource's columns and how one object becomes a row.

    The server prints every column, wide ones included: priority 1 marks the columns kubectl shows
    only with ``-o wide``. Cells are typed as upstream's are, so some columns declared ``string``
    carry integers (Deployment Up-to-date) and some declared ``boolean`` carry strings (CronJob
    Suspend).
    """

    columns: tuple[Column, ...]
    cells: Cells
    #: ``object`` → the row's conditions (pods only), or None.
    conditions: Callable[[Obj], list[dict[str, str]] | None] | None = None
    #: ``items`` → the order of a list's rows (indexes into ``items``) and the cells to print them
    #: with, for the kinds whose list rows depend on the whole list (FlowSchemas sort by
    #: precedence, only one StorageClass is the default); None prints a list item by item.
    listing: Callable[[list[Obj]], tuple[list[int], Cells]] | None = None


def doc(definition: str, field: str) -> str:
    """The description of ``field`` in ``io.k8s.api.<definition>`` (``core.v1.PodStatus``)."""
    schema = definitions()[definition if definition.startswith("io.k8s.") else f"io.k8s.api.{definition}"]
    return str(schema["properties"][field]["description"])


_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
NAME_DOC = doc(_OBJECT_META, "name")
CREATED_DOC = doc(_OBJECT_META, "creationTimestamp")

NAME = Column("Name", format="name", description=NAME_DOC)
AGE = Column("Age", description=CREATED_DOC)
CONTAINERS = Column("Containers", description="Names of each container in the template.", priority=1)
IMAGES = Column("Images", description="Images referenced by each container in the template.", priority=1)


def name(obj: Obj) -> object:
    return dig(obj, "metadata", "name")


def age(obj: Obj, now: float) -> str:
    return since(dig(obj, "metadata", "creationTimestamp"), now)


def integer(value: object) -> int:
    """An integer field's value, 0 when unset (Go's zero value)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def text(value: object) -> str:
    """A string field's value, "" when unset."""
    return value if isinstance(value, str) else ""


def flag(value: object) -> bool:
    return value is True


def mapping(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def entries(value: object) -> list[dict[str, object]]:
    """The objects of a list field (none when unset)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def conditions(obj: Obj) -> list[dict[str, object]]:
    return entries(dig(obj, "status", "conditions"))


def first_condition(obj: Obj, kind: str) -> dict[str, object] | None:
    """The first ``status.conditions`` entry of type ``kind``."""
    return next((c for c in conditions(obj) if c.get("type") == kind), None)


def bool_text(value: object) -> str:
    """``printBoolPtr``: ``True``, ``False``, or ``<unset>`` for a nil pointer."""
    if isinstance(value, bool):
        return "True" if value else "False"
    return "<unset>"


def list_with_more(shown: list[str], count: int, limit: int) -> str:
    """``listWithMoreString``: the first ``limit`` of ``count`` entries, ``+ N more...`` when
    there were more, ``<unset>`` when there were none."""
    joined = ",".join(shown)
    if count > limit:
        return f"{joined} + {count - limit} more..."
    return joined or "<unset>"


def name_age(obj: Obj, now: float) -> list[object]:
    """The cells of the kinds that print only Name and Age."""
    return [name(obj), age(obj, now)]


NAME_AGE = Printer((NAME, AGE), name_age)
