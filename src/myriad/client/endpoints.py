"""One API server as the client sees it: its keep-alive pool, its load, and its health.

An :class:`Endpoint` lends connections (:meth:`Endpoint.connection`, given back with
:meth:`Endpoint.release`) and counts what it carries: ``outstanding`` requests and the watches
registered on it. ``slots`` bounds the requests (not watches) in flight on it at once, so one
process driving thousands of simulated nodes opens a bounded number of sockets. Health is a
small state machine driven by the balancer: a transport failure ejects the endpoint until
``ejected_until``; a successful probe restores it; each failed probe doubles the ejection, up to
a cap.

Concurrency: loop only; nothing here awaits except :meth:`Endpoint.connection` while it connects.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from myriad.client.connection import Connection
from myriad.client.errors import ClientError


@dataclass(eq=False)
class WatchSlot:
    """A watch's place on an endpoint; ``stop`` ends the watch as a server timeout would."""

    endpoint: Endpoint
    stop: Callable[[], None]


@dataclass(eq=False)
class Endpoint:
    url: str
    host: str
    port: int
    max_idle: int
    connect_timeout: float
    idle_timeout: float
    outstanding: int = 0
    failures: int = 0
    #: Monotonic time until which the endpoint takes no new work; None when healthy.
    ejected_until: float | None = None
    watches: set[WatchSlot] = field(default_factory=set)
    #: Requests allowed in flight at once; see the module docstring.
    max_requests: int = 256
    _idle: deque[Connection] = field(default_factory=deque)
    _slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        """The semaphore a request holds while in flight (made on first use, inside the loop)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.max_requests)
        return self._slots

    @classmethod
    def parse(cls, url: str, *, max_idle: int, connect_timeout: float, idle_timeout: float,
              max_requests: int = 256) -> Endpoint:
        """An endpoint for ``http://host:port``; raises ClientError for anything else."""
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ClientError(f"unsupported API server URL {url!r}: only http://host:port is supported")
        port = parts.port or 80
        return cls(url=url.rstrip("/"), host=parts.hostname, port=port, max_idle=max_idle,
                   connect_timeout=connect_timeout, idle_timeout=idle_timeout, max_requests=max_requests)

    @property
    def healthy(self) -> bool:
        return self.ejected_until is None

    async def connection(self, now: float) -> Connection:
        """An idle connection used within ``idle_timeout``, or a new one (ConnectFailed if not)."""
        while self._idle:
            connection = self._idle.pop()  # the most recently used is the least likely to be stale
            if connection.reusable and now - connection.last_used < self.idle_timeout:
                return connection
            connection.close()
        return await Connection.open(self.host, self.port, timeout=self.connect_timeout)

    def release(self, connection: Connection, now: float) -> None:
        """Takes a connection back after a whole answer; keeps it if it can carry another."""
        if connection.reusable and len(self._idle) < self.max_idle:
            connection.last_used = now
            self._idle.append(connection)
        else:
            connection.close()

    def close(self) -> None:
        while self._idle:
            self._idle.pop().close()
        for slot in list(self.watches):
            slot.stop()
