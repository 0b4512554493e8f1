"""One valid, upstream-realistic manifest for every stored built-in resource, for the tests that
walk every served kind (tests/apiserver/test_every_kind.py).

Namespaced objects live in :data:`NAMESPACE`; cluster-scoped ones have names no bootstrap object
has. The admission policies and webhooks match only ``walk.example.com`` resources, which no test
creates, so making them changes nothing else. The PEM and DER blobs are static test data, made
once with the openssl CLI:

* :data:`CSR_PEM`: ``openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes
  -subj /CN=walk -keyout /dev/null``
* :data:`CA_PEM`: the same with ``-x509 -subj /CN=walk-ca -days 36500`` (a self-signed CA)
* :data:`STUB_PKCS10_DER`: ``openssl genpkey -algorithm ed25519`` then ``openssl req -new -key
  … -subj / -outform DER``, base64 (the empty CSR kubelet sends in a PodCertificateRequest)
"""

from __future__ import annotations

import base64
from typing import Any

NAMESPACE = "walk"
#: The group of the APIService, the CRD and what the admission policies and webhooks match; no object of
#: it is ever created.
WALK_GROUP = "walk.example.com"
SIGNER = "example.com/walker"

CSR_PEM = """\
-----BEGIN CERTIFICATE REQUEST-----
MIHKMHECAQAwDzENMAsGA1UEAwwEd2FsazBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABKWlkzkCF2fSXWipeEaY8yM5V4cMlYsXF3KI6NG6b/kMiQXNfZmBpfwhaI5k
cN8pqnf1FdNmPUn3OOLBj+OvDyqgADAKBggqhkjOPQQDAgNJADBGAiEA7mf5n1Bv
sQIHVSTKmmN4U4yE4wnqU9MAMUvuwjNAu6sCIQDKzaBF6PnbrQ1gltvQ2LDeVT4O
ixUCSpQcczJ0WHcq5A==
-----END CERTIFICATE REQUEST-----
"""

CA_PEM = """\
-----BEGIN CERTIFICATE-----
MIIBezCCASGgAwIBAgIUO13aE4w4Dh7j/UlpjcAN8axXyREwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHd2Fsay1jYTAgFw0yNjEyMDMwODQ2NTRaGA8yMTI2MTEwOTA4
NDY1NFowEjEQMA4GA1UEAwwHd2Fsay1jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH
A0IABHHf0F7CO3ZBv57UmamIjmNofzFEVBgcWaR5+0Xff00+7Pic2KD0BiR4PJHW
r54XCpYtb3oe4gQWfhZqDoQW1G+jUzBRMB0GA1UdDgQWBBRwTWZOLv/K8z8DgZ04
WopRuFCnqjAfBgNVHSMEGDAWgBRwTWZOLv/K8z8DgZ04WopRuFCnqjAPBgNVHRMB
Af8EBTADAQH/MAoGCCqGSM49BAMCA0gAMEUCIQDWU/k9//kSJansIXEhArwlcFcH
MyZRP62gc6ZI08zpgQIgHaoeNfwjO1h2fa7O5XBw/7GaCd6eLDKz+7nHj9tPHZE=
-----END CERTIFICATE-----
"""

STUB_PKCS10_DER = ("MH8wMwIBADAAMCowBQYDK2VwAyEAboe0fxe4+cVl8L6iWxrdW4Ki+nWBjVoffk1o334B6J2gADAFBgMrZXADQQAEfTkXWQP2"
                   "Li5ydHH1Y1WarGDX/DL48M3ZiY/cDQujT+CzIQfcp/kezqxrpR3KuOnx4fgCEkVqSPTiXBCTPgUG")

Manifest = dict[str, Any]

_LABELS = {"app": "walk"}
_CONTAINER = {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}
_POD_SPEC = {"containers": [_CONTAINER]}
_TEMPLATE = {"metadata": {"labels": _LABELS}, "spec": _POD_SPEC}
_JOB_TEMPLATE = {"spec": {"restartPolicy": "Never",
                          "containers": [{"name": "hello", "image": "busybox:1.36", "command": ["echo", "walk"]}]}}
#: Rules that match nothing any test creates.
_WALK_RULES = {"apiGroups": [WALK_GROUP], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
               "resources": ["widgets"]}
_WEBHOOK_CLIENT = {"service": {"namespace": NAMESPACE, "name": "walk-webhook", "path": "/check", "port": 443},
                   "caBundle": base64.b64encode(CA_PEM.encode()).decode()}


def _obj(api_version: str, kind: str, name: str, *, namespaced: bool = True, labels: dict[str, str] | None = None,
         **body: Any) -> Manifest:
    metadata: dict[str, Any] = {"name": name}
    if namespaced:
        metadata["namespace"] = NAMESPACE
    if labels:
        metadata["labels"] = labels
    return {"apiVersion": api_version, "kind": kind, "metadata": metadata, **body}


def _cluster(api_version: str, kind: str, name: str, **body: Any) -> Manifest:
    return _obj(api_version, kind, name, namespaced=False, **body)


MANIFESTS: tuple[Manifest, ...] = (
    # core/v1
    _obj("v1", "LimitRange", "walk-limits", spec={"limits": [{
        "type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
        "defaultRequest": {"cpu": "100m", "memory": "128Mi"}, "max": {"cpu": "2", "memory": "1Gi"}}]}),
    _obj("v1", "PersistentVolumeClaim", "walk-claim", spec={
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
        "storageClassName": "walk-storage"}),
    _cluster("v1", "PersistentVolume", "walk-volume", spec={
        "capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "walk-storage", "hostPath": {"path": "/data/walk"}}),
    _obj("v1", "PodTemplate", "walk-template", template=_TEMPLATE),
    _obj("v1", "ReplicationController", "walk-rc", spec={"replicas": 1, "selector": _LABELS, "template": _TEMPLATE}),
    _obj("v1", "ResourceQuota", "walk-quota", spec={"hard": {"pods": "10", "requests.cpu": "4",
                                                             "requests.memory": "8Gi"}}),
    _obj("v1", "ConfigMap", "walk-config", data={"greeting": "hello", "app.properties": "mode=walk\n"}),
    _obj("v1", "Endpoints", "walk-endpoints", subsets=[{
        "addresses": [{"ip": "10.244.1.5"}], "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]),
    _obj("v1", "Event", "walk-event.17a1b2c3d4e5f607", involvedObject={
        "apiVersion": "v1", "kind": "Pod", "namespace": NAMESPACE, "name": "walk-pod"},
        reason="Started", message="Started container web", type="Normal",
        source={"component": "kubelet", "host": "walk-node"}, count=1,
        firstTimestamp="2026-01-02T03:04:05Z", lastTimestamp="2026-01-02T03:04:05Z"),
    _cluster("v1", "Namespace", "walk-extra", labels={"team": "walk"}),
    _cluster("v1", "Node", "walk-node", labels={"kubernetes.io/hostname": "walk-node", "kubernetes.io/os": "linux"},
             spec={"podCIDR": "10.244.9.0/24"}),
    _obj("v1", "Pod", "walk-pod", labels=_LABELS, spec=_POD_SPEC),
    _obj("v1", "Secret", "walk-secret", type="Opaque", stringData={"username": "walker", "password": "s3cret"}),
    _obj("v1", "ServiceAccount", "walk-sa"),
    _obj("v1", "Service", "walk-svc", spec={"selector": _LABELS, "ports": [{
        "name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]}),
    # apps/v1
    _obj("apps/v1", "ControllerRevision", "walk-revision", revision=1, data={
        "spec": {"template": {"$patch": "replace", **_TEMPLATE}}}),
    _obj("apps/v1", "DaemonSet", "walk-ds", spec={"selector": {"matchLabels": _LABELS}, "template": _TEMPLATE}),
    _obj("apps/v1", "Deployment", "walk-deploy", spec={"replicas": 2, "selector": {"matchLabels": _LABELS},
                                                       "template": _TEMPLATE}),
    _obj("apps/v1", "ReplicaSet", "walk-rs", spec={"replicas": 1, "selector": {"matchLabels": _LABELS},
                                                   "template": _TEMPLATE}),
    _obj("apps/v1", "StatefulSet", "walk-sts", spec={
        "serviceName": "walk-svc", "replicas": 1, "selector": {"matchLabels": _LABELS}, "template": _TEMPLATE,
        "volumeClaimTemplates": [{"metadata": {"name": "data"}, "spec": {
            "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}),
    # batch/v1
    _obj("batch/v1", "CronJob", "walk-cron", spec={"schedule": "*/5 * * * *", "jobTemplate": {
        "spec": {"template": _JOB_TEMPLATE}}}),
    _obj("batch/v1", "Job", "walk-job", spec={"backoffLimit": 2, "template": _JOB_TEMPLATE}),
    # coordination.k8s.io/v1
    _obj("coordination.k8s.io/v1", "Lease", "walk-lease", spec={
        "holderIdentity": "walk-node", "leaseDurationSeconds": 40, "renewTime": "2026-01-02T03:04:05.000000Z"}),
    # events.k8s.io/v1
    _obj("events.k8s.io/v1", "Event", "walk-event.17a1b2c3d4e5f608", eventTime="2026-01-02T03:04:05.123456Z",
         reportingController="example.com/walker", reportingInstance="walker-1", action="Pulling",
         reason="Pulling", note="Pulling image nginx:1.27", type="Normal",
         regarding={"apiVersion": "v1", "kind": "Pod", "namespace": NAMESPACE, "name": "walk-pod"}),
    # discovery.k8s.io/v1
    _obj("discovery.k8s.io/v1", "EndpointSlice", "walk-svc-abcde", labels={"kubernetes.io/service-name": "walk-svc"},
         addressType="IPv4", endpoints=[{"addresses": ["10.244.1.5"], "conditions": {"ready": True},
                                         "nodeName": "walk-node"}],
         ports=[{"name": "http", "port": 8080, "protocol": "TCP"}]),
    # policy/v1
    _obj("policy/v1", "PodDisruptionBudget", "walk-pdb", spec={"minAvailable": 1,
                                                               "selector": {"matchLabels": _LABELS}}),
    # rbac.authorization.k8s.io/v1
    _cluster("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "walk-crb", roleRef={
        "apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "walk-cr"},
        subjects=[{"kind": "ServiceAccount", "name": "walk-sa", "namespace": NAMESPACE}]),
    _cluster("rbac.authorization.k8s.io/v1", "ClusterRole", "walk-cr", rules=[{
        "apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}]),
    _obj("rbac.authorization.k8s.io/v1", "RoleBinding", "walk-rb", roleRef={
        "apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "walk-role"},
        subjects=[{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "walker"}]),
    _obj("rbac.authorization.k8s.io/v1", "Role", "walk-role", rules=[{
        "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["walk-config"], "verbs": ["get"]}]),
    # apiregistration.k8s.io/v1: a local APIService (no service), as upstream registers its own groups
    _cluster("apiregistration.k8s.io/v1", "APIService", f"v1.{WALK_GROUP}", spec={
        "group": WALK_GROUP, "version": "v1", "groupPriorityMinimum": 1000, "versionPriority": 15}),
    # autoscaling: one HPA written in each version
    _obj("autoscaling/v2", "HorizontalPodAutoscaler", "walk-hpa-v2", spec={
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "walk-deploy"},
        "minReplicas": 1, "maxReplicas": 5, "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]}),
    _obj("autoscaling/v1", "HorizontalPodAutoscaler", "walk-hpa-v1", spec={
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "walk-deploy"},
        "minReplicas": 1, "maxReplicas": 3, "targetCPUUtilizationPercentage": 75}),
    # certificates.k8s.io/v1
    _cluster("certificates.k8s.io/v1", "CertificateSigningRequest", "walk-csr", spec={
        "request": base64.b64encode(CSR_PEM.encode()).decode(), "signerName": SIGNER,
        "expirationSeconds": 86400, "usages": ["digital signature", "client auth"]}),
    _cluster("certificates.k8s.io/v1", "ClusterTrustBundle", f"{SIGNER.replace('/', ':')}:walk-bundle", spec={
        "signerName": SIGNER, "trustBundle": CA_PEM}),
    _obj("certificates.k8s.io/v1", "PodCertificateRequest", "walk-pcr", spec={
        "signerName": SIGNER, "podName": "walk-pod", "podUID": "3b0e2f3c-7d4a-4f0e-9a51-2f6c1e8d9b01",
        "serviceAccountName": "walk-sa", "serviceAccountUID": "9c4f1d2e-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
        "nodeName": "walk-node", "nodeUID": "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9",
        "maxExpirationSeconds": 86400, "stubPKCS10Request": STUB_PKCS10_DER}),
    # networking.k8s.io/v1
    _cluster("networking.k8s.io/v1", "IngressClass", "walk-ingress-class", spec={
        "controller": "example.com/walk-ingress-controller"}),
    _obj("networking.k8s.io/v1", "Ingress", "walk-ingress", spec={
        "ingressClassName": "walk-ingress-class", "rules": [{"host": "walk.example.com", "http": {"paths": [{
            "path": "/", "pathType": "Prefix",
            "backend": {"service": {"name": "walk-svc", "port": {"number": 80}}}}]}}]}),
    _cluster("networking.k8s.io/v1", "IPAddress", "10.250.0.7", spec={"parentRef": {
        "group": "", "resource": "services", "namespace": NAMESPACE, "name": "walk-svc"}}),
    _obj("networking.k8s.io/v1", "NetworkPolicy", "walk-netpol", spec={
        "podSelector": {"matchLabels": _LABELS}, "policyTypes": ["Ingress"], "ingress": [{
            "from": [{"podSelector": {"matchLabels": {"role": "client"}}}],
            "ports": [{"protocol": "TCP", "port": 8080}]}]}),
    _cluster("networking.k8s.io/v1", "ServiceCIDR", "walk-cidr", spec={"cidrs": ["10.250.0.0/24"]}),
    # storage.k8s.io/v1
    _cluster("storage.k8s.io/v1", "CSIDriver", "walk.csi.example.com", spec={
        "attachRequired": True, "podInfoOnMount": True, "volumeLifecycleModes": ["Persistent"],
        "fsGroupPolicy": "File"}),
    _cluster("storage.k8s.io/v1", "CSINode", "walk-node", spec={"drivers": [{
        "name": "walk.csi.example.com", "nodeID": "walk-node", "topologyKeys": ["topology.kubernetes.io/zone"],
        "allocatable": {"count": 16}}]}),
    _obj("storage.k8s.io/v1", "CSIStorageCapacity", "csisc-walk", storageClassName="walk-storage",
         capacity="100Gi", maximumVolumeSize="10Gi",
         nodeTopology={"matchLabels": {"topology.kubernetes.io/zone": "walk-zone"}}),
    _cluster("storage.k8s.io/v1", "StorageClass", "walk-storage", provisioner="walk.csi.example.com",
             reclaimPolicy="Delete", volumeBindingMode="WaitForFirstConsumer", allowVolumeExpansion=True,
             parameters={"type": "ssd"}),
    _cluster("storage.k8s.io/v1", "VolumeAttachment", "csi-walk-attachment", spec={
        "attacher": "walk.csi.example.com", "nodeName": "walk-node",
        "source": {"persistentVolumeName": "walk-volume"}}),
    _cluster("storage.k8s.io/v1", "VolumeAttributesClass", "walk-fast", driverName="walk.csi.example.com",
             parameters={"iops": "3000", "throughput": "125"}),
    # admissionregistration.k8s.io/v1: all about walk.example.com widgets, which nothing creates
    _cluster("admissionregistration.k8s.io/v1", "MutatingAdmissionPolicy", "walk-mutate", spec={
        "matchConstraints": {"resourceRules": [_WALK_RULES]}, "failurePolicy": "Fail",
        "reinvocationPolicy": "Never", "mutations": [{"patchType": "ApplyConfiguration", "applyConfiguration": {
            "expression": "Object{metadata: Object.metadata{labels: {'walked': 'true'}}}"}}]}),
    _cluster("admissionregistration.k8s.io/v1", "MutatingAdmissionPolicyBinding", "walk-mutate-binding", spec={
        "policyName": "walk-mutate"}),
    _cluster("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration", "walk-mutating-webhook",
             webhooks=[{"name": "mutate.walk.example.com", "clientConfig": _WEBHOOK_CLIENT,
                        "rules": [_WALK_RULES], "admissionReviewVersions": ["v1"], "sideEffects": "None",
                        "failurePolicy": "Ignore", "timeoutSeconds": 5}]),
    _cluster("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", "walk-validate", spec={
        "matchConstraints": {"resourceRules": [_WALK_RULES]}, "failurePolicy": "Fail",
        "validations": [{"expression": "object.spec.size <= 5", "message": "a widget is at most 5"}]}),
    _cluster("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding", "walk-validate-binding", spec={
        "policyName": "walk-validate", "validationActions": ["Deny"]}),
    _cluster("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "walk-validating-webhook",
             webhooks=[{"name": "validate.walk.example.com", "clientConfig": _WEBHOOK_CLIENT,
                        "rules": [_WALK_RULES], "admissionReviewVersions": ["v1"], "sideEffects": "None",
                        "failurePolicy": "Ignore", "timeoutSeconds": 5}]),
    # scheduling.k8s.io/v1
    _cluster("scheduling.k8s.io/v1", "PriorityClass", "walk-priority", value=1000, globalDefault=False,
             preemptionPolicy="PreemptLowerPriority", description="for walking"),
    # node.k8s.io/v1
    _cluster("node.k8s.io/v1", "RuntimeClass", "walk-runtime", handler="runc", overhead={
        "podFixed": {"cpu": "10m", "memory": "16Mi"}}),
    # resource.k8s.io/v1
    _cluster("resource.k8s.io/v1", "DeviceClass", "walk-gpu", spec={"selectors": [{"cel": {
        "expression": 'device.driver == "gpu.walk.example.com"'}}]}),
    _obj("resource.k8s.io/v1", "ResourceClaim", "walk-claim", spec={"devices": {"requests": [{
        "name": "gpu", "exactly": {"deviceClassName": "walk-gpu"}}]}}),
    _obj("resource.k8s.io/v1", "ResourceClaimTemplate", "walk-claim-template", spec={"spec": {"devices": {
        "requests": [{"name": "gpu", "exactly": {"deviceClassName": "walk-gpu", "count": 1}}]}}}),
    _cluster("resource.k8s.io/v1", "ResourceSlice", "walk-node-gpu.walk.example.com-abcde", spec={
        "driver": "gpu.walk.example.com", "nodeName": "walk-node",
        "pool": {"name": "walk-node", "generation": 1, "resourceSliceCount": 1},
        "devices": [{"name": "gpu-0", "attributes": {"model": {"string": "walker-9000"}},
                     "capacity": {"memory": {"value": "16Gi"}}}]}),
    # flowcontrol.apiserver.k8s.io/v1
    _cluster("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", "walk-flows", spec={
        "priorityLevelConfiguration": {"name": "walk-level"}, "matchingPrecedence": 9000,
        "distinguisherMethod": {"type": "ByUser"}, "rules": [{
            "subjects": [{"kind": "User", "user": {"name": "walker"}}],
            "resourceRules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"],
                               "namespaces": [NAMESPACE]}]}]}),
    _cluster("flowcontrol.apiserver.k8s.io/v1", "PriorityLevelConfiguration", "walk-level", spec={
        "type": "Limited", "limited": {"nominalConcurrencyShares": 5, "lendablePercent": 0, "limitResponse": {
            "type": "Queue", "queuing": {"queues": 16, "handSize": 4, "queueLengthLimit": 50}}}}),
    # storagemigration.k8s.io/v1
    _cluster("storagemigration.k8s.io/v1", "StorageVersionMigration", "walk-migrate-configmaps", spec={
        "resource": {"group": "", "resource": "configmaps"}}),
    # apiextensions.k8s.io/v1
    _cluster("apiextensions.k8s.io/v1", "CustomResourceDefinition", f"walkers.{WALK_GROUP}", spec={
        "group": WALK_GROUP, "scope": "Namespaced",
        "names": {"plural": "walkers", "singular": "walker", "kind": "Walker", "listKind": "WalkerList"},
        "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
            "type": "object", "properties": {"spec": {"type": "object", "properties": {
                "steps": {"type": "integer", "minimum": 0}}}}}}}]}),
)
