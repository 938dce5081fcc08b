"""The host's configuration: `config.json` in its data directory, with Mattermost's keys where they exist.

Created with defaults on first start. Like Mattermost's file store, it is watched: a save through the API
or an edit by the command line reaches the listeners (plugins get OnConfigurationChange).
"""
from __future__ import annotations

import copy
import json
import logging
import os
import tempfile
from typing import Callable

from . import files

log = logging.getLogger("server_stub.config")

Listener = Callable[[dict, dict], None]


def default_config(data_dir: str, listen: str = "127.0.0.1:8065") -> dict:
    return {
        "ServiceSettings": {
            "SiteURL": "",
            "ListenAddress": listen,
            "EnableOAuthServiceProvider": True,
            "EnableDynamicClientRegistration": False,
            "DCRRedirectURIAllowlist": [],
            "SessionLengthSSOInHours": 720,
            "SessionLengthWebInHours": 720,
            "MaximumLoginAttempts": 10,
            "EnableDeveloper": False,
            "ExperimentalStrictCSRFEnforcement": False,
            # System Console "Restrict managing integrations to Admins": on, system_user lacks manage_oauth.
            "EnableOnlyAdminIntegrations": True,
            "MaximumPayloadSizeBytes": 300000,
            # Headers a reverse proxy in front of the host writes the client's address in, checked in order
            # (web/client_address.py); empty: the TCP peer's address, whatever the headers say.
            "TrustedProxyIPHeader": [],
            # Whether the channel page shows props.override_username / override_icon_url of posts made by an
            # OAuth app (web/post_display.py); Mattermost's System Console labels them "Enable integrations to
            # override usernames / profile picture icons".
            "EnablePostUsernameOverride": False,
            "EnablePostIconOverride": False,
            "EnableLocalMode": True,
            "LocalModeSocketLocation": os.path.join(data_dir, "local.socket"),
        },
        "TeamSettings": {"EnableOpenServer": False, "EnableUserDeactivation": False},
        "PasswordSettings": {"MinimumLength": 8, "Lowercase": False, "Number": False, "Uppercase": False,
                             "Symbol": False},
        "SqlSettings": {"DriverName": "sqlite", "DataSource": os.path.join(data_dir, "host.db")},
        # MaxFileSize: the largest upload, a plugin bundle among them (Mattermost's default, 100 MiB).
        "FileSettings": {"Directory": os.path.join(data_dir, "files"), "MaxFileSize": 104857600},
        # Mattermost's LogSettings (logs.py); FileMaxSizeMB and FileMaxBackups are this host's (rotation).
        "LogSettings": {"EnableConsole": True, "ConsoleLevel": "INFO", "ConsoleJson": True, "EnableColor": False,
                        "EnableFile": False, "FileLevel": "INFO", "FileJson": True, "FileLocation": "",
                        "FileMaxSizeMB": 100, "FileMaxBackups": 10},
        # /metrics in Prometheus' format on a listener of its own (metrics.py); off by default, as in Mattermost.
        "MetricsSettings": {"Enable": False, "ListenAddress": ":8067"},
        "PluginSettings": {
            "Enable": True,
            "EnableHealthCheck": True,
            # Not a Mattermost key: Mattermost's health job runs every 30 s, fixed.
            "HealthCheckIntervalSeconds": 30,
            # Not a Mattermost key: how long the host waits for a plugin's hook or RPC before giving up (503 for
            # an HTTP request). Mattermost's experimental gRPC supervisor waits 30 s for hooks, fixed.
            "HookTimeoutSeconds": 10,
            "Directory": os.path.join(data_dir, "plugins"),
            "AutomaticPrepackagedPlugins": True,
            # Mattermost's: plugin bundles may be uploaded (POST /api/v4/plugins, `plugin add`). Off by default, and
            # like the directories, changed only in config.json or with the command line.
            "EnableUploads": False,
            # Mattermost's: uploads must carry a detached OpenPGP signature by one of SignaturePublicKeyFiles (paths of
            # public key files on the server). Like EnableUploads, changed only in config.json or the command line.
            "RequirePluginSignature": False,
            "SignaturePublicKeyFiles": [],
            "Plugins": {},
            "PluginStates": {},
        },
    }


def merge_defaults(config: dict, defaults: dict) -> dict:
    """Fill keys missing from `config` with `defaults`, recursively (a config from an older version)."""
    merged = copy.deepcopy(defaults)
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_defaults(value, merged[key])
        else:
            merged[key] = value
    return merged


# ServiceSettings keys earlier versions of the host wrote under other names: read under Mattermost's.
RENAMED_SERVICE_SETTINGS = {"EnableIntegrationsToOverrideUsernames": "EnablePostUsernameOverride",
                            "EnableIntegrationsToOverrideProfilePictureIcons": "EnablePostIconOverride"}


def rename_legacy_keys(config: dict) -> dict:
    service = config.get("ServiceSettings")
    if isinstance(service, dict):
        for old, new in RENAMED_SERVICE_SETTINGS.items():
            if old in service:
                value = service.pop(old)
                service.setdefault(new, value)
    return config


def site_url(config: dict) -> str:
    service = config["ServiceSettings"]
    return (service.get("SiteURL") or f"http://{service['ListenAddress']}").rstrip("/")


class ConfigStore:
    def __init__(self, data_dir: str, listen: str | None = None) -> None:
        self.data_dir = os.path.abspath(data_dir)
        self.path = os.path.join(self.data_dir, "config.json")
        self._listeners: list[Listener] = []
        defaults = default_config(self.data_dir, listen or "127.0.0.1:8065")
        files.private_dir(self.data_dir)
        stored = self._read() if os.path.exists(self.path) else None
        self.config = merge_defaults(rename_legacy_keys(copy.deepcopy(stored or {})), defaults)
        if listen:
            self.config["ServiceSettings"]["ListenAddress"] = listen
        if self.config != stored:  # new, upgraded or overridden: otherwise leave the file (and watchers) alone
            self._write(self.config)
        self._mtime = os.stat(self.path).st_mtime_ns

    def get(self) -> dict:
        return copy.deepcopy(self.config)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def save(self, new: dict) -> None:
        old, self.config = self.config, copy.deepcopy(new)
        self._write(self.config)
        self._mtime = os.stat(self.path).st_mtime_ns
        self._notify(old)

    def reload_if_changed(self) -> bool:
        """Pick up an edit made by another process (the command line)."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return False
        if mtime == self._mtime:
            return False
        self._mtime = mtime
        try:
            new = self._read()
        except (OSError, ValueError) as exc:
            log.error("config.json changed but cannot be read; keeping the configuration in force", exc_info=exc)
            return False
        old, self.config = self.config, merge_defaults(rename_legacy_keys(new), self.config)
        self._notify(old)
        return True

    def _notify(self, old: dict) -> None:
        for listener in self._listeners:
            try:
                listener(old, self.get())
            except Exception:
                log.exception("configuration listener failed")

    def _read(self) -> dict:
        with open(self.path, encoding="utf-8") as f:
            value = json.load(f)
        if not isinstance(value, dict):
            raise ValueError("config.json must hold a JSON object")
        return value

    def _write(self, config: dict) -> None:
        # Write-then-rename: a reader never sees half a file, a crash never leaves one. mkstemp creates it 0600.
        fd, tmp = tempfile.mkstemp(dir=self.data_dir, prefix=".config-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(config, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


def edit_config_file(data_dir: str, change: Callable[[dict], None]) -> dict:
    """Change config.json from another process (the command line); a running host picks it up."""
    store = ConfigStore(data_dir)
    config = store.get()
    change(config)
    store._write(config)
    return config
