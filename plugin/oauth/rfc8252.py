"""RFC 8252, OAuth 2.0 for native apps: loopback redirects (§7.3).

A native app listens on a port of the loopback interface that the operating system picks at run time, so for a
callback registered as `http://127.0.0.1/...` or `http://[::1]/...` any port matches; everything else (scheme,
path, query) must be equal. Host names, `localhost` included, always match exactly (§8.3: a name can resolve
elsewhere). Mattermost matches every callback exactly.
"""
from __future__ import annotations

import re

LOOPBACK_HOSTS = ("127.0.0.1", "[::1]")
_PORT = re.compile(r":[0-9]{1,5}")


def _without_port(uri: str) -> str | None:
    """`uri` with its port taken out when it is an http URL on a loopback IP literal; else None."""
    if not uri.startswith("http://"):
        return None
    rest = uri[len("http://"):]
    for host in LOOPBACK_HOSTS:
        if not rest.startswith(host):
            continue
        after = rest[len(host):]
        port = _PORT.match(after)
        if port is not None:
            if int(port.group()[1:]) > 65535:
                return None
            after = after[port.end():]
        if after == "" or after[0] in "/?":
            return "http://" + host + after
    return None


def redirect_uri_matches(registered: str, presented: str) -> bool:
    """Exact equality (RFC 9700 §2.1), except for the port of a loopback callback."""
    if presented == registered:
        return True
    loopback = _without_port(registered)
    return loopback is not None and loopback == _without_port(presented)
