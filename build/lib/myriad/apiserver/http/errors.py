"""Errors of the HTTP edge.

Hierarchy::

    HttpEdgeError
    └── ClientGoneError    the peer closed the connection (or the server is shutting it down)
                           while a response was being written
"""

from __future__ import annotations


class HttpEdgeError(Exception):
    """Base of the HTTP edge's errors."""


class ClientGoneError(HttpEdgeError):
    """Raised by :meth:`Stream.write` once the connection is gone; handlers simply stop."""
