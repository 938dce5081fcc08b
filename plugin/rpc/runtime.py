"""The plugin's state between hooks: configuration in force, the open store, the OAuth provider, the host's API."""
from __future__ import annotations

import json
import logging
import threading
import time

from . import logs

log = logging.getLogger("plugin.runtime")


class NotActive(Exception):
    """An OAuth call arrived before OnActivate or after OnDeactivate."""


class AwaitingDatabase(Exception):
    """An OAuth call arrived after OnActivate but before the database could first be reached."""


DATABASE_RETRY_SECONDS = 1.0


class PluginRuntime:
    def __init__(self) -> None:
        self.server_config: dict = {}
        self.plugin_config: dict = {}
        self.store = None
        self.database = None  # database.Database of the store (None until activated)
        self.provider = None
        self.host = None  # the HostAPI client of this activation (host_client.py), None when the host offers none
        self._tls: tuple[bytes, bytes, bytes] | None = None  # (host certificate, our key, our certificate)
        # True while this process is the only writer of its database (a SQLite file it holds: node_claim.py);
        # the host may then keep validated tokens in memory.
        self.cacheable = False
        self._claim = None
        self._lock = threading.Lock()
        self._stop_background = threading.Event()  # ends the current activation's cleanup loop or database wait
        self._wake_cleanup = threading.Event()  # a configuration change: the cleanup loop rereads its interval

    @property
    def active(self) -> bool:
        """Serving OAuth calls (activated, and its database reached)."""
        return self.provider is not None

    def use_tls(self, host_cert_pem: bytes, own) -> None:
        """AutoMTLS (goplugin.serve): the certificates that authenticate both ends of the HostAPI connection."""
        self._tls = (host_cert_pem, own.key_pem, own.cert_pem)

    def activate(self, server_config_json: bytes, plugin_config_json: bytes, host_api=None) -> None:
        server_config, plugin_config = _parse(server_config_json), _parse(plugin_config_json)
        logs.follow_host(server_config)
        host = self._connect_host(host_api)  # no connection yet: gRPC connects at the first call
        with self._lock:
            from plugin.store.contract import StoreUnavailable
            from plugin.store.sqlite import SqliteStore

            from .database import DatabaseMemory, database_of
            from .node_claim import claim_sqlite

            database = database_of(server_config, plugin_config)
            memory = DatabaseMemory.of(server_config)
            store = database.open()
            if self._claim is not None:  # activated again without a deactivation: the new claim replaces it
                self._claim.release()
                self._claim, self.cacheable = None, False
            claim = claim_sqlite(store.path) if isinstance(store, SqliteStore) else None
            unreachable = ""
            try:
                version = _migrate_at_activation(store, database, memory)
            except StoreUnavailable as exc:
                if claim is not None:
                    claim.release()
                    raise
                # PostgreSQL not up yet (services started together): activate, answer 503 meanwhile, keep trying.
                version, unreachable = None, str(exc)
            except BaseException:
                if claim is not None:
                    claim.release()
                store.close()
                raise
            previous = (self.provider, self.store, self.host)  # activated again without a deactivation: closed below
            self.store, self.provider, self.host, self.database = store, None, host, database
            self.server_config, self.plugin_config = server_config, plugin_config
            self._stop_background.set()  # the previous activation's cleanup or database wait, if any
            self._stop_background = threading.Event()
            if version is not None:
                self._serve(store, claim)
            else:
                threading.Thread(target=self._await_database, args=(store, database, memory, self._stop_background),
                                 name="await-database", daemon=True).start()
        self._wake_cleanup.set()
        for replaced in previous:
            if replaced is not None:
                replaced.close()
        if unreachable:
            log.warning("activated; the database cannot be reached yet, OAuth calls answer 503 until it can",
                        extra={"error": unreachable, **_summary(server_config)})
        else:
            log.info("activated", extra={"schema_version": version, **_summary(server_config)})

    def _serve(self, store, claim) -> None:
        """With the lock held: put the migrated store into service."""
        from plugin.clock import SystemClock
        from plugin.oauth.provider import OAuthProvider
        from plugin.oauth.settings import Settings

        self._claim, self.cacheable = claim, claim is not None
        if claim is not None:
            store.keep_apps_in_memory()
        from . import metrics
        from .local_secret import LocalSecret, secret_path

        self.provider = OAuthProvider(store, SystemClock(),
                                      Settings.from_config(self.server_config, self.plugin_config), host=self.host,
                                      local_secret=LocalSecret(secret_path(self.server_config)))
        try:  # the signing keys exist from the first activation on, published before the first ID token
            self.provider.ensure_signing_keys()
        except Exception as exc:  # generated at the first use instead
            log.warning("signing keys not generated at activation", extra={"error": str(exc)})
        metrics.instrument(self.provider)
        threading.Thread(target=self._cleanup_loop, args=(self._stop_background,), name="cleanup",
                         daemon=True).start()

    def _await_database(self, store, database, memory, stop: threading.Event) -> None:
        """Migrate as soon as the database can be reached, then serve."""
        from plugin.store.contract import StoreUnavailable

        from .database import DatabaseRefused

        refused = ""
        while not stop.wait(DATABASE_RETRY_SECONDS):
            try:
                version = _migrate_at_activation(store, database, memory)
            except StoreUnavailable:
                continue
            except DatabaseRefused as exc:  # said once; served once the data is back (or the memory removed)
                if str(exc) != refused:
                    refused = str(exc)
                    log.error("database refused", extra={"error": refused})
                continue
            except Exception as exc:  # reachable but failing: said once per try, tried again
                log.error("migration failed", extra={"error": str(exc)})
                continue
            with self._lock:
                if stop.is_set() or self.store is not store:
                    return  # deactivated or activated again meanwhile
                self._serve(store, None)
            log.info("the database can be reached: serving", extra={"schema_version": version})
            return

    def configuration_will_be_saved(self, server_config_json: bytes, plugin_config_json: bytes) -> None:
        """ConfigurationWillBeSaved: DatabaseRefused when the change names a database the plugin may not move to
        (plugin/rpc/database.py); the host then saves nothing."""
        from .database import check_change, database_for_change

        current = self.database
        if self.store is None or current is None:
            return
        new = database_for_change(_parse(server_config_json), _parse(plugin_config_json), current)
        if new != current:
            check_change(current, new)

    def configure(self, server_config_json: bytes, plugin_config_json: bytes) -> None:
        """OnConfigurationChange. A change of database moves the plugin to it at once, or is refused
        (DatabaseRefused, raised once every other setting has been applied); the plugin keeps its database then."""
        from .database import DatabaseRefused, database_for_change

        server_config, plugin_config = _parse(server_config_json), _parse(plugin_config_json)
        logs.follow_host(server_config)
        refused = None
        if self.store is not None and self.database is not None:
            try:
                new = database_for_change(server_config, plugin_config, self.database)
                if new != self.database:
                    self._move_to(new, server_config, plugin_config)
            except DatabaseRefused as exc:
                refused = exc
        with self._lock:
            from plugin.oauth.settings import Settings

            self.server_config, self.plugin_config = server_config, plugin_config
            if self.provider is not None:
                self.provider.configure(Settings.from_config(server_config, plugin_config))
        self._wake_cleanup.set()
        log.info("configuration changed", extra=_summary(server_config))
        if refused is not None:
            raise refused

    def _move_to(self, new, server_config: dict, plugin_config: dict) -> None:
        """Serve from another database from now on (it holds the provider's schema: database.move_to)."""
        from .database import DatabaseMemory, move_to

        old = self.database
        store, claim, version = move_to(old, new)
        with self._lock:
            previous = (self.provider, self.store, self._claim)
            self.store, self.database, self.provider = store, new, None
            self._claim, self.cacheable = None, False
            self.server_config, self.plugin_config = server_config, plugin_config
            self._stop_background.set()  # the old store's cleanup loop or database wait
            self._stop_background = threading.Event()
            self._serve(store, claim)
        for replaced in previous[:2]:
            if replaced is not None:
                replaced.close()
        if previous[2] is not None:
            previous[2].release()
        memory = DatabaseMemory.of(server_config)
        if memory is not None:
            memory.remember(new, version)
        log.warning("moved to another database", extra={"from": old.describe(), "to": new.describe(),
                                                        "schema_version": version})

    def deactivate(self) -> None:
        with self._lock:
            store, provider, self.store, self.provider = self.store, self.provider, None, None
            self.database = None
            claim, self._claim, self.cacheable = self._claim, None, False
            host, self.host = self.host, None
        self._stop_background.set()
        self._wake_cleanup.set()
        if provider is not None:
            provider.close()
        if store is not None:
            store.close()
        if host is not None:
            host.close()
        if claim is not None:
            claim.release()
        log.info("deactivated")

    def _cleanup_loop(self, stop: threading.Event) -> None:
        """Remove expired codes, tokens and audit rows every `CleanupIntervalSeconds`, off the request path. A
        changed interval applies at once (counted from the last run), not after the wait in progress."""
        last_run = time.monotonic()
        while not stop.is_set():
            provider = self.provider
            interval = provider.settings.cleanup_interval_seconds if provider is not None else 60
            remaining = last_run + interval - time.monotonic()
            if remaining > 0:
                self._wake_cleanup.wait(remaining)
                self._wake_cleanup.clear()
                continue
            last_run = time.monotonic()
            if provider is None:
                continue
            from . import metrics

            try:
                removed = provider.purge_expired()
                if removed:
                    log.info("expired rows removed", extra={"rows": removed})
            except Exception as exc:  # the next round tries again
                log.warning("cleanup failed", extra={"error": str(exc)})
                removed = None
            metrics.cleanup_ran(removed)

    def _connect_host(self, endpoint):
        """The HostAPI client for the endpoint OnActivate named, or None when it named none."""
        if endpoint is None or not endpoint.network:
            return None
        from .host_client import HostClient, open_channel

        return HostClient(open_channel(endpoint, self._tls))

    def forget_user(self, user_id: str) -> None:
        """The host revoked the user (RevokeUser): what the HostAPI client kept of them goes."""
        host = self.host
        if host is not None:
            host.forget_user(user_id)

    def require_provider(self):
        provider = self.provider
        if provider is None:
            raise AwaitingDatabase() if self.store is not None else NotActive()
        return provider


def open_store(server_config: dict, plugin_config: dict):
    """The plugin's database, from its settings DriverName and DataSource (Mattermost's SqlSettings naming):
    `sqlite` (the default) with a file, else a SQLite file under the host's data directory
    (FileSettings.Directory/plugins/<id>/oauth.db); or `postgres` with a DSN, shared by several nodes."""
    from .database import database_of

    return database_of(server_config, plugin_config).open()


def _migrate_at_activation(store, database, memory) -> int:
    """Migrate the store to the current schema, unless it is a database the plugin may not start on (a fresh one on
    a node that served from another: database.refuse_fresh_at_activation); remember it as this node's."""
    from .database import refuse_fresh_at_activation

    refuse_fresh_at_activation(store, database, memory)
    version = store.migrate()
    if memory is not None:
        memory.remember(database, version)
    return version


def _parse(raw: bytes) -> dict:
    if not raw:
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError("configuration must be a JSON object")
    return value


def _summary(server_config: dict) -> dict:
    service = server_config.get("ServiceSettings") or {}
    return {
        "site_url": service.get("SiteURL", ""),
        "oauth_enabled": bool(service.get("EnableOAuthServiceProvider", True)),
    }
