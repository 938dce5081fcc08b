"""The client's address: the TCP peer, or, behind a reverse proxy, the address the proxy writes in a header.

    ServiceSettings.TrustedProxyIPHeader = ["X-Forwarded-For"]     # default []: no header is read

Mattermost's setting and rule (server/channels/utils/utils.go, GetIPAddress): the headers named there are checked
in order, and the first that holds a valid IP address gives the client's address; without one, or with the setting
empty, it is the TCP peer's. A header is only as trustworthy as the proxy that writes it, so the setting names only
headers the proxy in front of the host sets itself, and the host must not be reachable but through that proxy.

One difference, on purpose: of a comma-separated list (several header lines count as one list, RFC 9110 section
5.3) this host takes the **last** entry, where Mattermost takes the first. A proxy such as nginx with
`$proxy_add_x_forwarded_for` appends the address it saw to whatever the client sent, so the first entry is the
client's to choose and only the last is the proxy's word. An entry is an address only if it parses as one (no
port, no brackets); IPv4-mapped IPv6 addresses are read as IPv4, and addresses are written in their canonical form.

The middleware makes the address `request.remote`, so everything that names the client (the RequestContext the
plugin keys its per-address rate limits and audit trail on, the host's logs) names the same one. The local-mode
socket has no proxy in front of it and reads no header.
"""
from __future__ import annotations

import ipaddress

from aiohttp import web

from .keys import HOST_KEY, LOCAL_MODE_KEY


def trusted_headers(config: dict) -> list[str]:
    value = (config.get("ServiceSettings") or {}).get("TrustedProxyIPHeader") or []
    return [name for name in value if isinstance(name, str) and name] if isinstance(value, list) else []


def _address(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def forwarded_address(headers, names: list[str]) -> str | None:
    """The address the first of the `names` headers holding one gives (its last entry), else None."""
    for name in names:
        lines = headers.getall(name, ())
        if lines:
            address = _address(",".join(lines).rsplit(",", 1)[-1])
            if address is not None:
                return address
    return None


@web.middleware
async def client_address_middleware(request: web.Request, handler):
    names = () if request.app[LOCAL_MODE_KEY] else trusted_headers(request.app[HOST_KEY].config.config)
    if names:
        address = forwarded_address(request.headers, names)
        if address is not None and address != request.remote:
            request = request.clone(remote=address)
    return await handler(request)
