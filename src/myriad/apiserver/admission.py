"""Mutating admission that needs other objects: upstream's Priority plugin
(plugin/pkg/admission/priority), which resolves a pod's ``priorityClassName`` into its
``priority`` and ``preemptionPolicy`` when the pod is created.

* No class named: the global default class (the lowest value if several claim it), whose name is
  written into the pod; with none, priority 0 and ``PreemptLowerPriority``.
* A class that does not exist: 403 ``no PriorityClass with name X was found``.
* A ``priority`` or ``preemptionPolicy`` in the pod that differs from the class's: 403.
* An update that drops ``priority`` keeps the old one.

Admission runs after defaults and before the strategy prepares and validates the object, as
upstream's admission chain runs between decoding and the registry's BeforeCreate. The classes
are read from the watch cache of priorityclasses, so a pod create costs no storage read.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from myriad.api.errors import ForbiddenError
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.interfaces import Obj

#: All PriorityClasses as stored objects.
ClassLister = Callable[[], Awaitable[list[Obj]]]
_DEFAULT_POLICY = "PreemptLowerPriority"


class PriorityAdmission:
    def __init__(self, classes: ClassLister) -> None:
        self._classes = classes

    async def admit(self, resource: ResourceType, obj: Obj, old: Obj | None) -> None:
        """Sets the pod's priority from its class (create) or keeps the old one (update)."""
        if resource.group != "" or resource.plural != "pods":
            return
        spec = obj.get("spec")
        if not isinstance(spec, dict):
            return
        if old is not None:
            old_priority = (old.get("spec") or {}).get("priority")  # type: ignore[union-attr]
            if spec.get("priority") is None and old_priority is not None:
                spec["priority"] = old_priority
            return
        name = str((obj.get("metadata") or {}).get("name") or "")  # type: ignore[union-attr]
        wanted = spec.get("priorityClassName") or ""
        classes = {str((c.get("metadata") or {}).get("name")): c for c in await self._classes()}  # type: ignore[union-attr]
        if wanted:
            found = classes.get(wanted)
            if found is None:
                raise ForbiddenError.of("pods", "", name, f"no PriorityClass with name {wanted} was found")
        else:
            defaults = [c for c in classes.values() if c.get("globalDefault") is True]
            found = min(defaults, key=lambda c: c.get("value") or 0) if defaults else None
        value = found.get("value", 0) if found is not None else 0
        policy = (found.get("preemptionPolicy") if found is not None else None) or _DEFAULT_POLICY
        if found is not None:
            spec["priorityClassName"] = (found.get("metadata") or {}).get("name")  # type: ignore[union-attr]
        given = spec.get("priority")
        if given is not None and given != value:
            raise ForbiddenError.of("pods", "", name, f"the integer value of priority ({given}) must not be provided "
                                                      f"in pod spec; priority admission controller computed {value} "
                                                      "from the given PriorityClass name")
        given_policy = spec.get("preemptionPolicy")
        if found is not None and given_policy is not None and given_policy != policy:
            raise ForbiddenError.of("pods", "", name, f"the string value of PreemptionPolicy ({given_policy}) must "
                                                      "not be provided in pod spec; priority admission controller "
                                                      f"computed {policy} from the given PriorityClass name")
        spec["priority"] = value
        spec["preemptionPolicy"] = policy
