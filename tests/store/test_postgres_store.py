"""What is specific to PostgresStore beyond the contract: migrations under a lock, the lock protocol that keeps
revocations whole under READ COMMITTED, and surviving the database going away (StoreUnavailable at once while it
is down, service again without reopening anything once it is back, no acknowledged write lost).

Needs OAUTH_TEST_POSTGRES_DSN (tests/postgres.py); the outage tests start a server of their own with
scripts/pg-test-server, so that stopping it disturbs no other test."""
from __future__ import annotations

import threading
import time

import psycopg
import pytest

from plugin.store import migrations
from plugin.store.contract import StoreUnavailable
from plugin.store.postgres import PostgresStore
from tests import postgres

from . import builders as b
from .builders import NOW


@pytest.fixture
def dsn():
    with postgres.fresh_schema(postgres.require_dsn()) as schema_dsn:
        yield schema_dsn


@pytest.fixture
def store(dsn):
    s = PostgresStore(dsn)
    s.migrate()
    yield s
    s.close()


@pytest.fixture
def server():
    postgres.require_dsn()  # PostgreSQL tests are on (and its binaries installed)
    throwaway = postgres.ThrowawayServer().start()
    yield throwaway
    throwaway.remove()


def saved_app(store):
    app = b.app()
    store.save_app(app)
    return app


def test_schema_version_records_each_migration_once(store, dsn):
    store.migrate()
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT version, name FROM schema_version ORDER BY version").fetchall()
    assert rows == [(m.version, m.name) for m in migrations.load("postgres")]


def test_a_malformed_dsn_is_refused_before_any_connection():
    with pytest.raises(ValueError):
        PostgresStore("host=127.0.0.1 this is not a DSN")
    with pytest.raises(ValueError):
        PostgresStore("")


def test_a_server_that_is_not_there_is_unavailable_at_once():
    postgres.require_dsn()
    from tests.conftest import free_port

    store = PostgresStore(f"postgresql://postgres@127.0.0.1:{free_port()}/postgres")
    try:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            store.get_app(b.new_id())
        for _ in range(20):
            with pytest.raises(StoreUnavailable):
                store.get_app(b.new_id())
        assert time.monotonic() - started < 10  # refused connections, no waiting out timeouts
    finally:
        store.close()


# --- the lock protocol ---------------------------------------------------------------------------------------


def run_in_thread(call):
    result: dict = {}

    def target():
        try:
            result["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            result["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, result


def test_revoking_a_grant_during_a_rotation_also_removes_the_rotations_tokens(store, dsn):
    """Under READ COMMITTED a revocation that deleted the grant's tokens before a concurrent rotation committed
    would miss the rotation's new tokens; the grant row lock makes the revocation wait and then see them."""
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    new_access, new_refresh = b.access(auth.grant), b.refresh(auth.grant)
    with psycopg.connect(dsn) as rotation:  # a rotation by another node, caught before its COMMIT
        rotation.execute("SELECT id FROM oauth_grants WHERE id = %s FOR SHARE", (auth.grant.id,))
        rotation.execute("UPDATE oauth_refresh_tokens SET rotated_at = %s WHERE token_hash = %s",
                         (NOW, auth.refresh.token_hash))
        rotation.execute("INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, create_at,"
                         " expires_at) VALUES (%s, %s, %s, %s, %s, %s)",
                         (new_access.token_hash, auth.grant.id, app.id, auth.user_id, NOW, 0))
        thread, result = run_in_thread(lambda: store.revoke_grant(auth.grant.id))
        time.sleep(0.3)
        assert thread.is_alive()  # waiting for the rotation
        rotation.commit()
    thread.join(10)
    assert "error" not in result, result
    assert store.get_access_token(new_access.token_hash) is None
    assert store.get_refresh_token(auth.refresh.token_hash) is None
    assert store.get_refresh_token(new_refresh.token_hash) is None


def test_a_rotation_after_its_grant_was_revoked_rotates_nothing(store):
    app = saved_app(store)
    auth = b.authorize(store, app.id, b.new_id())
    store.revoke_user_app(auth.user_id, app.id)
    assert store.rotate_refresh_token(auth.refresh.token_hash, NOW, b.access(auth.grant),
                                      b.refresh(auth.grant)) is False


def test_deauthorizing_during_a_code_exchange_leaves_no_token_behind(store):
    """The exchange updates its code row first and inserts its grant and tokens in the same transaction; a
    deauthorization deletes codes first: it waits for the exchange, and then removes what it issued."""
    app = saved_app(store)
    user = b.new_id()
    code = b.code(app.id, user)
    store.save_code(code)
    inside, release = threading.Event(), threading.Event()

    def slow_tokens(g):
        inside.set()  # the code row is updated, the transaction still open
        release.wait(10)
        a = b.access(g)
        return a, b.refresh(g, a.token_hash)

    exchange, exchanged = run_in_thread(lambda: b.redeem(store, code, NOW, slow_tokens))
    assert inside.wait(10)
    revocation, revoked = run_in_thread(lambda: store.revoke_user_app(user, app.id))
    time.sleep(0.3)
    assert revocation.is_alive()
    release.set()
    exchange.join(10)
    revocation.join(10)
    issued = exchanged.get("value")
    assert issued is not None, exchanged
    assert revoked.get("value") == 2, revoked
    assert store.get_access_token(issued.access.token_hash) is None
    assert store.get_refresh_token(issued.refresh.token_hash) is None
    assert store.get_grant(issued.grant.id) is None


# --- the database going away ---------------------------------------------------------------------------------


def test_calls_fail_fast_while_the_server_is_down_and_work_again_when_it_is_back(server):
    store = PostgresStore(server.dsn)
    try:
        store.migrate()
        acknowledged = [saved_app(store) for _ in range(5)]
        server.stop("immediate")  # a crash: no checkpoint, the WAL is replayed on the next start

        started = time.monotonic()
        for _ in range(30):
            with pytest.raises(StoreUnavailable):
                store.get_app(acknowledged[0].id)
            with pytest.raises(StoreUnavailable):
                store.save_app(b.app())
        assert time.monotonic() - started < 10  # 60 calls: refused at once, none waits out a timeout

        server.start()
        # The same store object: the next probe finds the server and a new pool takes over.
        deadline = time.monotonic() + 10
        while True:
            try:
                store.get_app(acknowledged[0].id)
                break
            except StoreUnavailable:
                assert time.monotonic() < deadline, "the store did not come back"
                time.sleep(0.1)
        for app in acknowledged:
            assert store.get_app(app.id) == app
        later = saved_app(store)
        assert store.get_app(later.id) == later
    finally:
        store.close()


def test_a_restart_between_two_calls_goes_unnoticed(server):
    """Every pooled connection dies with the server; the first call after the restart meets a dead connection
    before anything was sent, so it is run again on a fresh pool instead of failing."""
    store = PostgresStore(server.dsn, max_connections=4)
    try:
        store.migrate()
        apps = [saved_app(store) for _ in range(3)]
        server.stop("fast")
        server.start()
        assert store.get_app(apps[0].id) == apps[0]
        app = saved_app(store)  # a write too
        assert store.get_app(app.id) == app
    finally:
        store.close()
