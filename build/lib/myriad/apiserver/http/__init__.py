"""The HTTP/1.1 edge: an asyncio protocol on httptools that owns keep-alive, chunked bodies and
responses, size limits, timeouts and disconnects, and hands whole requests to one handler."""

from myriad.apiserver.http.errors import ClientGoneError
from myriad.apiserver.http.options import HttpOptions
from myriad.apiserver.http.request import Request
from myriad.apiserver.http.response import Responder, Stream
from myriad.apiserver.http.server import Handler, HttpServer

__all__ = ["ClientGoneError", "Handler", "HttpOptions", "HttpServer", "Request", "Responder", "Stream"]
