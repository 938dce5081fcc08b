"""The host process: configuration, accounts, the plugin environment and the HTTP listeners."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import signal
import time

from aiohttp import web

from . import config_rules, files, manifest, revocations
from .accounts import DatabaseUnavailable, follow_integration_setting, open_accounts
from .config import ConfigStore, site_url
from .gateway import Gateway
from .host_api import HostAPIServicer
from .logs import HostLogs
from .metrics import HostMetrics, MetricsServer
from .plugins import PROJECT_DIR, PluginEnvironment
from .web.app import create_app

log = logging.getLogger("server_stub.host")


class StartupError(Exception):
    """The server cannot start; the message says why, in one line."""


DATABASE_WAIT_SECONDS = 60.0
DATABASE_RETRY_SECONDS = 2.0


def wait_for_accounts(config: dict):
    """The accounts database, waited for at start-up: PostgreSQL may come up after the host (services started
    together). After DATABASE_WAIT_SECONDS the host gives up with a StartupError."""
    deadline = time.monotonic() + DATABASE_WAIT_SECONDS
    while True:
        try:
            return open_accounts(config)
        except DatabaseUnavailable as exc:
            if time.monotonic() >= deadline:
                raise StartupError(f"the database is unavailable ({exc}); gave up after "
                                   f"{DATABASE_WAIT_SECONDS:.0f} s") from None
            log.warning("database unavailable at start-up; trying again", extra={
                "error": str(exc), "retry_in_seconds": DATABASE_RETRY_SECONDS})
            time.sleep(DATABASE_RETRY_SECONDS)


class Host:
    def __init__(self, data_dir: str, listen: str | None = None, start_timeout: float | None = None,
                 log_format: str | None = None) -> None:
        self.config = ConfigStore(data_dir, listen)
        if log_format is not None:  # the command line's server: its log follows LogSettings from now on
            self.logs = HostLogs(self.config.data_dir, log_format)
            self.logs.apply(self.config.config)
            self.config.add_listener(lambda old, new: self.logs.apply(new))
        files.secure_data_dir(self.config.data_dir, self.config.config)
        self._enable_prepackaged()
        self.accounts = wait_for_accounts(self.config.config)
        follow_integration_setting(self.config, self.accounts)
        self.plugins = PluginEnvironment(self.config, start_timeout=start_timeout,
                                         host_api=HostAPIServicer(self.accounts, self.sanitized_config),
                                         on_activate=self._plugin_activated)
        self.gateway = Gateway(self.plugins, manifest.load(PROJECT_DIR).id)
        self.metrics = HostMetrics(self)
        self.gateway.rpc_observer = self.metrics.observe_rpc
        self.metrics_server = MetricsServer(self.metrics)
        self._runners: list[web.AppRunner] = []

    def sanitized_config(self) -> dict:
        """The configuration as plugins and API callers see it: SiteURL filled in, secrets masked (HostAPI GetConfig,
        Mattermost's API.GetConfig)."""
        config = self.config.get()
        config["ServiceSettings"]["SiteURL"] = site_url(config)
        return config_rules.sanitize(config, config_rules.secret_plugin_settings(self.plugins.manifests()))

    async def _plugin_activated(self, process) -> None:
        """The OAuth plugin gets the RevokeUser calls it missed (revocations.py) before it serves anything."""
        if process.manifest.id != self.gateway.plugin_id:
            return
        try:
            await revocations.deliver(self.accounts, process.oauth, self.plugins.hook_timeout())
        except DatabaseUnavailable as exc:  # still owed: the next activation or reactivation delivers them
            log.warning("owed RevokeUser calls not read", extra={"error": str(exc)})

    def _enable_prepackaged(self) -> None:
        """The plugin this server ships with is enabled unless the admin has decided otherwise (or installs plugins
        only as bundles: AutomaticPrepackagedPlugins off; a bundle starts disabled)."""
        config = self.config.get()
        if not config["PluginSettings"].get("AutomaticPrepackagedPlugins", True):
            return
        states = config["PluginSettings"]["PluginStates"]
        plugin_id = manifest.load(PROJECT_DIR).id
        if plugin_id not in states:
            states[plugin_id] = {"Enable": True}
            self.config.save(config)

    async def start(self) -> None:
        listen = self.config.config["ServiceSettings"]["ListenAddress"]
        host, _, port = listen.rpartition(":")
        runner = web.AppRunner(create_app(self), access_log=None)
        await runner.setup()
        await web.TCPSite(runner, host or "127.0.0.1", int(port)).start()
        self._runners.append(runner)
        await self._start_local_mode()
        await self.metrics_server.apply(self.config.config)
        self.config.add_listener(lambda old, new: asyncio.ensure_future(self.metrics_server.apply(new))
                                 if old.get("MetricsSettings") != new.get("MetricsSettings") else None)
        await self.plugins.start()
        log.info("server started", extra={"listen": listen, "site_url": site_url(self.config.config)})

    async def _start_local_mode(self) -> None:
        """mmctl's local mode: the API without authentication on a unix socket only our user can open."""
        service = self.config.config["ServiceSettings"]
        if not service.get("EnableLocalMode", True):
            return
        path = service["LocalModeSocketLocation"]
        files.private_dir(os.path.dirname(os.path.abspath(path)))
        if os.path.exists(path):
            os.unlink(path)
        runner = web.AppRunner(create_app(self, local_mode=True), access_log=None)
        await runner.setup()
        old_umask = os.umask(0o177)
        try:
            await web.UnixSite(runner, path).start()
        finally:
            os.umask(old_umask)
        self._runners.append(runner)

    async def stop(self) -> None:
        await self.metrics_server.stop()
        await self.plugins.stop()
        for runner in self._runners:
            await runner.cleanup()


def welcome(host: Host) -> str:
    """What to do next, printed once the server is up."""
    url = site_url(host.config.config)
    states = ", ".join(f"{s['plugin_id']} state {s['state']}" + (f" ({s['error']})" if s["error"] else "")
                       for s in host.plugins.statuses()) or "no plugins"
    first = "create the first account (it becomes the System Admin), then" if host.accounts.count_users() == 0 \
        else "log in, then"
    return (f"Mattermost host stand-in listening on {url} (data in {host.config.data_dir}); plugins: {states}.\n"
            f"Next: open {url}/ and {first} register an app under Integrations > OAuth 2.0 Applications.\n"
            f"Metadata: {url}/.well-known/oauth-authorization-server. Ctrl-C stops the server.")


async def serve(data_dir: str, listen: str | None, log_format: str = "") -> None:
    host = Host(data_dir, listen, log_format=log_format)
    await host.start()
    gc.freeze()  # the application, its routes and templates live as long as the process (see run_event_loop)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(welcome(host), flush=True)
    await stop.wait()
    log.info("shutting down")
    await host.stop()
