"""Turning objects into meta.k8s.io Tables (and PartialObjectMetadata), per request.

A :class:`View` is what the client asked for in ``Accept``; :class:`TableConverter` builds the
response body for a list, a single object, or one watch event. Column definitions go out with
the first table of a watch only, as upstream's watch encoder does (later ones carry ``null``).
Cells are printed from an object's stored form (``rest.conversion``: an ``autoscaling/v1``
HorizontalPodAutoscaler as ``v2``), while the row's ``object`` is the served one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from myriad.api import gojson
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.conversion import CONVERSIONS
from myriad.apiserver.tables.format import human_duration, timestamp
from myriad.apiserver.tables.jsonpath import compile_path
from myriad.apiserver.tables.printers import BY_RESOURCE, DEFAULT, NAME, Column, Obj, Printer

TABLE = "Table"
PARTIAL = "PartialObjectMetadata"
INCLUDE_VALUES = ("", "None", "Metadata", "Object")


@dataclass(frozen=True, slots=True)
class View:
    """``as=Table`` or ``as=PartialObjectMetadata[List]`` in ``meta.k8s.io/<version>``."""

    kind: str
    version: str = "v1"
    include: str = "Metadata"


class TableConverter:
    def __init__(self, *, now: Callable[[], float]) -> None:
        self._now = now
        self._custom: dict[tuple[tuple[str, str, str, int, str, str], ...], Printer] = {}

    def printer(self, resource: ResourceType) -> Printer:
        printer = BY_RESOURCE.get((resource.group, resource.plural))
        if printer is not None:
            return printer
        if resource.custom:
            return self._crd_printer(tuple(resource.extra.get("columns") or ()))  # type: ignore[arg-type]
        return DEFAULT

    # -- bodies --------------------------------------------------------------------------------

    def list_body(self, resource: ResourceType, view: View, items: list[Obj], list_meta: dict[str, object]) -> Obj:
        if view.kind == PARTIAL:
            return {"kind": "PartialObjectMetadataList", "apiVersion": f"meta.k8s.io/{view.version}",
                    "metadata": list_meta, "items": [self._partial(item, view) for item in items]}
        return self._table(resource, view, items, list_meta, headers=True, whole_list=True)

    def object_body(self, resource: ResourceType, view: View, obj: Obj, *, headers: bool = True) -> Obj:
        """One object as a one-row Table (get, writes, watch events) or as PartialObjectMetadata."""
        if view.kind == PARTIAL:
            return self._partial(obj, view)
        metadata = obj.get("metadata") if isinstance(obj.get("metadata"), dict) else {}
        rv = metadata.get("resourceVersion") if isinstance(metadata, dict) else None
        return self._table(resource, view, [obj], {"resourceVersion": rv} if rv else {}, headers=headers,
                           whole_list=False)

    def _table(self, resource: ResourceType, view: View, items: list[Obj], list_meta: dict[str, object], *,
               headers: bool, whole_list: bool) -> Obj:
        """Rows print the stored form of the served objects (``items``), which the rows carry."""
        printer = self.printer(resource)
        conversion = CONVERSIONS.get((resource.group, resource.version, resource.plural))
        stored = items if conversion is None else [conversion.to_storage(item) for item in items]
        order, cells = list(range(len(items))), printer.cells
        if whole_list and printer.listing is not None:
            order, cells = printer.listing(stored)
        now = self._now()
        rows = []
        for i in order:
            row: dict[str, object] = {"cells": cells(stored[i], now)}
            if printer.conditions is not None and (conditions := printer.conditions(stored[i])):
                row["conditions"] = conditions
            if view.include == "Object":
                row["object"] = {"kind": resource.kind, "apiVersion": resource.api_version, **items[i]}
            elif view.include != "None":
                row["object"] = self._partial(items[i], view)
            rows.append(row)
        return {"kind": TABLE, "apiVersion": f"meta.k8s.io/{view.version}", "metadata": list_meta,
                "columnDefinitions": [c.to_json() for c in printer.columns] if headers else None, "rows": rows}

    @staticmethod
    def _partial(obj: Obj, view: View) -> Obj:
        return {"kind": PARTIAL, "apiVersion": f"meta.k8s.io/{view.version}", "metadata": obj.get("metadata", {})}

    # -- custom resources ----------------------------------------------------------------------

    def _crd_printer(self, columns: tuple[dict[str, object], ...]) -> Printer:
        """Name, then the CRD version's ``additionalPrinterColumns`` (Age when it has none)."""
        key = tuple((str(c.get("name", "")), str(c.get("type", "")), str(c.get("format", "")),
                     int(c.get("priority") or 0), str(c.get("jsonPath", "")), str(c.get("description", "")))  # type: ignore[call-overload]
                    for c in columns) or (("Age", "date", "", 0, ".metadata.creationTimestamp", ""),)
        printer = self._custom.get(key)
        if printer is not None:
            return printer
        try:
            paths = [compile_path(path) for _, _, _, _, path, _ in key]
        except ValueError:
            return DEFAULT
        defs = [NAME] + [Column(name, kind, fmt, description or f"Custom resource definition column (in JSONPath "
                                                                   f"format): {path}", priority)
                         for name, kind, fmt, priority, path, description in key]
        kinds = [kind for _, kind, _, _, _, _ in key]

        def cells(obj: Obj, now: float) -> list[object]:
            row: list[object] = [(obj.get("metadata") or {}).get("name")]  # type: ignore[union-attr]
            for kind, path in zip(kinds, paths, strict=True):
                found = path(obj)
                row.append(_cell(kind, found[0], now) if found else None)
            return row

        printer = self._custom[key] = Printer(tuple(defs), cells)
        return printer


def _cell(kind: str, value: object, now: float) -> object:
    """``cellForJSONValue``: the value in the column's type, or None when it does not fit."""
    if value is None:
        return None
    if kind == "string":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            return gojson.dumps(value).decode()
        return str(value)
    if kind == "integer":
        if isinstance(value, bool):
            return None
        return int(value) if isinstance(value, (int, float)) else None
    if kind == "number":
        if isinstance(value, bool):
            return None
        return float(value) if isinstance(value, (int, float)) else None
    if kind == "boolean":
        return value if isinstance(value, bool) else None
    if kind == "date":
        if not isinstance(value, str):
            return None
        moment = timestamp(value)
        return "<invalid>" if moment is None else human_duration(now - moment)
    return None
