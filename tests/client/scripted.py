"""A scripted HTTP server on a real loopback socket, for the client's retry rules.

Each request is answered by the next entry of the script: raw response bytes, or ``DROP`` to
close the connection after reading the request, without answering. Requests are recorded,
except the balancer's ``GET /readyz`` probes, which always get 200.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

DROP = b""


def answer(status: int, body: bytes = b"{}", *, headers: str = "") -> bytes:
    reason = {200: "OK", 201: "Created", 429: "Too Many Requests", 503: "Service Unavailable"}.get(status, "X")
    return (f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            f"{headers}\r\n").encode() + body


@dataclass
class ScriptedServer:
    script: list[bytes]
    requests: list[bytes] = field(default_factory=list)
    port: int = 0
    #: Seconds to wait before each answer; with it, the most connections open at once.
    delay: float = 0.0
    peak_connections: int = 0
    _open: int = 0
    _server: asyncio.base_events.Server | None = None

    async def __aenter__(self) -> ScriptedServer:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._open += 1
        self.peak_connections = max(self.peak_connections, self._open)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                if head.startswith(b"GET /readyz "):
                    writer.write(answer(200, b"ok"))
                    continue
                if not self.script:
                    break
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                body = await reader.readexactly(length) if length else b""
                self.requests.append(head.split(b"\r\n")[0] + b" " + body)
                reply = self.script.pop(0)
                if reply is DROP or reply == DROP:
                    break
                if self.delay:
                    await asyncio.sleep(self.delay)
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._open -= 1
            writer.close()
