"""Cluster IPs and node ports for Services, claimed in storage so no two services ever hold the
same one, even with several API servers writing at once.

Each claim is a key of its own (``/registry/ranges/serviceips/10.96.0.12``,
``/registry/ranges/servicenodeports/30080``) created with create-if-absent, so the store's
compare-and-swap is the lock. A free value is found by random probing, then, for the small port
range, by listing what is taken. Claims are released when the service lets go of them.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
from dataclasses import dataclass

from myriad.storage import errors as storage_errors
from myriad.storage.interfaces import Store, prefix_end

IP_PREFIX = "/registry/ranges/serviceips/"
PORT_PREFIX = "/registry/ranges/servicenodeports/"
_RANDOM_TRIES = 32


class RangeFullError(Exception):
    """No free value is left in the range."""


class AlreadyAllocatedError(Exception):
    """The value asked for belongs to somebody else."""


class OutOfRangeError(Exception):
    """The value asked for is outside the range."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AllocatorOptions:
    service_cidr: str = "10.96.0.0/12"
    node_port_first: int = 30000
    node_port_last: int = 32767


class ServiceAllocator:
    def __init__(self, storage: Store, options: AllocatorOptions | None = None) -> None:
        self._storage = storage
        self.options = options or AllocatorOptions()
        self.network = ipaddress.ip_network(self.options.service_cidr)
        self._rng = random.Random()

    @property
    def kubernetes_ip(self) -> str:
        """The first address of the range, which the ``kubernetes`` service holds."""
        return str(self.network.network_address + 1)

    def ip_range_text(self) -> str:
        return str(self.network)

    def port_range_text(self) -> str:
        return f"{self.options.node_port_first}-{self.options.node_port_last}"

    # -- cluster IPs ---------------------------------------------------------------------------

    async def claim_ip(self, ip: str, owner: str) -> None:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError as exc:
            raise OutOfRangeError(ip) from exc
        if address not in self.network or address in (self.network.network_address, self.network.broadcast_address):
            raise OutOfRangeError(ip)
        if not await self._claim(IP_PREFIX + str(address), owner):
            raise AlreadyAllocatedError(ip)

    async def allocate_ip(self, owner: str) -> str:
        size = self.network.num_addresses
        for _ in range(_RANDOM_TRIES):
            address = self.network.network_address + self._rng.randrange(2, size - 1)
            if await self._claim(IP_PREFIX + str(address), owner):
                return str(address)
        raise RangeFullError(str(self.network))

    async def release_ip(self, ip: str) -> None:
        with contextlib.suppress(storage_errors.KeyNotFoundError):
            await self._storage.delete((IP_PREFIX + ip).encode())

    # -- node ports ----------------------------------------------------------------------------

    async def claim_port(self, port: int, owner: str) -> None:
        if not self.options.node_port_first <= port <= self.options.node_port_last:
            raise OutOfRangeError(str(port))
        if not await self._claim(f"{PORT_PREFIX}{port}", owner):
            raise AlreadyAllocatedError(str(port))

    async def allocate_port(self, owner: str) -> int:
        first, last = self.options.node_port_first, self.options.node_port_last
        for _ in range(_RANDOM_TRIES):
            port = self._rng.randint(first, last)
            if await self._claim(f"{PORT_PREFIX}{port}", owner):
                return port
        prefix = PORT_PREFIX.encode()
        taken = {int(kv.key[len(prefix):]) for kv in
                 (await self._storage.range(prefix, prefix_end(prefix), keys_only=True)).kvs}
        for port in range(first, last + 1):
            if port not in taken and await self._claim(f"{PORT_PREFIX}{port}", owner):
                return port
        raise RangeFullError(self.port_range_text())

    async def release_port(self, port: int) -> None:
        with contextlib.suppress(storage_errors.KeyNotFoundError):
            await self._storage.delete(f"{PORT_PREFIX}{port}".encode())

    async def _claim(self, key: str, owner: str) -> bool:
        try:
            await self._storage.create(key.encode(), owner.encode())
        except storage_errors.KeyExistsError:
            return False
        return True
