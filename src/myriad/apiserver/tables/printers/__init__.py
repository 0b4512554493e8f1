"""Per-resource columns and rows, as upstream kube-apiserver 1.37 prints them
(``pkg/printers/internalversion``, and kube-aggregator's table for APIServices).

:data:`BY_RESOURCE` maps ``(group, plural)`` to a :class:`Printer`; a built-in resource without
one (Roles, ClusterRoles, LimitRanges…) gets :data:`DEFAULT`, upstream's default table: Name and
Created At. Printers see objects in their stored form (an ``autoscaling/v1``
HorizontalPodAutoscaler as ``v2``, an ``events.k8s.io`` Event as a core one), as upstream's print
the internal type.
"""

from __future__ import annotations

from myriad.apiserver.tables.format import dig
from myriad.apiserver.tables.printers import control, core, networking, pods, scheduling, security, storage, workloads
from myriad.apiserver.tables.printers.base import CREATED_DOC, NAME, Column, Obj, Printer, name

__all__ = ["BY_RESOURCE", "DEFAULT", "NAME", "Column", "Obj", "Printer"]

DEFAULT = Printer((NAME, Column("Created At", "date", description=CREATED_DOC)),
                  lambda obj, now: [name(obj), dig(obj, "metadata", "creationTimestamp") or "0001-01-01T00:00:00Z"])

BY_RESOURCE: dict[tuple[str, str], Printer] = {
    **pods.PRINTERS, **core.PRINTERS, **workloads.PRINTERS, **networking.PRINTERS, **storage.PRINTERS,
    **security.PRINTERS, **control.PRINTERS, **scheduling.PRINTERS,
}
