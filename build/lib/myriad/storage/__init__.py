"""MVCC key-value storage with etcd v3 semantics; see :mod:`myriad.storage.interfaces`."""

from __future__ import annotations

from myriad.storage.embedded.options import EmbeddedOptions
from myriad.storage.etcd.options import EtcdOptions
from myriad.storage.interfaces import Store


async def open_store(options: EmbeddedOptions | EtcdOptions) -> Store:
    """Opens the backend the options name: embedded (SQLite in a data dir) or a real etcd."""
    if isinstance(options, EmbeddedOptions):
        from myriad.storage.embedded.store import EmbeddedStore

        return await EmbeddedStore.open(options)
    from myriad.storage.etcd.store import EtcdStore

    return await EtcdStore.open(options)


__all__ = ["EmbeddedOptions", "EtcdOptions", "Store", "open_store"]
