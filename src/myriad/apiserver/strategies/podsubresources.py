"""The pod subresources that change part of a running pod's spec, as upstream's strategies for
them do: ``ephemeralcontainers`` (what ``kubectl debug`` adds) and ``resize`` (in-place
resource changes).

Each takes only its part of the spec from the request; everything else, status and metadata
included, stays as stored (upstream's dropNonEphemeralContainerUpdates and
dropNonResizeUpdates).

* Ephemeral containers may only be added: an existing one may not change or go. A new one needs
  a unique name and an image, may not set ports, probes, lifecycle or resources, and its
  ``targetContainerName`` must name a container of the pod.
* A resize may change the cpu and memory requests and limits and the resize policy of
  containers; the pod's QoS class may not change.
"""

from __future__ import annotations

from myriad.api import gojson, meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.podspec import PULL_POLICIES, qos_class

#: Container fields an ephemeral container may not set.
_NOT_EPHEMERAL = ("ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resources",
                  "resizePolicy", "restartPolicy")
_RESIZABLE = frozenset({"cpu", "memory"})


def _spec(obj: Obj) -> dict[str, object]:
    spec = obj.get("spec")
    return spec if isinstance(spec, dict) else {}


def _containers(spec: dict[str, object], kind: str) -> list[dict[str, object]]:
    return [c for c in spec.get(kind) or [] if isinstance(c, dict)]  # type: ignore[union-attr]


def _keep_all_but(new: Obj, old: Obj, spec: dict[str, object]) -> None:
    """``new`` becomes ``old`` with ``spec``; metadata keeps only what a status write may change."""
    metadata = dict(old["metadata"])  # type: ignore[call-overload]
    new.clear()
    new.update(gojson.clone({k: v for k, v in old.items() if k not in ("spec", "metadata")}))
    new["metadata"], new["spec"] = metadata, spec


def prepare_ephemeral(new: Obj, old: Obj) -> None:
    spec = gojson.clone(_spec(old))
    containers = _spec(new).get("ephemeralContainers")
    if containers:
        spec["ephemeralContainers"] = containers
    else:
        spec.pop("ephemeralContainers", None)
    _keep_all_but(new, old, spec)


def ephemeral_errors(new: Obj, old: Obj) -> list[Cause]:
    spec, old_spec = _spec(new), _spec(old)
    added = _containers(spec, "ephemeralContainers")
    by_name = {c.get("name"): c for c in added}
    causes: list[Cause] = []
    for existing in _containers(old_spec, "ephemeralContainers"):
        name = existing.get("name")
        if name not in by_name:
            causes.append(meta.forbidden("spec.ephemeralContainers",
                                         f'existing ephemeral containers "{name}" may not be removed'))
        elif by_name[name] != existing:
            causes.append(meta.forbidden("spec.ephemeralContainers",
                                         f'existing ephemeral containers "{name}" may not be changed'))
    names = {c.get("name") for kind in ("containers", "initContainers") for c in _containers(spec, kind)}
    targets = {c.get("name") for c in _containers(spec, "containers")}
    for i, container in enumerate(added):
        path = f"spec.ephemeralContainers[{i}]"
        name = container.get("name")
        if not name or not isinstance(name, str):
            causes.append(meta.required(f"{path}.name"))
        else:
            causes += [meta.invalid(f"{path}.name", name, e) for e in meta.dns1123_label_errors(name)]
            if name in names:
                causes.append(meta.duplicate(f"{path}.name", name))
            names.add(name)
        if not container.get("image"):
            causes.append(meta.required(f"{path}.image"))
        if container.get("imagePullPolicy") not in PULL_POLICIES:
            causes.append(meta.unsupported(f"{path}.imagePullPolicy", container.get("imagePullPolicy") or "",
                                           PULL_POLICIES))
        causes += [meta.forbidden(f"{path}.{field}", "cannot be set for an Ephemeral Container")
                   for field in _NOT_EPHEMERAL if container.get(field)]
        target = container.get("targetContainerName")
        if target and target not in targets:
            causes.append(meta.invalid(f"{path}.targetContainerName", target, "must be the name of a container "
                                                                             "in the pod"))
    return causes


def prepare_resize(new: Obj, old: Obj) -> None:
    spec = gojson.clone(_spec(old))
    wanted = {(kind, c.get("name")): c for kind in ("containers", "initContainers")
              for c in _containers(_spec(new), kind)}
    for kind in ("containers", "initContainers"):
        for container in _containers(spec, kind):
            given = wanted.get((kind, container.get("name")))
            if given is None:
                continue
            for field in ("resources", "resizePolicy"):
                if field in given:
                    container[field] = gojson.clone(given[field])
                else:
                    container.pop(field, None)
    _keep_all_but(new, old, spec)


def resize_errors(new: Obj, old: Obj) -> list[Cause]:
    causes: list[Cause] = []
    spec, old_spec = _spec(new), _spec(old)
    for kind in ("containers", "initContainers"):
        old_by_name = {c.get("name"): c for c in _containers(old_spec, kind)}
        for i, container in enumerate(_containers(spec, kind)):
            before = old_by_name.get(container.get("name")) or {}
            now, then = container.get("resources") or {}, before.get("resources") or {}
            for part in ("requests", "limits"):
                changed = {name for name in set(now.get(part) or {}) | set(then.get(part) or {})  # type: ignore[union-attr,arg-type]
                           if (now.get(part) or {}).get(name) != (then.get(part) or {}).get(name)}  # type: ignore[union-attr]
                if changed - _RESIZABLE:
                    causes.append(meta.forbidden(f"spec.{kind}[{i}].resources.{part}",
                                                 "only cpu and memory resources are mutable"))
    if qos_class(spec) != qos_class(old_spec):
        causes.append(meta.invalid("spec", "<value omitted>", "Pod QOS Class may not change as a result of "
                                                              "resizing"))
    return causes
