"""SQLite implementation of the store contract (the embedded default).

    store = SqliteStore("data/oauth.db")
    store.migrate()            # creates the directory and file, applies pending migrations
    store.save_app(app)
    ...
    store.close()

This file keeps connections and transactions; the contract's methods are SqlStore's (plugin/store/sqlstore.py)
and the SQL is plugin/store/sql.py's, shared with PostgreSQL.

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
100 ms a try), which is what made the slowest token requests slow. With the database's one write lock held, no
row needs a lock of its own (the locking hooks of SqlStore do nothing here). Single use of codes and refresh
tokens is one conditional `UPDATE ... RETURNING`. Expiry and audit sweeps delete a chunk per transaction.
"""
from __future__ import annotations

import dataclasses
import os
import pathlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from ..clock import SystemClock
from . import migrations
from .contract import AlreadyExists, StoreError
from .records import AppRecord
from .sql import Cascade, Sql
from .sqlstore import SqlStore

if sqlite3.sqlite_version_info < (3, 35, 0):  # RETURNING, on which single use relies
    raise ImportError(f"SqliteStore needs SQLite >= 3.35 (RETURNING); this Python has {sqlite3.sqlite_version}")

T = TypeVar("T")

# Expired rows and old audit events go a chunk per transaction: a request waiting for the write lock waits for one
# chunk at most.
CLEANUP_CHUNK = 500
_PK_CONFLICTS = {sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE}
CHECKPOINT_SECONDS = 1.0


def _wrap(error: sqlite3.Error) -> StoreError:
    if getattr(error, "sqlite_errorcode", None) in _PK_CONFLICTS:
        return AlreadyExists(str(error))
    return StoreError(f"sqlite: {error}")


class SqliteStore(SqlStore):
    """The store on one SQLite file. Thread-safe; call `migrate()` before anything else."""

    _sql = Sql("sqlite")

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
            os.makedirs(parent, mode=0o700, exist_ok=True)
            # Only this user may read it: 0600 before SQLite opens it (its -wal and -shm take the database's mode).
            os.close(os.open(self._path, os.O_WRONLY | os.O_CREAT, 0o600))
            for path in (self._path, self._path + "-wal", self._path + "-shm"):
                if os.path.exists(path) and os.stat(path).st_uid == os.geteuid():
                    os.chmod(path, 0o600)
        except OSError as e:
            raise StoreError(f"cannot create {e.filename or parent}: {e}") from e
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
                    applied = {row[0] for row in conn.execute(self._sql.applied_versions)}
                    if migration.version not in applied:
                        for statement in migration.statements():
                            conn.execute(statement)
                        conn.execute(self._sql.record_version,
                                     (migration.version, migration.name, SystemClock().now_ms()))
                except BaseException:
                    conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            version = conn.execute(self._sql.current_version).fetchone()[0]
        except sqlite3.Error as e:
            raise _wrap(e) from e
        finally:
            self._release(conn)
        self._start_checkpointer()
        return version

    def schema_version(self) -> int:
        if not os.path.exists(self._path):
            return 0
        try:
            conn = sqlite3.connect(pathlib.Path(os.path.abspath(self._path)).as_uri() + "?mode=ro", uri=True,
                                   timeout=self._busy_timeout_ms / 1000)
        except sqlite3.Error as e:
            raise _wrap(e) from e
        try:
            if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
                            ).fetchone() is None:
                return 0
            return conn.execute(self._sql.current_version).fetchone()[0]
        except sqlite3.Error as e:
            raise _wrap(e) from e
        finally:
            conn.close()

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

    def edit_app(self, app_id: str, change) -> AppRecord | None:
        try:
            return super().edit_app(app_id, change)
        finally:
            self._forget_app(app_id)

    def delete_app(self, app_id: str) -> bool:
        try:
            return super().delete_app(app_id)
        finally:
            self._forget_app(app_id)

    # --- locking: BEGIN IMMEDIATE holds the database's one write lock, so there is no row to lock --------------
    def _lock_app(self, conn: sqlite3.Connection, app_id: str) -> bool:
        return True

    def _share_grant(self, conn: sqlite3.Connection, grant_id: str) -> bool:
        return True

    def _lock_grants(self, conn: sqlite3.Connection, cascade: Cascade, params: tuple[str, ...]) -> tuple[str, ...]:
        return params  # the cascade's statements select the grants themselves

    def _in_lock_order(self, hits: list[tuple[str, int]]) -> list[int]:
        return list(range(len(hits)))

    # --- sweeps, a chunk per transaction -------------------------------------------------------------------
    def delete_audit_events(self, before: int) -> int:
        removed = 0
        while True:
            chunk = self._write(
                lambda conn: conn.execute(self._sql.delete_audit_chunk, (before, CLEANUP_CHUNK)).rowcount)
            removed += chunk
            if chunk < CLEANUP_CHUNK:
                return removed

    def delete_expired(self, now: int) -> int:
        """Also removes the grants left with no token and no code by this sweep (they count as rows removed)."""
        removed = 0
        for sql in self._sql.expire_chunk:
            while True:
                expired, orphans = self._write(lambda conn, sql=sql: self._expire_chunk(conn, sql, now))
                removed += expired + orphans
                if expired < CLEANUP_CHUNK:
                    break
        return removed + self._write(lambda conn: self._delete_rate_limits(conn, now))

    def _expire_chunk(self, conn: sqlite3.Connection, sql: str, now: int) -> tuple[int, int]:
        """One chunk of expired rows, and the grants among theirs that this leaves with no token and no code
        (the table deleted from last holds a grant's last row, so every such grant is seen)."""
        rows = conn.execute(sql, (now, CLEANUP_CHUNK)).fetchall()
        candidates = {row[0] for row in rows if row[0]}
        if not candidates:
            return len(rows), 0
        return len(rows), conn.executemany(self._sql.delete_orphan_grant, [(g,) for g in candidates]).rowcount
