"""Opening a store for one benchmark run, each on fresh state, and cleaning up after it.

``embedded`` opens an :class:`EmbeddedStore` in a new temp dir. ``etcd`` starts a
:class:`LocalEtcd` in a new temp dir, or, when endpoints are given, connects to that cluster
and deletes the benchmark's key prefixes when done. Temp dirs are removed on exit either way.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from myriad.storage import EmbeddedOptions, EtcdOptions, Store, open_store
from myriad.storage.etcd.launcher import LocalEtcd
from myriad.storage.interfaces import DeleteRange, prefix_end

BACKENDS = ("embedded", "etcd")


@dataclass(frozen=True, kw_only=True)
class BackendSpec:
    name: str
    #: Parent of the temp data dir; None for the system temp dir.
    parent_dir: Path | None = None
    #: Embedded only: seconds of history its automatic compactor keeps.
    compaction_retention: float = 300.0
    #: etcd only: an existing cluster to use instead of starting one.
    etcd_endpoints: tuple[str, ...] = ()
    #: Key prefixes the benchmark writes; deleted from an external etcd afterwards.
    prefixes: tuple[bytes, ...] = ()


@dataclass(frozen=True, kw_only=True)
class BenchBackend:
    name: str
    store: Store
    #: Where the store keeps its files; None for an external etcd.
    data_dir: Path | None

    def disk_usage(self) -> dict[str, int]:
        """Bytes on disk: for embedded the SQLite files by kind (``*.db``, ``*.db-wal``), for
        etcd its data dir without logs; empty when the data dir is not ours to see."""
        if self.data_dir is None:
            return {}
        files = [p for p in self.data_dir.rglob("*") if p.is_file()]
        if self.name == "embedded":
            return {
                "db_bytes": sum(_size(p) for p in files if p.name.endswith(".db")),
                "wal_bytes": sum(_size(p) for p in files if p.name.endswith(".db-wal")),
            }
        return {"data_dir_bytes": sum(_size(p) for p in files if p.suffix != ".log")}


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:  # removed between listing and stat (checkpoint, snapshot)
        return 0


@asynccontextmanager
async def open_backend(spec: BackendSpec) -> AsyncIterator[BenchBackend]:
    """Yields an open store on fresh state; closes it, stops etcd and removes temp dirs on exit."""
    if spec.name not in BACKENDS:
        raise ValueError(f"unknown backend {spec.name!r}; choose from {', '.join(BACKENDS)}")
    if spec.name == "etcd" and spec.etcd_endpoints:
        store = await open_store(EtcdOptions(endpoints=spec.etcd_endpoints,
                                             compaction_retention=spec.compaction_retention))
        try:
            await _delete_prefixes(store, spec.prefixes)
            yield BenchBackend(name=spec.name, store=store, data_dir=None)
            await _delete_prefixes(store, spec.prefixes)
        finally:
            await store.close()
        return
    data_dir = Path(tempfile.mkdtemp(prefix=f"myriad-bench-{spec.name}-", dir=spec.parent_dir))
    try:
        if spec.name == "embedded":
            options = EmbeddedOptions(data_dir=data_dir, compaction_retention=spec.compaction_retention)
            store = await open_store(options)
            try:
                yield BenchBackend(name=spec.name, store=store, data_dir=data_dir)
            finally:
                await store.close()
        else:
            async with LocalEtcd(data_dir=data_dir) as etcd:
                store = await open_store(EtcdOptions(endpoints=(etcd.endpoint,),
                                                     compaction_retention=spec.compaction_retention))
                try:
                    yield BenchBackend(name=spec.name, store=store, data_dir=data_dir)
                finally:
                    await store.close()
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


async def _delete_prefixes(store: Store, prefixes: tuple[bytes, ...]) -> None:
    if prefixes:
        await store.txn((), tuple(DeleteRange(p, prefix_end(p)) for p in prefixes))
