"""SQLite implementation of the store contract (the embedded default).

    store = SqliteStore("data/oauth.db")
    store.migrate()            # creates the directory and file, applies pending migrations
    store.save_app(app)
    ...
    store.close()

Connections: one per concurrent caller, taken from a lock-protected idle list and put back after each call, so a
gRPC thread pool of any size can call the store; connections are reused (the statement cache of the sqlite3
module prepares each SQL string once per connection) and closed by `close()`.

Settings of every connection: WAL journal (readers never block the writer), foreign keys on, a busy timeout so
that writers wait for each other instead of failing, and `synchronous=NORMAL` by default. In WAL mode NORMAL
writes every commit to the WAL before the commit returns but fsyncs only at checkpoints: an acknowledged write
survives the plugin's or the host's death (kill -9 included; the fault tests do that under load), and the
database is never corrupted, but a power loss or kernel crash may lose the commits of the last moments. `FULL`
(fsync at every commit) also survives that, at about a third of the write throughput on the bench machine
(bench/README.md); pass `synchronous="FULL"` for it. Checkpoints (copying the WAL into the database file, with
its fsyncs) run in a background thread of the store every `CHECKPOINT_SECONDS` instead of inside whichever commit
crosses SQLite's 1000-page mark, so no request waits for a disk flush.

Transactions: reads are one SELECT each (atomic on its own); writes run in `BEGIN IMMEDIATE`, which takes the
write lock up front, so two writers serialise instead of one failing halfway with "database is locked". Writers of
this process queue on a lock of their own first: SQLite's busy handler would let them sleep and retry (up to
100 ms a try), which is what made the slowest token requests slow. Single use of codes and refresh tokens is one
conditional `UPDATE ... RETURNING`.
"""
from __future__ import annotations

import dataclasses
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..clock import SystemClock
from . import migrations
from .contract import AlreadyExists, Store, StoreError
from .rows import RowQueries, RowStatements
from .records import (
    AccessTokenRecord,
    AppRecord,
    AuditRecord,
    GrantRecord,
    RefreshTokenRecord,
)

if sqlite3.sqlite_version_info < (3, 35, 0):  # RETURNING, on which single use relies
    raise ImportError(f"SqliteStore needs SQLite >= 3.35 (RETURNING); this Python has {sqlite3.sqlite_version}")

T = TypeVar("T")

# Column lists in the field order of the record dataclasses, so a row converts with Record(*row).
_APP_COLS = (
    "id, creator_id, create_at, update_at, name, description, icon_url, homepage, callback_urls, is_trusted,"
    " mattermost_app_id, is_dynamically_registered, client_secret_hash"
)
_APP_COLS_A = ", ".join("a." + c.strip() for c in _APP_COLS.split(","))
_CONSENT_COLS = "user_id, client_id, scope, create_at"
_CODE_COLS = (
    "code_hash, client_id, user_id, redirect_uri, state, scope, create_at, expires_in, code_challenge,"
    " code_challenge_method, resource, used_at, grant_id"
)
_GRANT_COLS = "id, client_id, user_id, scope, audience, redirect_uri, create_at, code_hash"
_ACCESS_COLS = "token_hash, grant_id, client_id, user_id, scope, audience, create_at, expires_at"
_REFRESH_COLS = (
    "token_hash, grant_id, client_id, user_id, scope, audience, create_at, expires_at, last_used_at,"
    " access_token_hash, rotated_at, successor_hash, successor_sealed"
)
_AUDIT_COLS = "id, create_at, type, user_id, client_id, grant_id, remote_addr, detail"

_INSERT_APP = f"INSERT INTO oauth_apps ({_APP_COLS}) VALUES ({', '.join('?' * 13)})"
_SELECT_APP = f"SELECT {_APP_COLS} FROM oauth_apps WHERE id = ?"
_LIST_APPS = f"SELECT {_APP_COLS} FROM oauth_apps ORDER BY create_at, id LIMIT ? OFFSET ?"
_LIST_APPS_BY_CREATOR = (
    f"SELECT {_APP_COLS} FROM oauth_apps WHERE creator_id = ? ORDER BY create_at, id LIMIT ? OFFSET ?"
)
_UPDATE_APP = (
    "UPDATE oauth_apps SET creator_id = ?, create_at = ?, update_at = ?, name = ?, description = ?, icon_url = ?,"
    " homepage = ?, callback_urls = ?, is_trusted = ?, mattermost_app_id = ?, is_dynamically_registered = ?,"
    " client_secret_hash = ? WHERE id = ?"
)
_UPSERT_CONSENT = (
    f"INSERT INTO oauth_consents ({_CONSENT_COLS}) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, create_at = excluded.create_at"
)
_SELECT_CONSENT = f"SELECT {_CONSENT_COLS} FROM oauth_consents WHERE user_id = ? AND client_id = ?"
_LIST_AUTHORIZED = (
    f"SELECT {_APP_COLS_A} FROM oauth_consents c JOIN oauth_apps a ON a.id = c.client_id"
    " WHERE c.user_id = ? ORDER BY a.create_at, a.id LIMIT ? OFFSET ?"
)
_INSERT_CODE = f"INSERT INTO oauth_codes ({_CODE_COLS}, expires_at) VALUES ({', '.join('?' * 14)})"
_SELECT_CODE = f"SELECT {_CODE_COLS} FROM oauth_codes WHERE code_hash = ?"
# Single use, and the link to the grant the exchange creates, in one conditional statement.
_CONSUME_CODE = (
    "UPDATE oauth_codes SET used_at = ?, grant_id = ?"
    " WHERE code_hash = ? AND client_id = ? AND used_at IS NULL AND expires_at >= ?"
    f" RETURNING {_CODE_COLS}"
)
_INSERT_GRANT = f"INSERT INTO oauth_grants ({_GRANT_COLS}) VALUES ({', '.join('?' * 8)})"
_SELECT_GRANT = f"SELECT {_GRANT_COLS} FROM oauth_grants WHERE id = ?"
_INSERT_ACCESS = f"INSERT INTO oauth_access_tokens ({_ACCESS_COLS}) VALUES ({', '.join('?' * 8)})"
_SELECT_ACCESS = f"SELECT {_ACCESS_COLS} FROM oauth_access_tokens WHERE token_hash = ?"
_INSERT_REFRESH = f"INSERT INTO oauth_refresh_tokens ({_REFRESH_COLS}) VALUES ({', '.join('?' * 13)})"
_SELECT_REFRESH = f"SELECT {_REFRESH_COLS} FROM oauth_refresh_tokens WHERE token_hash = ?"
_ROTATE_REFRESH = (
    "UPDATE oauth_refresh_tokens SET rotated_at = ?, successor_hash = ?, successor_sealed = ?"
    " WHERE token_hash = ? AND rotated_at IS NULL RETURNING access_token_hash"
)
_FORGET_SUCCESSORS = (
    "UPDATE oauth_refresh_tokens SET successor_sealed = '' WHERE successor_sealed <> '' AND rotated_at < ?"
)
_HIT_RATE_LIMIT = (
    "INSERT INTO oauth_rate_limits (bucket, window_start, hits) VALUES (?, ?, ?)"
    " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = oauth_rate_limits.hits + excluded.hits"
    " RETURNING hits"
)
_INSERT_AUDIT = f"INSERT INTO oauth_audit_events ({_AUDIT_COLS}) VALUES ({', '.join('?' * 8)})"
_LIST_AUDIT = f"SELECT {_AUDIT_COLS} FROM oauth_audit_events ORDER BY create_at DESC, id DESC LIMIT ? OFFSET ?"
# Rate-limit windows are a minute long; an hour-old one is no longer read.
_RATE_LIMIT_KEEP_MS = 3_600_000
_DELETE_ACCESS = "DELETE FROM oauth_access_tokens WHERE token_hash = ?"

# Tokens are reached through their grant (see 0001_initial.sql): {where} selects the grants.
_TOKENS_OF_GRANTS = (
    "DELETE FROM oauth_access_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE {where})",
    "DELETE FROM oauth_refresh_tokens WHERE grant_id IN (SELECT id FROM oauth_grants WHERE {where})",
)


def _revocation(where: str, *tables: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(token deletes, other deletes) for the rows matching `where`, children before parents."""
    tokens = tuple(sql.format(where=where) for sql in _TOKENS_OF_GRANTS)
    return tokens, tuple(f"DELETE FROM {table} WHERE {where}" for table in tables)


_REVOKE_USER_APP = _revocation("user_id = ? AND client_id = ?", "oauth_grants", "oauth_codes", "oauth_consents")
_REVOKE_USER = _revocation("user_id = ?", "oauth_grants", "oauth_codes", "oauth_consents")
_DELETE_APP = _revocation("client_id = ?", "oauth_grants", "oauth_codes", "oauth_consents")

# Expired: now > expires_at (Mattermost's IsExpired); for tokens 0 means no expiry.
_EXPIRED = (
    ("oauth_codes", "expires_at < ?"),
    ("oauth_access_tokens", "expires_at > 0 AND expires_at < ?"),
    ("oauth_refresh_tokens", "expires_at > 0 AND expires_at < ?"),
)
_EXPIRE = tuple(f"DELETE FROM {table} WHERE {where} RETURNING grant_id" for table, where in _EXPIRED)
# SQLite removes them a chunk per transaction: a request waiting for the write lock waits for one chunk at most.
CLEANUP_CHUNK = 500
_EXPIRE_CHUNK = tuple(
    f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT ?) RETURNING grant_id"
    for table, where in _EXPIRED
)
_DELETE_AUDIT_CHUNK = (
    "DELETE FROM oauth_audit_events WHERE rowid IN (SELECT rowid FROM oauth_audit_events WHERE create_at < ? LIMIT ?)"
)
# A grant that lost its last token and whose code is gone can never be used again.
_DELETE_ORPHAN_GRANT = (
    "DELETE FROM oauth_grants WHERE id = ?"
    " AND NOT EXISTS (SELECT 1 FROM oauth_access_tokens t WHERE t.grant_id = oauth_grants.id)"
    " AND NOT EXISTS (SELECT 1 FROM oauth_refresh_tokens r WHERE r.grant_id = oauth_grants.id)"
    " AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.code_hash = oauth_grants.code_hash)"
)

_PK_CONFLICTS = {sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE}
CHECKPOINT_SECONDS = 1.0


def _wrap(error: sqlite3.Error) -> StoreError:
    if getattr(error, "sqlite_errorcode", None) in _PK_CONFLICTS:
        return AlreadyExists(str(error))
    return StoreError(f"sqlite: {error}")


# The statements RowQueries runs (PostgreSQL's store uses them with its own placeholders).
ROW_SQL = RowStatements(
    _INSERT_APP, _SELECT_APP, _LIST_APPS, _LIST_APPS_BY_CREATOR, _UPDATE_APP, _UPSERT_CONSENT, _SELECT_CONSENT,
    _LIST_AUTHORIZED, _INSERT_CODE, _SELECT_CODE, _CONSUME_CODE, _SELECT_GRANT, _SELECT_ACCESS, _SELECT_REFRESH,
    _DELETE_ACCESS, _FORGET_SUCCESSORS,
)


def _grant_values(g: GrantRecord) -> tuple[Any, ...]:
    return (g.id, g.client_id, g.user_id, g.scope, g.audience, g.redirect_uri, g.create_at, g.code_hash)


def _access_values(t: AccessTokenRecord) -> tuple[Any, ...]:
    return (t.token_hash, t.grant_id, t.client_id, t.user_id, t.scope, t.audience, t.create_at, t.expires_at)


def _refresh_values(t: RefreshTokenRecord) -> tuple[Any, ...]:
    return (
        t.token_hash, t.grant_id, t.client_id, t.user_id, t.scope, t.audience, t.create_at, t.expires_at,
        t.last_used_at, t.access_token_hash, t.rotated_at, t.successor_hash, t.successor_sealed,
    )


class SqliteStore(RowQueries, Store):
    """The store on one SQLite file. Thread-safe; call `migrate()` before anything else."""

    _sql = ROW_SQL

    def __init__(self, path: str, *, synchronous: str = "NORMAL", busy_timeout_ms: int = 5000) -> None:
        if not path or path == ":memory:" or path.startswith("file:"):
            # Each pooled connection would get its own private in-memory database.
            raise ValueError("SqliteStore needs a file path")
        if synchronous.upper() not in ("FULL", "NORMAL", "EXTRA"):
            raise ValueError("synchronous must be FULL, EXTRA or NORMAL")
        self._path = path
        self._synchronous = synchronous.upper()
        self._busy_timeout_ms = int(busy_timeout_ms)
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()  # one writer of this process at a time (see the module's docstring)
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._checkpoints_stop = threading.Event()
        self._checkpointer: threading.Thread | None = None
        # Apps by id, when this process alone writes the file (keep_apps_in_memory); the generation counts the
        # app writes, so that a read racing a write never leaves the old row behind.
        self._apps: dict[str, AppRecord] | None = None
        self._apps_generation = 0

    @property
    def path(self) -> str:
        return self._path

    # --- connections and transactions ----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout_ms / 1000,
                isolation_level=None,  # autocommit: transactions are explicit BEGIN IMMEDIATE / COMMIT
                check_same_thread=False,  # the pool hands a connection to one thread at a time
                cached_statements=256,
            )
        except sqlite3.Error as e:
            raise _wrap(e) from e
        try:
            conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute(f"PRAGMA synchronous = {self._synchronous}")
            conn.execute("PRAGMA wal_autocheckpoint = 0")  # the checkpointer thread does it (module docstring)
        except sqlite3.Error as e:
            conn.close()
            raise _wrap(e) from e
        return conn

    def _acquire(self) -> sqlite3.Connection:
        with self._lock:
            if self._closed:
                raise StoreError("store is closed")
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def _release(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:  # a failed COMMIT or ROLLBACK left it open; never hand that to the next caller
            try:
                conn.execute("ROLLBACK")
            except sqlite3.Error:
                conn.close()
                return
        with self._lock:
            if not self._closed:
                self._idle.append(conn)
                return
        conn.close()

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        conn = self._acquire()
        try:
            return conn.execute(sql, params).fetchone()
        except sqlite3.Error as e:
            raise _wrap(e) from e
        finally:
            self._release(conn)

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        conn = self._acquire()
        try:
            return conn.execute(sql, params).fetchall()
        except sqlite3.Error as e:
            raise _wrap(e) from e
        finally:
            self._release(conn)

    def _write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run `work` in one BEGIN IMMEDIATE transaction; roll back on any exception."""
        conn = self._acquire()
        try:
            with self._write_lock:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    result = work(conn)
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            return result
        except sqlite3.Error as e:
            raise _wrap(e) from e
        finally:
            self._release(conn)

    # --- lifecycle -----------------------------------------------------------------------------------------
    def migrate(self) -> int:
        parent = os.path.dirname(os.path.abspath(self._path))
        try:
            os.makedirs(parent, exist_ok=True)
        except OSError as e:
            raise StoreError(f"cannot create {parent}: {e}") from e
        pending = migrations.load("sqlite")
        conn = self._acquire()
        try:
            mode = self._switch_to_wal(conn)
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot switch {self._path} to WAL (journal_mode is {mode})")
            conn.execute(migrations.SCHEMA_VERSION_DDL)
            for migration in pending:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    # Re-read under the write lock: another process may have applied it meanwhile.
                    current = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
                    if current < migration.version:
                        for statement in migration.statements():
                            conn.execute(statement)
                        conn.execute(
                            "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                            (migration.version, migration.name, SystemClock().now_ms()),
                        )
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            version = conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]
        except sqlite3.Error as e:
            raise _wrap(e) from e
        finally:
            self._release(conn)
        self._start_checkpointer()
        return version

    def _switch_to_wal(self, conn: sqlite3.Connection) -> str:
        """Persistent in the file; must run outside a transaction. Connections opening a new file together find
        it locked without SQLite's busy handler being asked, so this waits as that handler would."""
        deadline = time.monotonic() + self._busy_timeout_ms / 1000
        while True:
            try:
                return conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.01)

    def _start_checkpointer(self) -> None:
        with self._lock:
            if self._checkpointer is not None or self._closed:
                return
            self._checkpointer = threading.Thread(target=self._checkpoint_loop, name="sqlite-checkpoint",
                                                  daemon=True)
        self._checkpointer.start()

    def _checkpoint_loop(self) -> None:
        """A PASSIVE checkpoint every CHECKPOINT_SECONDS: it never blocks writers or readers; what it cannot copy
        now (frames a reader still needs) the next one does."""
        while not self._checkpoints_stop.wait(CHECKPOINT_SECONDS):
            with self._lock:  # an idle connection only: a store nobody uses opens none for this
                conn = self._idle.pop() if self._idle and not self._closed else None
            if conn is None:
                continue
            try:
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.Error:
                pass  # the next round tries again
            finally:
                self._release(conn)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            checkpointer = self._checkpointer
        self._checkpoints_stop.set()
        if checkpointer is not None and checkpointer is not threading.current_thread():
            checkpointer.join(timeout=5)
        for conn in idle:
            conn.close()

    # --- apps ----------------------------------------------------------------------------------------------
    def keep_apps_in_memory(self) -> None:
        """Answer `get_app` from memory after the first read. Only for the one process that writes this file
        (plugin/rpc/node_claim.py): every change of an app then goes through this store, which forgets it."""
        with self._lock:
            self._apps = {}

    def get_app(self, app_id: str) -> AppRecord | None:
        if self._apps is None:
            return super().get_app(app_id)
        with self._lock:
            kept, generation = self._apps.get(app_id), self._apps_generation
        if kept is None:
            kept = super().get_app(app_id)
            if kept is None:
                return None
            with self._lock:
                if generation == self._apps_generation:
                    self._apps[app_id] = kept
        # A copy: callers may change what they get (a regenerated secret) before writing it.
        return dataclasses.replace(kept, callback_urls=list(kept.callback_urls))

    def _forget_app(self, app_id: str) -> None:
        with self._lock:
            self._apps_generation += 1
            if self._apps is not None:
                self._apps.pop(app_id, None)

    def update_app(self, app: AppRecord) -> bool:
        try:
            return super().update_app(app)
        finally:
            self._forget_app(app.id)

    def delete_app(self, app_id: str) -> bool:
        def work(conn: sqlite3.Connection) -> bool:
            for sql in _DELETE_APP[0] + _DELETE_APP[1]:
                conn.execute(sql, (app_id,))
            return conn.execute("DELETE FROM oauth_apps WHERE id = ?", (app_id,)).rowcount > 0

        try:
            return self._write(work)
        finally:
            self._forget_app(app_id)

    # --- grants and tokens ---------------------------------------------------------------------------------
    @staticmethod
    def _insert_issued(conn: sqlite3.Connection, grant: GrantRecord | None, access: AccessTokenRecord,
                       refresh: RefreshTokenRecord | None) -> None:
        if grant is not None:
            conn.execute(_INSERT_GRANT, _grant_values(grant))
        conn.execute(_INSERT_ACCESS, _access_values(access))
        if refresh is not None:
            conn.execute(_INSERT_REFRESH, _refresh_values(refresh))

    def rotate_refresh_token(
        self,
        old_hash: str,
        now: int,
        access: AccessTokenRecord,
        refresh: RefreshTokenRecord | None,
        successor_sealed: str = "",
    ) -> bool:
        successor = refresh.token_hash if refresh is not None else ""

        def work(conn: sqlite3.Connection) -> bool:
            # The conditional UPDATE is the single-use check; nothing else is written when it matches no row.
            rows = conn.execute(_ROTATE_REFRESH, (now, successor, successor_sealed, old_hash)).fetchall()
            if not rows:
                return False
            if rows[0][0]:
                conn.execute(_DELETE_ACCESS, (rows[0][0],))
            self._insert_issued(conn, None, access, refresh)
            return True

        return self._write(work)

    def revoke_grant(self, grant_id: str) -> int:
        def work(conn: sqlite3.Connection) -> int:
            removed = conn.execute("DELETE FROM oauth_access_tokens WHERE grant_id = ?", (grant_id,)).rowcount
            removed += conn.execute("DELETE FROM oauth_refresh_tokens WHERE grant_id = ?", (grant_id,)).rowcount
            return removed

        return self._write(work)

    def _revoke(self, statements: tuple[tuple[str, ...], tuple[str, ...]], params: tuple[str, ...]) -> int:
        token_deletes, other_deletes = statements

        def work(conn: sqlite3.Connection) -> int:
            removed = sum(conn.execute(sql, params).rowcount for sql in token_deletes)
            for sql in other_deletes:
                conn.execute(sql, params)
            return removed

        return self._write(work)

    def revoke_user_app(self, user_id: str, client_id: str) -> int:
        """Returns the number of tokens (access and refresh) removed."""
        return self._revoke(_REVOKE_USER_APP, (user_id, client_id))

    def revoke_user(self, user_id: str) -> int:
        """Returns the number of tokens (access and refresh) removed."""
        return self._revoke(_REVOKE_USER, (user_id,))

    def hit_rate_limits(self, hits: list[tuple[str, int]], window_start: int) -> list[int]:
        def work(conn: sqlite3.Connection) -> list[int]:
            return [conn.execute(_HIT_RATE_LIMIT, (bucket, window_start, cost)).fetchone()[0]
                    for bucket, cost in hits]

        return self._write(work)

    def save_audit_events(self, events: list[AuditRecord]) -> None:
        if events:
            self._write(lambda conn: conn.executemany(
                _INSERT_AUDIT, [(e.id, e.create_at, e.type, e.user_id, e.client_id, e.grant_id, e.remote_addr,
                                 e.detail) for e in events]))

    def list_audit_events(self, offset: int, limit: int) -> list[AuditRecord]:
        return [AuditRecord(*row) for row in self._all(_LIST_AUDIT, (limit, offset))]

    def delete_audit_events(self, before: int) -> int:
        removed = 0
        while True:
            chunk = self._write(lambda conn: conn.execute(_DELETE_AUDIT_CHUNK, (before, CLEANUP_CHUNK)).rowcount)
            removed += chunk
            if chunk < CLEANUP_CHUNK:
                return removed

    def delete_expired(self, now: int) -> int:
        """Also removes the grants left with no token and no code by this sweep (they count as rows removed)."""
        removed = 0
        for sql in _EXPIRE_CHUNK:
            while True:
                expired, orphans = self._write(lambda conn, sql=sql: self._expire_chunk(conn, sql, now))
                removed += expired + orphans
                if expired < CLEANUP_CHUNK:
                    break
        return removed + self._write(lambda conn: conn.execute(
            "DELETE FROM oauth_rate_limits WHERE window_start < ?", (now - _RATE_LIMIT_KEEP_MS,)).rowcount)

    @staticmethod
    def _expire_chunk(conn: sqlite3.Connection, sql: str, now: int) -> tuple[int, int]:
        """One chunk of expired rows, and the grants among theirs that this leaves with no token and no code
        (the table deleted from last holds a grant's last row, so every such grant is seen)."""
        rows = conn.execute(sql, (now, CLEANUP_CHUNK)).fetchall()
        candidates = {row[0] for row in rows if row[0]}
        orphans = conn.executemany(_DELETE_ORPHAN_GRANT, [(g,) for g in candidates]).rowcount if candidates else 0
        return len(rows), orphans
