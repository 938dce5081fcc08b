"""The gateway against a real gRPC channel that the supervisor closes while a call is in flight (what happens
when the plugin dies or is restarted under load): grpc.aio cancels the call, and the request must get 503 with
Retry-After, not lose its connection without an answer. A request cancelled because its own client left stays
cancelled."""
from __future__ import annotations

import asyncio
import types

import grpc
import pytest

from oauthplugin.v1 import token_pb2, token_pb2_grpc
from server_stub.gateway import Gateway, PluginUnavailable
from server_stub.supervisor import PluginState


class SlowService(token_pb2_grpc.TokenServiceServicer):
    async def ValidateToken(self, request, context):
        await asyncio.sleep(30)
        return token_pb2.ValidateTokenResponse()


@pytest.fixture
async def gateway():
    server = grpc.aio.server()
    token_pb2_grpc.add_TokenServiceServicer_to_server(SlowService(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    process = types.SimpleNamespace(oauth=token_pb2_grpc.TokenServiceStub(channel))
    supervisor = types.SimpleNamespace(state=PluginState.RUNNING, process=process)
    plugins = types.SimpleNamespace(supervisors={"oauth-provider": supervisor}, is_enabled=lambda plugin_id: True)
    yield Gateway(plugins, "oauth-provider", timeout=20), channel
    await channel.close()
    await server.stop(0)


async def test_a_call_cut_off_by_the_channel_closing_is_503_with_retry_after(gateway):
    gateway, channel = gateway
    call = asyncio.create_task(gateway.call("ValidateToken", token_pb2.ValidateTokenRequest(token="t")))
    await asyncio.sleep(0.3)
    await channel.close()  # what PluginProcess.kill() does when the plugin died
    with pytest.raises(PluginUnavailable) as raised:
        await asyncio.wait_for(call, 5)
    assert raised.value.status == 503 and raised.value.headers == {"Retry-After": "1"}


async def test_a_request_cancelled_by_its_own_client_stays_cancelled(gateway):
    gateway, _ = gateway
    call = asyncio.create_task(gateway.call("ValidateToken", token_pb2.ValidateTokenRequest(token="t")))
    await asyncio.sleep(0.3)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
