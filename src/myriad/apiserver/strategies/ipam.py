"""IP addresses and CIDRs as upstream validates them (apimachinery's IsValidIP, IsValidCIDR and
their legacy forms), and the two networking.k8s.io/v1 kinds made of them: IPAddresses (named by
the address they hold, pointing at their owner) and ServiceCIDRs (one or two ranges, one per
family, fixed once created; the status is kept on create, as upstream's strategy does)."""

from __future__ import annotations

import ipaddress
import re

from myriad.api import meta
from myriad.api.errors import Cause
from myriad.apiserver.rest.interfaces import Obj
from myriad.apiserver.strategies.base import GenericStrategy
from myriad.apiserver.strategies.common import go_strings, immutable_if_changed, raw_invalid, spec_of, strings

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
_SLOPPY_V4 = re.compile(r"([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})\.([0-9]{1,3})")
_IP_INVALID = "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
_CIDR_INVALID = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)"


def parse_ip(value: str) -> tuple[Address | None, bool]:
    """The address as netutils.ParseIPSloppy reads it, and whether it took leading zeros in an
    IPv4 octet to read it (which strict parsing refuses)."""
    if "%" not in value:
        try:
            return ipaddress.ip_address(value), False
        except ValueError:
            pass
    match = _SLOPPY_V4.fullmatch(value)
    if match and all(int(part) <= 255 for part in match.groups()):
        return ipaddress.IPv4Address(".".join(str(int(part)) for part in match.groups())), True
    return None, False


def _go_string(address: Address) -> str:
    """net.IP's String(): an IPv4-mapped IPv6 address prints as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def ip_errors(value: str, *, strict: bool = True) -> list[str]:
    """IsValidIP (strict, canonical form required) or IsValidIPForLegacyField."""
    address, sloppy = parse_ip(value)
    if address is None:
        return [_IP_INVALID]
    if not strict:
        return []
    errors = ["must not have leading 0s"] if sloppy else []
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        errors.append("must not be an IPv4-mapped IPv6 address")
    if not errors and value != _go_string(address):
        errors.append(f"must be in canonical form ({meta.quote(_go_string(address))})")
    return errors


def parse_cidr(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | None, Address | None, bool]:
    """The network and address as netutils.ParseCIDRSloppy reads them, and whether leading zeros
    (in the address or the prefix length) were needed."""
    address_text, slash, prefix_text = value.partition("/")
    if not slash or not prefix_text.isdigit() or not prefix_text.isascii():
        return None, None, False
    address, sloppy = parse_ip(address_text)
    if address is None or int(prefix_text) > address.max_prefixlen:
        return None, None, False
    network = ipaddress.ip_network(f"{address}/{int(prefix_text)}", strict=False)
    return network, address, sloppy or (len(prefix_text) > 1 and prefix_text.startswith("0"))


def cidr_errors(value: str, *, strict: bool = True, canonical: bool = True) -> list[str]:
    """IsValidCIDR (strict, canonical) or IsValidCIDRForLegacyField (``strict=False``)."""
    network, address, sloppy = parse_cidr(value)
    if network is None or address is None:
        return [_CIDR_INVALID]
    if not strict:
        return []
    if sloppy:
        return ["must not have leading 0s in IP or prefix length"]
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return ["must not have an IPv4-mapped IPv6 address"]
    if address != network.network_address:
        return ["must not have bits set beyond the prefix length"]
    if canonical and value != str(network):
        return [f"must be in canonical form ({meta.quote(str(network))})"]
    return []


def _path_segment(ref: dict[str, object], key: str, path: str, *, required: bool) -> list[Cause]:
    value = ref.get(key)
    if not value:
        return [meta.required(f"{path}.{key}")] if required else []
    return [meta.invalid(f"{path}.{key}", value, e) for e in meta.path_segment_errors(str(value))]


class IPAddressStrategy(GenericStrategy):
    tracks_generation = False

    def name_errors(self, name: str, obj: Obj) -> list[str]:
        """ValidateIPAddressName: the name is the address, in canonical form."""
        return ip_errors(name)

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        parent = spec_of(obj).get("parentRef")
        if not isinstance(parent, dict):
            return [*causes, meta.required("spec.parentRef")]
        path = "spec.parentRef"
        group = parent.get("group")
        if group:
            causes += [meta.invalid(f"{path}.group", group, e) for e in meta.dns1123_subdomain_errors(str(group))]
        causes += _path_segment(parent, "resource", path, required=True)
        causes += _path_segment(parent, "name", path, required=True)
        return causes + _path_segment(parent, "namespace", path, required=False)

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        return self.validate(new) + immutable_if_changed(spec_of(new).get("parentRef"),
                                                         spec_of(old).get("parentRef"), "spec.parentRef")


class ServiceCIDRStrategy(GenericStrategy):
    tracks_generation = False

    def prepare_for_create(self, obj: Obj) -> None:
        """Upstream keeps the status a new ServiceCIDR is created with."""

    def validate(self, obj: Obj) -> list[Cause]:
        causes = self.validate_metadata(obj)
        spec = spec_of(obj)
        cidrs = strings(spec.get("cidrs"))
        if not cidrs:
            return [*causes, meta.required("spec.cidrs", "at least one CIDR required")]
        rendered = "networking.ServiceCIDRSpec{CIDRs:" + go_strings("string", cidrs) + "}"
        if len(cidrs) > 2:
            return [*causes, raw_invalid("spec.cidrs", rendered, "may only hold up to 2 values")]
        if len(cidrs) == 2:
            families = {network.version for network, _, _ in map(parse_cidr, cidrs) if network is not None}
            if families != {4, 6}:
                return [*causes, raw_invalid("spec.cidrs", rendered, "may specify no more than one IP for each IP "
                                                                     "family, i.e 192.168.0.0/24 and 2001:db8::/64")]
        for i, cidr in enumerate(cidrs):
            causes += [meta.invalid(f"spec.cidrs[{i}]", cidr, e) for e in cidr_errors(cidr)]
        return causes

    def validate_update(self, new: Obj, old: Obj, *, subresource: str) -> list[Cause]:
        if subresource == "status":
            return self.validate_metadata(new)
        causes = self.validate(new)
        new_cidrs, old_cidrs = strings(spec_of(new).get("cidrs")), strings(spec_of(old).get("cidrs"))
        if len(new_cidrs) == len(old_cidrs) or (len(old_cidrs), len(new_cidrs)) == (1, 2):
            # the ranges held stay; a single-stack range may gain the other family's
            causes += [meta.immutable(f"spec.cidrs[{i}]", new_cidrs[i])
                       for i, cidr in enumerate(old_cidrs) if new_cidrs[i] != cidr]
        else:
            causes.append(raw_invalid("spec.cidrs", go_strings("string", new_cidrs), "field is immutable"))
        return causes
