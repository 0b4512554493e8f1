"""``/healthz``, ``/livez`` and ``/readyz``, answered as upstream's healthz handlers answer them.

Each endpoint runs its named checks: ``ok`` when all pass; with ``?verbose`` one ``[+]name ok``
line per check and ``<endpoint> check passed``; a failing check turns the answer into 500 with
``[-]name failed: reason withheld`` and ``<endpoint> check failed``. ``?exclude=name`` skips a
check (listed as ``[+]name excluded: ok``), and ``/<endpoint>/<name>`` runs one check (404 for
a check the endpoint does not have).

Checks: ``ping`` and ``log`` always pass; ``etcd`` (and ``etcd-readiness``) read storage;
``informer-sync`` waits for nothing and passes once every watch cache has synced; the
post-start hooks pass once the bootstrap objects exist; ``shutdown`` fails once the server is
stopping.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

#: A check: None when it passes, or why it fails.
Check = Callable[[], Awaitable[str | None]]
_HOOKS = ("poststarthook/start-apiserver-admission-initializer", "poststarthook/bootstrap-controller",
          "poststarthook/rbac/bootstrap-roles", "poststarthook/scheduling/bootstrap-system-priority-classes",
          "poststarthook/apiservice-registration-controller", "poststarthook/crd-informer-synced")


@dataclass(frozen=True, slots=True)
class HealthChecks:
    storage: Check
    caches_synced: Callable[[], bool]
    bootstrapped: Callable[[], bool]
    stopping: Callable[[], bool]

    def _named(self, endpoint: str) -> list[tuple[str, Check]]:
        async def ping() -> str | None:
            return None

        async def synced() -> str | None:
            return None if self.caches_synced() else "not all watch caches have synced"

        async def hook() -> str | None:
            return None if self.bootstrapped() else "not finished"

        async def shutdown() -> str | None:
            return "process is shutting down" if self.stopping() else None

        checks: list[tuple[str, Check]] = [("ping", ping), ("log", ping), ("etcd", self.storage)]
        if endpoint == "readyz":
            checks += [("etcd-readiness", self.storage), ("informer-sync", synced)]
        checks += [(name, hook) for name in _HOOKS]
        if endpoint == "readyz":
            checks.append(("shutdown", shutdown))
        return checks

    async def answer(self, path: str, *, verbose: bool, exclude: list[str]) -> tuple[int, bytes] | None:
        """(status, text body) for a health path, or None when ``path`` is not one."""
        endpoint, _, single = path.strip("/").partition("/")
        if endpoint not in ("healthz", "livez", "readyz"):
            return None
        checks = self._named(endpoint)
        if single:
            check = dict(checks).get(single)
            if check is None:
                return None
            problem = await check()
            return (200, b"ok") if problem is None else (500, f"internal server error: {problem}\n".encode())
        lines, failed = [], False
        for name, check in checks:
            if name in exclude:
                lines.append(f"[+]{name} excluded: ok")
                continue
            problem = await check()
            failed = failed or problem is not None
            lines.append(f"[+]{name} ok" if problem is None else f"[-]{name} failed: reason withheld")
        if failed:
            return 500, "\n".join([*lines, f"{endpoint} check failed", ""]).encode()
        if verbose:
            return 200, "\n".join([*lines, f"{endpoint} check passed", ""]).encode()
        return 200, b"ok"
