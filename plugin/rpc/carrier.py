"""The call carrier's serving side (proto/oauthplugin/v1/carrier.proto): the typed RPCs, carried on one stream.

Each call the host sends runs as its own task through the same servicer method a unary call reaches, so the two
ways in behave alike; answers go back as they are ready, all those ready at once in one message.
"""
from __future__ import annotations

import asyncio
import logging

import grpc
from google.protobuf.message_factory import GetMessageClass

from oauthplugin.v1 import carrier_pb2, carrier_pb2_grpc, services

log = logging.getLogger("plugin.carrier")

# An answer batch stops growing past this many bytes (the host accepts far more; this keeps each write short).
BATCH_BYTES = 1 << 20


def servicer_methods(servicers) -> dict:
    """Every RPC of the services among `servicers`, by name: (the servicer's bound method, its request class)."""
    table = {}
    for service, grpc_module in services.services():
        base = getattr(grpc_module, f"{service.name}Servicer")
        servicer = next((s for s in servicers if isinstance(s, base)), None)
        for rpc in service.methods if servicer is not None else ():
            table[rpc.name] = (getattr(servicer, rpc.name), GetMessageClass(rpc.input_type))
    return table


class CarrierServicer(carrier_pb2_grpc.CallCarrierServicer):
    def __init__(self, servicers) -> None:
        self._methods = servicer_methods(servicers)

    async def Carry(self, batches, context):
        answers: asyncio.Queue = asyncio.Queue()
        reader = asyncio.create_task(self._read(batches, context, answers))
        try:
            yield carrier_pb2.CallBatch()  # the carrier is served
            while True:
                ready = [await answers.get()]
                if ready[0] is None:
                    return
                size = ready[0].ByteSize()
                while not answers.empty() and size < BATCH_BYTES:
                    answer = answers.get_nowait()
                    if answer is None:
                        answers.put_nowait(None)
                        break
                    ready.append(answer)
                    size += answer.ByteSize()
                yield carrier_pb2.CallBatch(calls=ready)
        finally:
            reader.cancel()

    async def _read(self, batches, context, answers: asyncio.Queue) -> None:
        running: set[asyncio.Task] = set()

        def finished(task: asyncio.Task) -> None:
            running.discard(task)
            if not task.cancelled():
                answers.put_nowait(task.result())

        try:
            async for batch in batches:
                for call in batch.calls:
                    task = asyncio.create_task(self._answer(call, context))
                    running.add(task)
                    task.add_done_callback(finished)
        finally:
            for task in running:
                task.cancel()
            answers.put_nowait(None)

    async def _answer(self, call: carrier_pb2.CarriedCall, context) -> carrier_pb2.CarriedCall:
        found = self._methods.get(call.rpc)
        if found is None:
            return carrier_pb2.CarriedCall(id=call.id, status_code=grpc.StatusCode.UNIMPLEMENTED.value[0],
                                           status_details=f"no RPC {call.rpc}")
        method, request_class = found
        try:
            response = await method(request_class.FromString(call.message), context)
            return carrier_pb2.CarriedCall(id=call.id, message=response.SerializeToString())
        except asyncio.CancelledError:
            raise
        except NotImplementedError:  # the generated base class's answer for an RPC the servicer lacks
            return carrier_pb2.CarriedCall(id=call.id, status_code=grpc.StatusCode.UNIMPLEMENTED.value[0],
                                           status_details=f"{call.rpc} is not implemented")
        except Exception:  # what a unary call would answer INTERNAL; the servicers turn domain failures into AppErrors
            log.exception("carried call failed", extra={"rpc": call.rpc})
            return carrier_pb2.CarriedCall(id=call.id, status_code=grpc.StatusCode.INTERNAL.value[0],
                                           status_details="the plugin failed to handle the call")
