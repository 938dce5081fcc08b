"""PostgreSQL implementation of the store contract, for several nodes sharing one database.

    store = PostgresStore("postgresql://oauth:secret@db:5432/mattermost")
    store.migrate()            # applies pending migrations (the same numbered files as SQLite)
    ...
    store.close()

Selected by the plugin settings `DriverName = postgres` and `DataSource = <DSN>` (Mattermost's SqlSettings
naming). The contract's methods are SqlStore's (plugin/store/sqlstore.py) and the SQL is plugin/store/sql.py's,
shared with SQLite, so both stores read and write rows the same way; this file keeps connections, transactions and
the row locks:

- **Connections**: `PgPool` (plugin/store/pgpool.py): psycopg 3 with psycopg_pool, short connect and statement
  timeouts, 503-style `StoreUnavailable` at once while the database is down, a fresh pool when it is back.
- **Single use** of codes and refresh tokens is the same one conditional `UPDATE ... WHERE used_at IS NULL
  RETURNING`. Transactions run at READ COMMITTED: a second updater of the row waits for the first to commit and
  then re-checks the condition against the committed row, so exactly one caller wins and the others see no row
  (REPEATABLE READ or SERIALIZABLE would make them fail with serialization errors instead).
- **Revocations** are several statements, and READ COMMITTED gives each statement its own snapshot: a token
  inserted by a concurrent exchange or rotation could slip between "delete the tokens" and "delete the grant".
  So every multi-statement writer locks before it reads, always in the order app -> codes -> grants -> tokens,
  which is the order of sql.TOKEN_TABLES (every cascade is built from it): an app deletion locks the app row (new
  codes, consents and grants for it wait on their foreign key and then fail); revocations delete the codes first
  (an exchange updates its code row first and inserts its grant and tokens in the same transaction, so the two
  serialise), then lock the grants `FOR UPDATE` and delete exactly those grants' tokens and the grants; a
  rotation or an issue under an existing grant holds the grant row `FOR SHARE` (or `FOR KEY SHARE` through the
  foreign key), so a revocation of the grant waits for it and then sees its tokens, or it waits for the
  revocation and finds the grant gone. Deadlocks and serialization failures that slip through anyway are retried
  by PgPool.
- **Migrations** take a transaction-level advisory lock, so nodes starting together apply each one once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors

from ..clock import SystemClock
from . import migrations
from .contract import AlreadyExists, StoreError, StoreUnavailable
from .pgpool import PgPool
from .sql import Cascade, Sql
from .sqlstore import SqlStore

T = TypeVar("T")

# pg_advisory_xact_lock key of schema migrations ("oauthmig" in ASCII).
MIGRATION_LOCK = 0x6F617574686D6967


def _wrap(error: psycopg.Error) -> StoreError:
    if isinstance(error, pg_errors.UniqueViolation):
        return AlreadyExists(str(error))
    return StoreError(f"postgres: {type(error).__name__}: {error}")


class PostgresStore(SqlStore):
    """The store on a PostgreSQL database (a DSN). Thread-safe; call `migrate()` before anything else."""

    _sql = Sql("postgres")

    def __init__(
        self,
        dsn: str,
        *,
        max_connections: int = 10,
        connect_timeout: int = 2,
        statement_timeout_ms: int = 5000,
        probe_interval: float = 0.5,
    ) -> None:
        if not dsn:
            raise ValueError("PostgresStore needs a DSN (the DataSource setting)")
        try:
            self._pool = PgPool(
                dsn, name="oauth-provider", min_size=1, max_size=max_connections, connect_timeout=connect_timeout,
                statement_timeout_ms=statement_timeout_ms, probe_interval=probe_interval,
                unavailable=StoreUnavailable, closed=StoreError,
            )
        except psycopg.Error as e:  # a malformed DSN
            raise ValueError(f"invalid PostgreSQL DataSource: {e}") from None

    # --- plumbing ------------------------------------------------------------------------------------------
    def _read(self, work: Callable[[psycopg.Connection], T]) -> T:
        try:
            return self._pool.read(work)
        except psycopg.Error as e:
            raise _wrap(e) from e

    def _write(self, work: Callable[[psycopg.Connection], T]) -> T:
        try:
            return self._pool.write(work)
        except psycopg.Error as e:
            raise _wrap(e) from e

    def _one(self, sql: str, params: Sequence[Any]) -> Any:
        return self._read(lambda conn: conn.execute(sql, params).fetchone())

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        return self._read(lambda conn: conn.execute(sql, params).fetchall())

    # --- lifecycle -----------------------------------------------------------------------------------------
    def migrate(self) -> int:
        pending = migrations.load("postgres")

        def locked(conn: psycopg.Connection) -> set[int]:
            conn.execute("SET LOCAL statement_timeout = 0")  # a migration may rewrite a large table
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(migrations.SCHEMA_VERSION_DDL)
            return {row[0] for row in conn.execute(self._sql.applied_versions).fetchall()}

        applied = self._write(locked)
        for migration in pending:
            if migration.version in applied:
                continue

            def apply(conn: psycopg.Connection, migration=migration) -> set[int]:
                # Re-read under the lock: another node may have applied it meanwhile.
                versions = locked(conn)
                if migration.version not in versions:
                    for statement in migration.statements():
                        conn.execute(statement)
                    conn.execute(self._sql.record_version,
                                 (migration.version, migration.name, SystemClock().now_ms()))
                    versions.add(migration.version)
                return versions

            applied = self._write(apply)
        return self._read(lambda conn: conn.execute(self._sql.current_version).fetchone()[0])

    def schema_version(self) -> int:
        def read(conn: psycopg.Connection) -> int:
            if conn.execute("SELECT to_regclass('schema_version')").fetchone()[0] is None:
                return 0
            return conn.execute(self._sql.current_version).fetchone()[0]

        return self._read(read)

    def close(self) -> None:
        self._pool.close()

    # --- the row locks (the module's docstring) ------------------------------------------------------------
    def _lock_app(self, conn: psycopg.Connection, app_id: str) -> bool:
        # With the app row locked, no new code, consent or grant can refer to it (their foreign-key check waits,
        # then fails); writers that got in before have committed.
        return conn.execute(self._sql.lock_app, (app_id,)).fetchone() is not None

    def _share_grant(self, conn: psycopg.Connection, grant_id: str) -> bool:
        # The grant row, shared: a revocation of the grant (FOR UPDATE) either waits for this rotation and then
        # deletes its tokens too, or has already removed the grant, and then there is nothing to rotate.
        return conn.execute(self._sql.share_grant, (grant_id,)).fetchone() is not None

    def _lock_grants(self, conn: psycopg.Connection, cascade: Cascade,
                     params: tuple[str, ...]) -> tuple[list[str]] | None:
        # After the codes (deleted first: an exchange holds its code row until it has inserted its grant), the
        # grants FOR UPDATE in id order; exactly their tokens go, so no token inserted meanwhile is missed.
        grant_ids = [row[0] for row in conn.execute(cascade.lock_grants, params).fetchall()]
        return (grant_ids,) if grant_ids else None  # no grant, no tokens (they refer to one)

    def _in_lock_order(self, hits: list[tuple[str, int]]) -> list[int]:
        # In bucket order: two callers counting the same buckets lock their rows in the same order.
        return sorted(range(len(hits)), key=lambda i: hits[i][0])

    # --- sweeps, one transaction each ----------------------------------------------------------------------
    def delete_audit_events(self, before: int) -> int:
        return self._write(lambda conn: conn.execute(self._sql.delete_audit, (before,)).rowcount)

    def delete_expired(self, now: int) -> int:
        """Also removes the grants left with no token and no code by this sweep (they count as rows removed)."""

        def work(conn: psycopg.Connection) -> int:
            removed = 0
            candidates: set[str] = set()
            for sql in self._sql.expire:
                rows = conn.execute(sql, (now,)).fetchall()
                removed += len(rows)
                candidates.update(row[0] for row in rows if row[0])
            if candidates:
                # Grants a rotation or issue is writing under right now are skipped (the next sweep sees them);
                # the locked ones get no new token before this commits, so the NOT EXISTS checks hold.
                locked = [row[0] for row in conn.execute(self._sql.lock_orphan_candidates, (sorted(candidates),))]
                if locked:
                    removed += conn.execute(self._sql.delete_orphan_grants, (locked,)).rowcount
            return removed + self._delete_rate_limits(conn, now)

        return self._write(work)
