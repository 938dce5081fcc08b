"""Serving the plugin over hashicorp go-plugin's gRPC protocol for non-Go plugins.

Order matters: check the magic cookie, listen, print the handshake line as the first and only stdout line,
then serve health ("plugin" SERVING), the controller (Shutdown) and stdio beside the app's services.
The RPCs trust the caller's RequestContext, so nothing but the host that launched the plugin may reach any of
them, by any path:

- AutoMTLS (PLUGIN_CLIENT_CERT set) with a key gRPC can verify (P-256 or P-384, as our host makes): gRPC serves TLS
  requiring the host's certificate on 127.0.0.1, and nothing else is listening.
- AutoMTLS with go-plugin's own ECDSA P-521 host key, which grpcio's BoringSSL does not offer in a TLS 1.3
  CertificateRequest (a Go host then sends no certificate and the handshake fails): Python's `ssl` (OpenSSL)
  terminates the host's TLS on 127.0.0.1 and relays the stream to the gRPC server (the relay below).
- No PLUGIN_CLIENT_CERT (a host without AutoMTLS): a unix socket in a directory only this user can open, whose
  every connection is checked against the peer's credentials (SO_PEERCRED): only the process that launched the
  plugin is relayed to the gRPC server; any other process, even of the same user, is hung up on.

The relay's upstream authenticates too: the gRPC server behind it listens on a unix socket with TLS that requires
a certificate made for this launch, whose key never leaves this process (the relay presents it). A process that
finds that socket, even one of the same user, can do nothing without the key.
"""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import random
import signal
import socket
import ssl
import struct
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


def _load_pair(context: ssl.SSLContext, pair: protocol.Certificate, key_dir: str) -> None:
    """Load a key pair into an ssl context (which reads files): written 0600 into our private directory, then gone."""
    cert_file, key_file = os.path.join(key_dir, "cert.pem"), os.path.join(key_dir, "key.pem")
    try:
        for path, data in ((cert_file, pair.cert_pem), (key_file, pair.key_pem)):
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
                f.write(data)
        context.load_cert_chain(cert_file, key_file)
    finally:
        for path in (cert_file, key_file):
            if os.path.exists(path):
                os.unlink(path)


async def _serve_mtls(
    relay: Callable, client_cert_pem: bytes, own: protocol.Certificate, key_dir: str
) -> tuple[asyncio.AbstractServer, int]:
    """Listen for TLS on 127.0.0.1 within PLUGIN_MIN_PORT..PLUGIN_MAX_PORT, requiring the host's certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(cadata=client_cert_pem.decode())
    context.set_alpn_protocols(["h2"])
    _load_pair(context, own, key_dir)

    for port in _candidate_ports():
        try:
            return await asyncio.start_server(relay, "127.0.0.1", port, ssl=context), port
        except OSError:
            continue
    raise SystemExit("couldn't bind plugin TCP listener")


def _bind_upstream(server: grpc.aio.Server, directory: str) -> tuple[str, ssl.SSLContext]:
    """The gRPC server's listener behind a relay: a unix socket in our private directory with TLS that requires
    this launch's own certificate. Answers its path and the client context the relay connects with."""
    pair = protocol.generate_certificate()
    path = os.path.join(directory, "grpc.sock")
    credentials = grpc.ssl_server_credentials([(pair.key_pem, pair.cert_pem)], root_certificates=pair.cert_pem,
                                              require_client_auth=True)
    if not server.add_secure_port(f"unix:{path}", credentials):
        raise SystemExit(f"couldn't bind the plugin's gRPC socket {path}")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_verify_locations(cadata=pair.cert_pem.decode())
    context.set_alpn_protocols(["h2"])
    _load_pair(context, pair, directory)
    return path, context


def _relay_to(path: str, upstream: ssl.SSLContext, connections: set,
              admit: Callable[[asyncio.StreamWriter], bool] = lambda writer: True) -> Callable:
    """A connection handler that pipes the stream (decrypted, for the host's TLS) to the gRPC server's unix socket
    and back, over TLS with this launch's certificate. `admit` may refuse the connection first."""

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
        if not admit(writer):
            writer.close()
            return
        task = asyncio.current_task()
        connections.add(task)
        try:
            backend_reader, backend_writer = await asyncio.open_unix_connection(
                path, ssl=upstream, server_hostname="localhost")
        except (OSError, ssl.SSLError):
            writer.close()
            connections.discard(task)
            return
        try:
            await asyncio.gather(pump(reader, backend_writer), pump(backend_reader, writer))
        finally:
            connections.discard(task)

    return relay


def peer_pid(writer: asyncio.StreamWriter) -> int | None:
    """The process id at the other end of a unix socket connection, from the kernel (SO_PEERCRED on Linux,
    LOCAL_PEERPID on macOS); None when it cannot be told."""
    raw = writer.get_extra_info("socket")
    if raw is None:
        return None
    try:
        sock = socket.socket(fileno=os.dup(raw.fileno()))
    except OSError:
        return None
    try:
        if hasattr(socket, "SO_PEERCRED"):
            pid, _uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                                  struct.calcsize("3i")))
            return pid
        if sys.platform == "darwin":
            sol_local, local_peerpid = 0, 2  # <sys/un.h>
            return struct.unpack("i", sock.getsockopt(sol_local, local_peerpid, struct.calcsize("i")))[0]
    except OSError:
        return None
    finally:
        sock.close()
    return None


def _only_from(host_pid: int) -> Callable[[asyncio.StreamWriter], bool]:
    def admit(writer: asyncio.StreamWriter) -> bool:
        pid = peer_pid(writer)
        if pid == host_pid:
            return True
        log.warning("refused a connection that is not from the host process",
                    extra={"peer_pid": pid, "host_pid": host_pid})
        return False

    return admit


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


def _private_directory() -> str:
    parent = os.environ.get("PLUGIN_UNIX_SOCKET_DIR") or None
    return tempfile.mkdtemp(prefix="plugin", dir=parent)  # mode 0700: only our user can enter


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
    own = protocol.generate_certificate() if client_cert else None
    if own is not None and on_tls is not None:
        on_tls(client_cert, own)
    socket_dir = ""
    listener: asyncio.AbstractServer | None = None  # the relay's
    connections: set = set()
    if client_cert and _grpc_can_verify(client_cert):
        port = _bind_grpc_tls(server, client_cert, own)  # the one listener: nothing else is served
        await server.start()
    else:
        socket_dir = _private_directory()
        upstream_path, upstream = _bind_upstream(server, socket_dir)
        await server.start()
        if client_cert:
            listener, port = await _serve_mtls(_relay_to(upstream_path, upstream, connections), client_cert, own,
                                               socket_dir)
        else:
            path = os.path.join(socket_dir, "plugin.sock")
            listener = await asyncio.start_unix_server(
                _relay_to(upstream_path, upstream, connections, admit=_only_from(host_pid)), path)
    if client_cert:
        handshake = protocol.Handshake(
            protocol.CORE_PROTOCOL_VERSION, app_version, "tcp", f"127.0.0.1:{port}", "grpc", own.cert_der
        )
        log.info("serving gRPC over mutual TLS", extra={"address": handshake.address})
    else:
        handshake = protocol.Handshake(protocol.CORE_PROTOCOL_VERSION, app_version, "unix", path, "grpc")
        log.info("no PLUGIN_CLIENT_CERT from the host: serving on a unix socket only the host process may use",
                 extra={"address": path, "host_pid": host_pid})

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
        if listener is not None:
            listener.close()
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
