"""Launching and supervising plugin processes the way a go-plugin host (and Mattermost) does.

One `PluginProcess` (plugin_process.py) is one launch.
`PluginSupervisor` owns one plugin across launches: its state (Mattermost's numbers), health checks and the
restart policy (a failed check restarts it; three failures within 60 minutes leave it failed).
"""
from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import deque
from typing import Awaitable, Callable

import grpc

from oauthplugin.v1 import common_pb2, hooks_pb2

from .host_api import HostAPIServicer
from .manifest import Manifest
from .plugin_process import (HEALTH_PING_TIMEOUT_SECONDS, HOOK_TIMEOUT_SECONDS, START_TIMEOUT_SECONDS, LaunchError,
                             PluginProcess)

__all__ = ["HOOK_TIMEOUT_SECONDS", "LaunchError", "PluginProcess", "PluginState", "PluginSupervisor"]

log = logging.getLogger("server_stub.plugins")

HEALTH_PING_TRIES = 3
RECENT_ERRORS = 20  # kept per plugin for the System Console's status page
RESTART_LIMIT = 3
RESTART_WINDOW_SECONDS = 60 * 60
ConfigProvider = Callable[[], tuple[bytes, bytes]]


class PluginState(enum.IntEnum):
    NOT_RUNNING = 0
    STARTING = 1
    RUNNING = 2
    FAILED_TO_START = 3
    FAILED_TO_STAY_RUNNING = 4
    STOPPING = 5


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
        # The plugin's last errors, across launches: (Unix ms, message). Its error log lines, and the host's own
        # about it (failed starts, failed health checks).
        self.recent_errors: deque[tuple[int, str]] = deque(maxlen=RECENT_ERRORS)

    def record_error(self, message: str) -> None:
        self.recent_errors.append((time.time_ns() // 1_000_000, message))

    def _set_state(self, state: PluginState, error: str = "") -> None:
        self.state, self.error = state, error
        if error:
            self.record_error(error)
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
            process = PluginProcess(self.manifest, executable, self.host_api, on_error=self.record_error)
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
            self.record_error(f"health check failed: {reason}")
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
