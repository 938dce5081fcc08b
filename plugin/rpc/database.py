"""Which database the plugin serves from, and never an empty one by surprise.

The plugin's settings `DriverName` and `DataSource` (Mattermost's SqlSettings naming) choose the database. A
change of them is dangerous both ways: pointed at a new, empty database the provider would seem to have lost every
app, consent and token; pointed at a database someone else controls, it would serve (and accept) their data. The
host therefore takes these settings only from config.json or its local-mode command line (server_stub/config_rules.py),
and the plugin, when they change:

- moves to the new database at once if it already holds the provider's schema (another node's PostgreSQL, a copy),
  migrating it to the current version; the old one is closed;
- refuses otherwise, with a message saying why, and keeps serving from the database it has: before the change is
  saved when the host asks (ConfigurationWillBeSaved), in OnConfigurationChange when the change comes from an edit of
  config.json;
- and at activation refuses a database without the schema on a node that has served the provider before
  (`DatabaseMemory`: a small file in the plugin's data directory, FileSettings.Directory/plugins/<id>/database.json,
  saying which database that was). That covers config.json edited while the server was down, and a database that
  vanished (a volume not mounted, a PostgreSQL database recreated). To start afresh on purpose, remove that file.

What "holds the provider's schema" means is the store's `schema_version()`, read without creating anything.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time

PLUGIN_ID = "oauth-provider"
MEMORY_FILE = "database.json"


class DatabaseRefused(Exception):
    """The configured database is not one the plugin may serve from; the message says why and what to do."""


@dataclasses.dataclass(frozen=True)
class Database:
    driver: str  # "sqlite" or "postgres"
    source: str  # a file path, or a DSN (holding a password: never logged or shown, see describe)

    def describe(self) -> str:
        """The database named for logs and messages, without its password."""
        if self.driver == "sqlite":
            return f"the SQLite file {self.source}"
        try:
            from psycopg.conninfo import conninfo_to_dict

            parts = conninfo_to_dict(self.source)
        except Exception:  # a malformed DSN: name nothing of it
            return "a PostgreSQL database"
        where = f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"
        return f"the PostgreSQL database {parts['user']}@{where}" if parts.get("user") else \
            f"the PostgreSQL database {where}"

    def open(self):
        """The store on this database (nothing is opened or created until it is used)."""
        if self.driver == "postgres":
            from plugin.store.postgres import PostgresStore

            return PostgresStore(self.source)
        from plugin.store.sqlite import SqliteStore

        return SqliteStore(self.source)


def database_of(server_config: dict, plugin_config: dict) -> Database:
    """The database the settings choose: `sqlite` (the default) with a file, else a SQLite file under the host's
    data directory (FileSettings.Directory/plugins/<id>/oauth.db); or `postgres` with a DSN. ValueError when the
    settings name no database the plugin can open."""
    from plugin.oauth.settings.table import DATA_SOURCE, DRIVER_NAME

    driver = (plugin_config.get(DRIVER_NAME.config_key) or DRIVER_NAME.default).lower()
    source = plugin_config.get(DATA_SOURCE.config_key) or ""
    if driver in ("postgres", "postgresql"):
        if not source:
            raise ValueError("DriverName postgres needs a DataSource (a PostgreSQL connection string)")
        return Database("postgres", source)
    if driver != "sqlite":
        raise ValueError(f"unsupported database driver {driver!r}")
    if not source:
        files = (server_config.get("FileSettings") or {}).get("Directory") or "./data"
        source = os.path.join(files, "plugins", PLUGIN_ID, "oauth.db")
    return Database("sqlite", os.path.abspath(source))


def database_for_change(server_config: dict, plugin_config: dict, current: Database) -> Database:
    """database_of for a configuration change while the plugin serves from `current`: DatabaseRefused (saying that
    it keeps `current`) when the settings name no database."""
    try:
        return database_of(server_config, plugin_config)
    except ValueError as exc:
        raise DatabaseRefused(f"The plugin's database cannot change: {exc}. The OAuth provider keeps serving from "
                              f"{current.describe()}.") from None


class DatabaseMemory:
    """Which database this node last served the provider from: FileSettings.Directory/plugins/<id>/database.json."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def of(cls, server_config: dict) -> DatabaseMemory | None:
        """None when the host names no data directory (nothing to remember in)."""
        files = (server_config.get("FileSettings") or {}).get("Directory")
        return cls(os.path.join(os.path.abspath(files), "plugins", PLUGIN_ID, MEMORY_FILE)) if files else None

    def served_before(self) -> str | None:
        """The database this node served from (described), or None when it never served."""
        try:
            with open(self.path, encoding="utf-8") as f:
                return str(json.load(f).get("database") or "another database")
        except FileNotFoundError:
            return None
        except (OSError, ValueError, AttributeError):
            return "another database"  # unreadable: it did serve

    def remember(self, database: Database, schema_version: int) -> None:
        directory = os.path.dirname(self.path)
        os.makedirs(directory, mode=0o700, exist_ok=True)
        tmp = f"{self.path}.{os.getpid()}.tmp"
        with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as f:
            json.dump({"database": database.describe(), "schema_version": schema_version,
                       "remembered_at": int(time.time() * 1000)}, f)
        os.replace(tmp, self.path)


def refuse_fresh_at_activation(store, database: Database, memory: DatabaseMemory | None) -> None:
    """Activation: refuse a database without the provider's schema when this node has served from one before.
    Raises DatabaseRefused (or StoreUnavailable when the database cannot be reached to tell)."""
    if memory is None:
        return
    before = memory.served_before()
    if before is None or store.schema_version() > 0:
        return
    raise DatabaseRefused(
        f"The configured database, {database.describe()}, holds no OAuth provider data, but this node served the "
        f"provider from {before} before: starting on it would make every app, consent and token appear lost. "
        f"Point DataSource back at the database that holds them, copy them into this one, or, to start afresh on "
        f"purpose, remove {memory.path}.")


def _open_for_change(current: Database, new: Database):
    """The store on `new` and the lock of its SQLite file, when the plugin may move there (it already holds the
    provider's schema); DatabaseRefused, saying why, otherwise."""
    from plugin.store.contract import StoreUnavailable
    from plugin.store.sqlite import SqliteStore

    from .node_claim import DatabaseInUse, claim_sqlite

    still = f"The OAuth provider keeps serving from {current.describe()}."
    try:
        store = new.open()
    except ValueError as exc:
        raise DatabaseRefused(f"The plugin's database cannot change: {exc}. {still}") from None
    try:
        try:
            version = store.schema_version()
        except StoreUnavailable as exc:
            raise DatabaseRefused(f"The plugin's database cannot change to {new.describe()}: it cannot be reached "
                                  f"({exc}). {still}") from None
        if version == 0:
            raise DatabaseRefused(
                f"The plugin's database cannot change to {new.describe()}: it holds no OAuth provider data, so "
                f"every app, consent and token would appear lost. {still} Copy the provider's data there first, "
                f"or name a database the provider already uses.")
        claim = None
        if isinstance(store, SqliteStore):
            try:
                claim = claim_sqlite(store.path)
            except DatabaseInUse as exc:
                raise DatabaseRefused(f"The plugin's database cannot change: {exc}. {still}") from None
    except BaseException:
        store.close()
        raise
    return store, claim


def check_change(current: Database, new: Database) -> None:
    """Before a change is saved (ConfigurationWillBeSaved): DatabaseRefused unless the plugin could move to `new`.
    Opens `new` to look, creates nothing in it and changes nothing."""
    store, claim = _open_for_change(current, new)
    if claim is not None:
        claim.release()
    store.close()


def move_to(current: Database, new: Database):
    """The store on `new`, migrated to the current schema, and its SQLite lock (or None), ready to serve;
    DatabaseRefused when the plugin may not move there, and nothing is changed then."""
    store, claim = _open_for_change(current, new)
    try:
        version = store.migrate()
    except BaseException:
        if claim is not None:
            claim.release()
        store.close()
        raise
    return store, claim, version
