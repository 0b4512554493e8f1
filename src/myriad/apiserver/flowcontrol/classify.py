"""Which priority level a request belongs to, until authentication exists.

Upstream matches users and groups with FlowSchemas; without authentication Myriad matches the
same traffic by what a client says about itself. In order:

1. ``X-Myriad-Priority-Level: <level>`` picks a level outright (flow schema ``header``).
2. Node agents (user agent ``kubelet/…``, ``myriad-node/…``) writing their Node, its status or
   a Lease: ``node-high`` (``system-node-high``: node heartbeats).
3. Control-plane components (``kube-scheduler``, ``kube-controller-manager``, ``myriad-…``)
   touching Leases, or ConfigMaps and Endpoints in kube-system: ``leader-election``
   (``system-leader-election``).
4. Those components and node agents otherwise: ``workload-high`` (``kube-system-components``).
5. Everything else: ``catch-all``.

The result is ``(level, flow schema)``.
"""

from __future__ import annotations

from myriad.apiserver.requestinfo import RequestInfo

HEADER = "x-myriad-priority-level"
_NODE_AGENTS = ("kubelet/", "myriad-node/")
_COMPONENTS = ("kube-scheduler/", "kube-controller-manager/", "myriad-")
_ELECTION_OBJECTS = frozenset({("", "configmaps"), ("", "endpoints")})


def classify(info: RequestInfo, user_agent: str, header: str, levels: frozenset[str]) -> tuple[str, str]:
    if header and header in levels:
        return header, "header"
    agent = user_agent.lower()
    is_node = agent.startswith(_NODE_AGENTS)
    if is_node and ((info.group == "" and info.resource == "nodes") or
                    (info.group == "coordination.k8s.io" and info.resource == "leases")):
        return "node-high", "system-node-high"
    is_component = not is_node and agent.startswith(_COMPONENTS)
    if is_component and ((info.group == "coordination.k8s.io" and info.resource == "leases") or
                         (info.namespace == "kube-system" and (info.group, info.resource) in _ELECTION_OBJECTS)):
        return "leader-election", "system-leader-election"
    if is_node or is_component:
        return "workload-high", "kube-system-components"
    return "catch-all", "catch-all"
