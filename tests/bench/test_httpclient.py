"""The benchmark's HTTP client against a real socket server: answers read whole, and large ones
read straight into a caller's buffer, whatever pieces they arrive in."""

from __future__ import annotations

import asyncio

import pytest
import uvloop

from myriad.bench.httpclient import Connection


async def serve_once_per_request(answers: list[list[bytes]]) -> tuple[asyncio.Server, int]:
    """A server that answers the n-th request on a connection with ``answers[n]``, written
    piece by piece, yielding between pieces."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for pieces in answers:
            await reader.readuntil(b"\r\n\r\n")
            for piece in pieces:
                writer.write(piece)
                await writer.drain()
                await asyncio.sleep(0)
        await reader.read()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


def answer(body: bytes, *, split: int) -> list[bytes]:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
    whole = head + body
    return [whole[i:i + split] for i in range(0, len(whole), split)]


@pytest.mark.parametrize("split", [997, 65536, 1 << 20])
def test_request_into_reads_a_body_arriving_in_any_pieces_and_the_connection_goes_on(split: int) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    small = b'{"ok":true}'

    async def scenario() -> None:
        server, port = await serve_once_per_request([answer(body, split=split), answer(small, split=split),
                                                     answer(body[:1000], split=split)])
        connection = await Connection.open("127.0.0.1", port)
        buffer = bytearray(2 * len(body))
        assert await connection.request_into(b"GET", b"/big", buffer) == (200, len(body))
        assert buffer[:len(body)] == body
        assert await connection.request(b"GET", b"/small") == (200, small)
        assert await connection.request_into(b"GET", b"/again", buffer) == (200, 1000)
        assert buffer[:1000] == body[:1000]
        connection.close()
        server.close()

    uvloop.run(scenario())


def test_request_into_refuses_an_answer_larger_than_the_buffer() -> None:
    async def scenario() -> None:
        server, port = await serve_once_per_request([answer(b"x" * 5000, split=1000)])
        connection = await Connection.open("127.0.0.1", port)
        with pytest.raises(ValueError, match="does not fit 100 bytes"):
            await connection.request_into(b"GET", b"/big", bytearray(100))
        server.close()

    uvloop.run(scenario())
