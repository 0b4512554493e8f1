"""Workqueues, each layer wrapping the one below: :mod:`queue` (de-duplicating, one worker per
key) → :mod:`delaying` (``add_after``) → :mod:`ratelimited` (per-item backoff and an overall
token bucket, limiters in :mod:`ratelimit`) → :mod:`priority` (Add > Update > Delete > Sync).
The order in which ready keys leave is the base queue's :mod:`lanes` policy: FIFO, or the
priority lanes the top layer installs."""
