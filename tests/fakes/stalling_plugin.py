"""A go-plugin gRPC plugin whose OnConfigurationChange never answers (it sleeps for STALL_SECONDS, 60 by default);
its other hooks answer at once. Served by the project's own go-plugin serving code (cookie, handshake, health,
controller), so only the stalled hook differs from a well-behaved plugin."""
import asyncio
import os

from oauthplugin.v1 import hooks_pb2, hooks_pb2_grpc
from plugin.rpc import goplugin, logs

STALL_SECONDS = float(os.environ.get("STALL_SECONDS", "60"))


class StallingHooks(hooks_pb2_grpc.PluginHooksServicer):
    async def Implemented(self, request, context):
        return hooks_pb2.ImplementedResponse(hooks=["OnActivate", "OnConfigurationChange", "OnDeactivate"])

    async def OnActivate(self, request, context):
        return hooks_pb2.OnActivateResponse()

    async def OnConfigurationChange(self, request, context):
        await asyncio.sleep(STALL_SECONDS)
        return hooks_pb2.OnConfigurationChangeResponse()

    async def OnDeactivate(self, request, context):
        return hooks_pb2.OnDeactivateResponse()


def main() -> None:
    logs.setup()
    goplugin.run(lambda server: hooks_pb2_grpc.add_PluginHooksServicer_to_server(StallingHooks(), server))


if __name__ == "__main__":
    main()
