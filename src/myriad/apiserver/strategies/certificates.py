"""certificates.k8s.io/v1: CertificateSigningRequests, ClusterTrustBundles and
PodCertificateRequests, as upstream's certificates strategies and validation treat them.

A new CSR is stamped with the requesting user (every request is ``system:anonymous`` until
Myriad authenticates) and an empty status. The main endpoint changes metadata only; ``/status``
may set the certificate and conditions, ``/approval`` only the conditions (Approved, Denied),
and both fill the condition timestamps a client leaves out. Bundles and pod certificate
requests are checked as far as PEM structure goes: parsing X.509 certificates, CSRs and public
keys (signatures, the CA bit, proof of possession) needs a crypto library Myriad does not use."""

from __future__ import annotations

import base64
import binascii
import re

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import as_dict, dicts, immutable_if_changed, raw_invalid, spec_of, strings

#: The user every request is made as (Myriad has no authentication yet).
REQUEST_USER = {"username": "system:anonymous", "groups": ["system:unauthenticated"]}
USAGES = sorted(["signing", "digital signature", "content commitment", "key encipherment", "key agreement",
                 "data encipherment", "cert sign", "crl sign", "encipher only", "decipher only", "any",
                 "server auth", "client auth", "code signing", "email protection", "s/mime", "ipsec end system",
                 "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing", "microsoft sgc", "netscape sgc"])
LEGACY_SIGNER = "kubernetes.io/legacy-unknown"
_TRUE_ONLY = ("Approved", "Denied", "Failed")
_STATUSES = ["False", "True", "Unknown"]
_USER_FIELDS = ("username", "uid", "groups", "extra")
_PEM = re.compile(r"-----BEGIN ([^\r\n]*?)-----[ \t]*\r?\n(.*?)-----END \1-----", re.S)
MAX_TRUST_BUNDLE = 1024 * 1024
MIN_MAX_EXPIRATION = 3600
KUBERNETES_MAX_EXPIRATION = 86400
MAX_MAX_EXPIRATION = 91 * 86400
_UID_MAX = 128
_PCR_FIELDS = frozenset({"metadata.name", "metadata.namespace", "spec.signerName", "spec.podName", "spec.nodeName"})


def signer_name_errors(name: object, path: str) -> list[Cause]:
    """ValidateSignerName: ``example.com/signer-name``."""
    if not name or not isinstance(name, str):
        return [meta.required(path)]
    segments = name.split("/")
    if len(segments) != 2:
        return [meta.invalid(path, name, "must be a fully qualified domain and path of the form "
                                         "'example.com/signer-name'")]
    domain, rest = segments
    causes = [meta.too_long(path, meta.DNS1123_SUBDOMAIN_MAX)] if len(domain) > meta.DNS1123_SUBDOMAIN_MAX else []
    labels = domain.split(".")
    for label in labels:
        errors = meta.dns1123_label_errors(label)
        if errors:
            causes += [meta.invalid(path, domain, f'validating label "{label}": {e}') for e in errors]
            break
    if len(labels) < 2:
        causes.append(meta.invalid(path, domain, "should be a domain with at least two segments separated by dots"))
    for label in rest.split("."):
        errors = meta.dns1123_subdomain_errors(label)
        if errors:
            causes += [meta.invalid(path, rest, f'validating label "{label}": {e}') for e in errors]
            break
    longest = 2 * meta.DNS1123_SUBDOMAIN_MAX + meta.DNS1123_LABEL_MAX + 2
    if len(name) > longest:
        causes.append(meta.too_long(path, longest))
    return causes


def pem_blocks(text: str) -> list[tuple[str, bool, bytes | None]]:
    """The PEM blocks of ``text`` as (type, has headers, body or None when it is not base64)."""
    blocks = []
    for match in _PEM.finditer(text):
        lines = match.group(2).splitlines()
        headers = False
        while lines and ":" in lines[0]:
            headers = True
            lines.pop(0)
        try:
            body: bytes | None = base64.b64decode("".join(line.strip() for line in lines), validate=True)
        except (binascii.Error, ValueError):
            body = None
        blocks.append((match.group(1), headers, body))
    return blocks


def _bytes(value: object) -> bytes:
    """A ``[]byte`` field's content (base64 in JSON)."""
    try:
        return base64.b64decode(value) if isinstance(value, str) else b""
    except (binascii.Error, ValueError):
        return b""


def go_bytes(data: bytes) -> str:
    """Go's ``%#v`` of a byte slice."""
    return "[]byte{" + ", ".join(f"0x{byte:x}" for byte in data) + "}"


def _certificate_error(data: bytes) -> str | None:
    """validateCertificate: PEM CERTIFICATE blocks only, without headers, at least one."""
    if not data:
        return None
    blocks = pem_blocks(data.decode("latin-1"))
    for kind, headers, body in blocks:
        if body is None:
            break
        if kind != "CERTIFICATE":
            return f'only CERTIFICATE PEM blocks are allowed, found "{kind}"'
        if headers:
            return "no PEM block headers are permitted"
    if not any(body is not None for _, _, body in blocks):
        return "must contain at least one CERTIFICATE PEM block"
    return None


def _conditions(obj: Obj, kind: str) -> list[dict[str, object]]:
    return [c for c in dicts(as_dict(obj.get("status")).get("conditions")) if c.get("type") == kind]


class CertificateSigningRequestStrategy(GenericStrategy):
    tracks_generation = False

    def name_errors(self, name: str, obj: Obj) -> list[str]:
        """Any name will do (ValidateCertificateRequestName)."""
        return []

    def prepare_for_create(self, obj: Obj) -> None:
        """The requesting user replaces whatever the client claimed; no pre-approved requests."""
        super().prepare_for_create(obj)
        spec = obj.get("spec")
        if isinstance(spec, dict):
            for key in _USER_FIELDS:
                spec.pop(key, None)
            spec.update({key: list(value) if isinstance(value, list) else value
                         for key, value in REQUEST_USER.items()})

    def prepare_for_update(self, new: Obj, old: Obj, *, subresource: str) -> None:
        if subresource == "approval":
            conditions = as_dict(new.get("status")).get("conditions")
            new.clear()
            new.update({k: v for k, v in old.items() if k != "status"})
            new["metadata"] = dict(as_dict(old["metadata"]))
            status = {k: v for k, v in as_dict(old.get("status")).items() if k != "conditions"}
            if conditions is not None:
                status["conditions"] = conditions
            new["status"] = status
        else:
            super().prepare_for_update(new, old, subresource=subresource)
        if subresource in ("status", "approval"):
            self._stamp_conditions(new, old)
        elif "spec" in old:
            new["spec"] = old["spec"]

    def _stamp_conditions(self, new: Obj, old: Obj) -> None:
        """populateConditionTimestamps: now for a missing update time; for a missing transition
        time, the old one of a condition of the same type and status, else now."""
        now = meta.rfc3339(self.clock.now())
        old_conditions = dicts(as_dict(old.get("status")).get("conditions"))
        for condition in dicts(as_dict(new.get("status")).get("conditions")):
            if not condition.get("lastUpdateTime"):
                condition["lastUpdateTime"] = now
            if not condition.get("lastTransitionTime"):
                condition["lastTransitionTime"] = next(
                    (c["lastTransitionTime"] for c in old_conditions if c.get("type") == condition.get("type")
                     and c.get("status") == condition.get("status") and c.get("lastTransitionTime")), now)

    def validate(self, obj: Obj) -> list[Cause]:
        return self._errors(obj, None)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self._errors(new, old)
        for kind in _TRUE_ONLY:
            if len(_conditions(new, kind)) < len(_conditions(old, kind)):
                causes.append(meta.forbidden("status.conditions", f'updates may not remove a condition of type '
                                                                  f'"{kind}"'))
        if subresource != "approval":
            for kind in ("Approved", "Denied"):
                new_conditions, old_conditions = _conditions(new, kind), _conditions(old, kind)
                if len(new_conditions) > len(old_conditions):
                    causes.append(meta.forbidden("status.conditions", f'updates may not add a condition of type '
                                                                      f'"{kind}"'))
                elif len(new_conditions) == len(old_conditions) and new_conditions != old_conditions:
                    causes.append(meta.forbidden("status.conditions", f'updates may not modify a condition of type '
                                                                      f'"{kind}"'))
        new_certificate = as_dict(new.get("status")).get("certificate")
        old_certificate = as_dict(old.get("status")).get("certificate")
        if (new_certificate or "") != (old_certificate or ""):
            if subresource != "status":
                causes.append(meta.forbidden("status.certificate", "updates may not set certificate content"))
            elif old_certificate:
                causes.append(meta.forbidden("status.certificate", "updates may not modify existing certificate "
                                                                   "content"))
        return causes

    def _errors(self, obj: Obj, old: Obj | None) -> list[Cause]:
        """validateCertificateSigningRequest; on update, what the stored object already breaks is
        tolerated (upstream's validation options)."""
        spec, old_spec = spec_of(obj), spec_of(old)
        causes = self.validate_metadata(obj)
        request = _bytes(spec.get("request"))
        blocks = pem_blocks(request.decode("latin-1"))
        first = next((kind for kind, _, body in blocks if body is not None), None)
        if first != "CERTIFICATE REQUEST":
            causes.append(raw_invalid("spec.request", go_bytes(request), "PEM block type must be CERTIFICATE REQUEST"))
        usages = strings(spec.get("usages"))
        old_usages = strings(old_spec.get("usages"))
        if not usages:
            causes.append(meta.required("spec.usages"))
        if not any(usage not in USAGES for usage in old_usages):
            causes += [meta.unsupported(f"spec.usages[{i}]", usage, USAGES)
                       for i, usage in enumerate(usages) if usage not in USAGES]
        if len(set(old_usages)) == len(old_usages):
            causes += [meta.duplicate(f"spec.usages[{i}]", usage)
                       for i, usage in enumerate(usages) if usage in usages[:i]]
        signer = spec.get("signerName")
        if signer == LEGACY_SIGNER and old_spec.get("signerName") != LEGACY_SIGNER:
            causes.append(meta.invalid("spec.signerName", signer, "the legacy signerName is not allowed via this API "
                                                                  "version"))
        else:
            causes += signer_name_errors(signer, "spec.signerName")
        seconds = spec.get("expirationSeconds")
        if isinstance(seconds, int) and seconds < 600:
            causes.append(meta.invalid("spec.expirationSeconds", seconds, "may not specify a duration less than 600 "
                                                                          "seconds (10 minutes)"))
        causes += _condition_errors(obj, old)
        certificate = _bytes(as_dict(obj.get("status")).get("certificate"))
        old_certificate = _bytes(as_dict(old.get("status")).get("certificate")) if old is not None else None
        if certificate != old_certificate and (old_certificate is None or _certificate_error(old_certificate) is None):
            error = _certificate_error(certificate)
            if error:
                causes.append(meta.invalid("status.certificate", "<certificate data>", error))
        return causes


def _condition_errors(obj: Obj, old: Obj | None) -> list[Cause]:
    conditions = dicts(as_dict(obj.get("status")).get("conditions"))
    old_conditions = dicts(as_dict(old.get("status")).get("conditions")) if old is not None else []
    old_types = [c.get("type") for c in old_conditions]
    allow_empty = "" in old_types or None in old_types
    allow_duplicates = len(set(old_types)) != len(old_types)
    allow_both = "Approved" in old_types and "Denied" in old_types
    causes: list[Cause] = []
    seen: set[object] = set()
    approved = denied = False
    for i, condition in enumerate(conditions):
        path = f"status.conditions[{i}]"
        kind, status = condition.get("type") or "", condition.get("status") or ""
        if not kind and not allow_empty:
            causes.append(meta.required(f"{path}.type"))
        allowed = ["True"] if kind in _TRUE_ONLY else _STATUSES
        if not status:
            causes.append(meta.required(f"{path}.status"))
        elif status not in allowed:
            causes.append(meta.unsupported(f"{path}.status", status, allowed))
        if not allow_both:
            approved, denied = approved or kind == "Approved", denied or kind == "Denied"
            if kind in ("Approved", "Denied") and approved and denied:
                causes.append(meta.invalid("status.conditions", kind, "Approved and Denied conditions are mutually "
                                                                      "exclusive"))
        if not allow_duplicates and kind in seen:
            causes.append(meta.duplicate(f"{path}.type", kind))
        seen.add(kind)
    return causes


class ClusterTrustBundleStrategy(GenericStrategy):
    tracks_generation = False
    allow_unconditional_update = False
    fields = frozenset({"metadata.name", "spec.signerName"})

    def name_errors(self, name: str, obj: Obj) -> list[str]:
        """ValidateClusterTrustBundleName: a bundle for a signer is named after it."""
        signer = spec_of(obj).get("signerName")
        if not signer:
            if ":" in name:
                return ['ClusterTrustBundle without signer name must not have ":" in its name']
            return meta.dns1123_subdomain_errors(name)
        prefix = str(signer).replace("/", ":") + ":"
        if not name.startswith(prefix):
            return [f"ClusterTrustBundle for signerName {signer} must be named with prefix {prefix}"]
        return meta.dns1123_subdomain_errors(name[len(prefix):])

    def validate(self, obj: Obj) -> list[Cause]:
        return self._errors(obj, parse=True)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        causes = self._errors(new, parse=spec_of(new).get("trustBundle") != spec_of(old).get("trustBundle"))
        return causes + immutable_if_changed(spec_of(new).get("signerName"), spec_of(old).get("signerName"),
                                             "spec.signerName")

    def _errors(self, obj: Obj, *, parse: bool) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj)
        if spec.get("signerName"):
            causes += signer_name_errors(spec["signerName"], "spec.signerName")
        if parse:
            causes += _trust_bundle_errors(str(spec.get("trustBundle") or ""), "spec.trustBundle")
        return causes


def _trust_bundle_errors(text: str, path: str) -> list[Cause]:
    """validateTrustBundle, as far as PEM goes: CERTIFICATE blocks without headers, at least one,
    no duplicates."""
    if len(text) > MAX_TRUST_BUNDLE:
        return [meta.too_long(path, MAX_TRUST_BUNDLE)]
    causes: list[Cause] = []
    seen: dict[bytes, list[int]] = {}
    for i, (kind, headers, body) in enumerate(block for block in pem_blocks(text) if block[2] is not None):
        if kind != "CERTIFICATE":
            causes.append(meta.invalid(path, "<value omitted>", f"entry {i} has bad block type: {kind}"))
        elif headers:
            causes.append(meta.invalid(path, "<value omitted>", f"entry {i} has PEM block headers"))
        else:
            seen.setdefault(body or b"", []).append(i)
    if causes:
        return causes
    if not seen:
        return [meta.invalid(path, "<value omitted>", "at least one trust anchor must be provided")]
    return [meta.invalid(path, "<value omitted>", f"duplicate trust anchor (indices [{' '.join(map(str, found))}])")
            for found in seen.values() if len(found) > 1]


class PodCertificateRequestStrategy(GenericStrategy):
    """The spec never changes after creation; updates must be conditional; maxExpirationSeconds
    defaults to a day, as upstream's PrepareForCreate sets it."""

    tracks_generation = False
    allow_unconditional_update = False
    fields = _PCR_FIELDS

    def prepare_for_create(self, obj: Obj) -> None:
        super().prepare_for_create(obj)
        spec = spec_of(obj)
        if spec.get("maxExpirationSeconds") is None:
            spec["maxExpirationSeconds"] = KUBERNETES_MAX_EXPIRATION

    def validate(self, obj: Obj) -> list[Cause]:
        spec = spec_of(obj)
        causes = self.validate_metadata(obj) + signer_name_errors(spec.get("signerName"), "spec.signerName")
        if not spec.get("stubPKCS10Request"):
            causes.append(meta.required("spec.stubPKCS10Request"))
        for name_key, uid_key in (("podName", "podUID"), ("serviceAccountName", "serviceAccountUID"),
                                  ("nodeName", "nodeUID")):
            name = spec.get(name_key) if isinstance(spec.get(name_key), str) else ""
            causes += [meta.invalid(f"spec.{name_key}", name, e) for e in meta.dns1123_subdomain_errors(str(name))]
            uid = spec.get(uid_key) if isinstance(spec.get(uid_key), str) else ""
            if not uid:
                causes.append(meta.invalid(f"spec.{uid_key}", "", "must not be empty"))
            elif len(str(uid)) > _UID_MAX:
                causes.append(meta.too_long(f"spec.{uid_key}", _UID_MAX))
        seconds = spec.get("maxExpirationSeconds")
        if seconds is None:
            return [*causes, meta.required("spec.maxExpirationSeconds", "must be set")]
        highest = KUBERNETES_MAX_EXPIRATION if str(spec.get("signerName", "")).startswith("kubernetes.io/") \
            else MAX_MAX_EXPIRATION
        if not isinstance(seconds, int) or not MIN_MAX_EXPIRATION <= seconds <= highest:
            causes.append(meta.invalid("spec.maxExpirationSeconds", seconds,
                                       f"must be in the range [{MIN_MAX_EXPIRATION}, {highest}]"))
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        return self.validate_metadata(new) + immutable_if_changed(spec_of(new), spec_of(old), "spec")
