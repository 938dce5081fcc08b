"""What is specific to SqliteStore beyond the contract: file handling, connection settings, schema_version, and
that single use is one conditional statement."""
from __future__ import annotations

import sqlite3
import threading
import time

import pytest

from plugin.store import migrations
from plugin.store.contract import StoreError
from plugin.store.migrations import Migration
from plugin.store.sqlite import SqliteStore

from . import builders as b
from .builders import NOW


@pytest.fixture
def path(tmp_path):
    return str(tmp_path / "nested" / "dir" / "oauth.db")


@pytest.fixture
def store(path):
    s = SqliteStore(path)
    s.migrate()
    yield s
    s.close()


def statements_of(store: SqliteStore, call) -> list[str]:
    """The SQL one store call sends, traced on the pooled connection it will reuse."""
    conn = store._acquire()
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    store._release(conn)
    call()
    conn.set_trace_callback(None)
    return seen


def test_migrate_creates_the_missing_parent_directory(tmp_path):
    path = tmp_path / "a" / "b" / "oauth.db"
    s = SqliteStore(str(path))
    try:
        s.migrate()
    finally:
        s.close()
    assert path.is_file()


def test_schema_version_records_each_applied_migration_once(store, path):
    store.migrate()
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in migrations.load("sqlite")]


def test_database_is_in_wal_mode(store, path):
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_connections_enforce_foreign_keys_normal_sync_and_a_busy_timeout(store):
    """NORMAL in WAL mode: every commit reaches the WAL before it returns (it survives a killed process), fsync
    only at checkpoints (the store's docstring says what a power loss may cost)."""
    conn = store._acquire()
    try:
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 5000
    finally:
        store._release(conn)


def test_synchronous_full_can_be_chosen(path):
    s = SqliteStore(path, synchronous="full")
    try:
        s.migrate()
        conn = s._acquire()
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        s._release(conn)
    finally:
        s.close()


def test_checkpoints_run_in_the_background_not_inside_commits(store, path, monkeypatch):
    """No commit copies the WAL into the database file (wal_autocheckpoint is 0); the store's own thread does,
    within about CHECKPOINT_SECONDS."""
    import os

    import plugin.store.sqlite as sqlite_module

    conn = store._acquire()
    try:
        assert conn.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 0
    finally:
        store._release(conn)
    size = os.path.getsize(path)
    for n in range(300):
        store.save_app(b.app(id=f"{n:026d}", name="x" * 500))
    assert os.path.getsize(path) == size, "nothing reached the database file at commit"
    deadline = time.monotonic() + 5 * sqlite_module.CHECKPOINT_SECONDS
    while os.path.getsize(path) == size and time.monotonic() < deadline:
        time.sleep(0.05)
    assert os.path.getsize(path) > size, "the checkpointer copied the WAL"


@pytest.mark.parametrize("bad", ["", ":memory:", "file::memory:?cache=shared"])
def test_in_memory_and_uri_paths_are_rejected(bad):
    with pytest.raises(ValueError):
        SqliteStore(bad)


def test_a_path_that_is_a_directory_raises_store_error(tmp_path):
    s = SqliteStore(str(tmp_path))
    with pytest.raises(StoreError):
        s.migrate()


def test_a_failing_migration_is_rolled_back_and_not_recorded(path, monkeypatch):
    real = migrations.load("sqlite")
    broken = Migration(real[-1].version + 1, "broken", "CREATE TABLE half_done (x INTEGER); INSERT INTO nowhere VALUES (1)")
    monkeypatch.setattr(migrations, "load", lambda dialect: [*real, broken])
    s = SqliteStore(path)
    try:
        with pytest.raises(StoreError):
            s.migrate()
    finally:
        s.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == real[-1].version
        assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'half_done'").fetchone() is None


def test_a_writer_waits_for_a_lock_held_by_another_connection(store, path):
    """busy_timeout + BEGIN IMMEDIATE: a write that meets a held lock waits instead of failing at once."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    release = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    release.start()
    try:
        started = time.monotonic()
        store.save_app(b.app())  # blocks until the other connection commits
        assert time.monotonic() - started >= 0.2
    finally:
        release.join()
        other.close()
    assert len(store.list_apps(0, 10)) == 1


def test_rotate_refresh_token_starts_with_its_conditional_update(store):
    app = b.app()
    store.save_app(app)
    auth = b.authorize(store, app.id, b.new_id())
    sent = statements_of(
        store,
        lambda: store.rotate_refresh_token(auth.refresh.token_hash, NOW, b.access(auth.grant), b.refresh(auth.grant)),
    )
    assert sent[0] == "BEGIN IMMEDIATE"
    assert sent[1].startswith("UPDATE oauth_refresh_tokens") and "rotated_at IS NULL" in sent[1]
    assert not any(s.startswith("SELECT") for s in sent)


def test_closing_returns_every_pooled_connection(store):
    conns = [store._acquire() for _ in range(3)]
    for conn in conns:
        store._release(conn)
    store.close()
    for conn in conns:
        with pytest.raises(sqlite3.ProgrammingError):  # closed
            conn.execute("SELECT 1")


def test_an_exchange_is_one_transaction_starting_with_its_conditional_update_and_reading_nothing(store):
    """A code exchange in the store: one conditional UPDATE (single use and the link to the grant), then the
    grant, the access token and the refresh token, all in one transaction."""
    app = b.app()
    store.save_app(app)
    c = b.code(app.id, b.new_id())
    store.save_code(c)
    sent = statements_of(store, lambda: b.redeem(store, c, NOW))
    assert sent[0] == "BEGIN IMMEDIATE" and sent[-1] == "COMMIT" and sent.count("BEGIN IMMEDIATE") == 1
    work = sent[1:-1]
    assert [" ".join(s.split()[:3]) for s in work] == [
        "UPDATE oauth_codes SET", "INSERT INTO oauth_grants", "INSERT INTO oauth_access_tokens",
        "INSERT INTO oauth_refresh_tokens",
    ]
    assert "used_at IS NULL" in work[0] and "RETURNING" in work[0]


def test_apps_kept_in_memory_are_read_once_and_follow_every_change(store):
    store.keep_apps_in_memory()
    app = b.app()
    store.save_app(app)
    assert store.get_app(app.id) == app
    assert statements_of(store, lambda: store.get_app(app.id)) == []
    got = store.get_app(app.id)
    got.client_secret_hash = b.new_hash()  # a caller changing its copy changes nothing kept
    assert store.get_app(app.id) == app
    store.edit_app(app.id, lambda row: got)
    assert store.get_app(app.id) == got
    store.delete_app(app.id)
    assert store.get_app(app.id) is None


def test_an_app_read_racing_its_update_is_not_kept(store, monkeypatch):
    """The read finished before the update committed but returns after it: the old row must not stay."""
    from plugin.store.sqlstore import SqlStore

    store.keep_apps_in_memory()
    app = b.app()
    store.save_app(app)
    changed = b.app(id=app.id, name="renamed")
    read = SqlStore.get_app

    def read_then_update(self, app_id):
        row = read(self, app_id)
        monkeypatch.setattr(SqlStore, "get_app", read)
        store.edit_app(app.id, lambda old: changed)
        return row

    monkeypatch.setattr(SqlStore, "get_app", read_then_update)
    assert store.get_app(app.id) == app  # what was read
    assert store.get_app(app.id) == changed  # and not kept


def test_cleanup_removes_everything_expired_a_chunk_per_transaction(store, monkeypatch):
    """Chunks keep the write lock short (requests on SQLite wait for it on the plugin's event loop); together they
    still remove every expired row, the grants that leaves empty, and the old audit events."""
    import plugin.store.sqlite as sqlite_store
    from plugin.store.records import AuditRecord

    monkeypatch.setattr(sqlite_store, "CLEANUP_CHUNK", 2)
    app = b.app()
    store.save_app(app)
    user = b.new_id()
    g = b.grant(app.id, user)
    store.issue_tokens(g, b.access(g, expires_at=NOW - 1), None)
    for _ in range(4):
        store.issue_tokens(None, b.access(g, expires_at=NOW - 1), None)
    live = b.grant(app.id, user)
    store.issue_tokens(live, b.access(live), None)
    store.save_audit_events([AuditRecord(b.new_id(), NOW - 10 + i, "token.issued") for i in range(5)])
    removed = []
    sent = statements_of(store, lambda: removed.append(store.delete_expired(NOW)))
    assert removed == [5 + 1]  # the tokens, and their grant left empty
    assert sent.count("BEGIN IMMEDIATE") >= 3  # two tokens a transaction
    assert store.get_grant(g.id) is None and store.get_grant(live.id) == live
    assert store.delete_expired(NOW) == 0
    assert store.delete_audit_events(NOW) == 5
    assert store.list_audit_events(0, 10) == []
