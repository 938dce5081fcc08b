"""The call carrier's calling side (proto/oauthplugin/v1/carrier.proto): every typed RPC as
`stub.<RPC>(request, timeout=...)`, like services.PluginStub, carried on one stream to the plugin.

Calls made while a write is under way leave together in the next message, so under load many calls share one
gRPC message each way (bench/README.md has the figures). A call fails as the unary RPC would: a grpc.RpcError
with the status code (the plugin's, DEADLINE_EXCEEDED after `timeout`, UNAVAILABLE or CANCELLED when the stream
ends under it), which the gateway turns into Mattermost's answers. A broken stream is opened again by the next
call.
"""
from __future__ import annotations

import asyncio
import functools
import logging

import grpc
from google.protobuf.message_factory import GetMessageClass

from oauthplugin.v1 import carrier_pb2, services

log = logging.getLogger("server_stub.carrier")

CARRY = "/oauthplugin.v1.CallCarrier/Carry"
_STATUS = {code.value[0]: code for code in grpc.StatusCode}


class CarriedCallError(grpc.RpcError):
    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details


class CarriedStub:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._carry = channel.stream_stream(CARRY, request_serializer=carrier_pb2.CallBatch.SerializeToString,
                                            response_deserializer=carrier_pb2.CallBatch.FromString)
        self._link: _Link | None = None
        self._last_id = 0
        for name, method in services.methods().items():
            setattr(self, name, functools.partial(self._call, name, GetMessageClass(method.output_type)))

    @classmethod
    async def open(cls, channel: grpc.aio.Channel, timeout: float) -> "CarriedStub | None":
        """A stub on the carrier, or None when the plugin does not serve it (call its RPCs one by one then)."""
        stub = cls(channel)
        link = stub._link = _Link(stub._carry())
        try:
            await asyncio.wait_for(asyncio.shield(link.served), timeout)
        except (grpc.RpcError, asyncio.TimeoutError) as exc:
            stub.close()
            log.info("the plugin does not serve the call carrier: calling its RPCs one by one",
                     extra={"reason": exc.details() if isinstance(exc, grpc.RpcError) else "no answer"})
            return None
        return stub

    def close(self) -> None:
        if self._link is not None:
            self._link.stream.cancel()

    async def _call(self, rpc: str, response_class: type, request, timeout: float | None = None):
        link = self._link
        if link is None or link.ended:
            link = self._link = _Link(self._carry())
        self._last_id += 1
        return await link.call(carrier_pb2.CarriedCall(id=self._last_id, rpc=rpc,
                                                       message=request.SerializeToString()),
                               response_class, timeout)


class _Link:
    """One Carry stream and the calls waiting on it: a writer task sends what was queued since its last write,
    a reader task settles answers; when the stream ends, everything still waiting on it fails."""

    def __init__(self, stream) -> None:
        self.stream = stream
        self.ended = False
        loop = asyncio.get_running_loop()
        self.served = loop.create_future()  # the plugin's first (empty) batch arrived
        self._pending: dict[int, tuple[asyncio.Future, type]] = {}
        self._outbox: list[carrier_pb2.CarriedCall] = []
        self._wake = asyncio.Event()
        writer = loop.create_task(self._write())
        self._tasks = (writer, loop.create_task(self._read(writer)))  # the loop keeps only weak references

    async def call(self, call: carrier_pb2.CarriedCall, response_class: type, timeout: float | None):
        loop = asyncio.get_running_loop()
        answer = loop.create_future()
        self._pending[call.id] = (answer, response_class)
        self._outbox.append(call)
        self._wake.set()
        expiry = loop.call_later(timeout, _expire, answer) if timeout is not None else None
        try:
            return await answer
        finally:
            if expiry is not None:
                expiry.cancel()
            self._pending.pop(call.id, None)

    async def _write(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self._outbox:
                    batch, self._outbox = self._outbox, []
                    await self.stream.write(carrier_pb2.CallBatch(calls=batch))
        except (grpc.RpcError, asyncio.InvalidStateError):
            self.stream.cancel()  # the reader fails what was waiting

    async def _read(self, writer: asyncio.Task) -> None:
        failure = CarriedCallError(grpc.StatusCode.UNAVAILABLE, "the plugin ended the call carrier")
        try:
            while True:
                batch = await self.stream.read()
                if batch is grpc.aio.EOF:
                    break
                if not self.served.done():
                    self.served.set_result(None)
                for call in batch.calls:
                    self._settle(call)
        except grpc.RpcError as exc:
            failure = CarriedCallError(exc.code(), exc.details() or "")
        except asyncio.CancelledError:
            # grpc.aio cancels the calls of a channel it closes: the plugin stopped or restarted.
            failure = CarriedCallError(grpc.StatusCode.CANCELLED, "the call carrier was cancelled")
        finally:
            self.ended = True
            writer.cancel()
            if not self.served.done():
                self.served.set_exception(failure)
                self.served.exception()  # retrieved: open() may have stopped waiting
            for answer, _ in list(self._pending.values()):
                if not answer.done():
                    answer.set_exception(failure)

    def _settle(self, call: carrier_pb2.CarriedCall) -> None:
        found = self._pending.get(call.id)
        if found is None or found[0].done():
            return  # given up on (timed out, or its request was cancelled)
        answer, response_class = found
        if call.status_code:
            answer.set_exception(CarriedCallError(_STATUS.get(call.status_code, grpc.StatusCode.UNKNOWN),
                                                  call.status_details))
        else:
            answer.set_result(response_class.FromString(call.message))


def _expire(answer: asyncio.Future) -> None:
    if not answer.done():
        answer.set_exception(CarriedCallError(grpc.StatusCode.DEADLINE_EXCEEDED, "Deadline Exceeded"))
