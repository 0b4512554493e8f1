"""Every storage error through every verb of a real server: none that a client's input can cause
leaves as a 5xx, and each gives upstream's code and reason.

The server is a real ``APIServer`` on a real socket over the real embedded store, run without
the watch cache so lists and watches read storage too. Its store is wrapped so that, while an
error is armed, every call on a key under the ``faults`` namespace's ConfigMaps raises it.
"""

from __future__ import annotations

import asyncio
import json
import threading
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvloop

import myriad.apiserver.app as app_module
from myriad.apiserver.app import APIServer
from myriad.apiserver.options import ServerOptions
from myriad.storage import errors as storage_errors
from myriad.storage.interfaces import KeyValue, Store

PREFIX = b"/registry/configmaps/faults/"
CMS = "/api/v1/namespaces/faults/configmaps"


class FaultyStore:
    """The real store, except that while ``armed`` is set every call on a key under
    :data:`PREFIX` raises it (a watch raises from its first ``__anext__``)."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.armed: storage_errors.StorageError | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def _trip(self, key: bytes) -> None:
        if self.armed is not None and key.startswith(PREFIX):
            raise self.armed

    async def range(self, key: bytes, *args: Any, **kwargs: Any) -> Any:
        self._trip(key)
        return await self._store.range(key, *args, **kwargs)

    async def get(self, key: bytes) -> KeyValue | None:
        self._trip(key)
        return await self._store.get(key)

    async def txn(self, compares: Any, success: Any, failure: Any = ()) -> Any:
        for op in (*compares, *success, *failure):
            self._trip(op.key)
        return await self._store.txn(compares, success, failure)

    async def put(self, key: bytes, *args: Any, **kwargs: Any) -> Any:
        self._trip(key)
        return await self._store.put(key, *args, **kwargs)

    async def create(self, key: bytes, *args: Any, **kwargs: Any) -> Any:
        self._trip(key)
        return await self._store.create(key, *args, **kwargs)

    async def update(self, key: bytes, *args: Any, **kwargs: Any) -> Any:
        self._trip(key)
        return await self._store.update(key, *args, **kwargs)

    async def delete(self, key: bytes, *args: Any, **kwargs: Any) -> Any:
        self._trip(key)
        return await self._store.delete(key, *args, **kwargs)

    def watch(self, key: bytes, *args: Any, **kwargs: Any) -> Any:
        if self.armed is not None and key.startswith(PREFIX):
            return _failing_watch(self.armed)
        return self._store.watch(key, *args, **kwargs)


async def _failing_watch(error: storage_errors.StorageError) -> AsyncIterator[Any]:
    raise error
    yield  # an async generator


class Server:
    def __init__(self, url: str, faulty: FaultyStore) -> None:
        self.url = url
        self.faulty = faulty

    def call(self, method: str, path: str, body: object = None, *,
             content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.url + path, method=method, data=data,
                                         headers={"Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                text = response.read()
                code = response.status
        except urllib.error.HTTPError as error:
            text, code = error.read(), error.code
        if b"\n{" in text.strip():  # a watch: the ERROR event's Status
            text = text.strip().splitlines()[0]
        answer = json.loads(text)
        return code, answer.get("object", answer) if answer.get("type") == "ERROR" else answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    stores: list[FaultyStore] = []
    real_open = app_module.open_store

    async def open_faulty(options: Any) -> Any:
        faulty = FaultyStore(await real_open(options))
        stores.append(faulty)
        return faulty

    app_module.open_store = open_faulty  # type: ignore[assignment]
    loop = uvloop.new_event_loop()
    apiserver = APIServer(ServerOptions(port=0, data_dir=Path(tmp_path_factory.mktemp("faults")), watch_cache=False))
    started = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(apiserver.start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        assert started.wait(60)
        ready = Server(apiserver.url, stores[0])
        assert ready.call("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                         "metadata": {"name": "faults"}})[0] == 201
        assert ready.call("POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}})[0] == 201
        yield ready
    finally:
        app_module.open_store = real_open
        asyncio.run_coroutine_threadsafe(apiserver.stop(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


KV = KeyValue(PREFIX + b"cm", b"{}", 1, 1, 1, 0)
#: (error, code, reason) for a read (get, list, watch) and for a write, when they differ.
ERRORS: list[tuple[storage_errors.StorageError, int, str]] = [
    (storage_errors.KeyExistsError(PREFIX + b"cm"), 409, "AlreadyExists"),
    (storage_errors.KeyNotFoundError(PREFIX + b"cm"), 404, "NotFound"),
    (storage_errors.ConflictError(PREFIX + b"cm", 1, KV), 409, "Conflict"),
    (storage_errors.CompactedError(5, 2), 410, "Expired"),
    (storage_errors.FutureRevisionError(99, 5), 504, "Timeout"),
    (storage_errors.KeyTooLargeError(9000, 8192), 404, "NotFound"),
    (storage_errors.ValueTooLargeError(2_000_000, 1_572_864), 413, "RequestEntityTooLarge"),
    (storage_errors.UnavailableError("etcd is down"), 503, "ServiceUnavailable"),
    (storage_errors.StoreClosedError("closed"), 503, "ServiceUnavailable"),
    # the server's own requests, never a client's input: 500 is the truth
    (storage_errors.LeaseNotFoundError(7), 500, "InternalError"),
    (storage_errors.TooManyOpsError(200, 128), 500, "InternalError"),
    (storage_errors.InvalidRequestError("duplicate key given in txn request"), 500, "InternalError"),
    (storage_errors.CorruptStoreError("store/db", "bad page"), 500, "InternalError"),
]
VERBS: list[tuple[str, str, str, object, str]] = [
    ("create", "POST", CMS, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "new"}},
     "application/json"),
    ("get", "GET", CMS + "/cm", None, ""),
    ("list", "GET", CMS, None, ""),
    ("watch", "GET", CMS + "?watch=1&resourceVersion=1&timeoutSeconds=5", None, ""),
    ("update", "PUT", CMS + "/cm", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}},
     "application/json"),
    ("patch", "PATCH", CMS + "/cm", {"data": {"a": "b"}}, "application/merge-patch+json"),
    ("delete", "DELETE", CMS + "/cm", None, ""),
    ("deletecollection", "DELETE", CMS, None, ""),
]


@pytest.mark.parametrize(("verb", "method", "path", "body", "content_type"), VERBS, ids=[v[0] for v in VERBS])
@pytest.mark.parametrize(("error", "code", "reason"), ERRORS, ids=[type(e[0]).__name__ for e in ERRORS])
def test_a_storage_error_gets_upstreams_status_on_every_verb(server: Server, verb: str, method: str, path: str,
                                                              body: object, content_type: str,
                                                              error: storage_errors.StorageError, code: int,
                                                              reason: str) -> None:
    if isinstance(error, storage_errors.KeyTooLargeError) and verb == "create":
        code, reason = 422, "Invalid"  # no object can have such a name
    server.faulty.armed = error
    try:
        got, status = server.call(method, path, body, content_type=content_type or "application/json")
    finally:
        server.faulty.armed = None
    if verb == "watch":
        assert got == 200  # the stream had started: the Status is its ERROR event
        got = status["code"]
    assert (got, status["reason"]) == (code, reason), status
    assert status["kind"] == "Status"
    assert server.call("GET", CMS + "/cm")[0] == 200  # nothing was lost
