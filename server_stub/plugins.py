"""The plugin environment: which plugins exist, which are enabled, and keeping the running set in line with
the configuration (Mattermost's syncPluginsActiveState), plus the periodic health job."""
from __future__ import annotations

import asyncio
import copy
import json
import logging
import os

from . import manifest as manifests
from . import plugin_bundles, plugin_signatures
from .config import ConfigStore, site_url
from .config_rules import ConfigError
from .supervisor import HOOK_TIMEOUT_SECONDS, PluginState, PluginSupervisor

log = logging.getLogger("server_stub.plugins")

SERVER_VERSION = "11.6.0"
# settle() waits this much longer than the hook timeout, so that a hook that does not answer times out (and is
# logged) before the wait ends.
SETTLE_MARGIN_SECONDS = 0.25
# This project is itself a plugin bundle: the host installs it like a prepackaged plugin.
PROJECT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class PluginEnvironment:
    def __init__(self, config: ConfigStore, prepackaged: tuple[str, ...] = (PROJECT_DIR,),
                 start_timeout: float | None = None, host_api=None, on_activate=None) -> None:
        self.config = config
        self.host_api = host_api  # host_api.HostAPIServicer: what plugins may ask the host
        self.on_activate = on_activate  # async (process): run after a plugin's OnActivate, before it serves
        self.prepackaged = prepackaged
        self.start_timeout = start_timeout
        self.supervisors: dict[str, PluginSupervisor] = {}
        self.load_errors: dict[str, str] = {}
        self._sync_lock = asyncio.Lock()
        self._install_lock = asyncio.Lock()  # one install or removal at a time
        self._tasks: list[asyncio.Task] = []
        self._pending_syncs: set[asyncio.Task] = set()  # configuration changes not yet delivered to every plugin
        self._stopped = False

    @property
    def plugins_dir(self) -> str:
        return self.config.config["PluginSettings"]["Directory"]

    async def start(self) -> None:
        self.install_prepackaged()
        self.config.add_listener(lambda old, new: self._schedule_sync())
        await self.sync()
        self._tasks.append(asyncio.create_task(self._health_job()))
        self._tasks.append(asyncio.create_task(self._watch_config_file()))

    async def stop(self) -> None:
        """Server shutdown: deactivate every plugin in parallel."""
        self._stopped = True
        for task in self._tasks + list(self._pending_syncs):
            task.cancel()
        await asyncio.gather(*(s.deactivate() for s in self.supervisors.values()), return_exceptions=True)

    def _schedule_sync(self) -> None:
        """A configuration change was saved: deliver it (a listener of the config store, which cannot wait)."""
        if self._stopped:
            return
        task = asyncio.create_task(self.sync(config_changed=True))
        self._pending_syncs.add(task)
        task.add_done_callback(self._pending_syncs.discard)

    async def settle(self) -> None:
        """Wait until the configuration changes saved so far are in force in every running plugin: each has
        answered OnConfigurationChange, or the host gave up on it (PluginSettings.HookTimeoutSeconds, logged). The
        wait ends after the hook timeout (plus a little, so that a hook's own deadline comes first) whatever is
        still going on, e.g. a plugin that a change enabled and that is still starting."""
        pending = set(self._pending_syncs)
        if not pending:
            return
        _, late = await asyncio.wait(pending, timeout=self.hook_timeout() + SETTLE_MARGIN_SECONDS)
        if late:
            log.warning("configuration change not yet in force in every plugin; answering anyway",
                        extra={"waited_seconds": self.hook_timeout() + SETTLE_MARGIN_SECONDS})

    def install_prepackaged(self) -> None:
        """Link each prepackaged bundle into the plugin directory, like AutomaticPrepackagedPlugins."""
        settings = self.config.config["PluginSettings"]
        if not settings.get("AutomaticPrepackagedPlugins", True):
            return
        os.makedirs(self.plugins_dir, exist_ok=True)
        for bundle in self.prepackaged:
            try:
                manifest = manifests.load(bundle)
            except manifests.ManifestError as exc:
                log.error("invalid prepackaged plugin", extra={"path": bundle, "error": str(exc)})
                continue
            target = os.path.join(self.plugins_dir, manifest.id)
            if not os.path.lexists(target):
                os.symlink(bundle, target)
                log.info("installed prepackaged plugin", extra={"plugin_id": manifest.id})

    def _rescan(self) -> None:
        found, self.load_errors = manifests.scan(self.plugins_dir)
        for directory, error in self.load_errors.items():
            log.error("invalid plugin manifest", extra={"directory": directory, "error": error})
        for plugin_id, manifest in found.items():
            if plugin_id not in self.supervisors:
                self.supervisors[plugin_id] = PluginSupervisor(
                    manifest, lambda pid=plugin_id: self.configuration_for(pid), **self._supervisor_options())
            else:
                self.supervisors[plugin_id].manifest = manifest

    def _supervisor_options(self) -> dict:
        options = {"hook_timeout": self.hook_timeout, "host_api": self.host_api, "on_activate": self.on_activate}
        if self.start_timeout:
            options["start_timeout"] = self.start_timeout
        return options

    def hook_timeout(self) -> float:
        """PluginSettings.HookTimeoutSeconds: how long the host waits for a hook or an RPC before giving up."""
        value = self.config.config["PluginSettings"].get("HookTimeoutSeconds", HOOK_TIMEOUT_SECONDS)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            return HOOK_TIMEOUT_SECONDS
        return float(value)

    def is_enabled(self, plugin_id: str) -> bool:
        settings = self.config.config["PluginSettings"]
        state = (settings.get("PluginStates") or {}).get(plugin_id) or {}
        return bool(settings.get("Enable", True)) and bool(state.get("Enable", False))

    async def sync(self, config_changed: bool = False) -> None:
        async with self._sync_lock:
            self._rescan()
            deliveries = []
            for plugin_id, supervisor in self.supervisors.items():
                active = supervisor.state in (PluginState.RUNNING, PluginState.STARTING)
                if self.is_enabled(plugin_id):
                    if active:
                        if config_changed:
                            deliveries.append(supervisor.configuration_changed())
                    elif supervisor.state != PluginState.FAILED_TO_STAY_RUNNING or config_changed:
                        await self._activate(supervisor)
                elif supervisor.process is not None or active:
                    await supervisor.deactivate()
            # Every running plugin at once: one that does not answer costs the hook timeout, not one per plugin.
            await asyncio.gather(*deliveries)

    async def _activate(self, supervisor: PluginSupervisor) -> None:
        try:
            manifests.check_min_server_version(supervisor.manifest, SERVER_VERSION)
        except (manifests.ManifestError, ValueError) as exc:
            supervisor._set_state(PluginState.FAILED_TO_START, str(exc))
            return
        supervisor.failures.clear()
        await supervisor.activate()

    async def configuration_will_be_saved(self, new: dict) -> None:
        """Ask every running plugin about a configuration before it is saved (ConfigurationWillBeSaved), all at once;
        the first refusal is raised as a ConfigError carrying the plugin's AppError, and nothing should be saved."""
        asked = [(plugin_id, supervisor.configuration_will_be_saved(*self.configuration_for(plugin_id, new)))
                 for plugin_id, supervisor in self.supervisors.items()]
        answers = await asyncio.gather(*(call for _, call in asked))
        for (plugin_id, _), error in zip(asked, answers):
            if error is not None:
                log.warning("a plugin refused a configuration change",
                            extra={"plugin_id": plugin_id, "error": error.message})
                raise ConfigError(error.status_code or 400, error.id or "app.plugin.config_refused.app_error",
                                  error.message or f"The plugin {plugin_id} refused the configuration.")

    def configuration_for(self, plugin_id: str, config: dict | None = None) -> tuple[bytes, bytes]:
        """What the plugin gets as its configuration: the host's (`config`, else the one in force) and its own."""
        config = copy.deepcopy(config) if config is not None else self.config.get()
        # An empty SiteURL means the listen address, here as in the host's own links.
        config["ServiceSettings"]["SiteURL"] = site_url(config)
        overrides = (config["PluginSettings"].get("Plugins") or {}).get(plugin_id) or {}
        plugin_config = self.supervisors[plugin_id].manifest.plugin_config(overrides)
        return json.dumps(config).encode(), json.dumps(plugin_config).encode()

    async def set_enabled(self, plugin_id: str, enabled: bool) -> None:
        if plugin_id not in self.supervisors:
            raise KeyError(plugin_id)
        config = self.config.get()
        config["PluginSettings"].setdefault("PluginStates", {})[plugin_id] = {"Enable": enabled}
        self.config.save(config)  # the listener syncs
        await self.sync()

    async def install(self, bundle, force: bool = False, signature: bytes | None = None) -> manifests.Manifest:
        """Install a plugin bundle (a binary file object of a .tar.gz): plugin_bundles.py says the rules; with
        PluginSettings.RequirePluginSignature, `signature` must be its good detached signature by a configured key
        (plugin_signatures.py). Raises plugin_bundles.BundleError. A new plugin is disabled; a replaced one is
        restarted if it was enabled."""
        settings = self.config.config["PluginSettings"]
        if settings.get("RequirePluginSignature", False):
            await asyncio.to_thread(plugin_signatures.verify, bundle, signature,
                                    list(settings.get("SignaturePublicKeyFiles") or []))
        async with self._install_lock:
            staged = await asyncio.to_thread(plugin_bundles.Staged, self.plugins_dir, bundle)
            try:
                async with self._sync_lock:  # no sync may start the old copy while it is replaced
                    manifest = staged.manifest
                    existing = await self._make_room(manifest.id, force)
                    staged.move_to(os.path.join(os.path.abspath(self.plugins_dir), manifest.id))
            finally:
                staged.close()
        log.info("installed plugin", extra={"plugin_id": manifest.id, "version": manifest.version,
                                            "replaced": existing is not None})
        await self.sync()  # enabled (an upgrade of an enabled plugin): launched from the new copy
        return self.supervisors[manifest.id].manifest if manifest.id in self.supervisors else manifest

    async def _make_room(self, plugin_id: str, force: bool):
        """Before installing `plugin_id`: refuse (no `force`), or stop and remove the installed copy. Answers the
        replaced plugin's supervisor, if any."""
        plugins_dir = os.path.abspath(self.plugins_dir)
        target = os.path.join(plugins_dir, plugin_id)
        existing = self.supervisors.get(plugin_id)
        if existing is None and not os.path.lexists(target):
            return None
        if not force:
            raise plugin_bundles.BundleError(400, "app.plugin.install_id.app_error",
                                             "Unable to install plugin. A plugin with the same ID is already installed.")
        replaced = {target}
        if existing is not None:
            await existing.deactivate()
            replaced.add(existing.manifest.directory)  # installed by hand under another name, maybe
        try:
            for path in replaced:
                if os.path.dirname(path) == plugins_dir:  # never anything outside the plugin directory
                    await asyncio.to_thread(plugin_bundles.remove_installed, path)
        except OSError as exc:
            raise plugin_bundles.BundleError(
                400, "app.plugin.install_id_failed_remove.app_error",
                "Unable to install plugin. A plugin with the same ID is already installed and failed to be removed.",
                str(exc)) from None
        return existing

    async def remove(self, plugin_id: str) -> None:
        """RemovePlugin: disable (so that a reinstall stays disabled), stop, delete the installed copy. KeyError when
        no such plugin is installed. Its data stays."""
        async with self._install_lock:
            supervisor = self.supervisors.get(plugin_id)
            if supervisor is None:
                raise KeyError(plugin_id)
            await self.set_enabled(plugin_id, False)
            async with self._sync_lock:
                await supervisor.deactivate()
                installed = supervisor.manifest.directory
                if os.path.dirname(installed) == os.path.abspath(self.plugins_dir):  # never anything outside it
                    await asyncio.to_thread(plugin_bundles.remove_installed, installed)
                self.supervisors.pop(plugin_id, None)
        log.info("removed plugin", extra={"plugin_id": plugin_id})

    def statuses(self) -> list[dict]:
        return [s.status() for s in self.supervisors.values()]

    def manifests(self) -> list[manifests.Manifest]:
        return [s.manifest for s in self.supervisors.values()]

    async def _health_job(self) -> None:
        while True:
            settings = self.config.config["PluginSettings"]
            await asyncio.sleep(max(0.1, float(settings.get("HealthCheckIntervalSeconds", 30))))
            if settings.get("EnableHealthCheck", True):
                await asyncio.gather(*(s.health_check() for s in list(self.supervisors.values())),
                                     return_exceptions=True)

    async def _watch_config_file(self) -> None:
        while True:
            await asyncio.sleep(0.5)
            self.config.reload_if_changed()
