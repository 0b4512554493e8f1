"""One parsed HTTP request, as the edge hands it to the handler."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs


@dataclass(slots=True, eq=False)
class Request:
    method: str
    #: The percent-decoded path, without the query.
    path: str
    #: The raw query string (after ``?``), still encoded.
    raw_query: str
    #: Header names lower-cased; repeated headers joined with ", ".
    headers: dict[str, str]
    body: bytes
    #: The client's "host:port".
    peer: str
    keep_alive: bool = True
    _query: dict[str, list[str]] | None = field(default=None, repr=False)

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = parse_qs(self.raw_query, keep_blank_values=True) if self.raw_query else {}
        return self._query

    def param(self, name: str, default: str | None = None) -> str | None:
        """The first value of query parameter ``name`` (as Go's ``url.Values.Get``)."""
        values = self.query.get(name)
        return values[0] if values else default

    def header(self, name: str, default: str = "") -> str:
        """Header ``name`` (lower-case) or ``default``."""
        return self.headers.get(name, default)
