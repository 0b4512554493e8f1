"""What every wrapping layer passes straight through to the queue it wraps."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any


class QueueWrapper:
    """Delegates taking, finishing, length and shutdown to ``self.queue``."""

    queue: Any

    async def get(self) -> Hashable:
        return await self.queue.get()

    def done(self, key: Hashable) -> None:
        self.queue.done(key)

    def __len__(self) -> int:
        return len(self.queue)

    @property
    def shutting_down(self) -> bool:
        return self.queue.shutting_down

    def shut_down(self) -> None:
        self.queue.shut_down()

    async def shut_down_with_drain(self) -> None:
        await self.queue.shut_down_with_drain()
