"""The call carrier (server_stub/carrier.py and plugin/rpc/carrier.py) against a real gRPC server: concurrent calls
share messages and each gets its own answer, in whatever order they finish; a call fails as its unary RPC would
(timeout, an exception in the servicer, an RPC the plugin lacks, the channel closing under it); a broken stream is
opened again; a plugin that does not serve the carrier is called RPC by RPC."""
from __future__ import annotations

import asyncio

import grpc
import pytest

from oauthplugin.v1 import carrier_pb2_grpc, token_pb2, token_pb2_grpc
from plugin.rpc.carrier import CarrierServicer
from server_stub.carrier import CarriedStub


class TokenService(token_pb2_grpc.TokenServiceServicer):
    """ValidateToken answers the token back after `delay:<seconds>`; `fail` raises."""

    async def ValidateToken(self, request, context):
        if request.token == "fail":
            raise RuntimeError("a bug in a servicer")
        if request.token.startswith("delay:"):
            await asyncio.sleep(float(request.token.split(":")[1].split("#")[0]))
        return token_pb2.ValidateTokenResponse(user_id=request.token)


class CountingCarrier(CarrierServicer):
    """Counts the messages the host sent on the stream."""

    batches = 0

    async def _read(self, batches, context, answers):
        async def counted():
            async for batch in batches:
                CountingCarrier.batches += 1
                yield batch
        await super()._read(counted(), context, answers)


async def _server(with_carrier: bool = True):
    server = grpc.aio.server()
    token_pb2_grpc.add_TokenServiceServicer_to_server(TokenService(), server)
    if with_carrier:
        carrier_pb2_grpc.add_CallCarrierServicer_to_server(CountingCarrier([TokenService()]), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    return server, grpc.aio.insecure_channel(f"127.0.0.1:{port}")


@pytest.fixture
async def carried():
    server, channel = await _server()
    stub = await CarriedStub.open(channel, 5)
    assert stub is not None
    yield stub, channel
    await channel.close()
    await server.stop(0)


def _validate(token: str) -> token_pb2.ValidateTokenRequest:
    return token_pb2.ValidateTokenRequest(token=token)


async def test_concurrent_calls_share_messages_and_each_gets_its_own_answer(carried):
    stub, _ = carried
    CountingCarrier.batches = 0
    tokens = [f"delay:{(i * 7 % 10) / 1000}" + "#" * i for i in range(300)]
    answers = await asyncio.gather(*(stub.ValidateToken(_validate(t), timeout=10) for t in tokens))
    assert [a.user_id for a in answers] == tokens
    assert CountingCarrier.batches < len(tokens) / 2  # calls made together left together


async def test_a_call_past_its_timeout_fails_with_deadline_exceeded_and_the_others_go_on(carried):
    stub, _ = carried
    slow = asyncio.create_task(stub.ValidateToken(_validate("delay:5"), timeout=0.2))
    with pytest.raises(grpc.RpcError) as raised:
        await slow
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert (await stub.ValidateToken(_validate("after"), timeout=5)).user_id == "after"


async def test_an_exception_in_the_servicer_is_internal_and_an_unknown_rpc_unimplemented(carried):
    stub, _ = carried
    with pytest.raises(grpc.RpcError) as raised:
        await stub.ValidateToken(_validate("fail"), timeout=5)
    assert raised.value.code() == grpc.StatusCode.INTERNAL
    with pytest.raises(grpc.RpcError) as raised:
        await stub.Token(token_pb2.ValidateTokenRequest(), timeout=5)  # no servicer for it here
    assert raised.value.code() == grpc.StatusCode.UNIMPLEMENTED


async def test_calls_in_flight_when_the_channel_closes_fail_as_cancelled(carried):
    stub, channel = carried
    calls = [asyncio.create_task(stub.ValidateToken(_validate("delay:5"), timeout=20)) for _ in range(3)]
    await asyncio.sleep(0.3)
    await channel.close()  # what PluginProcess.kill() does when the plugin died
    for call in calls:
        with pytest.raises(grpc.RpcError) as raised:
            await asyncio.wait_for(call, 5)
        assert raised.value.code() in (grpc.StatusCode.CANCELLED, grpc.StatusCode.UNAVAILABLE)


async def test_a_call_cancelled_by_its_caller_stays_cancelled_and_the_stream_goes_on(carried):
    stub, _ = carried
    call = asyncio.create_task(stub.ValidateToken(_validate("delay:5"), timeout=20))
    await asyncio.sleep(0.2)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert (await stub.ValidateToken(_validate("next"), timeout=5)).user_id == "next"


async def test_a_broken_stream_is_opened_again_by_the_next_call(carried):
    stub, _ = carried
    waiting = asyncio.create_task(stub.ValidateToken(_validate("delay:5"), timeout=20))
    await asyncio.sleep(0.2)
    stub.close()  # the stream ends; the channel stays
    with pytest.raises(grpc.RpcError):
        await asyncio.wait_for(waiting, 5)
    assert (await stub.ValidateToken(_validate("again"), timeout=5)).user_id == "again"


async def test_a_plugin_without_the_carrier_is_called_rpc_by_rpc():
    server, channel = await _server(with_carrier=False)
    try:
        assert await CarriedStub.open(channel, 5) is None
    finally:
        await channel.close()
        await server.stop(0)
