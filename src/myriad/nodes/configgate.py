"""The ConfigMaps and Secrets a pod needs before its containers can be made.

:func:`references` finds what a pod spec refers to: volumes (``configMap``, ``secret``, and
``projected`` sources), ``envFrom`` and ``env[].valueFrom`` key references, each with its
``optional`` flag. :meth:`ConfigGate.check` answers, from what the gate holds, why the pod
cannot start yet, worded as the kubelet words it:

- a missing volume source keeps the containers ``ContainerCreating``, with a ``FailedMount``
  event (``MountVolume.SetUp failed for volume "v" : configmap "x" not found``);
- a missing environment source gives ``CreateContainerConfigError`` (``configmap "x" not
  found``, or ``couldn't find key k in ConfigMap ns/x``), with a ``Failed`` event.

How the gate learns what exists is the kubelet's ``--config-strategy`` ablation (upstream's
``configMapAndSecretChangeDetectionStrategy``):

- ``namespace`` (the default): one watch per namespace and kind while some pod there refers to
  an object of that kind; a pod waiting on one is told at once when it appears (``on_change``).
  A kubelet watches each object (upstream's ``Watch``) over one HTTP/2 connection; a process of
  many hollow kubelets over HTTP/1.1 would hold a socket a watch, and at 10,000 nodes with
  22,200 Deployments' ConfigMaps and Secrets ran out of file descriptors (20,000 here) on both
  ends, so it watches namespaces: a few hundred sockets, the same events;
- ``watch`` (upstream's default, per object): one watch per referenced object (``metadata.name``
  field selector, through a reflector) while some pod refers to it;
- ``get``: a GET of each reference every time a pod is about to start;
- ``ttl``: a GET only when the cached answer is older than ``ttl`` seconds.

:attr:`ConfigGate.figures` counts the API calls each costs. Concurrency: event loop only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from myriad.client import errors
from myriad.client.informers.reflector import Reflector, ReflectorOptions
from myriad.client.objects import Object
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, SECRETS, WatchEvent
from myriad.clock import Clock

Strategy = Literal["namespace", "watch", "get", "ttl"]
#: (waiting reason, waiting message, event reason, event note)
Blocked = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class Reference:
    kind: Literal["configmap", "secret"]
    name: str
    optional: bool = False
    #: A single key the pod reads (``env[].valueFrom``), or None for the whole object.
    key: str | None = None
    #: The volume that mounts it, or "" for an environment reference.
    volume: str = ""


def references(spec: Mapping[str, Any]) -> tuple[Reference, ...]:
    """What ``spec`` refers to, volumes first, as the kubelet meets them (mounts before env)."""
    found: list[Reference] = []
    for volume in spec.get("volumes") or []:
        name = volume.get("name", "")
        sources = [volume] + [s for s in ((volume.get("projected") or {}).get("sources") or [])]
        for source in sources:
            if "configMap" in source:
                cm = source["configMap"] or {}
                found.append(Reference("configmap", cm.get("name", ""), bool(cm.get("optional")), volume=name))
            if "secret" in source:
                secret = source["secret"] or {}
                secret_name = secret.get("secretName", secret.get("name", ""))
                found.append(Reference("secret", secret_name, bool(secret.get("optional")), volume=name))
    for container in list(spec.get("initContainers") or []) + list(spec.get("containers") or []):
        for source in container.get("envFrom") or []:
            for key, kind in (("configMapRef", "configmap"), ("secretRef", "secret")):
                if key in source:
                    ref = source[key] or {}
                    found.append(Reference(kind, ref.get("name", ""), bool(ref.get("optional"))))  # type: ignore[arg-type]
        for variable in container.get("env") or []:
            value_from = variable.get("valueFrom") or {}
            for key, kind in (("configMapKeyRef", "configmap"), ("secretKeyRef", "secret")):
                if key in value_from:
                    ref = value_from[key] or {}
                    found.append(Reference(kind, ref.get("name", ""), bool(ref.get("optional")),  # type: ignore[arg-type]
                                           key=ref.get("key", "")))
    return tuple(dict.fromkeys(found))


@dataclass
class GateFigures:
    gets: int = 0
    lists: int = 0
    #: Watches started (an object's, or a namespace's), reconnections not counted.
    watches: int = 0

    @property
    def calls(self) -> int:
        return self.gets + self.lists + self.watches


@dataclass(slots=True)
class _Entry:
    #: The object's keys, or None if it does not exist; ``fetched`` when last read (ttl).
    keys: frozenset[str] | None = None
    fetched: float = float("-inf")
    known: bool = False
    users: set[str] = field(default_factory=set)
    #: Set once a watch has listed the object (or found it missing).
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    watcher: asyncio.Task[None] | None = None
    reflector: Reflector | None = None


@dataclass(slots=True)
class _Space:
    """The ``namespace`` strategy's watch of one kind in one namespace: every object's keys."""
    objects: dict[str, frozenset[str]] = field(default_factory=dict)
    #: The names some pod refers to (each an entry); the watch ends when none is left.
    referenced: set[str] = field(default_factory=set)
    synced: asyncio.Event = field(default_factory=asyncio.Event)
    watcher: asyncio.Task[None] | None = None


class ConfigGate:
    def __init__(self, client: Client, *, strategy: Strategy = "namespace", ttl: float = 60.0, clock: Clock,
                 on_change: Callable[[str], None] = lambda _pod: None) -> None:
        self._client = client
        self._strategy = strategy
        self._ttl = ttl
        self._clock = clock
        self._on_change = on_change
        self._entries: dict[tuple[str, str, str], _Entry] = {}
        self._spaces: dict[tuple[str, str], _Space] = {}
        self.figures = GateFigures()

    def hold(self, pod: str, namespace: str, refs: Iterable[Reference]) -> None:
        """``pod`` (its key) refers to ``refs``: with ``watch`` or ``namespace``, their watches start."""
        for ref in refs:
            slot = (ref.kind, namespace, ref.name)
            entry = self._entries.get(slot)
            if entry is None:
                entry = self._entries[slot] = _Entry()
                if self._strategy == "namespace":
                    self._join(ref.kind, namespace, ref.name, entry)
            entry.users.add(pod)
            if self._strategy == "watch" and entry.watcher is None:
                self._watch(ref.kind, namespace, ref.name, entry)

    def release(self, pod: str, namespace: str, refs: Iterable[Reference]) -> None:
        """``pod`` is gone: objects nobody refers to any more are forgotten (watches end)."""
        for ref in refs:
            slot = (ref.kind, namespace, ref.name)
            entry = self._entries.get(slot)
            if entry is None:
                continue
            entry.users.discard(pod)
            if not entry.users:
                if entry.watcher is not None:
                    entry.watcher.cancel()
                del self._entries[slot]
                space = self._spaces.get((ref.kind, namespace))
                if space is not None:
                    space.referenced.discard(ref.name)
                    if not space.referenced:
                        if space.watcher is not None:
                            space.watcher.cancel()
                        del self._spaces[(ref.kind, namespace)]

    async def refresh(self, namespace: str, refs: Iterable[Reference], *, sync_timeout: float = 5.0) -> None:
        """Reads what ``get`` and ``ttl`` must read before :meth:`check`; with ``watch``, waits
        (up to ``sync_timeout``) for the watches to have listed what they watch."""
        if self._strategy in ("watch", "namespace"):
            for ref in refs:
                watched = self._entries.get((ref.kind, namespace, ref.name)) if self._strategy == "watch" \
                    else self._spaces.get((ref.kind, namespace))
                if watched is not None and not watched.synced.is_set():
                    try:
                        await asyncio.wait_for(watched.synced.wait(), sync_timeout)
                    except TimeoutError:
                        return
            return
        for ref in dict.fromkeys((r.kind, r.name) for r in refs):
            entry = self._entries.setdefault((ref[0], namespace, ref[1]), _Entry())
            if self._strategy == "ttl" and self._clock.monotonic() - entry.fetched < self._ttl:
                continue
            resource = CONFIGMAPS if ref[0] == "configmap" else SECRETS
            self.figures.gets += 1
            try:
                found = await self._client.get(resource, ref[1], namespace=namespace)
                entry.keys = _keys(found)
            except errors.NotFound:
                entry.keys = None
            except errors.ClientError:
                continue  # unknown: checked as missing until the next try
            entry.known, entry.fetched = True, self._clock.monotonic()

    def check(self, namespace: str, refs: Iterable[Reference]) -> Blocked | None:
        """None if the pod can start, else why not (the first missing reference)."""
        for ref in refs:
            entry = self._entries.get((ref.kind, namespace, ref.name))
            keys = entry.keys if entry is not None else None
            kind = "ConfigMap" if ref.kind == "configmap" else "Secret"
            if keys is None:
                if ref.optional:
                    continue
                missing = f'{ref.kind} "{ref.name}" not found'
                if ref.volume:
                    return ("ContainerCreating", "", "FailedMount",
                            f'MountVolume.SetUp failed for volume "{ref.volume}" : {missing}')
                return "CreateContainerConfigError", missing, "Failed", f"Error: {missing}"
            if ref.key is not None and ref.key not in keys and not ref.optional:
                missing = f"couldn't find key {ref.key} in {kind} {namespace}/{ref.name}"
                return "CreateContainerConfigError", missing, "Failed", f"Error: {missing}"
        return None

    async def stop(self) -> None:
        tasks = [w.watcher for w in (*self._entries.values(), *self._spaces.values()) if w.watcher is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _watch(self, kind: str, namespace: str, name: str, entry: _Entry) -> None:
        gate = self

        class Sink:
            def replace(self, objects: list[Object], resource_version: str) -> None:
                gate.figures.lists += 1
                self._set(_keys(objects[0]) if objects else None)
                entry.synced.set()

            def apply(self, event: WatchEvent) -> None:
                self._set(None if event.type == "DELETED" else _keys(event.object))

            def _set(self, keys: frozenset[str] | None) -> None:
                appeared = keys is not None and entry.keys != keys
                entry.keys, entry.known = keys, True
                if appeared:
                    for pod in list(entry.users):
                        gate._on_change(pod)

        resource = CONFIGMAPS if kind == "configmap" else SECRETS
        self.figures.watches += 1
        entry.reflector = Reflector(self._client, resource, Sink(), ReflectorOptions(
            namespace=namespace, field_selector=f"metadata.name={name}"))
        entry.watcher = asyncio.get_running_loop().create_task(entry.reflector.run())


    def _join(self, kind: str, namespace: str, name: str, entry: _Entry) -> None:
        """``entry`` is read from its namespace's watch of ``kind``, started if it is the first."""
        space = self._spaces.get((kind, namespace))
        if space is None:
            space = self._spaces[(kind, namespace)] = _Space()
            self._watch_space(kind, namespace, space)
        space.referenced.add(name)
        if space.synced.is_set():
            entry.keys, entry.known = space.objects.get(name), True

    def _watch_space(self, kind: str, namespace: str, space: _Space) -> None:
        gate = self

        class Sink:
            def replace(self, objects: list[Object], resource_version: str) -> None:
                gate.figures.lists += 1
                space.objects = {o.name: _keys(o) for o in objects}
                for name in space.referenced:
                    self._set(gate._entries[(kind, namespace, name)], space.objects.get(name))
                space.synced.set()

            def apply(self, event: WatchEvent) -> None:
                name = event.object.name
                keys = None if event.type == "DELETED" else _keys(event.object)
                if keys is None:
                    space.objects.pop(name, None)
                else:
                    space.objects[name] = keys
                if name in space.referenced:
                    self._set(gate._entries[(kind, namespace, name)], keys)

            def _set(self, entry: _Entry, keys: frozenset[str] | None) -> None:
                appeared = keys is not None and entry.keys != keys
                entry.keys, entry.known = keys, True
                if appeared:
                    for pod in list(entry.users):
                        gate._on_change(pod)

        self.figures.watches += 1
        reflector = Reflector(self._client, CONFIGMAPS if kind == "configmap" else SECRETS, Sink(),
                              ReflectorOptions(namespace=namespace))
        space.watcher = asyncio.get_running_loop().create_task(reflector.run())


def _keys(obj: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(obj.get("data") or {}) | frozenset(obj.get("binaryData") or {}) | frozenset(
        obj.get("stringData") or {})
