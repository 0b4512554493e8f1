"""Custom resources: metadata rules plus the CRD version's ``openAPIV3Schema`` (defaults and
validation; unknown fields are pruned by the endpoint, which honours ``fieldValidation``)."""

from __future__ import annotations

from typing import Any

from myriad.api import structural
from myriad.api.errors import Cause
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy


class CustomResourceStrategy(GenericStrategy):
    def __init__(self, resource: ResourceType) -> None:
        super().__init__(resource)
        schema = resource.extra.get("schema")
        self.schema: dict[str, Any] = schema if isinstance(schema, dict) else {}

    def default(self, obj: Obj) -> None:
        structural.apply_defaults(obj, self.schema)

    def validate(self, obj: Obj) -> list[Cause]:
        return self.validate_metadata(obj) + structural.validate(obj, self.schema)
