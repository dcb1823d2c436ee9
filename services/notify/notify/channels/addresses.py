"""Which addresses an outbound send may reach. Pure: the caller resolves.

A robot, webhook or SMTP host an admin types must be somewhere on the internet. Loopback, private,
link-local, multicast, reserved and cloud-metadata addresses are inside: a URL naming one would let
the sender probe the services, their metrics ports or the machine's credentials. An admin who runs a
receiver inside on purpose (the tests do) lists its host in `allowed_private_hosts`.
"""
from __future__ import annotations

import ipaddress

from crm_common.kernel.refusals import Refusal

# Cloud metadata services answer the machine's credentials; some are not even link-local.
METADATA = frozenset({"169.254.169.254", "169.254.170.2", "100.100.100.200", "168.63.129.16", "fd00:ec2::254"})


class Unreachable(Refusal):
    """An outbound URL that names an address inside, or none at all (422, naming the field)."""
    status = 422


def normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def inside(address: str) -> str | None:
    """Why `address` is inside (a few words), or None for a public address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an address"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    if str(ip) in METADATA:
        return "a cloud metadata address"
    for kind, test in (("a loopback", ip.is_loopback), ("a link-local", ip.is_link_local),
                       ("a multicast", ip.is_multicast), ("an unspecified", ip.is_unspecified),
                       ("a reserved", ip.is_reserved), ("a private", ip.is_private)):
        if test:
            return f"{kind} address"
    if not ip.is_global:  # e.g. the carrier-grade NAT range 100.64.0.0/10
        return "not a public address"
    return None


def refusal(host: str, addresses: list[str], allowed: list[str]) -> str | None:
    """Why a send to `host`, which resolved to `addresses`, is refused, or None if it may go.

    Every address must be public (a resolver may hand out any of them), unless the host, or that
    address, is listed in `allowed`."""
    listed = {normal_host(a) for a in allowed}
    host = normal_host(host)
    if not addresses:
        return f"{host} does not resolve"
    if host in listed:
        return None
    for address in addresses:
        why = inside(address)
        if why and normal_host(address) not in listed:
            return f"{host} resolves to {why} ({address}); an admin may list the host in allowed_private_hosts"
    return None
