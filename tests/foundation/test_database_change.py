"""A change of the plugin's database, in the plugin itself (plugin/rpc/database.py, PluginRuntime): it moves at once
to a database that holds the provider's schema, refuses one without (before the change is saved, and when it
arrives), never starts on an empty one on a node that served from another, and names PostgreSQL databases without
their password. tests/host/test_plugin_database.py runs the same over HTTP and the command line."""
from __future__ import annotations

import json

import pytest

from plugin.rpc.database import Database, DatabaseRefused
from plugin.rpc.runtime import PluginRuntime
from plugin.store.sqlite import SqliteStore
from tests import postgres
from tests.store.builders import app as app_record

PASSWORD = "s3cret-Passw0rd"


def configuration(files, driver: str = "sqlite", source: str = "") -> tuple[bytes, bytes]:
    return (json.dumps({"FileSettings": {"Directory": str(files)}}).encode(),
            json.dumps({"drivername": driver, "datasource": source}).encode())


def names(runtime: PluginRuntime) -> list[str]:
    return sorted(a.name for a in runtime.store.list_apps(0, 100))


def with_an_app(store, name: str) -> None:
    try:
        store.migrate()
        store.save_app(app_record(name=name))
    finally:
        store.close()


@pytest.fixture
def runtime(tmp_path):
    runtime = PluginRuntime()
    runtime.activate(*configuration(tmp_path / "files", source=str(tmp_path / "first.db")))
    with_an_app(SqliteStore(str(tmp_path / "first.db")), "First")
    yield runtime
    runtime.deactivate()


def test_a_postgresql_database_is_named_without_its_password():
    for dsn in (f"postgresql://oauth:{PASSWORD}@db.internal:5433/mattermost?sslmode=require",
                f"host=db.internal port=5433 dbname=mattermost user=oauth password={PASSWORD}"):
        described = Database("postgres", dsn).describe()
        assert described == "the PostgreSQL database oauth@db.internal:5433/mattermost"
    assert PASSWORD not in Database("postgres", f"nonsense {PASSWORD}").describe()


def test_the_plugin_moves_at_once_to_a_database_that_holds_its_schema(runtime, tmp_path):
    with_an_app(SqliteStore(str(tmp_path / "second.db")), "Second")
    new = configuration(tmp_path / "files", source=str(tmp_path / "second.db"))
    runtime.configuration_will_be_saved(*new)  # no objection
    runtime.configure(*new)
    assert names(runtime) == ["Second"] and runtime.provider is not None and runtime.cacheable
    memory = json.loads((tmp_path / "files" / "plugins" / "oauth-provider" / "database.json").read_text())
    assert memory["database"] == f"the SQLite file {tmp_path / 'second.db'}"
    # The first file is free again: its lock went with the store.
    runtime.configure(*configuration(tmp_path / "files", source=str(tmp_path / "first.db")))
    assert names(runtime) == ["First"]


def test_an_empty_database_is_refused_and_the_plugin_keeps_its_own(runtime, tmp_path):
    new = configuration(tmp_path / "files", source=str(tmp_path / "empty.db"))
    for hook in (runtime.configuration_will_be_saved, runtime.configure):
        with pytest.raises(DatabaseRefused, match="holds no OAuth provider data") as refused:
            hook(*new)
        assert "keeps serving from the SQLite file" in str(refused.value)
        assert names(runtime) == ["First"]
    assert not (tmp_path / "empty.db").exists()


def test_after_a_refusal_the_other_settings_still_apply(runtime, tmp_path):
    server, _ = configuration(tmp_path / "files")
    plugin = json.dumps({"datasource": str(tmp_path / "empty.db"), "enableimplicitgrant": True}).encode()
    with pytest.raises(DatabaseRefused):
        runtime.configure(server, plugin)
    assert runtime.provider.settings.enable_implicit_grant is True and names(runtime) == ["First"]


def test_a_node_that_served_before_does_not_start_on_an_empty_database(tmp_path):
    files = tmp_path / "files"
    runtime = PluginRuntime()
    runtime.activate(*configuration(files, source=str(tmp_path / "first.db")))  # a fresh install: fine
    runtime.deactivate()
    with pytest.raises(DatabaseRefused, match="served the provider from the SQLite file") as refused:
        runtime.activate(*configuration(files, source=str(tmp_path / "moved.db")))
    assert str(files / "plugins" / "oauth-provider" / "database.json") in str(refused.value)
    assert not runtime.active and not (tmp_path / "moved.db").exists()
    runtime.activate(*configuration(files, source=str(tmp_path / "first.db")))  # its own database: fine
    runtime.deactivate()


def test_an_unreadable_or_unreachable_new_database_is_refused_without_its_password(runtime, tmp_path):
    unreachable = f"postgresql://oauth:{PASSWORD}@127.0.0.1:1/oauth?connect_timeout=1"
    with pytest.raises(DatabaseRefused, match="cannot be reached") as refused:
        runtime.configuration_will_be_saved(*configuration(tmp_path / "files", "postgres", unreachable))
    assert PASSWORD not in str(refused.value)
    with pytest.raises(DatabaseRefused, match="unsupported database driver"):
        runtime.configure(*configuration(tmp_path / "files", "oracle", "x"))
    assert names(runtime) == ["First"]


def test_between_sqlite_and_postgresql(runtime, tmp_path):
    with postgres.fresh_schema(postgres.require_dsn()) as dsn:
        new = configuration(tmp_path / "files", "postgres", dsn)
        with pytest.raises(DatabaseRefused, match="holds no OAuth provider data"):
            runtime.configure(*new)
        from plugin.store.postgres import PostgresStore

        with_an_app(PostgresStore(dsn), "Shared")
        runtime.configure(*new)
        assert names(runtime) == ["Shared"] and not runtime.cacheable  # PostgreSQL: the host keeps nothing
        runtime.configure(*configuration(tmp_path / "files", source=str(tmp_path / "first.db")))
        assert names(runtime) == ["First"] and runtime.cacheable
