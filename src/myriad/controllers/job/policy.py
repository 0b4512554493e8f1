"""The Job controller's rules as pure functions (upstream's ``pkg/controller/job`` helpers): pod
failure policy matching, the failure back-off, completion indexes and their compressed form.
"""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]

INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"
#: Upstream's DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
BACKOFF_BASE = 10.0
BACKOFF_MAX = 600.0


def backoff(failures: int, *, base: float = BACKOFF_BASE, most: float = BACKOFF_MAX) -> float:
    """Seconds to wait before replacing a failed pod after ``failures`` failures in a row."""
    if failures <= 0:
        return 0.0
    return min(base * 2 ** (failures - 1), most)


def matching_rule(job: Obj, pod: Obj) -> tuple[int, Obj] | None:
    """The first podFailurePolicy rule a failed pod matches (its index and the rule), if any.
    Exit codes are read from terminated containers, zero exit codes left out, as upstream."""
    rules = ((job.get("spec") or {}).get("podFailurePolicy") or {}).get("rules") or ()
    for index, rule in enumerate(rules):
        codes = rule.get("onExitCodes")
        if codes is not None and _exit_codes_match(codes, pod):
            return index, rule
        for wanted in rule.get("onPodConditions") or ():
            for condition in (pod.get("status") or {}).get("conditions") or ():
                if condition.get("type") == wanted.get("type") and \
                        condition.get("status") == (wanted.get("status") or "True"):
                    return index, rule
    return None


def failing_exit(codes: Obj, pod: Obj) -> tuple[str, int] | None:
    """The (container, exit code) that made ``codes`` match."""
    values = set(codes.get("values") or ())
    name = codes.get("containerName")
    status = pod.get("status") or {}
    for entry in [*(status.get("initContainerStatuses") or ()), *(status.get("containerStatuses") or ())]:
        if name and entry.get("name") != name:
            continue
        terminated = (entry.get("state") or {}).get("terminated") or {}
        code = terminated.get("exitCode")
        if not isinstance(code, int) or code == 0:
            continue
        if (codes.get("operator") == "In") == (code in values):
            return entry.get("name", ""), code
    return None


def _exit_codes_match(codes: Obj, pod: Obj) -> bool:
    return failing_exit(codes, pod) is not None


def index_of(pod: Obj) -> int | None:
    value = ((pod.get("metadata") or {}).get("annotations") or {}).get(INDEX_ANNOTATION)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def parse_indexes(text: str | None) -> set[int]:
    """``1,3-5`` → {1, 3, 4, 5}."""
    found: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        try:
            found.update(range(int(low), int(high or low) + 1))
        except ValueError:
            continue
    return found


def format_indexes(indexes: set[int]) -> str:
    """{1, 3, 4, 5} → ``1,3-5`` (upstream's completedIndexes)."""
    parts = []
    ordered = sorted(indexes)
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        parts.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(parts)
