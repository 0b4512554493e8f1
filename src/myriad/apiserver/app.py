"""APIServer: storage, registry, strategies, endpoints and the HTTP edge put together, the
objects every cluster starts with (:mod:`.bootstrap`) and the kubeconfig for clients."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable

from myriad.api import meta
from myriad.api.builtin import BUILTIN
from myriad.api.errors import ConflictError, NotFoundError
from myriad.api.registry import ResourceRegistry, ResourceType
from myriad.apiserver.admission import PriorityAdmission
from myriad.apiserver.bootstrap import Bootstrap, dangling_condition
from myriad.apiserver.cache.readpath import CachedReadPath
from myriad.apiserver.crdcleanup import CRDCleanup, custom_objects
from myriad.apiserver.crds import CRDRegistrar
from myriad.apiserver.discovery import Discovery, version_document
from myriad.apiserver.endpoints.resource import ResourceEndpoints
from myriad.apiserver.endpoints.subresources import Subresources
from myriad.apiserver.endpoints.virtual import VirtualResources
from myriad.apiserver.flowcontrol.limiter import FlowController
from myriad.apiserver.health import HealthChecks
from myriad.apiserver.http import HttpServer
from myriad.apiserver.kubeconfig import write_kubeconfig
from myriad.apiserver.metrics import ServerMetrics
from myriad.apiserver.openapi import OpenAPI
from myriad.apiserver.openapiv2 import OpenAPIV2
from myriad.apiserver.options import ServerOptions
from myriad.apiserver.quota import QuotaAdmission
from myriad.apiserver.requestinfo import RequestInfo
from myriad.apiserver.rest.allocator import ServiceAllocator
from myriad.apiserver.rest.interfaces import ListOptions, ReadPath
from myriad.apiserver.rest.readpath import StorageReadPath
from myriad.apiserver.rest.store import ObjectStore
from myriad.apiserver.router import Router
from myriad.apiserver.strategies.crds import CLEANUP_FINALIZER
from myriad.apiserver.strategies.table import StrategyTable
from myriad.apiserver.tables.convert import TableConverter
from myriad.storage import EmbeddedOptions, EtcdOptions, Store, open_store
from myriad.storage.interfaces import DeleteRange, prefix_end


class APIServer:
    def __init__(self, options: ServerOptions) -> None:
        self.options = options
        self.port = 0
        self.storage: Store | None = None
        self.registry = ResourceRegistry(BUILTIN)
        self.strategies: StrategyTable | None = None
        self.metrics = ServerMetrics()
        self._http: HttpServer | None = None
        self._router: Router | None = None
        self.objects: ObjectStore | None = None
        self._crds: CRDRegistrar | None = None
        self.reads: CachedReadPath | None = None
        self._bootstrap: Bootstrap | None = None
        self._read_path: ReadPath | None = None
        self._cleanup: CRDCleanup | None = None
        #: The PriorityClasses admission last read, and the cache revision they are as of.
        self._classes: tuple[int, list[dict[str, object]]] = (-1, [])
        #: Each namespace's ResourceQuotas as quota admission last read them, with the cache
        #: revision they are as of.
        self._quotas: dict[str, tuple[int, list[dict[str, object]]]] = {}
        self._bootstrapped = self._stopping = False

    @property
    def url(self) -> str:
        host = self.options.bind if self.options.bind not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    async def start(self) -> None:
        options = self.options
        options.data_dir.mkdir(parents=True, exist_ok=True)
        retention = options.compaction_retention
        compaction = {"compaction_retention": retention, "clock": options.clock,
                      "compaction_interval": min(EmbeddedOptions.compaction_interval, max(retention / 2, 0.1))}
        if options.storage == "etcd":
            self.storage = await open_store(EtcdOptions(endpoints=options.etcd_endpoints, **compaction))
        else:
            # Progress every second, as the etcd we launch is configured: watch cache bookmarks
            # carry the revision it brings even while a resource is quiet.
            self.storage = await open_store(EmbeddedOptions(data_dir=options.data_dir / "store",
                                                            progress_notify_interval=1.0, **compaction))
        self.allocator = ServiceAllocator(self.storage)
        self.strategies = StrategyTable(clock=options.clock, allocator=self.allocator)
        namespaces = self.registry.get("", "v1", "namespaces")
        assert namespaces is not None
        self._crds = CRDRegistrar(self.registry, self.storage)
        await self._crds.start()
        priority = PriorityAdmission(self._priority_classes)
        self.objects = ObjectStore(self.storage, self.strategies, clock=options.clock, namespaces=namespaces,
                                   admit=priority.admit)
        quotas = self.registry.get("", "v1", "resourcequotas")
        assert quotas is not None
        self.objects.check = QuotaAdmission(self.objects, quotas, self._quotas_in, now=options.clock.now).admit
        reads: ReadPath
        if options.watch_cache:
            cached = self.reads = CachedReadPath(self.storage, self.strategies, options.cache)
            cached.start([resource for resource in self.registry.all() if resource.stored])
            self.metrics.watch_caches(lambda: list(cached.caches.values()))
            reads = cached
        else:
            reads = StorageReadPath(self.storage, self.strategies)
        self._read_path = reads
        self._cleanup = CRDCleanup(self.objects, self.storage, self.registry, clock=options.clock,
                                   forget=self._forget_crd)
        subresources = Subresources(self.objects, reads, self.registry, clock=options.clock)
        pods, leases = self.registry.get("", "v1", "pods"), self.registry.get("coordination.k8s.io", "v1", "leases")
        assert pods is not None and leases is not None
        virtual = VirtualResources(subresources, pods=pods, lease=self._reader(leases), storage=self._probe_storage,
                                   now=options.clock.now)
        endpoints = ResourceEndpoints(self.registry, self.objects, reads, self.strategies,
                                      tables=TableConverter(now=options.clock.now), subresources=subresources,
                                      virtual=virtual, after_write=self._after_write)
        discovery = Discovery(self.registry)
        self.flow = FlowController(options.flow, count_objects=self._list_width)
        self.metrics.flow_control(self.flow)
        health = HealthChecks(storage=self._probe_storage, caches_synced=self._caches_synced,
                              bootstrapped=lambda: self._bootstrapped, stopping=lambda: self._stopping)
        self._router = Router(resources=endpoints, discovery=discovery, openapi=OpenAPI(self.registry),
                              openapi_v2=OpenAPIV2(self.registry),
                              metrics=self.metrics, count_objects=self._count_objects,
                              version=version_document(), flow=self.flow, health=health)
        self._http = HttpServer(self._router, options=options.http)
        self.port = await self._http.start(options.bind, options.port)
        discovery.server_address = f"{options.bind}:{self.port}"
        self._bootstrap = Bootstrap(self.objects, self.registry, flow=options.flow,
                                    kubernetes_ip=self.allocator.kubernetes_ip, clock=options.clock)
        await self._bootstrap.run(port=self.port)
        await self._cleanup.resume()
        self._bootstrapped = True
        write_kubeconfig(options.kubeconfig_path, server=self.url)

    async def _after_write(self, verb: str, resource: ResourceType, obj: dict[str, object]) -> None:
        """Side effects of writes that upstream's controllers perform: a CRD's resources are
        served as soon as the write returns, and a deleted CRD's objects are dropped through its
        cleanup finalizer; flow objects get their status."""
        if resource.group == "flowcontrol.apiserver.k8s.io":
            await self._flow_schema_status(resource, obj, verb)
        elif resource.group == "apiextensions.k8s.io" and resource.plural == "customresourcedefinitions":
            assert self._crds is not None
            metadata = obj["metadata"]
            name, revision = str(metadata["name"]), int(metadata["resourceVersion"])  # type: ignore[index,call-overload]
            if verb != "delete":
                self._crds.apply(name, obj, revision)
            elif CLEANUP_FINALIZER in (metadata.get("finalizers") or ()):  # type: ignore[union-attr,operator]
                self._crds.apply(name, obj, revision)
                assert self._cleanup is not None
                self._cleanup.start(obj)
            else:
                await self._forget_crd(obj, revision)

    async def _flow_schema_status(self, resource: ResourceType, obj: dict[str, object], verb: str) -> None:
        """Upstream's APF configuration controller: a FlowSchema is Dangling while the priority
        level it names does not exist. Runs after FlowSchema writes and level creates/deletes."""
        assert self.objects is not None
        schemas_resource = self.registry.get("flowcontrol.apiserver.k8s.io", "v1", "flowschemas")
        levels = self.registry.get("flowcontrol.apiserver.k8s.io", "v1", "prioritylevelconfigurations")
        assert schemas_resource is not None and levels is not None
        if resource.plural == "flowschemas":
            if verb == "delete":
                return
            affected = [obj]
        else:
            level = str(obj["metadata"]["name"])  # type: ignore[index]
            listed = []
            if verb in ("create", "delete"):
                assert self._read_path is not None
                listed = (await self._read_path.list(schemas_resource, ListOptions())).objects()
            affected = [s for s in listed if (s.get("spec") or {}).get("priorityLevelConfiguration", {})  # type: ignore[union-attr]
                        .get("name") == level]
        for schema in affected:
            spec = schema.get("spec") or {}
            level = str((spec.get("priorityLevelConfiguration") or {}).get("name") or "")  # type: ignore[union-attr]
            try:
                found = await self.objects.get(levels, "", level)
                exists = not (found.get("metadata") or {}).get("deletionTimestamp")  # type: ignore[union-attr]
            except NotFoundError:
                exists = False
            conditions = [c for c in (schema.get("status") or {}).get("conditions") or []  # type: ignore[union-attr]
                          if c.get("type") == "Dangling"]
            wanted = dangling_condition(level, exists, meta.rfc3339(self.options.clock.now()))
            if conditions and conditions[0].get("status") == wanted["status"]:
                continue
            name = str(schema["metadata"]["name"])  # type: ignore[index]
            with contextlib.suppress(NotFoundError, ConflictError):
                await self.objects.patch(schemas_resource, "", name, lambda current, w=wanted: {
                    **current, "status": {**(current.get("status") or {}), "conditions": [w]}},
                                         subresource="status")

    async def _forget_crd(self, crd: dict[str, object], revision: int) -> None:
        """A CRD that is gone: its resources are no longer served and its objects are dropped."""
        assert self._crds is not None and self.storage is not None
        self._crds.apply(str(crd["metadata"]["name"]), None, revision)  # type: ignore[index]
        start, end = custom_objects(crd)
        await self.storage.txn((), (DeleteRange(start, end),))
        if self.reads is not None:
            self.reads.forget(start.decode())

    async def _priority_classes(self) -> list[dict[str, object]]:
        """Every PriorityClass, from the watch cache when there is one; decoded again only after
        the cache changed (every pod create asks)."""
        resource = self.registry.get("scheduling.k8s.io", "v1", "priorityclasses")
        assert resource is not None and self._read_path is not None
        cache = self.reads.cache(resource) if self.reads is not None else None
        if cache is not None and cache.ready.is_set() and self._classes[0] == cache.changed:
            return self._classes[1]
        classes = (await self._read_path.list(resource, ListOptions(resource_version="0"))).objects()
        if cache is not None:
            self._classes = (cache.changed, classes)
        return classes

    async def _quotas_in(self, namespace: str) -> list[dict[str, object]]:
        """The namespace's ResourceQuotas, from the watch cache when there is one; listed again
        (that namespace only) after the cache changed. Every create asks."""
        resource = self.registry.get("", "v1", "resourcequotas")
        assert resource is not None and self._read_path is not None
        cache = self.reads.cache(resource) if self.reads is not None else None
        known = self._quotas.get(namespace)
        if cache is not None and cache.ready.is_set() and known is not None and known[0] == cache.changed:
            return known[1]
        changed = cache.changed if cache is not None else -1
        quotas = (await self._read_path.list(resource, ListOptions(namespace=namespace,
                                                                   resource_version="0"))).objects()
        if cache is not None:
            self._quotas[namespace] = (changed, quotas)
        return quotas

    def _reader(self, resource: ResourceType) -> Callable[[str, str], Awaitable[dict[str, object] | None]]:
        async def read(namespace: str, name: str) -> dict[str, object] | None:
            assert self.objects is not None
            try:
                return await self.objects.get(resource, namespace, name)
            except NotFoundError:
                return None
        return read

    async def _probe_storage(self) -> str | None:
        """None if storage answers a read, else what it said."""
        assert self.storage is not None
        try:
            await self.storage.range(b"/registry/health", count_only=True)
        except Exception as exc:  # noqa: BLE001 - any failure is the answer
            return str(exc) or type(exc).__name__
        return None

    def _list_width(self, info: RequestInfo) -> int:
        """About how many objects a list returns, for flow control: what its cache holds."""
        resource = self.registry.get(info.group, info.version, info.resource)
        if resource is None or self.reads is None or not self.reads.cached(resource):
            return 1
        return len(self.reads.cache(resource).objects)

    async def _count_objects(self) -> dict[str, int]:
        """Stored objects per resource (``deployments.apps``), one count-only range each."""
        assert self.storage is not None
        counts = {}
        for resource in self.registry.all():
            if not resource.stored:
                continue
            prefix = resource.prefix().encode()
            result = await self.storage.range(prefix, prefix_end(prefix), count_only=True)
            counts[f"{resource.plural}.{resource.group}" if resource.group else resource.plural] = result.count
        return counts

    def _caches_synced(self) -> bool:
        return self.reads is None or all(cache.ready.is_set() for cache in self.reads.caches.values())

    async def stop(self) -> None:
        self._stopping = True
        if self._crds is not None:
            await self._crds.stop()
        if self._cleanup is not None:
            await self._cleanup.stop()
        if self._http is not None:
            await self._http.shutdown()
        if self.reads is not None:
            await self.reads.stop()
        if self.storage is not None:
            await self.storage.close()

    async def serve_forever(self) -> None:
        """Runs until SIGINT or SIGTERM, then shuts down gracefully."""
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
