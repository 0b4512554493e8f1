"""Which strategy serves which resource type."""

from __future__ import annotations

from myriad.api.registry import ResourceType
from myriad.apiserver.rest.allocator import ServiceAllocator
from myriad.apiserver.rest.interfaces import Strategy
from myriad.apiserver.strategies.admissionpolicies import (
    MutatingAdmissionPolicyBindingStrategy,
    MutatingAdmissionPolicyStrategy,
    ValidatingAdmissionPolicyBindingStrategy,
    ValidatingAdmissionPolicyStrategy,
)
from myriad.apiserver.strategies.apiservices import APIServiceStrategy
from myriad.apiserver.strategies.autoscaling import HorizontalPodAutoscalerStrategy
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.certificates import (
    CertificateSigningRequestStrategy,
    ClusterTrustBundleStrategy,
    PodCertificateRequestStrategy,
)
from myriad.apiserver.strategies.configdata import ConfigMapStrategy, SecretStrategy
from myriad.apiserver.strategies.crds import CRDStrategy
from myriad.apiserver.strategies.cronjobs import CronJobStrategy
from myriad.apiserver.strategies.custom import CustomResourceStrategy
from myriad.apiserver.strategies.dra import (
    DeviceClassStrategy,
    ResourceClaimStrategy,
    ResourceClaimTemplateStrategy,
    ResourceSliceStrategy,
)
from myriad.apiserver.strategies.events import EventStrategy
from myriad.apiserver.strategies.flowschemas import FlowSchemaStrategy, PriorityLevelConfigurationStrategy
from myriad.apiserver.strategies.ipam import IPAddressStrategy, ServiceCIDRStrategy
from myriad.apiserver.strategies.leases import LeaseStrategy
from myriad.apiserver.strategies.namespaces import NamespaceStrategy
from myriad.apiserver.strategies.networking import IngressClassStrategy, IngressStrategy, NetworkPolicyStrategy
from myriad.apiserver.strategies.nodes import NodeStrategy
from myriad.apiserver.strategies.pods import PodStrategy
from myriad.apiserver.strategies.quotas import LimitRangeStrategy, ResourceQuotaStrategy
from myriad.apiserver.strategies.rbac import (
    ClusterRoleBindingStrategy,
    ClusterRoleStrategy,
    RoleBindingStrategy,
    RoleStrategy,
)
from myriad.apiserver.strategies.replication import PodTemplateStrategy, ReplicationControllerStrategy
from myriad.apiserver.strategies.scheduling import PriorityClassStrategy, RuntimeClassStrategy
from myriad.apiserver.strategies.services import ServiceStrategy
from myriad.apiserver.strategies.storage import (
    CSIDriverStrategy,
    CSINodeStrategy,
    CSIStorageCapacityStrategy,
    StorageClassStrategy,
    VolumeAttachmentStrategy,
    VolumeAttributesClassStrategy,
)
from myriad.apiserver.strategies.storagemigration import StorageVersionMigrationStrategy
from myriad.apiserver.strategies.volumes import PersistentVolumeClaimStrategy, PersistentVolumeStrategy
from myriad.apiserver.strategies.webhooks import (
    MutatingWebhookConfigurationStrategy,
    ValidatingWebhookConfigurationStrategy,
)
from myriad.apiserver.strategies.workloads import (
    DaemonSetStrategy,
    DeploymentStrategy,
    JobStrategy,
    StatefulSetStrategy,
    WorkloadStrategy,
)
from myriad.clock import Clock

_BY_RESOURCE: dict[tuple[str, str], type[GenericStrategy]] = {
    ("", "namespaces"): NamespaceStrategy,
    ("", "nodes"): NodeStrategy,
    ("", "configmaps"): ConfigMapStrategy,
    ("", "secrets"): SecretStrategy,
    ("apiextensions.k8s.io", "customresourcedefinitions"): CRDStrategy,
    ("", "pods"): PodStrategy,
    ("", "services"): ServiceStrategy,
    ("apps", "deployments"): DeploymentStrategy,
    ("apps", "replicasets"): WorkloadStrategy,
    ("apps", "statefulsets"): StatefulSetStrategy,
    ("apps", "daemonsets"): DaemonSetStrategy,
    ("batch", "jobs"): JobStrategy,
    ("", "events"): EventStrategy,
    ("events.k8s.io", "events"): EventStrategy,
    ("coordination.k8s.io", "leases"): LeaseStrategy,
    ("", "persistentvolumes"): PersistentVolumeStrategy,
    ("", "persistentvolumeclaims"): PersistentVolumeClaimStrategy,
    ("", "replicationcontrollers"): ReplicationControllerStrategy,
    ("", "podtemplates"): PodTemplateStrategy,
    ("", "resourcequotas"): ResourceQuotaStrategy,
    ("", "limitranges"): LimitRangeStrategy,
    ("batch", "cronjobs"): CronJobStrategy,
    ("storage.k8s.io", "storageclasses"): StorageClassStrategy,
    ("storage.k8s.io", "csidrivers"): CSIDriverStrategy,
    ("storage.k8s.io", "csinodes"): CSINodeStrategy,
    ("storage.k8s.io", "csistoragecapacities"): CSIStorageCapacityStrategy,
    ("storage.k8s.io", "volumeattachments"): VolumeAttachmentStrategy,
    ("storage.k8s.io", "volumeattributesclasses"): VolumeAttributesClassStrategy,
    ("networking.k8s.io", "ingresses"): IngressStrategy,
    ("networking.k8s.io", "ingressclasses"): IngressClassStrategy,
    ("networking.k8s.io", "networkpolicies"): NetworkPolicyStrategy,
    ("networking.k8s.io", "ipaddresses"): IPAddressStrategy,
    ("networking.k8s.io", "servicecidrs"): ServiceCIDRStrategy,
    ("scheduling.k8s.io", "priorityclasses"): PriorityClassStrategy,
    ("node.k8s.io", "runtimeclasses"): RuntimeClassStrategy,
    ("autoscaling", "horizontalpodautoscalers"): HorizontalPodAutoscalerStrategy,
    ("certificates.k8s.io", "certificatesigningrequests"): CertificateSigningRequestStrategy,
    ("certificates.k8s.io", "clustertrustbundles"): ClusterTrustBundleStrategy,
    ("certificates.k8s.io", "podcertificaterequests"): PodCertificateRequestStrategy,
    ("admissionregistration.k8s.io", "validatingwebhookconfigurations"): ValidatingWebhookConfigurationStrategy,
    ("admissionregistration.k8s.io", "mutatingwebhookconfigurations"): MutatingWebhookConfigurationStrategy,
    ("admissionregistration.k8s.io", "validatingadmissionpolicies"): ValidatingAdmissionPolicyStrategy,
    ("admissionregistration.k8s.io", "validatingadmissionpolicybindings"): ValidatingAdmissionPolicyBindingStrategy,
    ("admissionregistration.k8s.io", "mutatingadmissionpolicies"): MutatingAdmissionPolicyStrategy,
    ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings"): MutatingAdmissionPolicyBindingStrategy,
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): FlowSchemaStrategy,
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): PriorityLevelConfigurationStrategy,
    ("rbac.authorization.k8s.io", "roles"): RoleStrategy,
    ("rbac.authorization.k8s.io", "clusterroles"): ClusterRoleStrategy,
    ("rbac.authorization.k8s.io", "rolebindings"): RoleBindingStrategy,
    ("rbac.authorization.k8s.io", "clusterrolebindings"): ClusterRoleBindingStrategy,
    ("resource.k8s.io", "deviceclasses"): DeviceClassStrategy,
    ("resource.k8s.io", "resourceclaims"): ResourceClaimStrategy,
    ("resource.k8s.io", "resourceclaimtemplates"): ResourceClaimTemplateStrategy,
    ("resource.k8s.io", "resourceslices"): ResourceSliceStrategy,
    ("storagemigration.k8s.io", "storageversionmigrations"): StorageVersionMigrationStrategy,
    ("apiregistration.k8s.io", "apiservices"): APIServiceStrategy,
}
#: Resources whose deletes answer with the deleted object (upstream's ReturnDeletedObject).
_RETURN_DELETED = {("", "serviceaccounts")}
#: Resources served by the generic strategy that have no spec to track generations of (the
#: per-kind strategies say it themselves).
_NO_GENERATION = {("", "configmaps"), ("", "secrets"), ("", "endpoints"), ("", "events"), ("", "serviceaccounts"),
                  ("events.k8s.io", "events"), ("discovery.k8s.io", "endpointslices"), ("apps", "controllerrevisions")}
#: Resources a PUT may create (upstream's AllowCreateOnUpdate).
_CREATE_ON_UPDATE = {("", "endpoints"), ("", "events"), ("events.k8s.io", "events"), ("coordination.k8s.io", "leases"),
                     ("discovery.k8s.io", "endpointslices")}


_META = ("metadata.name", "metadata.namespace")
_EVENT_FIELDS = ("involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
                 "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
                 "reportingComponent", "source", "type")
#: events.k8s.io/v1's labels for the same fields (the strategy maps them back).
_EVENT_V1_FIELDS = ("regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid", "regarding.apiVersion",
                    "regarding.resourceVersion", "regarding.fieldPath", "reason", "reportingController", "source",
                    "type")
#: Field selectors beyond metadata.name and metadata.namespace (pods and services say their own).
_FIELDS: dict[tuple[str, str], frozenset[str]] = {
    ("", "nodes"): frozenset({"metadata.name", "spec.unschedulable"}),
    ("", "namespaces"): frozenset({"metadata.name", "status.phase"}),
    ("", "secrets"): frozenset({*_META, "type"}),
    ("", "events"): frozenset({*_META, *_EVENT_FIELDS}),
    ("events.k8s.io", "events"): frozenset({*_META, *_EVENT_V1_FIELDS}),
    ("batch", "jobs"): frozenset({*_META, "status.successful"}),
}


class StrategyTable:
    def __init__(self, *, clock: Clock, allocator: ServiceAllocator | None = None) -> None:
        self._clock = clock
        self._allocator = allocator
        self._cache: dict[ResourceType, Strategy] = {}

    def __call__(self, resource: ResourceType) -> Strategy:
        if resource.custom:  # one per registered version: a CRD update brings new schemas
            custom = resource.extra.get("strategy")
            if custom is None:
                custom = resource.extra["strategy"] = CustomResourceStrategy(resource)
            return custom  # type: ignore[return-value]
        strategy = self._cache.get(resource)
        if strategy is None:
            key = (resource.group, resource.plural)
            cls = _BY_RESOURCE.get(key, GenericStrategy)
            instance = cls(resource)
            instance.clock = self._clock
            if key in _FIELDS:
                instance.fields = _FIELDS[key]
            if isinstance(instance, ServiceStrategy):
                instance.allocator = self._allocator
            if key in _RETURN_DELETED:
                instance.return_deleted_object = True
            if key in _NO_GENERATION:
                instance.tracks_generation = False
            if key in _CREATE_ON_UPDATE:
                instance.allow_create_on_update = True
            strategy = self._cache[resource] = instance
        return strategy
