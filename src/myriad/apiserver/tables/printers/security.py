"""Who may do what, and the certificates they prove it with: RoleBindings, ClusterRoleBindings,
CertificateSigningRequests, ClusterTrustBundles and PodCertificateRequests. Roles and
ClusterRoles print with the default printer, as upstream's do.

Upstream describes the binding and CSR columns with the fields of the ``v1beta1`` types, whose
comments differ from ``v1``'s and are not in the 1.37 schemas, so they are written out here.
"""

from __future__ import annotations

from myriad.apiserver.tables.format import NONE, dig, human_duration, labels_text
from myriad.apiserver.tables.printers.base import (
    AGE,
    NAME,
    Column,
    Obj,
    Printer,
    age,
    conditions,
    doc,
    entries,
    mapping,
    name,
    text,
)

_ROLE_REF = ("RoleRef can reference a Role in the current namespace or a ClusterRole in the global namespace. If the "
             "RoleRef cannot be resolved, the Authorizer must return an error.")
_CLUSTER_ROLE_REF = ("RoleRef can only reference a ClusterRole in the global namespace. If the RoleRef cannot be "
                     "resolved, the Authorizer must return an error.")
_SIGNER_NAME = ("Requested signer for the request. It is a qualified name in the form: `scope-hostname.io/name`. If "
                "empty, it will be defaulted:\n 1. If it's a kubelet client certificate, it is assigned\n    "
                "\"kubernetes.io/kube-apiserver-client-kubelet\".\n 2. If it's a kubelet serving certificate, it is "
                "assigned\n    \"kubernetes.io/kubelet-serving\".\n 3. Otherwise, it is assigned "
                "\"kubernetes.io/legacy-unknown\".\nDistribution of trust for signers happens out of band. You can "
                "select on this field using `spec.signerName`.")
_EXPIRATION = ("expirationSeconds is the requested duration of validity of the issued certificate. The certificate "
               "signer may issue a certificate with a different validity duration so a client must check the delta "
               "between the notBefore and and notAfter fields in the issued certificate to determine the actual "
               "duration.\n\nThe v1.22+ in-tree implementations of the well-known Kubernetes signers will honor this "
               "field as long as the requested duration is not greater than the maximum duration they will honor per "
               "the --cluster-signing-duration CLI flag to the Kubernetes controller manager.\n\nCertificate signers "
               "may not honor this field for various reasons:\n\n  1. Old signer that is unaware of the field (such "
               "as the in-tree\n     implementations prior to v1.22)\n  2. Signer whose configured maximum is "
               "shorter than the requested duration\n  3. Signer whose configured minimum is longer than the "
               "requested duration\n\nThe minimum valid value for expirationSeconds is 600, i.e. 10 minutes.")


def _binding_columns(role_ref: str, kind: str) -> tuple[Column, ...]:
    return (NAME, Column("Role", description=role_ref), AGE,
            Column("Users", description=f"Users in the {kind}", priority=1),
            Column("Groups", description=f"Groups in the {kind}", priority=1),
            Column("ServiceAccounts", description=f"ServiceAccounts in the {kind}", priority=1))


def _binding_cells(binding: Obj, now: float) -> list[object]:
    """``Kind/name`` of the role, then the subjects by kind (service accounts as ``ns/name``);
    subjects of other kinds are not shown."""
    ref = mapping(binding.get("roleRef"))
    users, groups, accounts = [], [], []
    for subject in entries(binding.get("subjects")):
        kind, subject_name = subject.get("kind"), text(subject.get("name"))
        if kind == "ServiceAccount":
            accounts.append(f"{text(subject.get('namespace'))}/{subject_name}")
        elif kind == "User":
            users.append(subject_name)
        elif kind == "Group":
            groups.append(subject_name)
    return [name(binding), f"{text(ref.get('kind'))}/{text(ref.get('name'))}", age(binding, now), ", ".join(users),
            ", ".join(groups), ", ".join(accounts)]


ROLEBINDINGS = Printer(_binding_columns(_ROLE_REF, "roleBinding"), _binding_cells)
CLUSTERROLEBINDINGS = Printer(_binding_columns(_CLUSTER_ROLE_REF, "clusterRoleBinding"), _binding_cells)


def _csr_condition(csr: Obj) -> str:
    """From the condition types present, whatever their status: Denied over Approved over
    Pending, then ``,Failed`` and ``,Issued`` (a certificate is there)."""
    types = {c.get("type") for c in conditions(csr)}
    state = "Denied" if "Denied" in types else "Approved" if "Approved" in types else "Pending"
    if "Failed" in types:
        state += ",Failed"
    if dig(csr, "status", "certificate"):
        state += ",Issued"
    return state


def _csr_cells(csr: Obj, now: float) -> list[object]:
    spec = mapping(csr.get("spec"))
    seconds = spec.get("expirationSeconds")
    return [name(csr), age(csr, now), text(spec.get("signerName")) or NONE, text(spec.get("username")),
            human_duration(seconds) if isinstance(seconds, int) else NONE, _csr_condition(csr)]


CERTIFICATESIGNINGREQUESTS = Printer(
    (NAME, AGE, Column("SignerName", description=_SIGNER_NAME),
     Column("Requestor", description="Base64-encoded PKCS#10 CSR data"),
     Column("RequestedDuration", description=_EXPIRATION),
     Column("Condition", description="Conditions applied to the request, such as approval or denial.")),
    _csr_cells)

CLUSTERTRUSTBUNDLES = Printer(
    (NAME, Column("SignerName", description=doc("certificates.v1.ClusterTrustBundleSpec", "signerName"))),
    lambda bundle, now: [name(bundle), text(dig(bundle, "spec", "signerName")) or NONE])


def _pod_certificate_cells(request: Obj, now: float) -> list[object]:
    """State is the last Issued, Denied or Failed condition's type (they exclude each other)."""
    spec = mapping(request.get("spec"))
    state = "Pending"
    for condition in conditions(request):
        if condition.get("type") in ("Issued", "Denied", "Failed"):
            state = str(condition["type"])
    return [name(request), text(spec.get("podName")), text(spec.get("serviceAccountName")),
            text(spec.get("nodeName")), text(spec.get("signerName")), state,
            labels_text(spec.get("unverifiedUserAnnotations"))]


_PCR_SPEC = "certificates.v1.PodCertificateRequestSpec"

PODCERTIFICATEREQUESTS = Printer(
    (NAME, Column("PodName", description=doc(_PCR_SPEC, "podName")),
     Column("ServiceAccountName", description=doc(_PCR_SPEC, "serviceAccountName")),
     Column("NodeName", description=doc(_PCR_SPEC, "nodeName")),
     Column("SignerName", description=doc(_PCR_SPEC, "signerName")),
     Column("State", description="Is the request Pending, Issued, Denied, or Failed?"),
     Column("UnverifiedUserAnnotations", description=doc(_PCR_SPEC, "unverifiedUserAnnotations"))),
    _pod_certificate_cells)

PRINTERS = {
    ("rbac.authorization.k8s.io", "rolebindings"): ROLEBINDINGS,
    ("rbac.authorization.k8s.io", "clusterrolebindings"): CLUSTERROLEBINDINGS,
    ("certificates.k8s.io", "certificatesigningrequests"): CERTIFICATESIGNINGREQUESTS,
    ("certificates.k8s.io", "clustertrustbundles"): CLUSTERTRUSTBUNDLES,
    ("certificates.k8s.io", "podcertificaterequests"): PODCERTIFICATEREQUESTS,
}
