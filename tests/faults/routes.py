"""Every route of the host's HTTP server, read from its router (server_stub.web.app.create_app), so that a route
added later is covered by the fault tests without being listed anywhere."""
from __future__ import annotations

import re

BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


class _NoHost:
    gateway = None


def host_routes(local_mode: bool = False) -> list[tuple[str, str]]:
    """(method, path template) of every route but the static files; HEAD twins of GET routes are left out."""
    from server_stub.web.app import create_app

    app = create_app(_NoHost(), local_mode=local_mode)
    routes = []
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        template = info.get("formatter") or info.get("path")
        if template is None or route.method == "HEAD":
            continue  # the static directory (a prefix resource), and HEAD, which aiohttp adds beside each GET
        routes.append((route.method, template))
    return sorted(set(routes))


def fill(template: str, values: dict[str, str]) -> str:
    """The path with each {placeholder} replaced (by values[name], else a well-formed id)."""
    return re.sub(r"\{(\w+)[^}]*\}", lambda m: values.get(m.group(1), "a" * 26), template)
