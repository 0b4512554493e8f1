"""The API server's own configuration: admission webhooks and policies, API Priority and
Fairness (FlowSchemas, PriorityLevelConfigurations), aggregated APIServices and storage version
migrations."""

from __future__ import annotations

from myriad.apiserver.tables.format import NONE, dig
from myriad.apiserver.tables.printers.base import (
    AGE,
    NAME,
    NAME_DOC,
    Cells,
    Column,
    Obj,
    Printer,
    age,
    conditions,
    doc,
    entries,
    first_condition,
    integer,
    mapping,
    name,
    text,
)

_WEBHOOKS = Printer(
    (NAME, Column("Webhooks", "integer", description="Webhooks indicates the number of webhooks registered in this "
                                                     "configuration"), AGE),
    lambda config, now: [name(config), len(entries(config.get("webhooks"))), age(config, now)])

_PARAM_KIND = Column("ParamKind", description="ParamKind specifies the kind of resources used to parameterize this "
                                              "policy")


def _param_kind(policy: Obj) -> str:
    kind = dig(policy, "spec", "paramKind")
    if not isinstance(kind, dict):
        return "<unset>"
    return f"{text(kind.get('apiVersion'))}/{text(kind.get('kind'))}"


def _policy(count_column: str, description: str, field: str) -> Printer:
    """A Validating- or MutatingAdmissionPolicy: how many rules, and its parameters' kind."""
    return Printer((NAME, Column(count_column, "integer", description=description), _PARAM_KIND, AGE),
                   lambda p, now: [name(p), len(entries(dig(p, "spec", field))), _param_kind(p), age(p, now)])


def _go_selector(selector: dict[str, object]) -> str:
    """A LabelSelector as its generated Go ``String()`` writes it (not label syntax)."""
    labels = mapping(selector.get("matchLabels"))
    expressions = "".join(
        f"LabelSelectorRequirement{{Key:{text(e.get('key'))},Operator:{text(e.get('operator'))},"
        f"Values:[{' '.join(text(v) for v in e.get('values') or [])}],}},"
        for e in entries(selector.get("matchExpressions")))
    return (f"&LabelSelector{{MatchLabels:map[string]string{{{''.join(f'{k}: {labels[k]},' for k in sorted(labels))}}},"
            f"MatchExpressions:[]LabelSelectorRequirement{{{expressions}}},}}")


def _param_ref(binding: Obj) -> str:
    """``namespace/name`` (``*/name`` without a namespace), else the selector, else ``<unset>``."""
    ref = dig(binding, "spec", "paramRef")
    if not isinstance(ref, dict):
        return "<unset>"
    if ref.get("name"):
        return f"{text(ref.get('namespace')) or '*'}/{text(ref.get('name'))}"
    selector = ref.get("selector")
    return _go_selector(selector) if isinstance(selector, dict) else "<unset>"


_BINDING = Printer(
    (NAME, Column("PolicyName", description="PolicyName indicates the policy definition which the policy binding "
                                            "binded to"),
     Column("ParamRef", description="ParamRef indicates the param resource which sets the configuration param"), AGE),
    lambda b, now: [name(b), text(dig(b, "spec", "policyName")), _param_ref(b), age(b, now)])


# -- API Priority and Fairness ---------------------------------------------------------------------


def _flow_schema_cells(schema: Obj, now: float) -> list[object]:
    spec = mapping(schema.get("spec"))
    dangling = first_condition(schema, "Dangling")
    method = dig(spec, "distinguisherMethod", "type")
    return [name(schema), text(dig(spec, "priorityLevelConfiguration", "name")),
            integer(spec.get("matchingPrecedence")),
            text(method) if isinstance(spec.get("distinguisherMethod"), dict) else NONE, age(schema, now),
            "?" if dangling is None else text(dangling.get("status"))]


def _flow_schema_listing(items: list[Obj]) -> tuple[list[int], Cells]:
    """A list's rows go by matching precedence, then name, the order requests are matched in."""
    order = sorted(range(len(items)), key=lambda i: (integer(dig(items[i], "spec", "matchingPrecedence")),
                                                     text(name(items[i]))))
    return order, _flow_schema_cells


_FLOW_SCHEMA = "flowcontrol.v1.FlowSchemaSpec"

FLOWSCHEMAS = Printer(
    (NAME, Column("PriorityLevel", description=doc("flowcontrol.v1.PriorityLevelConfigurationReference", "name")),
     Column("MatchingPrecedence", description=doc(_FLOW_SCHEMA, "matchingPrecedence")),
     Column("DistinguisherMethod", description=doc(_FLOW_SCHEMA, "distinguisherMethod")), AGE,
     Column("MissingPL", description="references a broken or non-existent PriorityLevelConfiguration")),
    _flow_schema_cells, listing=_flow_schema_listing)


def _priority_level_cells(level: Obj, now: float) -> list[object]:
    """The shares and queuing numbers of a Limited level (integers), ``<none>`` where unset."""
    limited = dig(level, "spec", "limited")
    shares: object = NONE
    queuing: list[object] = [NONE, NONE, NONE]
    if isinstance(limited, dict):
        shares = integer(limited.get("nominalConcurrencyShares"))
        settings = dig(limited, "limitResponse", "queuing")
        if isinstance(settings, dict):
            queuing = [integer(settings.get(f)) for f in ("queues", "handSize", "queueLengthLimit")]
    return [name(level), text(dig(level, "spec", "type")), shares, *queuing, age(level, now)]


_QUEUING = "flowcontrol.v1.QueuingConfiguration"

PRIORITYLEVELCONFIGURATIONS = Printer(
    (NAME, Column("Type", description=doc("flowcontrol.v1.PriorityLevelConfigurationSpec", "type")),
     Column("NominalConcurrencyShares",
            description=doc("flowcontrol.v1.LimitedPriorityLevelConfiguration", "nominalConcurrencyShares")),
     Column("Queues", description=doc(_QUEUING, "queues")),
     Column("HandSize", description=doc(_QUEUING, "handSize")),
     Column("QueueLengthLimit", description=doc(_QUEUING, "queueLengthLimit")), AGE),
    _priority_level_cells)


# -- aggregation and storage migration -------------------------------------------------------------


def _api_service_cells(service: Obj, now: float) -> list[object]:
    """``Local`` or the backing Service; Available as ``True``, or ``False (Reason)``."""
    backend = dig(service, "spec", "service")
    where = f"{text(backend.get('namespace'))}/{text(backend.get('name'))}" if isinstance(backend, dict) else "Local"
    available = first_condition(service, "Available")
    status = "Unknown"
    if available is not None:
        status = text(available.get("status"))
        if status != "True" and available.get("reason"):
            status = f"{status} ({text(available.get('reason'))})"
    return [name(service), where, status, age(service, now)]


#: kube-aggregator's own table (no wide columns).
APISERVICES = Printer(
    (NAME, Column("Service", description="The reference to the service that hosts this API endpoint."),
     Column("Available", description="Whether this service is available."), AGE),
    _api_service_cells)


def _migration_cells(migration: Obj, now: float) -> list[object]:
    """Status is the type of the last True Running, Failed or Succeeded condition."""
    resource = mapping(dig(migration, "spec", "resource"))
    group, plural = text(resource.get("group")), text(resource.get("resource"))
    status = "Unknown"
    for condition in conditions(migration):
        if condition.get("status") == "True" and condition.get("type") in ("Running", "Failed", "Succeeded"):
            status = str(condition["type"])
    return [name(migration), f"{plural}.{group}" if group else plural, status]


#: No Age, and a Name column without the ``name`` format, as upstream declares them.
STORAGEVERSIONMIGRATIONS = Printer(
    (Column("Name", description=NAME_DOC), Column("Resource", description="GroupResource to migrate"),
     Column("Status", description="Status of the migration")),
    _migration_cells)

_ADMISSION = "admissionregistration.k8s.io"

PRINTERS = {
    (_ADMISSION, "validatingwebhookconfigurations"): _WEBHOOKS,
    (_ADMISSION, "mutatingwebhookconfigurations"): _WEBHOOKS,
    (_ADMISSION, "validatingadmissionpolicies"): _policy(
        "Validations", "Validations indicates the number of validation rules defined in this configuration",
        "validations"),
    (_ADMISSION, "mutatingadmissionpolicies"): _policy(
        "Mutations", "Mutation indicates the number of mutations rules defined in this configuration", "mutations"),
    (_ADMISSION, "validatingadmissionpolicybindings"): _BINDING,
    (_ADMISSION, "mutatingadmissionpolicybindings"): _BINDING,
    ("flowcontrol.apiserver.k8s.io", "flowschemas"): FLOWSCHEMAS,
    ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations"): PRIORITYLEVELCONFIGURATIONS,
    ("apiregistration.k8s.io", "apiservices"): APISERVICES,
    ("storagemigration.k8s.io", "storageversionmigrations"): STORAGEVERSIONMIGRATIONS,
}
