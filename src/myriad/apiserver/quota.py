"""Validating admission of creates against the namespace's ResourceQuotas (upstream's
ResourceQuota plugin, ``apiserver/pkg/admission/plugin/resourcequota``).

For each quota of the namespace whose ``status.hard`` restricts something the new object counts
(:mod:`myriad.api.quota`) and whose scopes select it:
* a pod missing a cpu or memory request or limit the quota restricts: 403 ``failed quota: Q:
  must specify …``;
* a restricted resource without ``status.used`` (the quota controller has not counted it yet):
  403 ``status unknown for quota: Q, resources: …``;
* usage beyond ``status.hard``: 403 ``exceeded quota: Q, requested: …, used: …, limited: …``;
* otherwise the object is charged to ``status.used`` before it is written, by a compare-and-swap
  that checks the limit again against the stored quota, so concurrent creates never overrun it.

A quota without ``status.hard`` restricts nothing yet (as upstream, which reads the status). The
quota controller recounts from the objects themselves, which undoes a charge whose create then
failed. Dry runs and updates are not charged. The quotas come from the watch cache, one namespace
at a time, kept until it changes, so a create in a namespace without quotas costs a lookup;
like upstream's informer-backed lookup, a quota status written a moment ago may not be seen yet.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from myriad.api import gojson
from myriad.api import quota as q
from myriad.api.errors import ForbiddenError
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.rest.store import ObjectStore

#: The namespace's quotas as stored objects.
QuotaLister = Callable[[str], Awaitable[list[Obj]]]


class QuotaAdmission:
    def __init__(self, objects: ObjectStore, quotas: ResourceType, lister: QuotaLister, *,
                 now: Callable[[], float]) -> None:
        self._objects = objects
        self._quotas = quotas
        self._list = lister
        self._now = now

    async def admit(self, resource: ResourceType, namespace: str, obj: Obj) -> None:
        """Refuses a create that would exceed a quota, else charges it (raises ForbiddenError)."""
        if not resource.namespaced:
            return
        quotas = await self._list(namespace)
        if not quotas:
            return
        names = q.matching(resource.plural, resource.group)
        name = str((obj.get("metadata") or {}).get("name") or "")  # type: ignore[union-attr]
        usage = q.usage(resource.plural, resource.group, obj, now=self._now())
        charges: list[tuple[str, q.Usage]] = []
        for quota in quotas:
            status = quota.get("status") or {}
            hard = q.parse_list(status.get("hard"))  # type: ignore[union-attr]
            restricted = sorted(names & hard.keys())
            if not restricted or not q.selects(quota, resource.plural, resource.group, obj):
                continue
            quota_name = str(quota["metadata"]["name"])  # type: ignore[index]
            if resource.group == "" and resource.plural == "pods":
                missing = q.missing_container_resources(obj, restricted)
                if missing is not None:
                    raise ForbiddenError.of(resource.plural, resource.group, name,
                                            f"failed quota: {quota_name}: {missing}")
            used = status.get("used") or {}  # type: ignore[union-attr]
            if any(r not in used for r in restricted):
                raise ForbiddenError.of(resource.plural, resource.group, name,
                                        f"status unknown for quota: {quota_name}, resources: {','.join(restricted)}")
            delta = {r: usage[r] for r in restricted if r in usage}
            if delta:
                self._check(resource, name, quota_name, hard, q.parse_list(used), delta)  # type: ignore[arg-type]
                charges.append((quota_name, delta))
        for quota_name, delta in charges:
            await self._charge(resource, namespace, name, quota_name, delta)

    @staticmethod
    def _check(resource: ResourceType, name: str, quota_name: str, hard: q.Usage, used: q.Usage,
               delta: q.Usage) -> None:
        over = [r for r, amount in delta.items() if used.get(r, 0) + amount > hard[r]]
        if over:
            raise ForbiddenError.of(resource.plural, resource.group, name,
                                    f"exceeded quota: {quota_name}, requested: {q.pretty({r: delta[r] for r in over})}"
                                    f", used: {q.pretty({r: used.get(r, 0) for r in over})}"  # type: ignore[misc]
                                    f", limited: {q.pretty({r: hard[r] for r in over})}")

    async def _charge(self, resource: ResourceType, namespace: str, name: str, quota_name: str,
                      delta: q.Usage) -> None:
        def mutate(current: Obj) -> Obj:
            new = gojson.clone(current)
            status = new.setdefault("status", {})
            assert isinstance(status, dict)
            hard, used = q.parse_list(status.get("hard")), q.parse_list(status.get("used"))
            self._check(resource, name, quota_name, hard, used, {r: a for r, a in delta.items() if r in hard})
            status["used"] = {**(status.get("used") or {}),
                              **q.render_list({r: used.get(r, 0) + a for r, a in delta.items()})}
            return new
        await self._objects.patch(self._quotas, namespace, quota_name, mutate, subresource="status")
