"""PodSpec defaults and validation, shared by pods and every pod template (deployments,
replica sets, stateful sets, daemon sets, jobs). Upstream's ``SetDefaults_PodSpec`` /
``SetDefaults_Container`` and the parts of ``ValidatePodSpec`` clients meet most; ``path`` is where
the spec sits (``spec`` for a pod, ``spec.template.spec`` for a template)."""

from __future__ import annotations

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.strategies.volumes import default_claim_spec

RESTART_POLICIES = ["Always", "OnFailure", "Never"]
DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"]
PULL_POLICIES = ["Always", "IfNotPresent", "Never"]
PROTOCOLS = ["SCTP", "TCP", "UDP"]
_PROBE_DEFAULTS = {"timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
_MODE_VOLUMES = ("secret", "configMap", "downwardAPI", "projected")


def _dicts(value: object) -> list[dict[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def pull_policy(image: str) -> str:
    """``Always`` for ``:latest`` or an untagged image, else ``IfNotPresent``."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.rsplit(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def default_container(container: dict[str, object]) -> None:
    if not container.get("imagePullPolicy"):
        image = container.get("image")
        container["imagePullPolicy"] = pull_policy(image) if isinstance(image, str) and image else "IfNotPresent"
    container.setdefault("terminationMessagePath", "/dev/termination-log")
    container.setdefault("terminationMessagePolicy", "File")
    if not isinstance(container.get("resources"), dict):
        container["resources"] = {}
    for port in _dicts(container.get("ports")):
        port.setdefault("protocol", "TCP")
    for env in _dicts(container.get("env")):  # SetDefaults_ObjectFieldSelector
        source = env.get("valueFrom")
        field_ref = source.get("fieldRef") if isinstance(source, dict) else None
        if isinstance(field_ref, dict) and not field_ref.get("apiVersion"):
            field_ref["apiVersion"] = "v1"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        spec = container.get(probe)
        if isinstance(spec, dict):
            for name, value in _PROBE_DEFAULTS.items():
                spec.setdefault(name, value)
            http = spec.get("httpGet")
            if isinstance(http, dict):
                http.setdefault("path", "/")
                http.setdefault("scheme", "HTTP")


def default_pod_spec(spec: dict[str, object]) -> None:
    """``SetDefaults_PodSpec`` and the container, probe and volume defaults: what pods and pod
    templates share."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    for kind in ("initContainers", "containers", "ephemeralContainers"):
        for container in _dicts(spec.get(kind)):
            default_container(container)
    for volume in _dicts(spec.get("volumes")):
        for kind in _MODE_VOLUMES:
            source = volume.get(kind)
            if isinstance(source, dict):
                source.setdefault("defaultMode", 420)
        host_path = volume.get("hostPath")
        if isinstance(host_path, dict) and host_path.get("type") is None:
            host_path["type"] = ""  # SetDefaults_HostPathVolumeSource: HostPathUnset
        claim = volume.get("ephemeral")
        claim_spec = claim.get("volumeClaimTemplate") if isinstance(claim, dict) else None
        if isinstance(claim_spec, dict) and isinstance(claim_spec.get("spec"), dict):
            default_claim_spec(claim_spec["spec"])
        if not any(key != "name" for key in volume):
            volume["emptyDir"] = {}


def default_pod_only(spec: dict[str, object]) -> None:
    """``SetDefaults_Pod``: pods, not templates, get service links and requests from limits."""
    spec.setdefault("enableServiceLinks", True)
    for kind in ("initContainers", "containers"):
        for container in _dicts(spec.get(kind)):
            resources = container.get("resources")
            limits = resources.get("limits") if isinstance(resources, dict) else None
            if isinstance(resources, dict) and isinstance(limits, dict) and limits:
                requests = resources.get("requests")
                if not isinstance(requests, dict):
                    requests = resources["requests"] = {}
                for name, quantity in limits.items():
                    requests.setdefault(name, quantity)


def validate_pod_spec(spec: object, path: str) -> list[Cause]:
    if not isinstance(spec, dict):
        return [meta.required(path)]
    causes: list[Cause] = []
    containers = spec.get("containers")
    if not isinstance(containers, list) or not containers:
        causes.append(meta.required(f"{path}.containers"))
    names: set[str] = set()
    for kind in ("initContainers", "containers"):
        for i, container in enumerate(spec.get(kind) or []):
            causes.extend(_validate_container(container, f"{path}.{kind}[{i}]", names))
    restart = spec.get("restartPolicy")
    if restart not in RESTART_POLICIES:
        causes.append(meta.unsupported(f"{path}.restartPolicy", restart or "", RESTART_POLICIES))
    dns = spec.get("dnsPolicy")
    if dns not in DNS_POLICIES:
        causes.append(meta.unsupported(f"{path}.dnsPolicy", dns or "", DNS_POLICIES))
    grace = spec.get("terminationGracePeriodSeconds")
    if grace is not None and (not isinstance(grace, int) or isinstance(grace, bool)):
        causes.append(meta.invalid(f"{path}.terminationGracePeriodSeconds", grace, "must be an integer"))
    deadline = spec.get("activeDeadlineSeconds")
    if deadline is not None and (not isinstance(deadline, int) or deadline <= 0):
        causes.append(meta.invalid(f"{path}.activeDeadlineSeconds", deadline,
                                   "must be between 1 and 2147483647, inclusive"))
    node = spec.get("nodeName")
    if node:
        causes.extend(meta.invalid(f"{path}.nodeName", node, e) for e in meta.dns1123_subdomain_errors(str(node)))
    return causes


def _validate_container(container: object, path: str, names: set[str]) -> list[Cause]:
    if not isinstance(container, dict):
        return [meta.invalid(path, container, "must be an object")]
    causes: list[Cause] = []
    name = container.get("name")
    if not name:
        causes.append(meta.required(f"{path}.name"))
    elif not isinstance(name, str):
        causes.append(meta.invalid(f"{path}.name", name, "must be a string"))
    else:
        causes.extend(meta.invalid(f"{path}.name", name, e) for e in meta.dns1123_label_errors(name))
        if name in names:
            causes.append(meta.duplicate(f"{path}.name", name))
        names.add(name)
    image = container.get("image")
    if not image or not isinstance(image, str) or not image.strip():
        causes.append(meta.required(f"{path}.image"))
    policy = container.get("imagePullPolicy")
    if policy not in PULL_POLICIES:
        causes.append(meta.unsupported(f"{path}.imagePullPolicy", policy or "", PULL_POLICIES))
    for j, port in enumerate(container.get("ports") or []):
        if not isinstance(port, dict):
            continue
        number = port.get("containerPort")
        if not isinstance(number, int) or not 1 <= number <= 65535:
            causes.append(meta.invalid(f"{path}.ports[{j}].containerPort", number if number is not None else 0,
                                       "must be between 1 and 65535, inclusive"))
        if port.get("protocol") not in PROTOCOLS:
            causes.append(meta.unsupported(f"{path}.ports[{j}].protocol", port.get("protocol") or "", PROTOCOLS))
    return causes


def qos_class(spec: dict[str, object]) -> str:
    """Guaranteed when every container limits cpu and memory with requests equal to limits;
    BestEffort when none asks for anything; Burstable otherwise."""
    containers = _dicts(spec.get("containers")) + _dicts(spec.get("initContainers"))
    any_set = False
    guaranteed = bool(containers)
    for container in containers:
        resources = container.get("resources") if isinstance(container.get("resources"), dict) else {}
        assert isinstance(resources, dict)
        requests = resources.get("requests") if isinstance(resources.get("requests"), dict) else {}
        limits = resources.get("limits") if isinstance(resources.get("limits"), dict) else {}
        assert isinstance(requests, dict) and isinstance(limits, dict)
        if requests or limits:
            any_set = True
        if not all(name in limits for name in ("cpu", "memory")) or any(
                requests.get(name, limits[name]) != limits[name] for name in limits):
            guaranteed = False
    if not any_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"
