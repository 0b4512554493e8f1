"""Node IPAM, as upstream's range allocator (``pkg/controller/nodeipam``): each node without a
``spec.podCIDR`` gets the next free ``--node-cidr-mask-size`` subnet of ``--cluster-cidr``, and a
deleted node's subnet is free again. Subnets nodes already hold (a kubelet's own, a previous
leader's) are marked used when this process starts leading. With no free subnet left the node
gets a ``CIDRNotAvailable`` event and is tried again with back-off.

Concurrency: loop only; the used-subnet bitmap is touched only between awaits, and a subnet is
taken before the patch that hands it out is sent.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Hashable

from myriad.client import errors
from myriad.client.controller import Controller, ControllerOptions
from myriad.client.informers.informer import Handler
from myriad.client.types import NODES
from myriad.controllers.errors import ConfigError
from myriad.controllers.types import ControllerContext, Obj

NAME = "node-ipam"
#: Upstream refuses a mask more than 16 bits longer than the cluster CIDR's.
MAX_EXTRA_BITS = 16


class CIDRSet:
    """The subnets of one cluster CIDR, taken or free (upstream's ``cidrset``)."""

    def __init__(self, cluster_cidr: str, mask: int) -> None:
        try:
            self.network = ipaddress.ip_network(cluster_cidr)
        except ValueError as exc:
            raise ConfigError(f"--cluster-cidr: {exc}") from None
        extra = mask - self.network.prefixlen
        if not 0 <= extra <= MAX_EXTRA_BITS or mask > self.network.max_prefixlen:
            raise ConfigError(f"--node-cidr-mask-size: {mask} must be between the cluster CIDR's prefix "
                              f"({self.network.prefixlen}) and {self.network.prefixlen + MAX_EXTRA_BITS}")
        self.mask = mask
        self._shift = self.network.max_prefixlen - mask
        self._used = bytearray(1 << extra)
        self._next = 0

    def __len__(self) -> int:
        return len(self._used)

    def take(self) -> str | None:
        """The next free subnet, now taken; None when all are."""
        count = len(self._used)
        for step in range(count):
            index = (self._next + step) % count
            if not self._used[index]:
                self._used[index] = 1
                self._next = (index + 1) % count
                return self._cidr(index)
        return None

    def mark(self, cidr: str, used: bool) -> None:
        """Marks ``cidr`` taken or free; one outside the cluster CIDR, or of another size, is ignored."""
        index = self._index(cidr)
        if index is not None:
            self._used[index] = 1 if used else 0

    def _cidr(self, index: int) -> str:
        base = int(self.network.network_address) + (index << self._shift)
        return f"{ipaddress.ip_address(base)}/{self.mask}"

    def _index(self, cidr: str) -> int | None:
        try:
            subnet = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            return None
        if subnet.prefixlen != self.mask or subnet.version != self.network.version or \
                not subnet.subnet_of(self.network):  # type: ignore[arg-type]
            return None
        return (int(subnet.network_address) - int(self.network.network_address)) >> self._shift


class NodeIPAMController(Controller):
    def __init__(self, context: ControllerContext, options: ControllerOptions | None = None) -> None:
        self.context = context
        self.cidrs = CIDRSet(context.settings.cluster_cidr, context.settings.node_cidr_mask_size)
        super().__init__(context.client, options or ControllerOptions(name=NAME, workers=1), factory=context.factory)

    def setup(self) -> None:
        self.nodes = self.factory.informer(NODES)
        self.watch(self.nodes)
        self.nodes.add_handler(Handler(on_delete=self._released))

    async def lead(self) -> None:
        for node in self.nodes.indexer.list():
            for cidr in _held(node):
                self.cidrs.mark(cidr, True)
        await super().lead()

    def _released(self, node: Obj) -> None:
        for cidr in _held(node):
            self.cidrs.mark(cidr, False)

    async def reconcile(self, key: Hashable) -> float | None:
        assert isinstance(key, str)
        node = self.nodes.indexer.get(key)
        if node is None:
            return None
        held = _held(node)
        if held:
            for cidr in held:
                self.cidrs.mark(cidr, True)
            return None
        cidr = self.cidrs.take()
        if cidr is None:
            self.context.recorder.event(node, type="Warning", reason="CIDRNotAvailable", action="Allocate",
                                        note=f"Node {key} status is now: CIDRNotAvailable")
            raise RuntimeError(f"no pod CIDR left in {self.cidrs.network} for node {key}")
        try:
            await self.client.patch(NODES, key, {"metadata": {"uid": node["metadata"]["uid"]},
                                                 "spec": {"podCIDR": cidr, "podCIDRs": [cidr]}})
        except errors.ClientError:
            self.cidrs.mark(cidr, False)
            raise
        return None


def _held(node: Obj) -> list[str]:
    spec = node.get("spec") or {}
    return list(spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else []))
