"""Leases (coordination.k8s.io/v1), as upstream's lease strategy treats them: updates must be
conditional (a PUT without resourceVersion is refused; a PUT may still create), there is no
generation, and they are validated as pkg/apis/coordination/validation does: a positive
duration, no negative transitions, a known coordinated-election strategy, and a preferred
holder only with a strategy. Times and integer
types are checked earlier, where the body is decoded (:mod:`myriad.api.schemas`)."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy

#: Upstream's Kubernetes-defined strategies (a strategy with a "/" is a qualified name instead).
STRATEGIES = ["OldestEmulationVersion"]


class LeaseStrategy(GenericStrategy):
    #: Upstream's lease strategy: an update must name the resourceVersion it replaces, and a
    #: Lease has no generation.
    allow_unconditional_update = False
    tracks_generation = False

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = obj.get("spec")
        if isinstance(spec, dict):
            causes.extend(_spec_errors(spec))
        return causes


def _spec_errors(spec: Obj) -> list[Cause]:
    causes = []
    duration = spec.get("leaseDurationSeconds")
    if isinstance(duration, int) and duration <= 0:
        causes.append(meta.invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if isinstance(transitions, int) and transitions < 0:
        causes.append(meta.invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
    strategy = spec.get("strategy")
    if isinstance(strategy, str):
        if "/" not in strategy:
            if strategy not in STRATEGIES:
                causes.append(meta.unsupported("spec.strategy", strategy, STRATEGIES))
        else:
            causes.extend(meta.invalid("spec.strategy", strategy, e) for e in meta.qualified_name_errors(strategy))
    if spec.get("preferredHolder") and not strategy:
        causes.append(meta.forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"))
    return causes
