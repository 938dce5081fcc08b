"""One launch of a plugin process, the way a go-plugin host (and Mattermost) does it: spawn with the magic cookie and
a fresh AutoMTLS key pair, read the handshake line, connect over gRPC, serve the launch its HostAPI (host_api.py),
stop with OnDeactivate -> Shutdown -> kill after 2 s. The plugin's stderr lines go into the host's log."""
from __future__ import annotations

import asyncio
import json
import logging
import os
from collections import deque

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from goplugin import grpc_controller_pb2, grpc_controller_pb2_grpc, protocol
from oauthplugin.v1 import hooks_pb2, hooks_pb2_grpc, services

from .carrier import CarriedStub
from .host_api import HostAPIServer, HostAPIServicer
from .manifest import Manifest

log = logging.getLogger("server_stub.plugins")

START_TIMEOUT_SECONDS = 10.0
# PluginSettings.HookTimeoutSeconds by default: how long the host waits for any call into a plugin (a hook, or an
# RPC serving a request) before giving up on it. Mattermost's experimental gRPC supervisor waits 30 s for hooks;
# 10 s keeps a stuck plugin from holding HTTP clients for long.
HOOK_TIMEOUT_SECONDS = 10.0
SHUTDOWN_WAIT_SECONDS = 2.0
HEALTH_PING_TIMEOUT_SECONDS = 2.0
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 2**31 - 1),
    ("grpc.max_send_message_length", 2**31 - 1),
]


# How long a plugin that has printed its handshake line may take to show it serves the call carrier.
CARRIER_WAIT_SECONDS = 5


class LaunchError(Exception):
    """The plugin could not be started; the message says why."""


class PluginProcess:
    """One running plugin process and the gRPC connection to it."""

    def __init__(self, manifest: Manifest, executable: str, host_api: HostAPIServicer | None = None,
                 auto_mtls: bool = True, on_error=None) -> None:
        self.manifest = manifest
        self.on_error = on_error  # (message) -> None: each error line the plugin logs
        self.executable = executable
        self.auto_mtls = auto_mtls  # False: no PLUGIN_CLIENT_CERT, the plugin serves a private unix socket
        self._host_api_servicer = host_api
        self.host_api: HostAPIServer | None = None
        self.certificate: protocol.Certificate | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.channel: grpc.aio.Channel | None = None
        self.handshake: protocol.Handshake | None = None
        self.hooks: hooks_pb2_grpc.PluginHooksStub | None = None
        # Every OAuth RPC, by name: on the call carrier when the plugin serves it (carrier.py), else one by one.
        self.oauth: CarriedStub | services.PluginStub | None = None
        self.health: health_pb2_grpc.HealthStub | None = None
        self.stopping = False
        self._stderr_tail: deque[str] = deque(maxlen=20)
        self._tasks: list[asyncio.Task] = []

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    async def start(self, start_timeout: float = START_TIMEOUT_SECONDS) -> None:
        cert = self.certificate = protocol.generate_certificate()  # this launch's: the client's and the HostAPI's
        env = dict(os.environ)
        env.update({
            protocol.COOKIE_KEY: protocol.COOKIE_VALUE,
            "PLUGIN_MIN_PORT": "10000",
            "PLUGIN_MAX_PORT": "25000",
            "PLUGIN_PROTOCOL_VERSIONS": str(protocol.APP_PROTOCOL_VERSION),
        })
        env.pop("PLUGIN_CLIENT_CERT", None)
        if self.auto_mtls:
            env["PLUGIN_CLIENT_CERT"] = cert.cert_pem.decode()
        try:
            self.proc = await asyncio.create_subprocess_exec(
                self.executable, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, cwd=self.manifest.directory,
            )
        except OSError as exc:
            raise LaunchError(f"could not launch {self.executable}: {exc.strerror or exc}") from None
        self._tasks.append(asyncio.create_task(self._forward_stderr()))
        self.handshake = await self._read_handshake(start_timeout)
        self._tasks.append(asyncio.create_task(self._drain_stdout()))
        self.channel = self._connect(cert)
        if self._host_api_servicer is not None:
            self.host_api = HostAPIServer(self._host_api_servicer)
            await self.host_api.start(cert, self.handshake.server_cert_der)
        self.hooks = hooks_pb2_grpc.PluginHooksStub(self.channel)
        self.oauth = await CarriedStub.open(self.channel, CARRIER_WAIT_SECONDS) or services.PluginStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    async def _read_handshake(self, timeout: float) -> protocol.Handshake:
        assert self.proc and self.proc.stdout
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except asyncio.TimeoutError:
            await self.kill()
            raise LaunchError(f"timeout while waiting for plugin to start ({timeout:g} s)") from None
        if not line:
            code = await self.proc.wait()
            await asyncio.sleep(0.05)  # let the last stderr lines arrive for the message
            tail = " | ".join(self._stderr_tail)
            raise LaunchError(f"plugin exited before we could connect (exit status {code})" + (f": {tail}" if tail else ""))
        try:
            return protocol.parse_handshake(line.decode("utf-8", "replace"))
        except protocol.HandshakeError as exc:
            await self.kill()
            raise LaunchError(str(exc)) from None

    def _connect(self, cert: protocol.Certificate) -> grpc.aio.Channel:
        assert self.handshake
        if self.handshake.server_cert_der:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=protocol.der_to_pem(self.handshake.server_cert_der),
                private_key=cert.key_pem, certificate_chain=cert.cert_pem,
            )
            options = CHANNEL_OPTIONS + [("grpc.ssl_target_name_override", "localhost")]
            return grpc.aio.secure_channel(self.handshake.grpc_target, credentials, options=options)
        return grpc.aio.insecure_channel(self.handshake.grpc_target, options=CHANNEL_OPTIONS)

    async def _forward_stderr(self) -> None:
        """The plugin's stderr lines, JSON or not, become host log lines tagged with the plugin id."""
        assert self.proc and self.proc.stderr
        plugin_id = self.manifest.id
        while True:
            try:
                raw = await self.proc.stderr.readline()
            except ValueError:  # a line longer than the stream limit: skip it
                continue
            if not raw:
                return
            text = raw.decode("utf-8", "replace").rstrip()
            if not text:
                continue
            self._stderr_tail.append(text)
            level, message = log_plugin_line(plugin_id, text)
            if level >= logging.ERROR and self.on_error is not None:
                self.on_error(message)

    async def _drain_stdout(self) -> None:
        # go-plugin discards what a plugin prints after the handshake; reading keeps the pipe from filling.
        assert self.proc and self.proc.stdout
        while await self.proc.stdout.read(65536):
            pass

    async def ping(self, timeout: float = HEALTH_PING_TIMEOUT_SECONDS) -> bool:
        """go-plugin's Ping: only an RPC error counts as a failure."""
        if self.health is None:
            return False
        try:
            await self.health.Check(health_pb2.HealthCheckRequest(service=protocol.HEALTH_SERVICE), timeout=timeout)
            return True
        except grpc.RpcError:
            return False

    async def stop(self, hook_timeout: float = HOOK_TIMEOUT_SECONDS) -> None:
        """OnDeactivate, then Shutdown, then kill if the process has not left within 2 s."""
        self.stopping = True
        if self.proc and self.proc.returncode is None and self.hooks is not None:
            try:
                await self.hooks.OnDeactivate(hooks_pb2.OnDeactivateRequest(), timeout=hook_timeout)
            except grpc.RpcError as exc:
                log.warning("OnDeactivate failed", extra={"plugin_id": self.manifest.id, "error": exc.code().name})
            try:
                controller = grpc_controller_pb2_grpc.GRPCControllerStub(self.channel)
                await controller.Shutdown(grpc_controller_pb2.Empty(), timeout=SHUTDOWN_WAIT_SECONDS)
            except grpc.RpcError:
                pass
        if self.channel is not None:
            await self.channel.close()
        if self.proc and self.proc.returncode is None:
            try:
                await asyncio.wait_for(self.proc.wait(), SHUTDOWN_WAIT_SECONDS)
            except asyncio.TimeoutError:
                log.warning("plugin failed to exit gracefully", extra={"plugin_id": self.manifest.id})
        await self.kill()

    async def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()
        for task in self._tasks:
            task.cancel()
        if self.channel is not None:
            await self.channel.close()
        if self.host_api is not None:
            await self.host_api.stop()


_LEVELS = {"trace": logging.DEBUG, "debug": logging.DEBUG, "info": logging.INFO, "warn": logging.WARNING,
           "warning": logging.WARNING, "error": logging.ERROR}


def log_plugin_line(plugin_id: str, text: str) -> tuple[int, str]:
    """Parse a stderr line as go-plugin does: hclog JSON, else a [LEVEL] prefix, else debug; log it and answer
    (level, message)."""
    fields: dict = {"plugin_id": plugin_id, "source": "plugin_stderr"}
    level, message = logging.DEBUG, text
    try:
        entry = json.loads(text)
    except ValueError:
        entry = None
    if isinstance(entry, dict) and "@message" in entry:
        level = _LEVELS.get(str(entry.get("@level", "")).lower(), logging.INFO)
        message = str(entry.get("@message"))
        for key, value in entry.items():
            if not key.startswith("@"):
                fields[f"plugin_{key}"] = value
    else:
        for prefix, lvl in (("[ERROR]", logging.ERROR), ("[WARN]", logging.WARNING), ("[INFO]", logging.INFO),
                            ("[DEBUG]", logging.DEBUG), ("[TRACE]", logging.DEBUG)):
            if text.startswith(prefix):
                level, message = lvl, text[len(prefix):].strip()
                break
    log.log(level, message, extra=fields)
    detail = fields.get("plugin_error")
    return level, f"{message}: {detail}" if detail else message

