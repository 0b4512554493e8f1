"""When and how long to wait before a call is tried again.

Rules (``RetryOptions`` bounds the attempts):

* 429 is retried for every verb: API Priority and Fairness rejects before executing anything.
* Other 5xx answers are retried only for reads (GET/HEAD): the server may have executed a write.
* A failed connection (the request was never sent) is retried for every verb, on another
  endpoint when there is one, without waiting while untried endpoints remain.
* A connection lost after the request was written, or a client-side timeout, is retried only
  for reads.

Delays are exponential with full jitter (uniform in [0, min(max, base·2^n)]), as AWS's
"Exponential Backoff and Jitter" recommends; a ``Retry-After`` from the server is used instead,
capped at ``max_delay``.
"""

from __future__ import annotations

import random

from myriad.client.errors import APIError, ClientError, TransportError
from myriad.client.types import RetryOptions

READ_METHODS = frozenset({b"GET", b"HEAD"})


def retryable(error: ClientError, method: bytes) -> bool:
    """Whether ``error`` from a ``method`` call may be tried again."""
    if isinstance(error, TransportError):
        return not error.sent or method in READ_METHODS
    if isinstance(error, APIError):
        return error.status == 429 or (error.status >= 500 and method in READ_METHODS)
    return False


def delay(attempt: int, options: RetryOptions, *, retry_after: float | None = None,
          rng: random.Random | None = None) -> float:
    """Seconds to wait before try number ``attempt + 1`` (``attempt`` ≥ 1 tries have failed)."""
    if retry_after is not None:
        return min(max(retry_after, 0.0), options.max_delay)
    ceiling = min(options.max_delay, options.base_delay * 2 ** (attempt - 1))
    return (rng or random).uniform(0.0, ceiling)


def parse_retry_after(value: bytes | None) -> float | None:
    """A ``Retry-After`` in seconds (the API server sends whole seconds); None if absent or not a number."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None
