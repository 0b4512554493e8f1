"""Typed views: the fields of an object that components read on every event, as msgspec Structs.

A view is decoded from an object's JSON in one msgspec pass that skips every field it does not
name. Views are small on purpose (each field costs bytes for every cached object); anything
else is read from the whole object (:class:`myriad.client.objects.Object`).

Sharing. Most of what a view holds repeats across objects: the pods of one template have the
same labels, owners, requests and conditions. Those parts are decoded as raw JSON (msgspec
``Raw``, a zero-copy slice) and looked up by those bytes in a bounded table of values already
decoded (:class:`_Shared`), so 200,000 pods of a hundred templates hold a hundred copies and a
repeat costs a hash lookup instead of a decode. A ``*_json`` field holds the slice only until
``__post_init__`` swaps it for the shared value in its typed twin (the annotations' slice stays,
decoded when read). Conditions carry timestamps,
so only their type and status are decoded and equal lists shared. Short repeated strings
(namespaces, node names, phases, images, start times to the second) are interned.

:func:`view_for` picks a resource's view: :class:`PodView` for pods, :class:`NodeView` for
nodes, :class:`SelectorView` for what selects pods, :class:`View` (metadata only) for everything
else.

Views, and every shared value in them, are never changed after decoding (they are mutable
Structs only because those decode faster).
"""

from __future__ import annotations

from sys import intern
from typing import Any

import msgspec

#: JSON names in camelCase, like the API's.
_STRUCT = {"gc": False, "rename": "camel", "omit_defaults": True}
#: The empty slice: no such field, or already swapped for its shared value.
NO_JSON = msgspec.Raw()
#: Distinct values a sharing table keeps before it starts again (values handed out stay shared).
SHARED_LIMIT = 1 << 14


class _Shared:
    """Values of one type decoded once per distinct JSON, bounded by :data:`SHARED_LIMIT`."""

    def __init__(self, kind: Any) -> None:
        self._decoder = msgspec.json.Decoder(kind)
        self._values: dict[Any, Any] = {}

    def __call__(self, raw: msgspec.Raw) -> Any:
        key = bytes(raw)
        found = self._values.get(key)
        if found is None:
            if key == b"null":
                return None
            found = self.keep(key, self._decoder.decode(key))
        return found

    def keep(self, key: Any, value: Any) -> Any:
        """``value`` under ``key``, unless an equal one is kept already (then that one)."""
        found = self._values.get(key)
        if found is None:
            if len(self._values) >= SHARED_LIMIT:
                self._values.clear()
            found = self._values[key] = value
        return found


class OwnerReference(msgspec.Struct, frozen=True, **_STRUCT):
    api_version: str = ""
    kind: str = ""
    name: str = ""
    uid: str = ""
    controller: bool = False
    block_owner_deletion: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The reference as JSON has it (false flags left out)."""
        return msgspec.to_builtins(self)


class Condition(msgspec.Struct, frozen=True, **_STRUCT):
    type: str = ""
    status: str = ""
    reason: str = ""


class Taint(msgspec.Struct, frozen=True, **_STRUCT):
    key: str = ""
    value: str = ""
    effect: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The taint as JSON has it (empty fields left out; ``timeAdded`` is not in the view)."""
        return msgspec.to_builtins(self)


class Resources(msgspec.Struct, frozen=True, **_STRUCT):
    requests: dict[str, Any] | None = None
    limits: dict[str, Any] | None = None


_LABELS = _Shared(dict[str, str])
_OWNERS = _Shared(list[OwnerReference])
_FINALIZERS = _Shared(list[str])
_RESOURCES = _Shared(Resources)
_QUANTITIES = _Shared(dict[str, Any])
_TAINTS = _Shared(list[Taint])
_SELECTORS = _Shared(dict[str, Any])
_CONDITIONS = _Shared(list[Condition])


def _shared_conditions(conditions: list[Condition]) -> list[Condition]:
    return _CONDITIONS.keep(tuple(conditions), conditions) if conditions else conditions


def _condition(conditions: list[Condition], kind: str) -> str:
    for condition in conditions:
        if condition.type == kind:
            return condition.status
    return ""


class Meta(msgspec.Struct, **_STRUCT):
    """An object's identity, labels, owners and finalizers. Annotations stay raw JSON (a
    ``last-applied-configuration`` can be as big as the object): read them with
    :attr:`myriad.client.objects.Object.annotations`."""

    name: str = ""
    namespace: str = ""
    uid: str = ""
    resource_version: str = ""
    generation: int = 0
    deletion_timestamp: str | None = None
    labels_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="labels")
    owners_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="ownerReferences")
    finalizers_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="finalizers")
    annotations_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="annotations")
    labels: dict[str, str] | None = msgspec.field(default=None, name="@labels")
    owner_references: list[OwnerReference] | None = msgspec.field(default=None, name="@ownerReferences")
    finalizers: list[str] | None = msgspec.field(default=None, name="@finalizers")

    def __post_init__(self) -> None:
        self.namespace = intern(self.namespace)
        if self.labels_json:
            self.labels, self.labels_json = _LABELS(self.labels_json), NO_JSON
        if self.owners_json:
            self.owner_references, self.owners_json = _OWNERS(self.owners_json), NO_JSON
        if self.finalizers_json:
            self.finalizers, self.finalizers_json = _FINALIZERS(self.finalizers_json), NO_JSON

    def controller(self) -> OwnerReference | None:
        """The owner reference marked ``controller``, if any."""
        for ref in self.owner_references or ():
            if ref.controller:
                return ref
        return None


class View(msgspec.Struct, **_STRUCT):
    """Metadata only: the view of every resource without one of its own."""

    metadata: Meta = msgspec.field(default_factory=Meta)

    @property
    def node_name(self) -> str:
        """The node an object is bound to ("" for all but pods)."""
        return ""


class Container(msgspec.Struct, **_STRUCT):
    name: str = ""
    image: str = ""
    resources_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="resources")
    resources: Resources | None = msgspec.field(default=None, name="@resources")

    def __post_init__(self) -> None:
        self.name, self.image = intern(self.name), intern(self.image)
        if self.resources_json:
            self.resources, self.resources_json = _RESOURCES(self.resources_json), NO_JSON


class PodSpec(msgspec.Struct, **_STRUCT):
    node_name: str = ""
    scheduler_name: str = ""
    priority: int = 0
    containers: list[Container] = []
    init_containers: list[Container] = []

    def __post_init__(self) -> None:
        self.node_name, self.scheduler_name = intern(self.node_name), intern(self.scheduler_name)


class PodStatus(msgspec.Struct, **_STRUCT):
    phase: str = ""
    nominated_node_name: str = ""
    #: The first of ``podIPs`` (read the object for the others, in a dual-stack cluster).
    pod_ip: str = msgspec.field(default="", name="podIP")
    start_time: str = ""
    conditions: list[Condition] = []

    def __post_init__(self) -> None:
        self.phase, self.start_time = intern(self.phase), intern(self.start_time)
        if self.nominated_node_name:
            self.nominated_node_name = intern(self.nominated_node_name)
        self.conditions = _shared_conditions(self.conditions)

    def condition(self, kind: str) -> str:
        """The status ("True", "False", "Unknown") of the condition of type ``kind``; "" if absent."""
        return _condition(self.conditions, kind)


class PodView(View):
    spec: PodSpec = msgspec.field(default_factory=PodSpec)
    status: PodStatus = msgspec.field(default_factory=PodStatus)

    @property
    def node_name(self) -> str:
        return self.spec.node_name


class NodeSpec(msgspec.Struct, **_STRUCT):
    unschedulable: bool = False
    taints_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="taints")
    taints: list[Taint] = msgspec.field(default_factory=list, name="@taints")

    def __post_init__(self) -> None:
        if self.taints_json:
            self.taints, self.taints_json = _TAINTS(self.taints_json), NO_JSON


class NodeStatus(msgspec.Struct, **_STRUCT):
    allocatable_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="allocatable")
    allocatable: dict[str, Any] | None = msgspec.field(default=None, name="@allocatable")
    conditions: list[Condition] = []

    def __post_init__(self) -> None:
        if self.allocatable_json:
            self.allocatable, self.allocatable_json = _QUANTITIES(self.allocatable_json), NO_JSON
        self.conditions = _shared_conditions(self.conditions)

    def condition(self, kind: str) -> str:
        return _condition(self.conditions, kind)


class NodeView(View):
    spec: NodeSpec = msgspec.field(default_factory=NodeSpec)
    status: NodeStatus = msgspec.field(default_factory=NodeStatus)


class SelectorSpec(msgspec.Struct, **_STRUCT):
    #: A Service's or ReplicationController's label map, or a workload's LabelSelector.
    selector_json: msgspec.Raw = msgspec.field(default=NO_JSON, name="selector")
    selector: dict[str, Any] | None = msgspec.field(default=None, name="@selector")
    min_ready_seconds: int = 0

    def __post_init__(self) -> None:
        if self.selector_json:
            self.selector, self.selector_json = _SELECTORS(self.selector_json), NO_JSON


class SelectorView(View):
    """What selects pods: Services, ReplicationControllers and the workloads."""

    spec: SelectorSpec = msgspec.field(default_factory=SelectorSpec)


_VIEWS: dict[tuple[str, str], type[View]] = {
    ("v1", "pods"): PodView, ("v1", "nodes"): NodeView,
    **{key: SelectorView for key in (("v1", "services"), ("v1", "replicationcontrollers"),
                                     ("apps/v1", "replicasets"), ("apps/v1", "statefulsets"),
                                     ("apps/v1", "daemonsets"), ("apps/v1", "deployments"), ("batch/v1", "jobs"))},
}


def view_for(api_version: str, plural: str) -> type[View]:
    """The view Struct for a resource (by ``apiVersion`` and plural)."""
    return _VIEWS.get((api_version, plural), View)
