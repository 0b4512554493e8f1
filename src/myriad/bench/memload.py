"""The objects ``myriad bench memory`` loads: a cluster's realistic mix, as request builders.

Bodies are built once per kind as JSON templates and specialised by replacing markers, so the
load process spends its CPU on sending, not on encoding. Sizes are what the issue names: pods of
about 2.5 KB once the kubelet's status is patched in, Nodes of about 12 KB (50 images listed),
Leases, Deployments and their ReplicaSets, Services with an EndpointSlice each, and small
ConfigMaps, Secrets and Events. Objects are spread over :data:`NAMESPACES` namespaces.

The cluster is consistent, so that components started over it find nothing to repair: each
ReplicaSet is owned by its Deployment and each pod by its ReplicaSet (by their real uids, which
:class:`Owners` collects from the creates' answers), a Deployment's pods number its replicas
and match its ReplicaSet's template, and the Nodes carry the hollow-node label, so a
``myriad nodes`` process adopts them and their pods.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import orjson

from myriad.bench.apiload import Request

NAMESPACES = 20
NAMESPACE_PREFIX = "mem-"
NODE_PREFIX = "hollow-"
_I = "@@I@@"  # the object's index
_N = "@@N@@"  # its node's index
_NS = "@@NS@@"  # its namespace
_TS = "2026-12-04T00:00:00Z"
_HASH = "6d4cf56db6"
#: What the owner markers stand for: the Deployment's index, its uid, its ReplicaSet's uid, its
#: replicas.
_D, _DUID, _RSUID, _R = "@@D@@", "@@DUID@@", "@@RSUID@@", "@@R@@"


@dataclass
class Owners:
    """The uids of the Deployments and ReplicaSets made so far, by index, and how the pods are
    spread over them: pod ``i`` belongs to Deployment ``i % deployments``."""

    deployments: int
    pods: int
    deployment_uids: dict[int, bytes]
    replicaset_uids: dict[int, bytes]

    def replicas(self, d: int) -> int:
        per, extra = divmod(self.pods, self.deployments)
        return per + (1 if d < extra else 0)

    def keep(self, uids: dict[int, bytes]) -> Callable[[int, bytes], None]:
        """A ``keep`` for :func:`~myriad.bench.apiload.run_phase`: notes each answer's uid."""
        def note(index: int, reply: bytes) -> None:
            uids[index] = orjson.loads(reply)["metadata"]["uid"].encode()
        return note


@dataclass(frozen=True)
class Kind:
    """One kind of the mix: how many, the requests that make object ``i`` (a create, and for pods
    a status patch after it), and what notes the answers."""

    name: str
    count: int
    create: Callable[[int], Request]
    status: Callable[[int], Request] | None = None
    #: Sees each create's answer (``run_phase``'s ``keep``).
    keep: Callable[[int, bytes], None] | None = None


def _template(body: dict) -> bytes:
    return orjson.dumps(body)


def _builder(method: bytes, path: str, template: bytes, *, nodes: int, owners: Owners | None = None,
             by_deployment: bool = False, content_type: bytes = b"application/json") -> Callable[[int], Request]:
    """A request builder: ``path`` and ``template`` with their markers replaced for object ``i``.
    ``by_deployment``: the object's namespace is its Deployment's (pods, and what is named after a
    Deployment's index)."""
    raw_path = path.encode()

    def build(i: int) -> Request:
        d = i % owners.deployments if owners is not None and owners.deployments else i
        values = [(b"@@I@@", b"%d" % i), (b"@@N@@", b"%d" % (i % max(nodes, 1))),
                  (b"@@NS@@", b"%s%d" % (NAMESPACE_PREFIX.encode(), (d if by_deployment else i) % NAMESPACES))]
        if owners is not None:
            values += [(b"@@D@@", b"%d" % d), (b"@@DUID@@", owners.deployment_uids.get(d, b"")),
                       (b"@@RSUID@@", owners.replicaset_uids.get(d, b"")), (b"@@R@@", b"%d" % owners.replicas(d))]
        p, b = raw_path, template
        for marker, value in values:
            p, b = p.replace(marker, value), b.replace(marker, value)
        return method, p, b, content_type

    return build


def namespaces() -> list[bytes]:
    return [_template({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": f"{NAMESPACE_PREFIX}{i}"}})
            for i in range(NAMESPACES)]


def _pod() -> bytes:
    return _template({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": f"web-{_D}-{_HASH}-{_I}", "labels": {"app": f"web-{_D}", "pod-template-hash": _HASH},
                     "annotations": {"kubectl.kubernetes.io/restartedAt": _TS},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": f"web-{_D}-{_HASH}",
                                          "uid": _RSUID, "controller": True, "blockOwnerDeletion": True}]},
        "spec": {"nodeName": f"{NODE_PREFIX}{_N}", "containers": [_container()],
                 "volumes": [{"name": "config", "configMap": {"name": "app-config"}}]},
    })


def _pod_status() -> bytes:
    running = {"startedAt": _TS}
    return _template({"status": {
        "phase": "Running", "hostIP": "10.0.0.1", "hostIPs": [{"ip": "10.0.0.1"}],
        "podIP": "10.244.0.2", "podIPs": [{"ip": "10.244.0.2"}], "startTime": _TS,
        "conditions": [{"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": _TS}
                       for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                 "PodScheduled")],
        "containerStatuses": [{"name": "app", "state": {"running": running}, "lastState": {}, "ready": True,
                               "restartCount": 0, "image": "registry.k8s.io/nginx:1.27",
                               "imageID": "registry.k8s.io/nginx@sha256:" + "5" * 64,
                               "containerID": "containerd://" + "c" * 58 + _I, "started": True}],
    }})


def _node(images: int) -> bytes:
    ready = [{"type": t, "status": "False", "lastHeartbeatTime": _TS, "lastTransitionTime": _TS,
              "reason": f"Kubelet Has Sufficient {t}", "message": "ok"}
             for t in ("MemoryPressure", "DiskPressure", "PIDPressure")]
    ready.append({"type": "Ready", "status": "True", "lastHeartbeatTime": _TS, "lastTransitionTime": _TS,
                  "reason": "KubeletReady", "message": "kubelet is posting ready status"})
    resources = {"cpu": "8", "memory": "32Gi", "pods": "110", "ephemeral-storage": "100Gi"}
    return _template({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": f"{NODE_PREFIX}{_I}",
                     "labels": {"myriad.dev/hollow": "true",
                                "kubernetes.io/hostname": f"{NODE_PREFIX}{_I}", "kubernetes.io/os": "linux",
                                "kubernetes.io/arch": "amd64", "node.kubernetes.io/instance-type": "m5.2xlarge",
                                "topology.kubernetes.io/zone": "zone-a", "topology.kubernetes.io/region": "region-1"}},
        "spec": {"podCIDR": "10.244.0.0/24", "podCIDRs": ["10.244.0.0/24"]},
        "status": {"capacity": resources, "allocatable": resources, "conditions": ready,
                   "addresses": [{"type": "InternalIP", "address": "10.0.0.1"},
                                 {"type": "Hostname", "address": f"{NODE_PREFIX}{_I}"}],
                   "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                   "nodeInfo": {"machineID": "m", "systemUUID": "s", "bootID": "b", "kernelVersion": "6.1.0",
                                "osImage": "Debian GNU/Linux 12", "containerRuntimeVersion": "containerd://1.7.0",
                                "kubeletVersion": "v1.37.0", "kubeProxyVersion": "v1.37.0",
                                "operatingSystem": "linux", "architecture": "amd64"},
                   "images": [{"names": [f"registry.example.com/team-{k}/service-{k}@sha256:{k:064x}",
                                         f"registry.example.com/team-{k}/service-{k}:v1.{k}.0"],
                               "sizeBytes": 100_000_000 + k} for k in range(images)]},
    })


def _container() -> dict:
    return {"name": "app", "image": "registry.k8s.io/nginx:1.27", "ports": [{"containerPort": 8080, "name": "http"}],
            "env": [{"name": "MODE", "value": "prod"}],
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "200m", "memory": "128Mi"}},
            "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
            "volumeMounts": [{"name": "config", "mountPath": "/etc/app"}]}


def _workload(kind: str) -> bytes:
    """A Deployment of ``_R`` replicas, or its ReplicaSet: the same template, plus the hash."""
    labels = {"app": f"web-{_D}"} if kind == "Deployment" else {"app": f"web-{_D}", "pod-template-hash": _HASH}
    template = {"metadata": {"labels": labels},
                "spec": {"containers": [_container()],
                         "volumes": [{"name": "config", "configMap": {"name": "app-config"}}]}}
    metadata: dict = {"name": f"web-{_D}" if kind == "Deployment" else f"web-{_D}-{_HASH}", "labels": labels}
    if kind == "ReplicaSet":
        metadata["annotations"] = {"deployment.kubernetes.io/desired-replicas": _R,
                                   "deployment.kubernetes.io/max-replicas": _R,
                                   "deployment.kubernetes.io/revision": "1"}
        metadata["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": "Deployment", "name": f"web-{_D}",
                                        "uid": _DUID, "controller": True, "blockOwnerDeletion": True}]
    return orjson.dumps({"apiVersion": "apps/v1", "kind": kind, "metadata": metadata,
                         "spec": {"replicas": 0, "selector": {"matchLabels": labels}, "template": template}}
                        ).replace(b'"replicas":0', b'"replicas":@@R@@')


def _small(kind: str) -> bytes:
    if kind == "ConfigMap":
        return _template({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"cm-{_I}"},
                          "data": {"config.yaml": "x" * 200}})
    if kind == "Secret":
        return _template({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": f"secret-{_I}"},
                          "type": "Opaque", "data": {"token": "dG9rZW4x" * 20}})
    return _template({"apiVersion": "v1", "kind": "Event", "metadata": {"name": f"web-{_I}.18f0a1b2c3d4e5f6"},
                      "involvedObject": {"kind": "Pod", "namespace": _NS, "name": f"web-{_I}", "apiVersion": "v1"},
                      "reason": "Scheduled", "message": f"Successfully assigned web-{_I} to {NODE_PREFIX}{_N}",
                      "source": {"component": "default-scheduler"}, "firstTimestamp": _TS, "lastTimestamp": _TS,
                      "count": 1, "type": "Normal", "reportingComponent": "default-scheduler"})


def mix(*, pods: int, nodes: int, images: int, deployments: int, services: int, small: int) -> list[Kind]:
    """The kinds in load order; ``small`` is split evenly over ConfigMaps, Secrets and Events.
    Pods need at least one Deployment to belong to."""
    if pods and not deployments:
        raise ValueError("pods need at least one Deployment")
    owners = Owners(deployments=deployments, pods=pods, deployment_uids={}, replicaset_uids={})
    ns = f"/api/v1/namespaces/{_NS}"
    apps = f"/apis/apps/v1/namespaces/{_NS}"
    endpoint_slice = _template({
        "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
        "metadata": {"name": f"svc-{_I}-abcde", "labels": {"kubernetes.io/service-name": f"svc-{_I}",
                                                            "endpointslice.kubernetes.io/managed-by":
                                                                "endpointslice-controller.k8s.io"}},
        "addressType": "IPv4", "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
        "endpoints": [{"addresses": [f"10.244.{k}.2"], "conditions": {"ready": True},
                       "nodeName": f"{NODE_PREFIX}{_N}"} for k in range(3)]})
    service = _template({"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{_I}"},
                         "spec": {"selector": {"app": f"web-{_I}"},
                                  "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}})
    lease = _template({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
                       "metadata": {"name": f"{NODE_PREFIX}{_I}"},
                       "spec": {"holderIdentity": f"{NODE_PREFIX}{_I}", "leaseDurationSeconds": 40,
                                "renewTime": "2026-12-04T00:00:00.000000Z"}})
    pod = f"{ns}/pods/web-{_D}-{_HASH}-{_I}"
    third = small // 3
    kinds = [
        Kind("nodes", nodes, _builder(b"POST", "/api/v1/nodes", _node(images), nodes=nodes)),
        Kind("leases", nodes, _builder(b"POST", "/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases",
                                       lease, nodes=nodes)),
        Kind("deployments", deployments, _builder(b"POST", f"{apps}/deployments", _workload("Deployment"),
                                                  nodes=nodes, owners=owners, by_deployment=True),
             keep=owners.keep(owners.deployment_uids)),
        Kind("replicasets", deployments, _builder(b"POST", f"{apps}/replicasets", _workload("ReplicaSet"),
                                                  nodes=nodes, owners=owners, by_deployment=True),
             keep=owners.keep(owners.replicaset_uids)),
        Kind("pods", pods, _builder(b"POST", f"{ns}/pods", _pod(), nodes=nodes, owners=owners, by_deployment=True),
             status=_builder(b"PATCH", f"{pod}/status", _pod_status(), nodes=nodes, owners=owners,
                             by_deployment=True, content_type=b"application/merge-patch+json")),
        Kind("services", services, _builder(b"POST", f"{ns}/services", service, nodes=nodes)),
        Kind("endpointslices", services, _builder(b"POST", f"/apis/discovery.k8s.io/v1/namespaces/{_NS}/endpointslices",
                                                  endpoint_slice, nodes=nodes)),
        Kind("configmaps", third, _builder(b"POST", f"{ns}/configmaps", _small("ConfigMap"), nodes=nodes)),
        Kind("secrets", third, _builder(b"POST", f"{ns}/secrets", _small("Secret"), nodes=nodes)),
        Kind("events", small - 2 * third, _builder(b"POST", f"{ns}/events", _small("Event"), nodes=nodes)),
    ]
    return [kind for kind in kinds if kind.count > 0]
