"""ControllerRevisions: the template history of StatefulSets and DaemonSets (upstream's
``pkg/controller/history``).

A revision's ``data`` is a strategic merge patch replacing the owner's pod template,
``{"spec": {"template": {..., "$patch": "replace"}}}`` (upstream's ``getPatch``); two revisions
are equal when their data is. A revision is named ``<owner>-<hash>``, the hash being FNV-1 (32
bits) of the data's JSON, with the collision count appended when there is one, written in
upstream's vowel-free alphabet; it also carries the hash as the ``controller.kubernetes.io/hash``
label. A name taken by a different revision raises the collision count and hashes again.

Pure functions, except :func:`claimed`, :func:`create`, :func:`renumber` and :func:`truncate`,
which call the API.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import orjson

from myriad.api.meta import parse_time
from myriad.api.selectors import LabelSelector
from myriad.client import errors
from myriad.client.informers.informer import SharedInformer
from myriad.client.rest import Client
from myriad.client.types import Resource
from myriad.controllers.podcontrol import BY_CONTROLLER, ORPHANS, Claims, controller_ref

Obj = dict[str, Any]

CONTROLLERREVISIONS = Resource(api_version="apps/v1", plural="controllerrevisions")
#: The label holding a revision's hash.
HASH_LABEL = "controller.kubernetes.io/hash"
#: The label naming the revision a pod was made from (StatefulSets: the revision's name;
#: DaemonSets: its hash).
POD_REVISION_LABEL = "controller-revision-hash"
#: Upstream's rand.SafeEncodeString alphabet: no vowels, no look-alikes.
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
#: Names are at most 253 characters: the prefix is cut so ``-<hash>`` still fits.
_MAX_PREFIX = 223


def safe_encode(text: str) -> str:
    """Upstream's ``rand.SafeEncodeString``: each character mapped into the safe alphabet."""
    return "".join(_SAFE[ord(c) % len(_SAFE)] for c in text)


def template_data(template: Obj) -> Obj:
    """The revision data of an owner whose pod template is ``template``."""
    return {"spec": {"template": {**template, "$patch": "replace"}}}


def template_of(revision: Obj) -> Obj:
    """The pod template a revision's data holds (the inverse of :func:`template_data`)."""
    template = dict(((revision.get("data") or {}).get("spec") or {}).get("template") or {})
    template.pop("$patch", None)
    return template


def data_bytes(data: Obj) -> bytes:
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS)


def revision_hash(data: Obj, collisions: int | None) -> str:
    """Upstream's ``HashControllerRevision``: FNV-1 of the data, then the collision count."""
    payload = data_bytes(data)
    if collisions is not None:
        payload += str(collisions).encode()
    value = 0x811C9DC5
    for byte in payload:
        value = ((value * 0x01000193) & 0xFFFFFFFF) ^ byte
    return safe_encode(str(value))


def revision_name(prefix: str, hash_: str) -> str:
    return f"{prefix[:_MAX_PREFIX]}-{hash_}"


def new_revision(owner: Obj, data: Obj, number: int, collisions: int | None) -> Obj:
    """A revision of ``owner`` (controlled by it, labelled with its template's labels and the
    hash) holding ``data`` as revision ``number``."""
    hash_ = revision_hash(data, collisions)
    template = ((owner.get("spec") or {}).get("template") or {})
    labels = {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: hash_}
    return {"apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": revision_name(owner["metadata"]["name"], hash_),
                         "namespace": owner["metadata"]["namespace"], "labels": labels,
                         "ownerReferences": [controller_ref(owner)]},
            "data": data, "revision": number}


def equal(a: Obj, b: Obj) -> bool:
    """Upstream's ``EqualRevision``: the same data."""
    return data_bytes(a.get("data") or {}) == data_bytes(b.get("data") or {})


def ordered(revisions: Iterable[Obj]) -> list[Obj]:
    """Oldest first: by revision number, then creation time, then name."""
    return sorted(revisions, key=lambda r: (int(r.get("revision") or 0),
                                            parse_time(r["metadata"].get("creationTimestamp")) or 0.0,
                                            r["metadata"]["name"]))


async def claimed(client: Client, owner: Obj, selector: LabelSelector, can_adopt: Callable[[], Awaitable[bool]],
                  revisions: SharedInformer) -> list[Obj]:
    """The owner's revisions from ``revisions``' cache (indexed by controller and orphans),
    orphans it selects adopted, strays released; oldest first."""
    metadata = owner["metadata"]
    return ordered(await Claims(client, owner, selector, can_adopt, resource=CONTROLLERREVISIONS).claim(
        revisions.indexer.by_index(BY_CONTROLLER, metadata["uid"]),
        revisions.indexer.by_index(ORPHANS, metadata["namespace"])))


def next_number(revisions: list[Obj]) -> int:
    """The number after the newest of ``revisions`` (ordered), or 1."""
    return int(revisions[-1].get("revision") or 0) + 1 if revisions else 1


async def create(client: Client, owner: Obj, data: Obj, number: int, collisions: int) -> tuple[Obj, int]:
    """Upstream's ``CreateControllerRevision``: creates the revision, or finds an equal one
    under its name; a different one there raises the collision count and tries the next
    name. Returns the revision and the collision count used."""
    while True:
        revision = new_revision(owner, data, number, collisions)
        try:
            return await client.create(CONTROLLERREVISIONS, revision, namespace=owner["metadata"]["namespace"]), \
                collisions
        except errors.AlreadyExists:
            existing = await client.get(CONTROLLERREVISIONS, revision["metadata"]["name"],
                                        namespace=owner["metadata"]["namespace"])
            if equal(existing, revision):
                return existing, collisions
            collisions += 1


async def renumber(client: Client, revision: Obj, number: int) -> Obj:
    """Gives an older revision the newest number (a rollback to it)."""
    if int(revision.get("revision") or 0) == number:
        return revision
    return await client.update(CONTROLLERREVISIONS, {**revision, "revision": number})


async def truncate(client: Client, revisions: list[Obj], live: set[str], limit: int) -> None:
    """Deletes the oldest of ``revisions`` (ordered) not named in ``live`` until at most
    ``limit`` of those remain (upstream's ``truncateHistory``)."""
    history = [r for r in revisions if r["metadata"]["name"] not in live]
    for revision in history[:max(len(history) - limit, 0)]:
        try:
            await client.delete(CONTROLLERREVISIONS, revision["metadata"]["name"],
                                namespace=revision["metadata"]["namespace"])
        except errors.NotFound:
            pass
