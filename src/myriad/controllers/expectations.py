"""Controller expectations (upstream's ``UIDTrackingControllerExpectations``): what a controller
has asked the API for and not yet seen in its informer, so it never acts twice on a lagging
cache.

Before creating N pods a controller expects N additions; each pod its informer then sees
lowers that by one. Before deleting pods it expects their keys to go; each deletion seen removes
its key. A controller syncs an owner only once its expectations are satisfied: none recorded,
all observed, or recorded more than ``ttl`` seconds ago (a watch event that never came must not
wedge the owner forever; upstream's ExpectationsTimeout is 5 minutes).

Concurrency: loop only; nothing awaits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from myriad.clock import Clock, SystemClock

#: Upstream's ExpectationsTimeout.
DEFAULT_TTL = 300.0


@dataclass(slots=True)
class _Record:
    adds: int
    deletes: set[str] = field(default_factory=set)
    at: float = 0.0


class Expectations:
    def __init__(self, *, clock: Clock | None = None, ttl: float = DEFAULT_TTL) -> None:
        self._clock = clock or SystemClock()
        self._ttl = ttl
        self._records: dict[str, _Record] = {}

    def satisfied(self, owner: str) -> bool:
        record = self._records.get(owner)
        if record is None:
            return True
        if record.adds <= 0 and not record.deletes:
            return True
        return self._clock.monotonic() - record.at > self._ttl

    def expect(self, owner: str, *, creations: int = 0, deletions: list[str] | None = None) -> None:
        """Replaces what ``owner`` expects with ``creations`` additions and the deletion of
        ``deletions`` (their keys)."""
        self._records[owner] = _Record(adds=creations, deletes=set(deletions or ()), at=self._clock.monotonic())

    def expect_creations(self, owner: str, count: int) -> None:
        self.expect(owner, creations=count)

    def expect_deletions(self, owner: str, pods: list[str]) -> None:
        self.expect(owner, deletions=pods)

    def creation_observed(self, owner: str) -> None:
        """One addition seen, or given up on (a create that failed or was skipped)."""
        record = self._records.get(owner)
        if record is not None:
            record.adds -= 1

    def deletion_observed(self, owner: str, pod: str) -> None:
        """``pod`` went, or its deletion failed."""
        record = self._records.get(owner)
        if record is not None:
            record.deletes.discard(pod)

    def forget(self, owner: str) -> None:
        """The owner is gone."""
        self._records.pop(owner, None)

    def pending(self, owner: str) -> tuple[int, int]:
        """(additions, deletions) still expected."""
        record = self._records.get(owner)
        return (0, 0) if record is None else (max(record.adds, 0), len(record.deletes))
