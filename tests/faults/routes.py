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


def numeric_parameters() -> list[str]:
    """Names of the integer fields in the requests of every RPC that declares a route (options.proto): the host
    fills them from the query string (page, per_page), as its own pages fill `page`; and the numeric query
    parameters of the host's own API (teams, channels, posts: api_params.NUMERIC_QUERY_PARAMETERS). Read from
    the contract and the host, so a numeric parameter added later is fuzzed without being listed anywhere."""
    from google.protobuf.descriptor import FieldDescriptor

    from oauthplugin.v1 import options_pb2, services
    from server_stub.web.api_params import NUMERIC_QUERY_PARAMETERS

    integer_types = {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_INT64, FieldDescriptor.TYPE_UINT32,
                     FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64,
                     FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED32,
                     FieldDescriptor.TYPE_SFIXED64}
    names: set[str] = set(NUMERIC_QUERY_PARAMETERS)
    seen: set[str] = set()

    def walk(message) -> None:
        if message.full_name in seen:
            return
        seen.add(message.full_name)
        for field in message.fields:
            if field.type in integer_types:
                names.add(field.name)
            elif field.message_type is not None:
                walk(field.message_type)

    for method in services.methods().values():
        if method.GetOptions().HasExtension(options_pb2.route):
            walk(method.input_type)
    return sorted(names)
