"""Serving the plugin over hashicorp go-plugin's gRPC protocol for non-Go plugins.

Order matters: check the magic cookie, listen, print the handshake line as the first and only stdout line,
then serve health ("plugin" SERVING), the controller (Shutdown) and stdio beside the app's services.
With PLUGIN_CLIENT_CERT set (AutoMTLS) the plugin serves TLS that requires the host's certificate; without
it, a unix socket in a directory only this user can open. Either way nothing else on the machine can call
the RPCs, which trust the caller's RequestContext.

Under AutoMTLS gRPC serves TLS itself when it can verify the host's key (P-256 or P-384, as our host makes).
go-plugin's own hosts use ECDSA P-521, which grpcio's BoringSSL does not offer in a TLS 1.3
CertificateRequest (a Go host then sends no certificate and the handshake fails); for such a key the TLS is
terminated by Python's `ssl` (OpenSSL) on 127.0.0.1 and relayed to the gRPC server's private unix socket.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import signal
import ssl
import sys
import tempfile
from typing import Callable

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from goplugin import grpc_controller_pb2, grpc_controller_pb2_grpc, grpc_stdio_pb2_grpc, protocol

log = logging.getLogger("plugin.goplugin")

# Leave this long between answering Shutdown and stopping, so the reply reaches the host.
SHUTDOWN_GRACE_SECONDS = 0.2
SERVER_OPTIONS = [
    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
    ("grpc.max_send_message_length", 64 * 1024 * 1024),
]


class ControllerServicer(grpc_controller_pb2_grpc.GRPCControllerServicer):
    def __init__(self, stopping: asyncio.Event) -> None:
        self._stopping = stopping

    async def Shutdown(self, request, context):
        log.info("shutdown requested by the host")
        self._stopping.set()
        return grpc_controller_pb2.Empty()


class StdioServicer(grpc_stdio_pb2_grpc.GRPCStdioServicer):
    """The host opens this stream at once; we log to stderr instead, so it stays open and silent."""

    def __init__(self, stopping: asyncio.Event) -> None:
        self._stopping = stopping

    async def StreamStdio(self, request, context):
        await self._stopping.wait()
        return
        yield  # an async generator that ends when the plugin stops


def check_cookie() -> None:
    if os.environ.get(protocol.COOKIE_KEY) != protocol.COOKIE_VALUE:
        sys.stderr.write(protocol.NOT_A_PROGRAM_MESSAGE)
        sys.stderr.flush()
        raise SystemExit(1)


def negotiate_app_version(supported: tuple[int, ...] = (protocol.APP_PROTOCOL_VERSION,)) -> int:
    """The highest version both sides speak, else our lowest (go-plugin's rule)."""
    offered = set()
    for item in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(","):
        try:
            offered.add(int(item))
        except ValueError:
            if item:
                log.warning("ignoring invalid protocol version from host", extra={"version": item})
    common = offered.intersection(supported)
    return max(common) if common else min(supported)


async def _serve_mtls(
    relay: Callable, client_cert_pem: bytes, own: protocol.Certificate, key_dir: str
) -> tuple[asyncio.AbstractServer, int]:
    """Listen for TLS on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, requiring the host's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_cert_pem.decode())
    context.set_alpn_protocols(["h2"])
    cert_file, key_file = os.path.join(key_dir, "cert.pem"), os.path.join(key_dir, "key.pem")
    try:
        for path, data in ((cert_file, own.cert_pem), (key_file, own.key_pem)):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(data)
        context.load_cert_chain(cert_file, key_file)
    finally:
        for path in (cert_file, key_file):
            if os.path.exists(path):
                os.unlink(path)

    for port in _candidate_ports():
        try:
            return await asyncio.start_server(relay, "127.0.0.1", port, ssl=context), port
        except OSError:
            continue
    raise SystemExit("couldn't bind plugin TCP listener")


def _relay_to(path: str, connections: set) -> Callable:
    """A connection handler that pipes the decrypted stream to the gRPC server's unix socket and back."""

    async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        connections.add(task)
        try:
            backend_reader, backend_writer = await asyncio.open_unix_connection(path)
        except OSError:
            writer.close()
            connections.discard(task)
            return
        try:
            await asyncio.gather(pump(reader, backend_writer), pump(backend_reader, writer))
        finally:
            connections.discard(task)

    return relay


def _grpc_can_verify(client_cert_pem: bytes) -> bool:
    """True when grpcio's TLS accepts the host certificate's key for client authentication."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    key = x509.load_pem_x509_certificate(client_cert_pem).public_key()
    if isinstance(key, ec.EllipticCurvePublicKey):
        return isinstance(key.curve, (ec.SECP256R1, ec.SECP384R1))
    return isinstance(key, rsa.RSAPublicKey)


def _bind_grpc_tls(server: grpc.aio.Server, client_cert_pem: bytes, own: protocol.Certificate) -> int:
    credentials = grpc.ssl_server_credentials(
        [(own.key_pem, own.cert_pem)], root_certificates=client_cert_pem, require_client_auth=True)
    for port in _candidate_ports():
        try:
            if server.add_secure_port(f"127.0.0.1:{port}", credentials):
                return port
        except RuntimeError:
            continue
    raise SystemExit("couldn't bind plugin TCP listener")


def _candidate_ports() -> list[int]:
    low = int(os.environ.get("PLUGIN_MIN_PORT") or 10000)
    high = int(os.environ.get("PLUGIN_MAX_PORT") or 25000)
    ports = list(range(low, high + 1))
    random.shuffle(ports)
    return ports[:200]


def _bind_private_unix(server: grpc.aio.Server) -> str:
    parent = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None
    directory = tempfile.mkdtemp(prefix="plugin", dir=parent)  # mode 0700: only our user can enter
    path = os.path.join(directory, "plugin.sock")
    server.add_insecure_port(f"unix:{path}")
    return path


async def serve(register: Callable[[grpc.aio.Server], None], on_stop: Callable[[], object] | None = None,
                on_tls: Callable[[bytes, protocol.Certificate], None] | None = None) -> None:
    """Listen, hand the host its handshake line, serve until Shutdown (or SIGTERM). Under AutoMTLS, `on_tls` gets
    the host's certificate and the plugin's own key pair (the plugin's client identity toward the host's HostAPI)."""
    host_pid = os.getppid()
    app_version = negotiate_app_version()
    server = grpc.aio.server(options=SERVER_OPTIONS)
    stopping = asyncio.Event()

    health_servicer = health.aio.HealthServicer()
    await health_servicer.set(protocol.HEALTH_SERVICE, health_pb2.HealthCheckResponse.SERVING)
    await health_servicer.set("", health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    grpc_controller_pb2_grpc.add_GRPCControllerServicer_to_server(ControllerServicer(stopping), server)
    grpc_stdio_pb2_grpc.add_GRPCStdioServicer_to_server(StdioServicer(stopping), server)
    register(server)

    client_cert = os.environ.get("PLUGIN_CLIENT_CERT", "").encode()
    native_tls = bool(client_cert) and _grpc_can_verify(client_cert)
    own = protocol.generate_certificate() if client_cert else None
    if own is not None and on_tls is not None:
        on_tls(client_cert, own)
    path = _bind_private_unix(server)
    socket_dir = os.path.dirname(path)
    tls_server = None
    connections: set = set()
    if native_tls:
        port = _bind_grpc_tls(server, client_cert, own)
    await server.start()
    if client_cert:
        if not native_tls:
            tls_server, port = await _serve_mtls(_relay_to(path, connections), client_cert, own, socket_dir)
        handshake = protocol.Handshake(
            protocol.CORE_PROTOCOL_VERSION, app_version, "tcp", f"127.0.0.1:{port}", "grpc", own.cert_der
        )
        log.info("serving gRPC over mutual TLS", extra={"address": handshake.address})
    else:
        handshake = protocol.Handshake(protocol.CORE_PROTOCOL_VERSION, app_version, "unix", path, "grpc")
        log.info("no PLUGIN_CLIENT_CERT from the host: serving on a unix socket only this user can open",
                 extra={"address": path})

    _announce(handshake.line())

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    watcher = asyncio.create_task(_stop_when_orphaned(stopping, host_pid))
    try:
        await stopping.wait()
        await asyncio.sleep(SHUTDOWN_GRACE_SECONDS)
        if on_stop is not None:
            result = on_stop()
            if asyncio.iscoroutine(result):
                await result
        if tls_server is not None:
            tls_server.close()
        await server.stop(grace=0.5)
    finally:
        watcher.cancel()
        for task in list(connections):
            task.cancel()
        if socket_dir:
            for name in os.listdir(socket_dir):
                os.unlink(os.path.join(socket_dir, name))
            os.rmdir(socket_dir)
    log.info("plugin stopped")


async def _stop_when_orphaned(stopping: asyncio.Event, host_pid: int) -> None:
    """A host killed with SIGKILL cannot shut us down; leave when our parent changes."""
    while not stopping.is_set():
        if os.getppid() != host_pid:
            log.warning("the host process is gone; stopping")
            stopping.set()
        await asyncio.sleep(0.5)


def _announce(line: str) -> None:
    """Write the handshake as the first stdout line, then point stdout at stderr so that nothing else can
    ever reach the host's handshake pipe."""
    out = os.fdopen(os.dup(1), "w")
    out.write(line + "\n")
    out.flush()
    out.close()
    os.dup2(2, 1)
    sys.stdout = sys.stderr


def run_event_loop(main) -> None:
    """Run `main` on uvloop when it is installed (it carries gRPC and HTTP traffic with less CPU: bench/README.md),
    else on asyncio's own loop; OAUTH_EVENT_LOOP=asyncio forces the latter."""
    # What start-up made (modules, classes, configuration) is never garbage: out of the collector's sight, a full
    # collection under load walks only what requests made (7-15 ms pauses before, bench/README.md).
    gc.collect()
    gc.freeze()
    if os.environ.get("OAUTH_EVENT_LOOP", "").lower() != "asyncio":
        try:
            import uvloop
        except ImportError:
            pass
        else:
            uvloop.run(main)
            return
    asyncio.run(main)


def run(register: Callable[[grpc.aio.Server], None], on_stop: Callable[[], object] | None = None,
        on_tls: Callable[[bytes, protocol.Certificate], None] | None = None) -> None:
    """Entry point of the plugin process."""
    check_cookie()
    # A Ctrl-C in the host's terminal reaches the whole process group; the host manages our shutdown.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run_event_loop(serve(register, on_stop, on_tls))
