"""The plugin's OAuth services, one per area of the contract (the .proto files beside this module), in the one list
that the plugin serves, the host calls and the tests fuzz. A new area is a .proto file and one line in `AREAS`.

    stub = PluginStub(channel)               # every RPC of every service, by name
    await stub.Token(request, timeout=5)
    method("Token").GetOptions()             # its declarations: route, cache_effect (options.proto)
    add_servicers(server, [AppsServicer(...), TokenServicer(...), ...])

RPC names are unique across the services (`methods` refuses a duplicate), so the host names an RPC by its name
alone.
"""
from __future__ import annotations

from types import ModuleType

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from . import (
    apps_pb2, apps_pb2_grpc, audit_pb2, audit_pb2_grpc, authorize_pb2, authorize_pb2_grpc, device_pb2, device_pb2_grpc,
    discovery_pb2, discovery_pb2_grpc, openid_pb2, openid_pb2_grpc, par_pb2, par_pb2_grpc, token_pb2, token_pb2_grpc,
)

# (messages module, gRPC module) of each area.
AREAS: tuple[tuple[ModuleType, ModuleType], ...] = (
    (apps_pb2, apps_pb2_grpc),
    (authorize_pb2, authorize_pb2_grpc),
    (token_pb2, token_pb2_grpc),
    (discovery_pb2, discovery_pb2_grpc),
    (audit_pb2, audit_pb2_grpc),
    (openid_pb2, openid_pb2_grpc),
    (device_pb2, device_pb2_grpc),
    (par_pb2, par_pb2_grpc),
)


def services() -> list[tuple[ServiceDescriptor, ModuleType]]:
    """Every service the plugin serves, with the gRPC module that holds its stub and servicer classes."""
    return [(service, grpc_module) for pb2, grpc_module in AREAS
            for service in pb2.DESCRIPTOR.services_by_name.values()]


def methods() -> dict[str, MethodDescriptor]:
    """Every RPC of the plugin's services, by name."""
    found: dict[str, MethodDescriptor] = {}
    for service, _ in services():
        for rpc in service.methods:
            if rpc.name in found:
                raise RuntimeError(f"RPC {rpc.name} is declared by {found[rpc.name].containing_service.name} and "
                                   f"{service.name}: the host calls RPCs by name")
            found[rpc.name] = rpc
    return found


_METHODS = methods()


def method(name: str) -> MethodDescriptor | None:
    return _METHODS.get(name)


class PluginStub:
    """The client side of every service on one channel (grpc.Channel or grpc.aio.Channel): `stub.<RPC>(request)`."""

    def __init__(self, channel) -> None:
        for service, grpc_module in services():
            stub = getattr(grpc_module, f"{service.name}Stub")(channel)
            for rpc in service.methods:
                setattr(self, rpc.name, getattr(stub, rpc.name))


def add_servicers(server, servicers) -> None:
    """Register each servicer for the services it implements (an instance of the service's generated base class);
    every service must find one."""
    for service, grpc_module in services():
        base = getattr(grpc_module, f"{service.name}Servicer")
        matching = [servicer for servicer in servicers if isinstance(servicer, base)]
        if len(matching) != 1:
            raise RuntimeError(f"{service.full_name} needs one servicer, got {len(matching)}")
        getattr(grpc_module, f"add_{service.name}Servicer_to_server")(matching[0], server)
