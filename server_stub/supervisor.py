"""Launching and supervising plugin processes the way a go-plugin host (and Mattermost) does.

One `PluginProcess` is one launch: spawn with the magic cookie and a fresh AutoMTLS key pair, read the
handshake line, connect over gRPC, serve the launch its HostAPI (host_api.py), stop with OnDeactivate -> Shutdown
-> kill after 2 s.
`PluginSupervisor` owns one plugin across launches: its state (Mattermost's numbers), health checks and the
restart policy (a failed check restarts it; three failures within 60 minutes leave it failed).
"""
from __future__ import annotations

import asyncio
import enum
import json
import logging
import os
import time
from collections import deque
from typing import Awaitable, Callable

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from goplugin import grpc_controller_pb2, grpc_controller_pb2_grpc, protocol
from oauthplugin.v1 import common_pb2, hooks_pb2, hooks_pb2_grpc, services

from .host_api import HostAPIServer, HostAPIServicer
from .manifest import Manifest

log = logging.getLogger("server_stub.plugins")

START_TIMEOUT_SECONDS = 10.0
# PluginSettings.HookTimeoutSeconds by default: how long the host waits for any call into a plugin (a hook, or an
# RPC serving a request) before giving up on it. Mattermost's experimental gRPC supervisor waits 30 s for hooks;
# 10 s keeps a stuck plugin from holding HTTP clients for long.
HOOK_TIMEOUT_SECONDS = 10.0
SHUTDOWN_WAIT_SECONDS = 2.0
HEALTH_PING_TRIES = 3
HEALTH_PING_TIMEOUT_SECONDS = 2.0
RESTART_LIMIT = 3
RESTART_WINDOW_SECONDS = 60 * 60
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 2**31 - 1),
    ("grpc.max_send_message_length", 2**31 - 1),
]


class PluginState(enum.IntEnum):
    NOT_RUNNING = 0
    STARTING = 1
    RUNNING = 2
    FAILED_TO_START = 3
    FAILED_TO_STAY_RUNNING = 4
    STOPPING = 5


class LaunchError(Exception):
    """The plugin could not be started; the message says why."""


class PluginProcess:
    """One running plugin process and the gRPC connection to it."""

    def __init__(self, manifest: Manifest, executable: str, host_api: HostAPIServicer | None = None,
                 auto_mtls: bool = True) -> None:
        self.manifest = manifest
        self.executable = executable
        self.auto_mtls = auto_mtls  # False: no PLUGIN_CLIENT_CERT, the plugin serves a private unix socket
        self._host_api_servicer = host_api
        self.host_api: HostAPIServer | None = None
        self.certificate: protocol.Certificate | None = None
        self.proc: asyncio.subprocess.Process | None = None
        self.channel: grpc.aio.Channel | None = None
        self.handshake: protocol.Handshake | None = None
        self.hooks: hooks_pb2_grpc.PluginHooksStub | None = None
        self.oauth: services.PluginStub | None = None  # every OAuth RPC, by name
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
        self.oauth = services.PluginStub(self.channel)
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
            log_plugin_line(plugin_id, text)

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


def log_plugin_line(plugin_id: str, text: str) -> None:
    """Parse a stderr line as go-plugin does: hclog JSON, else a [LEVEL] prefix, else debug."""
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


ConfigProvider = Callable[[], tuple[bytes, bytes]]


class PluginSupervisor:
    """One plugin across launches: state, activation, health and restarts."""

    def __init__(self, manifest: Manifest, config: ConfigProvider, *, start_timeout: float = START_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic,
                 hook_timeout: Callable[[], float] = lambda: HOOK_TIMEOUT_SECONDS,
                 host_api: HostAPIServicer | None = None,
                 on_activate: Callable[[PluginProcess], Awaitable[None]] | None = None) -> None:
        self.manifest = manifest
        self.host_api = host_api  # what each launch's HostAPI answers; None: the plugin gets no HostAPI
        self.on_activate = on_activate  # after OnActivate succeeded, before the plugin is RUNNING
        self._config = config
        self.start_timeout = start_timeout
        self.hook_timeout = hook_timeout  # read at each call: a configuration change applies to the next one
        self.state = PluginState.NOT_RUNNING
        self.error = ""
        self.process: PluginProcess | None = None
        self.failures: list[float] = []
        self.restarts = 0
        self._clock = clock
        self._lock = asyncio.Lock()
        self._watch: asyncio.Task | None = None
        # Counts the configuration changes delivered to this plugin: what the plugin answered before one (a token's
        # validity, say, from a database it has since left) is not kept past it (Gateway).
        self.configuration_generation = 0
        self.state_changed = asyncio.Event()

    def _set_state(self, state: PluginState, error: str = "") -> None:
        self.state, self.error = state, error
        self.state_changed.set()
        self.state_changed = asyncio.Event()
        log.info("plugin state changed", extra={"plugin_id": self.manifest.id, "state": int(state),
                                                "state_name": state.name, "error": error})

    async def activate(self) -> None:
        async with self._lock:
            await self._activate()

    async def _activate(self) -> None:
        if self.state == PluginState.RUNNING:
            return
        self._set_state(PluginState.STARTING)
        try:
            executable = self.manifest.executable()
            if not executable:
                raise LaunchError("plugin has no server executable")
            process = PluginProcess(self.manifest, executable, self.host_api)
            self.process = process
            await process.start(self.start_timeout)
            server_json, plugin_json = self._config()
            implemented = await process.hooks.Implemented(hooks_pb2.ImplementedRequest(), timeout=self.hook_timeout())
            response = await process.hooks.OnActivate(
                hooks_pb2.OnActivateRequest(configuration=hooks_pb2.Configuration(
                    server_config_json=server_json, plugin_config_json=plugin_json),
                    host_api=process.host_api.endpoint if process.host_api is not None else None),
                timeout=self.hook_timeout(),
            )
            if response.HasField("error"):
                raise LaunchError(f"OnActivate failed: {response.error.message}")
            self.implemented = set(implemented.hooks)
            if self.on_activate is not None:
                await self.on_activate(process)
        except (LaunchError, grpc.RpcError, OSError) as exc:
            message = _describe(exc)
            log.error("unable to start plugin", extra={"plugin_id": self.manifest.id, "error": message})
            if self.process is not None:
                await self.process.kill()
            self.process = None
            self._set_state(PluginState.FAILED_TO_START, message)
            return
        self._set_state(PluginState.RUNNING)
        self._watch = asyncio.create_task(self._watch_exit(process))

    async def deactivate(self, final_state: PluginState = PluginState.NOT_RUNNING, error: str = "") -> None:
        async with self._lock:
            await self._deactivate(final_state, error)

    async def _deactivate(self, final_state: PluginState = PluginState.NOT_RUNNING, error: str = "") -> None:
        process, self.process = self.process, None
        if process is not None:
            self._set_state(PluginState.STOPPING)
            await process.stop(self.hook_timeout())
        self._set_state(final_state, error)

    async def configuration_will_be_saved(self, server_json: bytes, plugin_json: bytes) -> common_pb2.AppError | None:
        """ConfigurationWillBeSaved with the configuration about to be saved: the plugin's refusal (an AppError), or
        None. A plugin that does not implement it, is not running, or does not answer within the hook timeout (logged)
        refuses nothing: a stuck plugin cannot hold every configuration change back."""
        process = self.process
        if self.state != PluginState.RUNNING or process is None or \
                "ConfigurationWillBeSaved" not in getattr(self, "implemented", ()):
            return None
        try:
            response = await process.hooks.ConfigurationWillBeSaved(
                hooks_pb2.ConfigurationWillBeSavedRequest(configuration=hooks_pb2.Configuration(
                    server_config_json=server_json, plugin_config_json=plugin_json)),
                timeout=self.hook_timeout(),
            )
        except grpc.RpcError as exc:
            log.error("Plugin ConfigurationWillBeSaved hook failed",
                      extra={"plugin_id": self.manifest.id, "error": _describe(exc)})
            return None
        return response.error if response.HasField("error") else None

    async def configuration_changed(self) -> None:
        """OnConfigurationChange with the configuration in force, waiting at most the hook timeout for the answer.
        Under the lock: a plugin being (re)started gets it once it is running, whatever its activation read."""
        async with self._lock:
            await self._configuration_changed()

    async def _configuration_changed(self) -> None:
        process = self.process
        if self.state != PluginState.RUNNING or process is None or "OnConfigurationChange" not in self.implemented:
            return
        server_json, plugin_json = self._config()
        self.configuration_generation += 1
        try:
            response = await process.hooks.OnConfigurationChange(
                hooks_pb2.OnConfigurationChangeRequest(configuration=hooks_pb2.Configuration(
                    server_config_json=server_json, plugin_config_json=plugin_json)),
                timeout=self.hook_timeout(),
            )
            if response.HasField("error"):
                log.error("Plugin OnConfigurationChange hook failed",
                          extra={"plugin_id": self.manifest.id, "error": response.error.message})
        except grpc.RpcError as exc:
            log.error("Plugin OnConfigurationChange hook failed",
                      extra={"plugin_id": self.manifest.id, "error": _describe(exc)})
        finally:
            # Again once it answered: what the plugin said while it was changing over is not kept either.
            self.configuration_generation += 1

    async def health_check(self) -> None:
        """Mattermost's health job for one plugin: ping up to three times, then apply the restart policy."""
        process = self.process
        if self.state != PluginState.RUNNING or process is None:
            return
        timeout = min(HEALTH_PING_TIMEOUT_SECONDS, self.hook_timeout())
        for _ in range(HEALTH_PING_TRIES):
            if await process.ping(timeout):
                return
        await self._failed(process, "plugin RPC connection is not responding")

    async def _watch_exit(self, process: PluginProcess) -> None:
        # Mattermost notices a dead plugin at the next health check; we notice at once, same policy.
        assert process.proc
        code = await process.proc.wait()
        if not process.stopping:
            await self._failed(process, f"plugin process exited unexpectedly (exit status {code})")

    async def _failed(self, process: PluginProcess, reason: str) -> None:
        async with self._lock:
            if process is not self.process:
                return  # already handled (the exit watcher and a health check can both see one failure)
            now = self._clock()
            self.failures.append(now)
            log.error("health check failed", extra={"plugin_id": self.manifest.id, "error": reason})
            if len(self.failures) >= RESTART_LIMIT and now - self.failures[-RESTART_LIMIT] <= RESTART_WINDOW_SECONDS:
                self.failures.clear()
                await self._deactivate(PluginState.FAILED_TO_STAY_RUNNING, reason)
                return
            self.failures = self.failures[-RESTART_LIMIT:]
            await self._deactivate(PluginState.NOT_RUNNING)
            self.restarts += 1
            await self._activate()

    def status(self) -> dict:
        """Mattermost's PluginStatus JSON."""
        return {
            "plugin_id": self.manifest.id,
            "cluster_id": "",
            "plugin_path": self.manifest.directory,
            "state": int(self.state),
            "error": self.error,
            "name": self.manifest.name,
            "description": self.manifest.raw.get("description", ""),
            "version": self.manifest.version,
        }


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.RpcError):
        return f"plugin RPC failed: {exc.code().name}: {exc.details()}"
    return str(exc)
