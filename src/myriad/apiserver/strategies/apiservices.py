"""APIServices (apiregistration.k8s.io/v1), as kube-aggregator's strategy and validation treat
them: named ``<version>.<group>``, a service port of 443 by default, priorities in range, a CA
bundle or skipped TLS verification only with a service; the status is reset on create (a local
one's to Available) and kept by the main endpoint; no generation; updates must be conditional."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import dns1035_label_errors, port_number_errors, spec_of

MAX_GROUP_PRIORITY = 20000
MAX_VERSION_PRIORITY = 1000


class APIServiceStrategy(GenericStrategy):
    tracks_generation = False
    allow_unconditional_update = False

    def default(self, obj: Obj) -> None:
        service = spec_of(obj).get("service")
        if isinstance(service, dict) and service.get("port") is None:
            service["port"] = 443

    def prepare_for_create(self, obj: Obj) -> None:
        """A local APIService (no service) is Available at once, as kube-aggregator's availability
        controller, which runs in the API server, marks it."""
        super().prepare_for_create(obj)
        if not isinstance(spec_of(obj).get("service"), dict):
            obj["status"] = {"conditions": [{"type": "Available", "status": "True",
                                             "lastTransitionTime": meta.rfc3339(self.clock.now()),
                                             "reason": "Local", "message": "Local APIServices are always available"}]}

    def name_errors(self, name: str, obj: Obj) -> list[str]:
        """A path segment, and exactly ``spec.version + "." + spec.group``."""
        errors = meta.path_segment_errors(name)
        if errors:
            return errors
        spec = spec_of(obj)
        wanted = f"{spec.get('version') or ''}.{spec.get('group') or ''}"
        return [] if name == wanted else [f'must be `spec.version+"."+spec.group`: {meta.quote(wanted)}']

    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj)
        group, version = str(spec.get("group") or ""), str(spec.get("version") or "")
        if not group and version != "v1":
            causes.append(meta.required("spec.group", "only v1 may have an empty group and it better be legacy kube"))
        if group:
            causes += [meta.invalid("spec.group", group, e) for e in meta.dns1123_subdomain_errors(group)]
        causes += [meta.invalid("spec.version", version, e) for e in dns1035_label_errors(version)]
        for key, highest in (("groupPriorityMinimum", MAX_GROUP_PRIORITY), ("versionPriority", MAX_VERSION_PRIORITY)):
            value = spec.get(key, 0)
            if isinstance(value, int) and not 0 < value <= highest:
                causes.append(meta.invalid(f"spec.{key}", value, f"must be positive and less than {highest}"))
        service = spec.get("service")
        if not isinstance(service, dict):
            if spec.get("caBundle"):
                causes.append(meta.forbidden("spec.caBundle", "must not be specified when service is nil"))
            if spec.get("insecureSkipTLSVerify"):
                causes.append(meta.forbidden("spec.insecureSkipTLSVerify", "must not be specified when service is nil"))
            return causes
        causes += [meta.required(f"spec.service.{key}") for key in ("namespace", "name") if not service.get(key)]
        port = service.get("port", 443)
        errors = port_number_errors(port)
        if errors:
            causes.append(meta.invalid("spec.service.port", port, "port is not valid: " + ", ".join(errors)))
        if spec.get("insecureSkipTLSVerify") and spec.get("caBundle"):
            causes.append(meta.invalid("spec.insecureSkipTLSVerify", True, "may not be true if caBundle is present"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        return self.validate(new)
