"""Where the time went, in sentences, from a density result: which component was CPU-saturated
when (and in which phases), whether the machine's cores were, the deepest queues, the requests
flow control rejected, which transition dominates pod startup, and the component to speed up
next (the longest saturated; with none saturated but the machine busy, the one that took the most
CPU). Pure: reads the result dict (its shape: :mod:`.run`)."""

from __future__ import annotations

from typing import Any

#: A component at this many cores or more is saturated (one core is all a Python process uses).
SATURATED = 0.9
#: Seconds in a row that count as a saturated stretch.
STRETCH = 3.0


def attribute(result: dict[str, Any]) -> list[str]:
    out: list[str] = []
    phases = result.get("phases") or []
    busiest: tuple[float, str] | None = None
    for name, component in (result.get("components") or {}).items():
        stretches = _stretches([(s[0], s[1]) for s in component.get("samples") or ()], SATURATED)
        seconds = sum(b - a for a, b in stretches)
        if stretches:
            spans = ", ".join(f"{a:.0f}–{b:.0f} s" for a, b in stretches[:6]) + (" …" if len(stretches) > 6 else "")
            out.append(f"{name} was CPU-saturated (≥ {SATURATED:g} core) for {seconds:.0f} s: {spans}, "
                       f"in {', '.join(_phases_over(phases, stretches)) or 'no measured phase'}")
        if seconds and (busiest is None or seconds > busiest[0]):
            busiest = (seconds, name)
    machine = result.get("machine") or []
    cores = max((s[1] for s in machine), default=0.0)
    full = _stretches([(s[0], s[1]) for s in machine], 0.95 * max(1.0, round(cores)))
    if full:
        out.append(f"the machine's cores were all busy for {sum(b - a for a, b in full):.0f} s, "
                   f"in {', '.join(_phases_over(phases, full))}")
    for key, label in (("scheduler_pending", "the scheduler's pending pods"),
                       ("workqueue_depth", "the controller manager's workqueues")):
        series = (result.get("queues") or {}).get(key) or []
        if series:
            t, depth = max(series, key=lambda s: s[1])
            if depth > 0:
                out.append(f"{label} peaked at {depth:,.0f} at {t:.0f} s ({_phase_at(phases, t)})")
    rejected = {level: n for level, n in ((result.get("rejections") or {}).get("by_level") or {}).items() if n}
    if rejected:
        out.append("flow control rejected (429) " + ", ".join(f"{n:,} at {level}" for level, n in rejected.items()))
    startup = (result.get("pods") or {}).get("startup") or {}
    parts = {k: startup[k]["p99_ms"] for k in ("create_to_schedule", "schedule_to_run")
             if startup.get(k, {}).get("count")}
    if parts:
        worst = max(parts, key=lambda k: parts[k])
        out.append(f"of pod startup, {worst.replace('_', ' ')} is the larger part (p99 {parts[worst]:,.0f} ms; "
                   + ", ".join(f"{k.replace('_', ' ')} {v:,.0f} ms" for k, v in parts.items()) + ")")
    slow = [row for row in result.get("api") or () if not row.get("met", True)]
    if slow:
        out.append("API calls over their SLO: " + ", ".join(
            f"{r['verb']} {r['resource']}{'/' + r['subresource'] if r.get('subresource') else ''} ({r['scope']}) "
            f"p99 {r['p99_s']:.2f} s" for r in slow[:8]))
    if busiest is not None:
        out.append(f"speed up next: {busiest[1]}, saturated for {busiest[0]:.0f} s of the run")
    elif full:
        out.extend(_largest_share(result))
    return out


def _stretches(samples: list[tuple[float, float]], level: float) -> list[tuple[float, float]]:
    """Spans (start, end) of at least STRETCH seconds where the value stayed at ``level`` or more."""
    out, start, last = [], None, None
    for t, value in samples:
        if value >= level:
            start = t if start is None else start
            last = t
        else:
            if start is not None and last is not None and last - start >= STRETCH:
                out.append((start, last))
            start = last = None
    if start is not None and last is not None and last - start >= STRETCH:
        out.append((start, last))
    return out


def _phases_over(phases: list[dict[str, Any]], spans: list[tuple[float, float]]) -> list[str]:
    names = []
    for phase in phases:
        a, b = phase["began_s"], phase["began_s"] + phase["seconds"]
        if any(start < b and end > a for start, end in spans) and phase["name"] not in names:
            names.append(phase["name"])
    return names


def _phase_at(phases: list[dict[str, Any]], t: float) -> str:
    return next((p["name"] for p in phases if p["began_s"] <= t <= p["began_s"] + p["seconds"]), "between phases")


def _largest_share(result: dict[str, Any]) -> list[str]:
    """When no one component was saturated but the machine was: the one that took most of it."""
    spent = {name: float(c.get("cpu_s") or 0.0) for name, c in (result.get("components") or {}).items()}
    total = sum(spent.values())
    if not total:
        return []
    name = max(spent, key=lambda n: spent[n])
    pods = (result.get("pods") or {}).get("created") or 0
    per_pod = f", {spent[name] / pods * 1000:.1f} ms a pod" if pods else ""
    return [f"speed up next: {name}, the largest share of the busy machine ({spent[name]:,.0f} of "
            f"{total:,.0f} CPU-seconds{per_pod})"]
