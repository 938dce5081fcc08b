"""The numbered migration set and its loader (plugin/store/migrations)."""
from __future__ import annotations

import sqlite3

import pytest

from plugin.store import migrations


def test_every_dialect_gets_the_same_numbered_versions():
    versions = {d: [(m.version, m.name) for m in migrations.load(d)] for d in migrations.DIALECTS}
    assert versions["sqlite"] == versions["postgres"]
    numbers = [v for v, _ in versions["sqlite"]]
    assert numbers == sorted(set(numbers)) and numbers[0] == 1


def test_the_sqlite_migrations_create_every_table():
    conn = sqlite3.connect(":memory:")
    for migration in migrations.load("sqlite"):
        for statement in migration.statements():
            conn.execute(statement)
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables >= {
        "oauth_apps", "oauth_consents", "oauth_codes", "oauth_grants", "oauth_access_tokens", "oauth_refresh_tokens",
    }


def test_a_dialect_variant_replaces_the_shared_file_for_that_dialect_only(tmp_path):
    (tmp_path / "0001_initial.sql").write_text("CREATE TABLE a (x INTEGER)")
    (tmp_path / "0002_more.sql").write_text("shared")
    (tmp_path / "0002_more.sqlite.sql").write_text("sqlite only")
    (tmp_path / "README.md").write_text("not a migration")
    assert [m.sql for m in migrations.load("sqlite", tmp_path)] == ["CREATE TABLE a (x INTEGER)", "sqlite only"]
    assert [m.sql for m in migrations.load("postgres", tmp_path)] == ["CREATE TABLE a (x INTEGER)", "shared"]


def test_a_version_with_only_another_dialects_file_is_rejected(tmp_path):
    (tmp_path / "0001_initial.sql").write_text("x")
    (tmp_path / "0002_more.postgres.sql").write_text("y")
    assert len(migrations.load("postgres", tmp_path)) == 2
    with pytest.raises(ValueError, match="no file for dialect 'sqlite'"):
        migrations.load("sqlite", tmp_path)


def test_a_missing_number_is_allowed_and_the_rest_keep_their_order(tmp_path):
    (tmp_path / "0001_initial.sql").write_text("x")
    (tmp_path / "0003_later.sql").write_text("y")
    assert [m.version for m in migrations.load("sqlite", tmp_path)] == [1, 3]


def test_number_zero_is_rejected(tmp_path):
    (tmp_path / "0000_initial.sql").write_text("x")
    with pytest.raises(ValueError, match="start at 1"):
        migrations.load("sqlite", tmp_path)


def test_one_number_with_two_names_is_rejected(tmp_path):
    (tmp_path / "0001_initial.sql").write_text("x")
    (tmp_path / "0001_other.sqlite.sql").write_text("y")
    with pytest.raises(ValueError, match="two names"):
        migrations.load("sqlite", tmp_path)


def test_unknown_dialect_is_rejected():
    with pytest.raises(ValueError):
        migrations.load("mysql")


def test_split_statements_drops_comments_and_empty_pieces():
    sql = "-- header; with a semicolon\nCREATE TABLE a (x INTEGER); -- trailing\n\n;CREATE INDEX i ON a (x)\n"
    assert migrations.split_statements(sql) == ["CREATE TABLE a (x INTEGER)", "CREATE INDEX i ON a (x)"]


def test_a_migration_numbered_below_the_last_applied_still_runs_once(open_store, monkeypatch):
    """Migrations written side by side on the same schema may arrive in any order: each runs once (a second run
    of `arrived` would fail on its primary key)."""
    from plugin.store.migrations import Migration

    from .builders import app

    real = {d: migrations.load(d) for d in migrations.DIALECTS}
    top = real["sqlite"][-1].version
    later = Migration(top + 2, "later", "CREATE TABLE later_one (x INTEGER)")
    monkeypatch.setattr(migrations, "load", lambda dialect: [*real[dialect], later])
    first = open_store()
    assert first.migrate() == top + 2
    owner = app()
    first.save_app(owner)
    arrived = Migration(top + 1, "arrived", "INSERT INTO oauth_consents (user_id, client_id, scope, create_at)"
                                            f" VALUES ('someone', '{owner.id}', 'user', 1)")
    monkeypatch.setattr(migrations, "load", lambda dialect: [*real[dialect], arrived, later])
    store = open_store()
    assert store.migrate() == top + 2
    assert store.get_consent("someone", owner.id) is not None
    assert store.migrate() == top + 2


# The migrations numbered after 0004, each written on top of 0004 alone: a database may have any of them already.
_ON_TOP_OF_0004 = [m.version for m in migrations.load("sqlite") if m.version > 4]


@pytest.mark.parametrize("arriving", _ON_TOP_OF_0004)
def test_each_migration_after_0004_applies_to_a_database_that_has_the_others(open_store, monkeypatch, arriving):
    """A database that got the other migrations first (a lower number among them or not) gets `arriving` once,
    and an app then keeps every per-app column of them."""
    from .builders import app

    real = {d: migrations.load(d) for d in migrations.DIALECTS}
    monkeypatch.setattr(migrations, "load", lambda dialect: [m for m in real[dialect] if m.version != arriving])
    open_store().migrate()
    monkeypatch.setattr(migrations, "load", lambda dialect: real[dialect])
    store = open_store()
    assert store.migrate() == real["sqlite"][-1].version
    flags = {"device_grant_allowed": True, "require_pushed_authorization_requests": True, "require_dpop": True}
    saved = app(**flags)
    store.save_app(saved)
    kept = store.get_app(saved.id)
    assert {name: getattr(kept, name) for name in flags} == flags
    assert store.migrate() == real["sqlite"][-1].version
