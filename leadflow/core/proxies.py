"""Who is really on the other end: the client's address behind a reverse proxy.

Behind a proxy (nginx, a load balancer) every request's REMOTE_ADDR is the
proxy's, so per-address rate limits would count all visitors as one and the
stored source address would say nothing. The proxy names the client in
X-Forwarded-For, but anyone can send that header: it is believed only when
REMOTE_ADDR is one of ``LEADFLOW_TRUSTED_PROXIES``, and then only as far as
the trusted proxies vouch for it. Each proxy appends the address it received
the request from, so the list is read from the right, skipping trusted
proxies; the first address that is not one of them is the client. Whatever
a client wrote into the header itself lies further left and is never read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """``["10.0.0.1", "172.16.0.0/12", "::1"]`` → networks; a typo raises ValueError."""
    return tuple(
        ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip()
    )


@lru_cache(maxsize=8)
def _trusted(values: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return proxy_networks(values)


def _address(value: str) -> IPAddress | None:
    """An address as proxies write it: "192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]:4711"."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For's as trusted proxies pass it on."""
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    if remote is None:
        return request.META.get("REMOTE_ADDR") or None
    trusted = _trusted(tuple(settings.LEADFLOW_TRUSTED_PROXIES))
    if not trusted:
        return str(remote)

    def is_trusted(address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in trusted)

    client = remote
    if is_trusted(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        for hop in reversed(forwarded.split(",")):
            address = _address(hop)
            if address is None:
                # A trusted proxy wrote nothing readable: the last one we know is all we have.
                break
            client = address
            if not is_trusted(address):
                break
    return str(client)
