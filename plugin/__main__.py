"""The plugin process: `python -m plugin`, launched by a go-plugin host with no arguments."""
from __future__ import annotations

from plugin.rpc import goplugin, logs
from plugin.rpc.hooks import HooksServicer
from plugin.rpc.runtime import PluginRuntime
from plugin.rpc.servicers import servicers

from oauthplugin.v1 import hooks_pb2_grpc, services


def main() -> None:
    logs.setup()
    runtime = PluginRuntime()

    def register(server) -> None:
        hooks_pb2_grpc.add_PluginHooksServicer_to_server(HooksServicer(runtime), server)
        services.add_servicers(server, servicers(runtime))

    goplugin.run(register, on_stop=runtime.deactivate, on_tls=runtime.use_tls)


if __name__ == "__main__":
    main()
