"""The plugin process: `python -m plugin`, launched by a go-plugin host with no arguments."""
from __future__ import annotations

from plugin.rpc import goplugin, logs
from plugin.rpc.carrier import CarrierServicer
from plugin.rpc.hooks import HooksServicer
from plugin.rpc.runtime import PluginRuntime
from plugin.rpc.servicers import servicers

from oauthplugin.v1 import carrier_pb2_grpc, hooks_pb2_grpc, services


def main() -> None:
    logs.setup()
    runtime = PluginRuntime()

    def register(server) -> None:
        hooks_pb2_grpc.add_PluginHooksServicer_to_server(HooksServicer(runtime), server)
        oauth = servicers(runtime)
        services.add_servicers(server, oauth)
        carrier_pb2_grpc.add_CallCarrierServicer_to_server(CarrierServicer(oauth), server)

    goplugin.run(register, on_stop=runtime.deactivate, on_tls=runtime.use_tls)


if __name__ == "__main__":
    main()
