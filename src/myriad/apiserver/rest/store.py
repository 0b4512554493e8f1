"""ObjectStore: create, get, update, patch and delete of API objects in storage, the generic
part of upstream's ``genericregistry.Store``; resource-specific rules come from strategies.

Writes are compare-and-swap on the key's mod_revision. A request that names a resourceVersion
gets 409 Conflict when it is stale; one that does not (unconditional update, most patches) is
retried against the newer object.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from myriad.api import gojson, meta
from myriad.api.errors import (
    OPTIMISTIC_LOCK_MESSAGE,
    AlreadyExistsError,
    BadRequestError,
    Cause,
    ConflictError,
    ForbiddenError,
    InternalError,
    InvalidError,
    NotFoundError,
)
from myriad.api.registry import ResourceType
from myriad.apiserver.rest.codec import decode, encode, raw, same_content
from myriad.apiserver.rest.conversion import CONVERSIONS
from myriad.apiserver.rest.fieldmanager import SERVER, FieldTracker
from myriad.apiserver.rest.interfaces import Obj, Strategy
from myriad.clock import Clock
from myriad.storage import errors as storage_errors
from myriad.storage.interfaces import KeyValue, Store

#: Attempts at an update that is retried on conflicts (no resourceVersion was asked for).
_UPDATE_ATTEMPTS = 16
#: Attempts at a create whose generated name collides.
_GENERATE_ATTEMPTS = 8

#: Patches a function of the current object to the new one; raises StatusError on bad patches.
#: The object it gets is a decoding of its own (made afresh for each attempt), which it may change.
Mutation = Callable[[Obj], Obj]


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteOptions:
    grace_period: int | None = None
    propagation: str | None = None
    uid: str | None = None
    resource_version: str | None = None
    dry_run: bool = False


@dataclass(frozen=True, slots=True)
class DeleteOutcome:
    """``obj`` is the object after the request; ``gone`` tells whether it left storage or was
    only marked for deletion (finalizers, grace period)."""

    obj: Obj
    gone: bool


#: Mutating admission: ``(resource, new, old)`` (old is None on create) after defaults, before
#: the strategy prepares and validates; raises a StatusError to refuse.
Admit = Callable[[ResourceType, Obj, "Obj | None"], Awaitable[None]]
#: Validating admission of a create: ``(resource, namespace, obj)`` once the object is valid and
#: its namespace accepts it, just before it is written (not on a dry run); raises a StatusError
#: to refuse, and may charge the create somewhere first (quota).
Check = Callable[[ResourceType, str, Obj], Awaitable[None]]


class ObjectStore:
    def __init__(self, storage: Store, strategy: Callable[[ResourceType], Strategy], *, clock: Clock,
                 namespaces: ResourceType, admit: Admit | None = None) -> None:
        self._storage = storage
        #: Keeps managedFields on every write; the apply endpoint merges through it.
        self.fields = FieldTracker(clock=clock)
        self._strategy = strategy
        self._clock = clock
        self._namespaces = namespaces
        self._admit = admit
        #: Set once the admission that needs this store exists (see :data:`Check`).
        self.check: Check | None = None

    @staticmethod
    def key(resource: ResourceType, namespace: str, name: str) -> bytes:
        if resource.namespaced:
            return f"{resource.prefix()}{namespace}/{name}".encode()
        return f"{resource.prefix()}{name}".encode()

    # -- the served form and the stored form (see .conversion) --------------------------------

    @staticmethod
    def _to_storage(resource: ResourceType, obj: Obj) -> Obj:
        conversion = CONVERSIONS.get((resource.group, resource.version, resource.plural))
        return obj if conversion is None else conversion.to_storage(obj)

    @staticmethod
    def _served(resource: ResourceType, obj: Obj) -> Obj:
        conversion = CONVERSIONS.get((resource.group, resource.version, resource.plural))
        return obj if conversion is None else conversion.from_storage(obj)

    async def get(self, resource: ResourceType, namespace: str, name: str) -> Obj:
        kv = await self._storage.get(self.key(resource, namespace, name))
        if kv is None:
            raise NotFoundError.of(resource.plural, resource.group, name)
        return self._served(resource, decode(kv))

    async def get_raw(self, resource: ResourceType, namespace: str, name: str) -> bytes:
        """What :meth:`get` returns, as JSON bytes; straight from the stored bytes when the
        resource is served in its stored form."""
        kv = await self._storage.get(self.key(resource, namespace, name))
        if kv is None:
            raise NotFoundError.of(resource.plural, resource.group, name)
        if (resource.group, resource.version, resource.plural) in CONVERSIONS:
            return gojson.dumps(self._served(resource, decode(kv)))
        return raw(kv)

    # -- create --------------------------------------------------------------------------------

    async def create(self, resource: ResourceType, namespace: str, obj: Obj, *, dry_run: bool = False,
                     manager: str | None = SERVER) -> Obj:
        """POST by ``manager`` (the request's field manager; None: ``obj`` carries its managedFields)."""
        stored = await self._create(resource, namespace, self._to_storage(resource, obj), dry_run=dry_run,
                                    manager=manager)
        return self._served(resource, stored)

    async def _create(self, resource: ResourceType, namespace: str, obj: Obj, *, dry_run: bool,
                      manager: str | None) -> Obj:
        strategy = self._strategy(resource)
        metadata = _metadata(obj)
        if metadata.get("resourceVersion"):
            raise BadRequestError("resourceVersion should not be set on objects to be created")
        base = metadata.get("generateName")
        if not metadata.get("name") and isinstance(base, str) and base:
            metadata["name"] = meta.generate_name(base)
        metadata["uid"] = meta.new_uid()
        metadata["creationTimestamp"] = meta.rfc3339(self._clock.now())
        for field in ("deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            metadata.pop(field, None)
        if strategy.tracks_generation:
            metadata["generation"] = 1
        else:
            metadata.pop("generation", None)
        strategy.default(obj)  # upstream defaults on decoding, before PrepareForCreate
        if manager is not None:  # before admission, as upstream's field manager runs
            self.fields.created(resource, obj, manager)
        entries = metadata.get("managedFields")
        strategy.admit(obj, None)
        if self._admit is not None:
            await self._admit(resource, obj, None)
        strategy.prepare_for_create(obj)
        _keep_entries(obj, entries)
        causes = strategy.validate(obj)
        name = str(metadata.get("name") or "")
        if causes:
            raise InvalidError.of(resource.kind, resource.group, name, causes)
        if resource.namespaced:
            await self._check_namespace(resource, namespace, name)
        if dry_run:
            return obj
        if self.check is not None:
            await self.check(resource, namespace, obj)
        causes = await strategy.reserve(obj, None)
        if causes:
            await strategy.release(obj, None)
            raise InvalidError.of(resource.kind, resource.group, name, causes)
        try:
            for _ in range(_GENERATE_ATTEMPTS):
                try:
                    revision = await self._storage.create(self.key(resource, namespace, name), encode(obj))
                except storage_errors.KeyExistsError:
                    if not base or not isinstance(base, str):
                        raise AlreadyExistsError.of(resource.plural, resource.group, name) from None
                    name = metadata["name"] = meta.generate_name(base)
                    continue
                metadata["resourceVersion"] = str(revision)
                return obj
            raise AlreadyExistsError.of(resource.plural, resource.group, name)
        except BaseException:
            await strategy.release(obj, None)
            raise

    async def _check_namespace(self, resource: ResourceType, namespace: str, name: str) -> None:
        kv = await self._storage.get(self.key(self._namespaces, "", namespace))
        if kv is None:
            raise NotFoundError.of("namespaces", "", namespace)
        if b'"deletionTimestamp"' in kv.value and _metadata(decode(kv)).get("deletionTimestamp"):
            error = ForbiddenError.of(resource.plural, resource.group, name,
                                      f"unable to create new content in namespace {namespace} because it is "
                                      "being terminated")
            error.causes = (Cause("NamespaceTerminating", f"namespace {namespace} is being terminated",
                                  "metadata.namespace"),)
            raise error

    # -- update and patch ----------------------------------------------------------------------

    async def update(self, resource: ResourceType, namespace: str, name: str, body: Obj, *,
                     subresource: str = "", dry_run: bool = False, manager: str | None = SERVER) -> tuple[Obj, bool]:
        """PUT by ``manager``. Returns the stored object and whether it was created."""
        stored, created = await self._update(resource, namespace, name, self._to_storage(resource, body),
                                             subresource=subresource, dry_run=dry_run, manager=manager)
        return self._served(resource, stored), created

    async def _update(self, resource: ResourceType, namespace: str, name: str, body: Obj, *,
                      subresource: str, dry_run: bool, manager: str | None) -> tuple[Obj, bool]:
        strategy = self._strategy(resource)
        requested_rv = str(_metadata(body).get("resourceVersion") or "")
        key = self.key(resource, namespace, name)
        for attempt in range(_UPDATE_ATTEMPTS):
            kv = await self._storage.get(key)
            if kv is None:
                if strategy.allow_create_on_update and not subresource:
                    if requested_rv:
                        raise ConflictError.of(resource.plural, resource.group, name, OPTIMISTIC_LOCK_MESSAGE)
                    fresh = body if attempt == 0 else gojson.clone(body)
                    try:
                        return await self._create(resource, namespace, fresh, dry_run=dry_run,
                                                  manager=manager), True
                    except AlreadyExistsError:
                        continue
                raise NotFoundError.of(resource.plural, resource.group, name)
            if requested_rv:
                if requested_rv != str(kv.mod_revision):
                    raise ConflictError.of(resource.plural, resource.group, name, OPTIMISTIC_LOCK_MESSAGE)
            elif not strategy.allow_unconditional_update:
                raise InvalidError.of(resource.kind, resource.group, name, [  # Go prints its uint64 0 as 0x0
                    Cause("FieldValueInvalid", "Invalid value: 0x0: must be specified for an update",
                          "metadata.resourceVersion")])
            new = body if attempt == 0 else gojson.clone(body)
            result = await self._write_update(resource, strategy, kv, new, subresource=subresource,
                                              dry_run=dry_run, strict_rv=bool(requested_rv), manager=manager)
            if result is not None:
                return result, False
        raise ConflictError.of(resource.plural, resource.group, name, OPTIMISTIC_LOCK_MESSAGE)

    async def patch(self, resource: ResourceType, namespace: str, name: str, mutate: Mutation, *,
                    subresource: str = "", dry_run: bool = False, manager: str | None = SERVER) -> Obj:
        """Applies ``mutate`` to the current object and stores the result as ``manager``'s write (None:
        ``mutate`` sets managedFields itself, as an apply does);
        a patch that sets metadata.resourceVersion is conditional on it, any other is retried on
        conflicts."""
        strategy = self._strategy(resource)
        key = self.key(resource, namespace, name)
        for _ in range(_UPDATE_ATTEMPTS):
            kv = await self._storage.get(key)
            if kv is None:
                raise NotFoundError.of(resource.plural, resource.group, name)
            new = mutate(self._served(resource, decode(kv)))
            if not isinstance(new, dict) or not isinstance(new.get("metadata"), dict):
                raise BadRequestError("the patched object must be a JSON object with metadata")
            new = self._to_storage(resource, new)
            requested_rv = str(new["metadata"].get("resourceVersion") or "")  # type: ignore[union-attr]
            if requested_rv and requested_rv != str(kv.mod_revision):
                raise ConflictError.of(resource.plural, resource.group, name, OPTIMISTIC_LOCK_MESSAGE)
            result = await self._write_update(resource, strategy, kv, new, subresource=subresource,
                                              dry_run=dry_run, strict_rv=False, manager=manager)
            if result is not None:
                return self._served(resource, result)
        raise ConflictError.of(resource.plural, resource.group, name, OPTIMISTIC_LOCK_MESSAGE)

    async def _write_update(self, resource: ResourceType, strategy: Strategy, kv: KeyValue, new: Obj, *,
                            subresource: str, dry_run: bool, strict_rv: bool, manager: str | None) -> Obj | None:
        """One compare-and-swap attempt; None when the object moved on and the caller retries."""
        old = decode(kv)
        old_meta = _metadata(old)
        new_meta = _metadata(new)
        name = str(old_meta.get("name", ""))
        uid = new_meta.get("uid")
        if uid and uid != old_meta.get("uid"):
            raise ConflictError.of(resource.plural, resource.group, name,
                                   f"Precondition failed: UID in precondition: {uid}, UID in object meta: "
                                   f"{old_meta.get('uid')}")
        for field in ("name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
                      "deletionGracePeriodSeconds", "generation"):
            if field in old_meta:
                new_meta[field] = old_meta[field]
            else:
                new_meta.pop(field, None)
        if old_meta.get("deletionTimestamp") and _added_finalizers(new_meta, old_meta):
            raise InvalidError.of(resource.kind, resource.group, name, [meta.forbidden(
                "metadata.finalizers", "no new finalizers can be added if the object is being deleted")])
        strategy.default(new)
        # The object itself is tracked before admission, as upstream's field manager runs; a
        # subresource write after the strategy kept what its endpoint may not change.
        tracked_first = manager is not None and not subresource
        if tracked_first:
            self.fields.updated(resource, old, new, manager, subresource)  # type: ignore[arg-type]
        entries = new_meta.get("managedFields")  # this write's (or an apply's), kept through what follows
        if not subresource:
            strategy.admit(new, old)
            if self._admit is not None:
                await self._admit(resource, new, old)
        strategy.prepare_for_update(new, old, subresource=subresource)
        if manager is None or tracked_first:
            _keep_entries(new, entries)
        else:
            self.fields.updated(resource, old, new, manager, subresource)
        new_meta = _metadata(new)
        if strategy.tracks_generation:
            generation = old_meta.get("generation") or 1
            if strategy.spec_changed(new, old):
                generation = int(generation) + 1  # type: ignore[call-overload]
            new_meta["generation"] = generation
        causes = strategy.validate_update(new, old, subresource=subresource)
        if causes:
            raise InvalidError.of(resource.kind, resource.group, name, causes)
        new_meta["resourceVersion"] = str(kv.mod_revision)
        if same_content(new, old):
            return old
        if dry_run:
            return new
        if new_meta.get("deletionTimestamp") and not new_meta.get("finalizers") and \
                not new_meta.get("deletionGracePeriodSeconds") and not strategy.holds_deletion(new):
            try:
                result = await self._storage.delete(kv.key, mod_revision=kv.mod_revision)
            except (storage_errors.ConflictError, storage_errors.KeyNotFoundError):
                return self._lost_race(resource, name, strict_rv)
            await strategy.release(old, None)
            new_meta["resourceVersion"] = str(result.revision)
            return new
        causes = await strategy.reserve(new, old)
        if causes:
            await strategy.release(new, old)
            raise InvalidError.of(resource.kind, resource.group, name, causes)
        try:
            revision = await self._storage.update(kv.key, encode(new), mod_revision=kv.mod_revision)
        except storage_errors.ConflictError:
            await strategy.release(new, old)
            return self._lost_race(resource, name, strict_rv)
        except BaseException as exc:
            await strategy.release(new, old)
            if isinstance(exc, storage_errors.KeyNotFoundError):
                raise NotFoundError.of(resource.plural, resource.group, name) from None
            raise
        await strategy.release(old, new)
        new_meta["resourceVersion"] = str(revision)
        return new

    @staticmethod
    def _lost_race(resource: ResourceType, name: str, strict_rv: bool) -> None:
        if strict_rv:
            raise ConflictError.of(resource.plural, resource.group, name, OPTIMISTIC_LOCK_MESSAGE)
        return None

    # -- delete --------------------------------------------------------------------------------

    async def delete(self, resource: ResourceType, namespace: str, name: str, options: DeleteOptions) -> DeleteOutcome:
        outcome = await self._delete(resource, namespace, name, options)
        return DeleteOutcome(self._served(resource, outcome.obj), outcome.gone)

    async def _delete(self, resource: ResourceType, namespace: str, name: str, options: DeleteOptions) -> DeleteOutcome:
        strategy = self._strategy(resource)
        forbidden = strategy.deletion_forbidden(name)
        if forbidden:
            raise ForbiddenError.of(resource.plural, resource.group, name, forbidden)
        key = self.key(resource, namespace, name)
        for _ in range(_UPDATE_ATTEMPTS):
            kv = await self._storage.get(key)
            if kv is None:
                raise NotFoundError.of(resource.plural, resource.group, name)
            obj = decode(kv)
            metadata = _metadata(obj)
            if options.uid is not None and options.uid != metadata.get("uid"):
                raise _precondition_failed(resource, name, f"the UID in the precondition ({options.uid}) does not "
                                           f"match the UID in record ({metadata.get('uid')}). The object might "
                                           "have been deleted and then recreated")
            if options.resource_version is not None and options.resource_version != metadata["resourceVersion"]:
                raise _precondition_failed(resource, name, "the ResourceVersion in the precondition "
                                           f"({options.resource_version}) does not match the ResourceVersion in "
                                           f"record ({metadata['resourceVersion']}). The object might have been "
                                           "modified")
            marked = self._mark_for_deletion(strategy, obj, options)
            if marked is not None:
                if marked is obj:
                    return DeleteOutcome(obj, gone=False)
                if options.dry_run:
                    return DeleteOutcome(marked, gone=False)
                try:
                    revision = await self._storage.update(key, encode(marked), mod_revision=kv.mod_revision)
                except storage_errors.ConflictError:
                    continue
                except storage_errors.KeyNotFoundError:
                    raise NotFoundError.of(resource.plural, resource.group, name) from None
                _metadata(marked)["resourceVersion"] = str(revision)
                return DeleteOutcome(marked, gone=False)
            if options.dry_run:
                return DeleteOutcome(obj, gone=True)
            try:
                result = await self._storage.delete(key, mod_revision=kv.mod_revision)
            except storage_errors.ConflictError:
                continue
            except storage_errors.KeyNotFoundError:
                raise NotFoundError.of(resource.plural, resource.group, name) from None
            await strategy.release(obj, None)
            metadata["resourceVersion"] = str(result.revision)
            return DeleteOutcome(obj, gone=True)
        raise InternalError.of(f"could not delete {resource.plural} {name!r}: too many concurrent changes")

    def _mark_for_deletion(self, strategy: Strategy, obj: Obj, options: DeleteOptions) -> Obj | None:
        """The object marked for deletion (finalizers or grace period), ``obj`` itself when it
        is already marked and nothing changes, or None when it should go now."""
        metadata = _metadata(obj)
        finalizers = list(metadata.get("finalizers") or [])  # type: ignore[call-overload]
        wanted = {"Foreground": "foregroundDeletion", "Orphan": "orphan"}.get(options.propagation or "")
        if wanted and wanted not in finalizers and options.propagation != "Background":
            finalizers.append(wanted)
        grace = strategy.graceful_period(obj, options.grace_period)
        held = strategy.holds_deletion(obj)
        if not finalizers and grace <= 0 and not held:
            return None
        if metadata.get("deletionTimestamp"):
            current_grace = metadata.get("deletionGracePeriodSeconds")
            shorter = grace > 0 and isinstance(current_grace, int) and grace < current_grace
            if finalizers == list(metadata.get("finalizers") or []) and not shorter:  # type: ignore[call-overload]
                if grace <= 0 and not finalizers and not held:
                    return None
                return obj
        # ``obj`` is this call's own decoding; the mark replaces metadata and, in mark_deleting,
        # whole top-level fields, so a shallow copy leaves ``obj`` as it was.
        marked = {**obj, "metadata": dict(metadata)}
        marked_meta = _metadata(marked)
        now = self._clock.now()
        if finalizers:
            marked_meta["finalizers"] = finalizers
        if not metadata.get("deletionTimestamp") or grace > 0:
            marked_meta["deletionTimestamp"] = meta.rfc3339(now + max(grace, 0))
        marked_meta["deletionGracePeriodSeconds"] = max(grace, 0)
        if strategy.tracks_generation:
            marked_meta["generation"] = int(marked_meta.get("generation") or 1) + 1  # type: ignore[call-overload]
        strategy.mark_deleting(marked)
        return marked


def _precondition_failed(resource: ResourceType, name: str, why: str) -> ConflictError:
    """Upstream names the Kind here, not the resource."""
    what = f"{resource.kind}.{resource.group}" if resource.group else resource.kind
    return ConflictError(f'Operation cannot be fulfilled on {what} "{name}": {why}', name=name,
                         group=resource.group, kind=resource.kind)


def _keep_entries(obj: Obj, entries: object) -> None:
    """``obj``'s managedFields set back to ``entries`` (the write's), whatever admission and the
    strategy did to its metadata since."""
    metadata = _metadata(obj)
    if entries:
        metadata["managedFields"] = entries
    else:
        metadata.pop("managedFields", None)


def _metadata(obj: Obj) -> dict[str, object]:
    metadata = obj.get("metadata")
    if not isinstance(metadata, dict):
        metadata = obj["metadata"] = {}
    return metadata


def _added_finalizers(new_meta: dict[str, object], old_meta: dict[str, object]) -> bool:
    new = set(new_meta.get("finalizers") or [])  # type: ignore[call-overload]
    old = set(old_meta.get("finalizers") or [])  # type: ignore[call-overload]
    return bool(new - old)
