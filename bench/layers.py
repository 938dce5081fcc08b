"""The transport between host and plugin in isolation: CPU per call of the two processes, RPC by RPC and on the
call carrier, with the plugin's real transport (grpc.aio both sides, mutual TLS over TCP as under AutoMTLS,
uvloop) and a servicer that does nothing; then the same without TLS, for TLS's share.

    .venv/bin/python bench/layers.py [--calls 20000]

Prints one line per case: calls per second, and microseconds of CPU per call in the calling process (the host's
side) and in the serving process (the plugin's side). The cost table in bench/README.md comes from it.
"""
from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "proto")]

import grpc  # noqa: E402

from goplugin import protocol  # noqa: E402
from oauthplugin.v1 import carrier_pb2_grpc, common_pb2, token_pb2, token_pb2_grpc  # noqa: E402

CONTEXT = common_pb2.RequestContext(request_id="b" * 26, remote_addr="127.0.0.1", user_id="u" * 26)


class Echo(token_pb2_grpc.TokenServiceServicer):
    async def ValidateToken(self, request, context):
        return token_pb2.ValidateTokenResponse(user_id=CONTEXT.user_id, client_id="c" * 26, scope="user",
                                               expires_at=1, grant_id="g" * 26, cacheable=True)


def run_event_loop(main):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def serve(server_pair, client_cert_pem: bytes, port, plain_port, ready) -> None:
    from plugin.rpc.carrier import CarrierServicer

    async def main():
        server = grpc.aio.server()
        token_pb2_grpc.add_TokenServiceServicer_to_server(Echo(), server)
        carrier_pb2_grpc.add_CallCarrierServicer_to_server(CarrierServicer([Echo()]), server)
        credentials = grpc.ssl_server_credentials([(server_pair.key_pem, server_pair.cert_pem)],
                                                  root_certificates=client_cert_pem, require_client_auth=True)
        port.value = server.add_secure_port("127.0.0.1:0", credentials)
        plain_port.value = server.add_insecure_port("127.0.0.1:0")  # the same without TLS, for its share
        await server.start()
        ready.set()
        await server.wait_for_termination()

    run_event_loop(main())


def cpu_seconds(pid: int) -> float:
    fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(channel, server_pid: int, calls: int, transport: str) -> list[str]:
    from server_stub.carrier import CarriedStub

    unary = token_pb2_grpc.TokenServiceStub(channel)
    carried = await CarriedStub.open(channel, 5)
    request = token_pb2.ValidateTokenRequest(context=CONTEXT, token="t" * 43)
    lines = []
    for label, call in (("one by one", unary.ValidateToken), ("carried", carried.ValidateToken)):
        for concurrency in (1, 32):
            for _ in range(200):
                await call(request, timeout=5)
            count = calls // 4 if concurrency == 1 else calls

            async def caller(n: int) -> None:
                for _ in range(n):
                    await call(request, timeout=5)

            started, own, theirs = time.perf_counter(), time.process_time(), cpu_seconds(server_pid)
            await asyncio.gather(*(caller(count // concurrency) for _ in range(concurrency)))
            elapsed = time.perf_counter() - started
            own, theirs = time.process_time() - own, cpu_seconds(server_pid) - theirs
            lines.append(f"{transport:>9}, {label:>10}, {concurrency:>2} in flight: {count / elapsed:8,.0f} calls/s, CPU per call "
                         f"{own / count * 1e6:5.0f} us calling + {theirs / count * 1e6:5.0f} us serving")
    carried.close()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    calls = parser.parse_args().calls

    server_pair, client_pair = protocol.generate_certificate(), protocol.generate_certificate()
    port, plain_port, ready = multiprocessing.Value("i", 0), multiprocessing.Value("i", 0), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(server_pair, client_pair.cert_pem, port, plain_port, ready),
                                     daemon=True)
    server.start()
    try:
        if not ready.wait(30):
            raise SystemExit("the serving process did not start")

        async def run():
            credentials = grpc.ssl_channel_credentials(root_certificates=server_pair.cert_pem,
                                                       private_key=client_pair.key_pem,
                                                       certificate_chain=client_pair.cert_pem)
            async with grpc.aio.secure_channel(f"127.0.0.1:{port.value}", credentials,
                                               options=[("grpc.ssl_target_name_override", "localhost")]) as channel:
                lines = await measure(channel, server.pid, calls, "TLS")
            async with grpc.aio.insecure_channel(f"127.0.0.1:{plain_port.value}") as channel:
                return lines + await measure(channel, server.pid, calls, "plain TCP")

        for line in run_event_loop(run()):
            print(line)
    finally:
        server.terminate()
        server.join(5)


if __name__ == "__main__":
    main()
