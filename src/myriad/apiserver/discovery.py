"""Legacy discovery documents (/api, /apis, /apis/<g>, /api/v1, /apis/<g>/<v>) and /version,
built from the resource registry and cached until the registry changes.

Answers are always plain ``application/json``: clients that ask for aggregated discovery first
(kubectl does) then fall back to these per-group-version lists, as upstream client-go does.
"""

from __future__ import annotations

import orjson

from myriad.api.registry import ResourceRegistry, ResourceType

KUBERNETES_VERSION = (1, 37, 0)
#: Upstream's group priority order in /apis; groups not listed (custom resources) follow by name.
_GROUP_ORDER = ("apiregistration.k8s.io", "apps", "events.k8s.io", "authentication.k8s.io",
                "authorization.k8s.io", "autoscaling", "batch", "certificates.k8s.io", "networking.k8s.io",
                "policy", "rbac.authorization.k8s.io", "storage.k8s.io", "admissionregistration.k8s.io",
                "apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
                "discovery.k8s.io", "resource.k8s.io", "flowcontrol.apiserver.k8s.io", "storagemigration.k8s.io")


def version_document(git_commit: str = "0" * 40, build_date: str = "2026-10-01T00:00:00Z") -> bytes:
    major, minor, patch = KUBERNETES_VERSION
    return orjson.dumps({
        "major": str(major), "minor": str(minor),
        "emulationMajor": str(major), "emulationMinor": str(minor),
        "minCompatibilityMajor": str(major), "minCompatibilityMinor": str(minor - 1),
        "gitVersion": f"v{major}.{minor}.{patch}", "gitCommit": git_commit, "gitTreeState": "clean",
        "buildDate": build_date, "goVersion": "go1.25.0", "compiler": "gc", "platform": "linux/amd64",
    })


def _resource_entries(resource: ResourceType) -> list[dict[str, object]]:
    entry: dict[str, object] = {"name": resource.plural, "singularName": resource.singular,
                                "namespaced": resource.namespaced, "kind": resource.kind,
                                "verbs": list(resource.verbs)}
    if resource.short_names:
        entry["shortNames"] = list(resource.short_names)
    if resource.categories:
        entry["categories"] = list(resource.categories)
    entries = [entry]
    for sub in resource.subresources:
        item: dict[str, object] = {"name": f"{resource.plural}/{sub.name}", "singularName": "",
                                   "namespaced": resource.namespaced}
        if sub.group is not None:
            item["group"] = sub.group
            item["version"] = sub.version
        item["kind"] = sub.kind
        item["verbs"] = list(sub.verbs)
        entries.append(item)
    return entries


class Discovery:
    def __init__(self, registry: ResourceRegistry) -> None:
        self._registry = registry
        #: ``host:port`` advertised in /api; set once the server listens.
        self.server_address = ""
        self._cache: dict[str, bytes | None] = {}
        self._generation = -1

    def document(self, path: str) -> bytes | None:
        """The discovery body for ``path``, or None when it is not a discovery path."""
        if self._generation != self._registry.generation:
            self._cache.clear()
            self._generation = self._registry.generation
        if path not in self._cache:
            self._cache[path] = self._build(path.rstrip("/") or "/")
        return self._cache[path]

    def _groups(self) -> list[tuple[str, list[str]]]:
        versions = self._registry.group_versions()
        named = [g for g in versions if g]
        order = {g: i for i, g in enumerate(_GROUP_ORDER)}
        named.sort(key=lambda g: (order.get(g, len(order)), g))
        return [(g, versions[g]) for g in named]

    @staticmethod
    def _group(group: str, versions: list[str]) -> dict[str, object]:
        listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": listed, "preferredVersion": listed[0]}

    def _build(self, path: str) -> bytes | None:
        if path == "/api":
            return orjson.dumps({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": self.server_address}]})
        if path == "/apis":
            return orjson.dumps({"kind": "APIGroupList", "apiVersion": "v1",
                                 "groups": [self._group(g, v) for g, v in self._groups()]})
        parts = path.strip("/").split("/")
        if parts == ["api", "v1"]:
            return self._resource_list("", "v1")
        if len(parts) == 2 and parts[0] == "apis":
            for group, versions in self._groups():
                if group == parts[1]:
                    return orjson.dumps({"kind": "APIGroup", "apiVersion": "v1", **self._group(group, versions)})
            return None
        if len(parts) == 3 and parts[0] == "apis":
            return self._resource_list(parts[1], parts[2])
        return None

    def _resource_list(self, group: str, version: str) -> bytes | None:
        resources = self._registry.in_group_version(group, version)
        if not resources:
            return None
        entries = [e for r in sorted(resources, key=lambda r: r.plural) for e in _resource_entries(r)]
        entries.sort(key=lambda e: str(e["name"]))
        body: dict[str, object] = {"kind": "APIResourceList"}
        if group:
            body["apiVersion"] = "v1"
        body["groupVersion"] = f"{group}/{version}" if group else version
        body["resources"] = entries
        return orjson.dumps(body)
