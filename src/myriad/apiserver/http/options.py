"""Tunables of the HTTP edge; tests shrink the timeouts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class HttpOptions:
    #: Request bodies above this get 413 (kube-apiserver's limit is 3 MiB).
    max_body_bytes: int = 3 * 1024 * 1024
    #: Request line plus headers above this get 431.
    max_header_bytes: int = 1024 * 1024
    #: From the first byte of a request to its last: a slower client is disconnected.
    request_read_timeout: float = 60.0
    #: A kept-alive connection with no request in flight is closed after this.
    idle_timeout: float = 90.0
    #: Requests a client may pipeline before the server stops reading from it.
    max_pipelined: int = 16
    #: Output buffered per connection before a streaming writer waits for the client.
    write_buffer_high: int = 256 * 1024
    #: The kernel's send buffer for a connection once it streams (a watch), fixed so a stalled
    #: watcher holds at most this in the kernel, where autotuning would grow it to 4 MiB
    #: (Linux doubles the figure for its bookkeeping). 0 leaves it to the kernel.
    stream_send_buffer: int = 512 * 1024
    #: On shutdown, how long requests in flight may take before their connections are cut.
    shutdown_grace: float = 5.0
