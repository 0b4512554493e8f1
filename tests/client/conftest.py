"""Fixtures for the client runtime: real ``myriad apiserver`` subprocesses on loopback ports."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from myriad.bench.apiserver_process import running_apiserver
from myriad.client.rest import Client
from myriad.client.types import ClientOptions, RetryOptions


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One embedded-storage API server shared by a test module: its URL and kubeconfig."""
    data_dir = tmp_path_factory.mktemp("apiserver")
    with running_apiserver(data_dir=data_dir, cpu=None) as url:
        yield url, data_dir / "kubeconfig"


@pytest.fixture
async def client(server: tuple[str, Path]) -> AsyncIterator[Client]:
    async with Client(ClientOptions(endpoints=(server[0],), retry=RetryOptions(base_delay=0.01))) as c:
        yield c
