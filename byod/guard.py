"""The SSRF guard: where the server may connect, checked right before it connects.

``guard_destination`` re-checks a parsed URL against the current allow-list, resolves the host
and refuses loopback, private, link-local, multicast, unspecified, reserved and every other
special-purpose address (IPv4 and IPv6, including IPv4 embedded in IPv6) unless the host is
allow-listed. It returns the addresses it checked, and the Convex client connects to those
only (``byod.client.transport``), so a second DNS answer cannot take it elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket

from byod.errors import HostNotFound, UnsafeDestination
from byod.inputs import DeploymentUrl, display_host, parse_url


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """False for any address a server-side fetch must not reach without an allow-list."""
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None and not is_public_address(mapped):
            return False
        if address.teredo is not None:
            return False
        # NAT64 well-known prefix embeds an IPv4 address in the last 32 bits.
        if address in ipaddress.IPv6Network("64:ff9b::/96"):
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_unspecified
        or address.is_reserved
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
        or any(
            address in network for network in _SPECIAL_PURPOSE if network.version == address.version
        )
    )


# IANA's special-purpose registries (RFC 6890 and later), listed here because the
# interpreter's `ipaddress` misses some in older releases (3fff::/20 came in 2024) and calls a
# few "global" (192.0.0.9, 192.0.0.10) that are never a Convex deployment.
_SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # TEST-NET-1
        "192.31.196.0/24",  # AS112
        "192.52.193.0/24",  # AMT
        "192.88.99.0/24",  # deprecated 6to4 relay anycast
        "192.175.48.0/24",  # direct delegation AS112
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # TEST-NET-2
        "203.0.113.0/24",  # TEST-NET-3
        "240.0.0.0/4",  # reserved, and the limited broadcast address
        "64:ff9b:1::/48",  # local-use IPv4/IPv6 translation
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (TEREDO, ORCHID, benchmarking, ...)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "2620:4f:8000::/48",  # direct delegation AS112
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing (SRv6) SIDs
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
    )
)


def resolve(host: str, port: int) -> list[str]:
    """All addresses of ``host`` (IP literals resolve to themselves)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]).split("%", 1)[0] for info in infos})


def guard_destination(url: DeploymentUrl) -> tuple[str, ...]:
    """Check, right before connecting, that the server may connect to ``url``.

    Re-parses the URL against the current settings (an allow-list entry may have been
    removed), resolves the host and checks every address. Returns the checked addresses.
    Raises InputError (URL no longer allowed), HostNotFound (no DNS answer) or
    UnsafeDestination (a private/loopback/... address on a host that is not allow-listed).
    Callers must also not follow redirects.
    """
    current = parse_url(url.url)
    try:
        addresses = resolve(current.host, current.port)
    except (socket.gaierror, UnicodeError, OSError):
        raise HostNotFound(
            "url",
            f"The host {display_host(current.host)} could not be found. Check the URL for "
            "typos; if it is right, try again in a minute.",
        ) from None
    if not addresses:
        raise HostNotFound("url", f"The host {display_host(current.host)} has no address.")
    if current.self_hosted:
        return tuple(addresses)  # allow-listed by the operator: private addresses are fine
    for text in addresses:
        address = ipaddress.ip_address(text)
        if not is_public_address(address):
            raise UnsafeDestination(
                "url",
                f"The host {display_host(current.host)} resolves to a private or reserved "
                "network address, which this server will not connect to. Use your deployment's "
                "public https://<name>.convex.cloud URL.",
            )
    return tuple(addresses)
