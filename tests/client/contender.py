"""A leader-election contender process for the failover tests.

``python contender.py URL IDENTITY LEASE RENEW RETRY``: contends for Lease ``default/failover``;
while leading, it "acts" every 50 ms by writing its identity and a counter into ConfigMap
``default/acting``. SIGTERM stops it gracefully (releasing the lease); SIGKILL does not.
"""

from __future__ import annotations

import asyncio
import signal
import sys

from myriad.client.errors import ClientError, NotFound
from myriad.client.leaderelection import LeaderElectionConfig, LeaderElector
from myriad.client.rest import Client
from myriad.client.types import CONFIGMAPS, ClientOptions


async def act(client: Client, identity: str) -> None:
    count = 0
    while True:
        count += 1
        body = {"metadata": {"name": "acting", "namespace": "default"}, "data": {"holder": identity, "n": str(count)}}
        try:
            try:
                await client.patch(CONFIGMAPS, "acting", {"data": body["data"]}, namespace="default")
            except NotFound:
                await client.create(CONFIGMAPS, body)
        except ClientError:
            pass
        await asyncio.sleep(0.05)


async def main(url: str, identity: str, lease: float, renew: float, retry: float) -> None:
    async with Client(ClientOptions(endpoints=(url,))) as client:
        config = LeaderElectionConfig(name="failover", namespace="default", identity=identity,
                                      lease_duration=lease, renew_deadline=renew, retry_period=retry)
        elector = LeaderElector(client, config, on_started_leading=lambda: act(client, identity))
        task = asyncio.create_task(elector.run())
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        print("contending", flush=True)
        try:
            await task
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    url, identity, lease, renew, retry = sys.argv[1:6]
    asyncio.run(main(url, identity, float(lease), float(renew), float(retry)))
