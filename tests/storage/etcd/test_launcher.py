"""LocalEtcd runs a real etcd on loopback only, logs to its data dir, and leaves nothing behind."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from myriad.storage.etcd.launcher import LocalEtcd

pytestmark = pytest.mark.timeout(60)

_LISTEN = "0A"


def _address(hex_address: str) -> tuple[str, int]:
    """Decodes a ``/proc/net/tcp{,6}`` local address (host in kernel byte order, port in hex)."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), int(port, 16)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), int(port, 16)


def listening_addresses(pid: int) -> set[tuple[str, int]]:
    """The (host, port) of every TCP socket process ``pid`` listens on."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == _LISTEN and fields[9] in inodes:
                found.add(_address(fields[1]))
    return found


async def test_binds_loopback_only_and_stop_leaves_no_process(tmp_path: Path) -> None:
    etcd = LocalEtcd(data_dir=tmp_path / "etcd")
    await etcd.start()
    pid = etcd.pid
    assert pid is not None
    try:
        assert etcd.endpoint == f"127.0.0.1:{etcd.client_port}"
        assert listening_addresses(pid) == {("127.0.0.1", etcd.client_port), ("127.0.0.1", etcd.peer_port)}
    finally:
        await etcd.stop()
    assert not etcd.running
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert b"serving client traffic" in etcd.log_path.read_bytes()


async def test_start_failure_reports_etcd_log(tmp_path: Path) -> None:
    async with LocalEtcd(data_dir=tmp_path / "first") as first:
        clash = LocalEtcd(data_dir=tmp_path / "second", client_port=first.client_port)
        with pytest.raises(RuntimeError, match="Address already in use"):
            await clash.start()
        assert not clash.running
