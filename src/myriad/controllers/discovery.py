"""The API server's resources, from its discovery documents (``/api/v1``, ``/apis`` and each
group's preferred version), as the controllers that act on every kind need them: the garbage
collector (any owner, any dependent) and the namespace controller (everything in a namespace).
"""

from __future__ import annotations

from dataclasses import dataclass

from myriad.client.rest import Client
from myriad.client.types import Resource


@dataclass(frozen=True, slots=True)
class Discovered:
    resource: Resource
    kind: str
    verbs: frozenset[str]

    @property
    def api_version(self) -> str:
        return self.resource.api_version


async def discover(client: Client) -> list[Discovered]:
    """Every top-level resource (no subresources) of the preferred version of each group."""
    versions = ["v1"]
    groups = await client.call("GET", "/apis")
    versions += [g["preferredVersion"]["groupVersion"] for g in groups.get("groups") or ()]
    found = []
    for version in versions:
        path = "/api/v1" if version == "v1" else f"/apis/{version}"
        document = await client.call("GET", path)
        for entry in document.get("resources") or ():
            if "/" in entry["name"]:
                continue
            found.append(Discovered(Resource(api_version=version, plural=entry["name"],
                                             namespaced=bool(entry.get("namespaced"))),
                                    entry["kind"], frozenset(entry.get("verbs") or ())))
    return found


class Mapper:
    """(apiVersion, kind) → resource, for owner references, which name kinds. A kind served in
    several versions of its group maps through any of them to the preferred one."""

    def __init__(self, discovered: list[Discovered]) -> None:
        self._by_kind: dict[tuple[str, str], Discovered] = {}
        for item in discovered:
            group = item.api_version.rpartition("/")[0]
            self._by_kind[(group, item.kind)] = item

    def resource(self, api_version: str, kind: str) -> Discovered | None:
        return self._by_kind.get((api_version.rpartition("/")[0] if "/" in api_version else "", kind))
