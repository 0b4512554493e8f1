"""Every built-in kind's column definitions against upstream's: names, order, types, wide-only
columns, and where the descriptions come from."""

from __future__ import annotations

import pytest

from myriad.api.builtin import BUILTIN
from myriad.apiserver.tables.convert import TableConverter
from myriad.apiserver.tables.printers import BY_RESOURCE, DEFAULT, NAME
from tests.apiserver.tables.helpers import NOW

_REPLICAS = "Name|Desired:integer|Current:integer|Ready:integer|Age|Containers*|Images*|Selector*"
_EVENTS = "Last Seen|Type|Reason|Object|Subobject*|Source*|Message|First Seen*|Count*|Name*"
_BINDINGS = "Name|Role|Age|Users*|Groups*|ServiceAccounts*"
_ADMISSION = "admissionregistration.k8s.io"

#: (group, plural) → columns as ``Title[:type][*]``, ``*`` marking priority 1 (``-o wide`` only).
HEADERS = {
    ("", "pods"): "Name|Ready|Status|Restarts|Age|IP*|Node*|Nominated Node*|Readiness Gates*",
    ("", "podtemplates"): "Name|Containers|Images|Pod Labels",
    ("", "nodes"): "Name|Status|Roles|Age|Version|Internal-IP*|External-IP*|OS-Image*|Kernel-Version*|"
                   "Container-Runtime*",
    ("", "namespaces"): "Name|Status|Age",
    ("", "configmaps"): "Name|Data|Age",
    ("", "secrets"): "Name|Type|Data|Age",
    ("", "serviceaccounts"): "Name|Age",
    ("", "events"): _EVENTS,
    ("events.k8s.io", "events"): _EVENTS,
    ("", "resourcequotas"): "Name|Request|Limit|Age",
    ("", "componentstatuses"): "Name|Status|Message|Error",
    ("coordination.k8s.io", "leases"): "Name|Holder|Age",
    ("apps", "deployments"): "Name|Ready|Up-to-date|Available|Age|Containers*|Images*|Selector*",
    ("apps", "replicasets"): _REPLICAS,
    ("", "replicationcontrollers"): _REPLICAS,
    ("apps", "statefulsets"): "Name|Ready|Age|Containers*|Images*",
    ("apps", "daemonsets"): "Name|Desired:integer|Current:integer|Ready:integer|Up-to-date:integer|"
                            "Available:integer|Node Selector|Age|Containers*|Images*|Selector*",
    ("apps", "controllerrevisions"): "Name|Controller|Revision|Age",
    ("batch", "jobs"): "Name|Status|Completions|Duration|Age|Containers*|Images*|Selector*",
    ("batch", "cronjobs"): "Name|Schedule|Timezone|Suspend:boolean|Active:integer|Last Schedule|Age|Containers*|"
                           "Images*|Selector*",
    ("autoscaling", "horizontalpodautoscalers"): "Name|Reference|Targets|MinPods|MaxPods|Replicas|Age",
    ("policy", "poddisruptionbudgets"): "Name|Min Available|Max Unavailable|Allowed Disruptions:integer|Age",
    ("", "services"): "Name|Type|Cluster-IP|External-IP|Port(s)|Age|Selector*",
    ("", "endpoints"): "Name|Endpoints|Age",
    ("discovery.k8s.io", "endpointslices"): "Name|AddressType|Ports|Endpoints|Age",
    ("networking.k8s.io", "ingresses"): "Name|Class|Hosts|Address|Ports|Age",
    ("networking.k8s.io", "ingressclasses"): "Name|Controller|Parameters|Age",
    ("networking.k8s.io", "networkpolicies"): "Name|Pod-Selector|Age",
    ("networking.k8s.io", "ipaddresses"): "Name|ParentRef",
    ("networking.k8s.io", "servicecidrs"): "Name|CIDRs|Age",
    ("", "persistentvolumes"): "Name|Capacity|Access Modes|Reclaim Policy|Status|Claim|StorageClass|"
                               "VolumeAttributesClass|Reason|Age|VolumeMode*",
    ("", "persistentvolumeclaims"): "Name|Status|Volume|Capacity|Access Modes|StorageClass|VolumeAttributesClass|"
                                    "Age|VolumeMode*",
    ("storage.k8s.io", "storageclasses"): "Name|Provisioner|ReclaimPolicy|VolumeBindingMode|AllowVolumeExpansion|Age",
    ("storage.k8s.io", "volumeattributesclasses"): "Name|DriverName|Age",
    ("storage.k8s.io", "csidrivers"): "Name|AttachRequired:boolean|PodInfoOnMount:boolean|StorageCapacity:boolean|"
                                      "TokenRequests|RequiresRepublish:boolean|Modes|Age",
    ("storage.k8s.io", "csinodes"): "Name|Drivers:integer|Age",
    ("storage.k8s.io", "csistoragecapacities"): "Name|StorageClassName|Capacity",
    ("storage.k8s.io", "volumeattachments"): "Name|Attacher|PV|Node|Attached:boolean|Age",
    ("rbac.authorization.k8s.io", "rolebindings"): _BINDINGS,
    ("rbac.authorization.k8s.io", "clusterrolebindings"): _BINDINGS,
    ("certificates.k8s.io", "certificatesigningrequests"): "Name|Age|SignerName|Requestor|RequestedDuration|"
                                                           "Condition",
    ("certificates.k8s.io", "clustertrustbundles"): "Name|SignerName",
    ("certificates.k8s.io", "podcertificaterequests"): "Name|PodName|ServiceAccountName|NodeName|SignerName|State|"
                                                       "UnverifiedUserAnnotations",
    (_ADMISSION, "validatingwebhookconfigurations"): "Name|Webhooks:integer|Age",
    (_ADMISSION, "mutatingwebhookconfigurations"): "Name|Webhooks:integer|Age",
    (_ADMISSION, "validatingadmissionpolicies"): "Name|Validations:integer|ParamKind|Age",
    (_ADMISSION, "mutatingadmissionpolicies"): "Name|Mutations:integer|ParamKind|Age",
    (_ADMISSION, "validatingadmissionpolicybindings"): "Name|PolicyName|ParamRef|Age",
    (_ADMISSION, "mutatingadmissionpolicybindings"): "Name|PolicyName|ParamRef|Age",
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): "Name|PriorityLevel|MatchingPrecedence|DistinguisherMethod|Age|"
                                                     "MissingPL",
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): "Name|Type|NominalConcurrencyShares|Queues|"
                                                                     "HandSize|QueueLengthLimit|Age",
    ("apiregistration.k8s.io", "apiservices"): "Name|Service|Available|Age",
    ("storagemigration.k8s.io", "storageversionmigrations"): "Name|Resource|Status",
    ("scheduling.k8s.io", "priorityclasses"): "Name|Value:integer|Global-Default:boolean|Age|PreemptionPolicy",
    ("node.k8s.io", "runtimeclasses"): "Name|Handler|Age",
    ("resource.k8s.io", "deviceclasses"): "Name|Age",
    ("resource.k8s.io", "resourceclaims"): "Name|State|Age",
    ("resource.k8s.io", "resourceclaimtemplates"): "Name|Age",
    ("resource.k8s.io", "resourceslices"): "Name|Node|Driver|Pool|Age",
}


def _spelled(title: str) -> tuple[str, str, int]:
    wide = title.endswith("*")
    title = title.rstrip("*")
    name, _, kind = title.partition(":")
    return name, kind or "string", int(wide)


@pytest.mark.parametrize("key", sorted(HEADERS), ids=lambda k: k if isinstance(k, str) else f"{k[1]}.{k[0]}")
def test_columns_match_upstreams_definitions(key: tuple[str, str]) -> None:
    columns = [(c.name, c.type, c.priority) for c in BY_RESOURCE[key].columns]
    assert columns == [_spelled(title) for title in HEADERS[key].split("|")]


def test_every_printer_belongs_to_a_served_resource_and_every_listed_kind_has_one() -> None:
    served = {(r.group, r.plural) for r in BUILTIN}
    assert set(BY_RESOURCE) <= served
    assert set(BY_RESOURCE) == set(HEADERS)


@pytest.mark.parametrize("plural", ["roles", "clusterroles", "limitranges"])
def test_roles_and_limit_ranges_keep_the_default_name_and_created_at_table(plural: str) -> None:
    resource = next(r for r in BUILTIN if r.plural == plural)
    printer = TableConverter(now=lambda: NOW).printer(resource)
    assert printer is DEFAULT
    assert [(c.name, c.type) for c in printer.columns] == [("Name", "string"), ("Created At", "date")]
    assert printer.cells({"metadata": {"name": "r"}}, NOW) == ["r", "0001-01-01T00:00:00Z"]


def test_descriptions_quote_the_go_field_documentation() -> None:
    assert NAME.description.endswith("More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/"
                                     "names#names")
    pods = {c.name: c.description for c in BY_RESOURCE[("", "pods")].columns}
    assert pods["IP"] == ("podIP address allocated to the pod. Routable at least within the cluster. Empty if not "
                          "yet allocated.")
    assert pods["Age"].startswith("CreationTimestamp is a timestamp representing the server time")
    deployments = {c.name: c.description for c in BY_RESOURCE[("apps", "deployments")].columns}
    assert deployments["Up-to-date"] == ("Total number of non-terminating pods targeted by this deployment that have "
                                         "the desired template spec.")
    bindings = {c.name: c.description for c in BY_RESOURCE[("rbac.authorization.k8s.io", "rolebindings")].columns}
    assert bindings["Role"].endswith("the Authorizer must return an error.")  # v1beta1's words, without v1's addition
    assert bindings["Users"] == "Users in the roleBinding"


def test_only_the_runtime_class_handler_column_goes_undescribed() -> None:
    """Upstream looks the Handler description up under a key ObjectMeta's documentation lacks."""
    undescribed = [(key, c.name) for key, printer in BY_RESOURCE.items() for c in printer.columns
                   if not c.description]
    assert undescribed == [(("node.k8s.io", "runtimeclasses"), "Handler")]


def test_name_columns_are_formatted_as_names_except_storage_version_migrations() -> None:
    names = {key: printer.columns[0] for key, printer in BY_RESOURCE.items() if printer.columns[0].name == "Name"}
    assert [key for key, column in names.items() if column.format != "name"] == [
        ("storagemigration.k8s.io", "storageversionmigrations")]
    attacher = BY_RESOURCE[("storage.k8s.io", "volumeattachments")].columns[1]
    assert (attacher.name, attacher.format) == ("Attacher", "name")
