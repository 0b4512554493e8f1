"""The listening socket and its connections; graceful shutdown."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from myriad.apiserver.http.options import HttpOptions
from myriad.apiserver.http.protocol import HttpProtocol
from myriad.apiserver.http.request import Request
from myriad.apiserver.http.response import Responder

#: Answers one request through its responder. Exceptions it lets out become a 500.
Handler = Callable[[Request, Responder], Awaitable[None]]


class HttpServer:
    def __init__(self, handler: Handler, *, options: HttpOptions | None = None) -> None:
        self.handler = handler
        self.options = options or HttpOptions()
        self.loop = asyncio.get_running_loop()
        self.connections: set[HttpProtocol] = set()
        self.shutting_down = False
        self._server: asyncio.Server | None = None
        #: How often connections' read and idle deadlines are checked: a quarter of the shorter
        #: timeout, at most a second, so a timeout fires at most that late.
        self._sweep_interval = min(1.0, min(self.options.request_read_timeout, self.options.idle_timeout) / 4)
        self._sweeper: asyncio.TimerHandle | None = None

    async def start(self, host: str, port: int) -> int:
        """Listens on ``host:port`` (port 0 picks a free one) and returns the port."""
        self._server = await self.loop.create_server(
            lambda: HttpProtocol(self), host, port, reuse_address=True, backlog=4096)
        self._sweeper = self.loop.call_later(self._sweep_interval, self._sweep)
        return self._server.sockets[0].getsockname()[1]

    def _sweep(self) -> None:
        now = self.loop.time()
        for connection in list(self.connections):
            connection.check_deadlines(now)
        self._sweeper = self.loop.call_later(self._sweep_interval, self._sweep)

    async def shutdown(self) -> None:
        """Stops accepting, ends streams, lets requests in flight finish for up to
        ``shutdown_grace`` seconds, then cuts what is left."""
        self.shutting_down = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        if self._server is not None:
            self._server.close()
        for connection in list(self.connections):
            connection.shutdown()
        deadline = self.loop.time() + self.options.shutdown_grace
        while self.connections and self.loop.time() < deadline:
            await asyncio.sleep(0.02)
        for connection in list(self.connections):
            connection.abort()
        if self._server is not None:
            await self._server.wait_closed()
