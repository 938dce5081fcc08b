"""PostgreSQL implementation of the store contract, for several nodes sharing one database.

    store = PostgresStore("postgresql://oauth:secret@db:5432/mattermost")
    store.migrate()            # applies pending migrations (the same numbered files as SQLite)
    ...
    store.close()

Selected by the plugin settings `DriverName = postgres` and `DataSource = <DSN>` (Mattermost's SqlSettings
naming). The SQL is SqliteStore's, with `%s` for `?` (plugin/store/sqlite.py keeps it, so both stores read and
write rows the same way); what differs is here:

- **Connections**: `PgPool` (plugin/store/pgpool.py): psycopg 3 with psycopg_pool, short connect and statement
  timeouts, 503-style `StoreUnavailable` at once while the database is down, a fresh pool when it is back.
- **Single use** of codes and refresh tokens is the same one conditional `UPDATE ... WHERE used_at IS NULL
  RETURNING`. Transactions run at READ COMMITTED: a second updater of the row waits for the first to commit and
  then re-checks the condition against the committed row, so exactly one caller wins and the others see no row
  (REPEATABLE READ or SERIALIZABLE would make them fail with serialization errors instead).
- **Revocations** are several statements, and READ COMMITTED gives each statement its own snapshot: a token
  inserted by a concurrent exchange or rotation could slip between "delete the tokens" and "delete the grant".
  So every multi-statement writer locks before it reads, always in the order app -> codes -> grants -> tokens:
  an app deletion locks the app row (new codes, consents and grants for it wait on their foreign key and then
  fail); revocations delete the codes first (an exchange updates its code row first and inserts its grant and
  tokens in the same transaction, so the two serialise), then
  lock the grants `FOR UPDATE` and delete exactly those grants' tokens and the grants; a rotation or an issue
  under an existing grant holds the grant row `FOR SHARE` (or `FOR KEY SHARE` through the foreign key), so a
  revocation of the grant waits for it and then sees its tokens, or it waits for the revocation and finds the
  grant gone. Deadlocks and serialization failures that slip through anyway are retried by PgPool.
- **Migrations** take a transaction-level advisory lock, so nodes starting together apply each one once.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import psycopg
from psycopg import errors as pg_errors

from ..clock import SystemClock
from . import migrations
from . import sqlite as shared
from .contract import AlreadyExists, Store, StoreError, StoreUnavailable
from .pgpool import PgPool
from .rows import RowQueries, RowStatements
from .records import (
    AccessTokenRecord,
    AuditRecord,
    GrantRecord,
    RefreshTokenRecord,
)

T = TypeVar("T")

# pg_advisory_xact_lock key of schema migrations ("oauthmig" in ASCII).
MIGRATION_LOCK = 0x6F617574686D6967


def _pg(sql: str) -> str:
    """SQLite's `?` placeholders as psycopg's `%s` (the shared SQL holds no `?` or `%` in literals)."""
    return sql.replace("?", "%s")


_ROTATE_REFRESH = _pg(shared._ROTATE_REFRESH)
_DELETE_ACCESS = _pg(shared._DELETE_ACCESS)
_EXPIRE = tuple(_pg(sql) for sql in shared._EXPIRE)
_HIT_RATE_LIMIT = _pg(shared._HIT_RATE_LIMIT)
_INSERT_AUDIT = _pg(shared._INSERT_AUDIT)
_LIST_AUDIT = _pg(shared._LIST_AUDIT)

# Locks, always taken in the order app -> codes -> grants -> tokens (see the module docstring).
_LOCK_APP = "SELECT id FROM oauth_apps WHERE id = %s FOR UPDATE"
_LOCK_GRANT = "SELECT id FROM oauth_grants WHERE id = %s FOR UPDATE"
_SHARE_GRANT = "SELECT id FROM oauth_grants WHERE id = %s FOR SHARE"
_DELETE_GRANT_TOKENS = (
    "DELETE FROM oauth_access_tokens WHERE grant_id = ANY(%s)",
    "DELETE FROM oauth_refresh_tokens WHERE grant_id = ANY(%s)",
)
_DELETE_GRANTS = "DELETE FROM oauth_grants WHERE id = ANY(%s)"
_LOCK_ORPHAN_CANDIDATES = "SELECT id FROM oauth_grants WHERE id = ANY(%s) FOR UPDATE SKIP LOCKED"
_DELETE_ORPHAN_GRANTS = (
    "DELETE FROM oauth_grants WHERE id = ANY(%s)"
    " AND NOT EXISTS (SELECT 1 FROM oauth_access_tokens t WHERE t.grant_id = oauth_grants.id)"
    " AND NOT EXISTS (SELECT 1 FROM oauth_refresh_tokens r WHERE r.grant_id = oauth_grants.id)"
    " AND NOT EXISTS (SELECT 1 FROM oauth_codes c WHERE c.code_hash = oauth_grants.code_hash)"
)


def _chain(grant: GrantRecord | None, access: AccessTokenRecord,
           refresh: RefreshTokenRecord | None) -> tuple[str, tuple[Any, ...]]:
    """One statement inserting the grant (when new) and its tokens: a round trip instead of three."""
    def insert(table: str, cols: str) -> str:
        return f"INSERT INTO {table} ({cols}) SELECT {', '.join(['%s'] * (cols.count(',') + 1))}"

    rows = [(insert("oauth_access_tokens", shared._ACCESS_COLS), shared._access_values(access))]
    if refresh is not None:
        rows.append((insert("oauth_refresh_tokens", shared._REFRESH_COLS), shared._refresh_values(refresh)))
    if grant is not None:
        # The tokens' foreign key is checked at the end of the statement, after the grant's insert.
        rows.insert(0, (insert("oauth_grants", shared._GRANT_COLS), shared._grant_values(grant)))
    *first, (last, last_values) = rows
    ctes = ", ".join(f"step{i} AS ({sql} RETURNING 1)" for i, (sql, _) in enumerate(first))
    values = [value for _, row_values in first for value in row_values] + list(last_values)
    return (f"WITH {ctes} {last}" if ctes else last), tuple(values)


class _Scope:
    """The rows a revocation covers: `where` on oauth_codes, oauth_grants and oauth_consents alike."""

    def __init__(self, where: str) -> None:
        self.codes = f"DELETE FROM oauth_codes WHERE {where}"
        self.grants = f"SELECT id FROM oauth_grants WHERE {where} ORDER BY id FOR UPDATE"
        self.consents = f"DELETE FROM oauth_consents WHERE {where}"


_USER_APP = _Scope("user_id = %s AND client_id = %s")
_USER = _Scope("user_id = %s")
_APP = _Scope("client_id = %s")


def _wrap(error: psycopg.Error) -> StoreError:
    if isinstance(error, pg_errors.UniqueViolation):
        return AlreadyExists(str(error))
    return StoreError(f"postgres: {type(error).__name__}: {error}")


class PostgresStore(RowQueries, Store):
    """The store on a PostgreSQL database (a DSN). Thread-safe; call `migrate()` before anything else."""

    _sql = RowStatements._make(_pg(sql) for sql in shared.ROW_SQL)

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

        def locked(conn: psycopg.Connection) -> int:
            conn.execute("SET LOCAL statement_timeout = 0")  # a migration may rewrite a large table
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute(migrations.SCHEMA_VERSION_DDL)
            return conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]

        current = self._write(locked)
        for migration in pending:
            if current >= migration.version:
                continue

            def apply(conn: psycopg.Connection, migration=migration) -> int:
                # Re-read under the lock: another node may have applied it meanwhile.
                version = locked(conn)
                if version < migration.version:
                    for statement in migration.statements():
                        conn.execute(statement)
                    conn.execute(
                        "INSERT INTO schema_version (version, name, applied_at) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, SystemClock().now_ms()),
                    )
                    version = migration.version
                return version

            current = self._write(apply)
        return self._read(lambda conn: conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                          .fetchone()[0])

    def close(self) -> None:
        self._pool.close()

    # --- apps ----------------------------------------------------------------------------------------------
    def delete_app(self, app_id: str) -> bool:
        def work(conn: psycopg.Connection) -> bool:
            # With the app row locked, no new code, consent or grant can refer to it (their foreign-key check
            # waits, then fails); writers that got in before have committed.
            if conn.execute(_LOCK_APP, (app_id,)).fetchone() is None:
                return False
            self._revoke_in(conn, _APP, (app_id,))
            conn.execute("DELETE FROM oauth_apps WHERE id = %s", (app_id,))
            return True

        return self._write(work)

    # --- grants and tokens ---------------------------------------------------------------------------------
    @staticmethod
    def _insert_issued(conn: psycopg.Connection, grant: GrantRecord | None, access: AccessTokenRecord,
                       refresh: RefreshTokenRecord | None) -> None:
        conn.execute(*_chain(grant, access, refresh))

    def rotate_refresh_token(
        self,
        old_hash: str,
        now: int,
        access: AccessTokenRecord,
        refresh: RefreshTokenRecord | None,
        successor_sealed: str = "",
    ) -> bool:
        successor = refresh.token_hash if refresh is not None else ""

        def work(conn: psycopg.Connection) -> bool:
            # The grant row, shared: a revocation of the grant (FOR UPDATE) either waits for this rotation and
            # then deletes its tokens too, or has already removed the grant, and then there is nothing to rotate.
            if conn.execute(_SHARE_GRANT, (access.grant_id,)).fetchone() is None:
                return False
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
        def work(conn: psycopg.Connection) -> int:
            if conn.execute(_LOCK_GRANT, (grant_id,)).fetchone() is None:
                return 0  # no grant, no tokens (they refer to it)
            return sum(conn.execute(sql, ([grant_id],)).rowcount for sql in _DELETE_GRANT_TOKENS)

        return self._write(work)

    @staticmethod
    def _revoke_in(conn: psycopg.Connection, scope: _Scope, params: tuple[str, ...]) -> int:
        """Codes, then the grants (locked) with their tokens, then consents; the number of tokens removed."""
        conn.execute(scope.codes, params)
        grant_ids = [row[0] for row in conn.execute(scope.grants, params).fetchall()]
        removed = 0
        if grant_ids:
            removed = sum(conn.execute(sql, (grant_ids,)).rowcount for sql in _DELETE_GRANT_TOKENS)
            conn.execute(_DELETE_GRANTS, (grant_ids,))
        conn.execute(scope.consents, params)
        return removed

    def revoke_user_app(self, user_id: str, client_id: str) -> int:
        """Returns the number of tokens (access and refresh) removed."""
        return self._write(lambda conn: self._revoke_in(conn, _USER_APP, (user_id, client_id)))

    def revoke_user(self, user_id: str) -> int:
        """Returns the number of tokens (access and refresh) removed."""
        return self._write(lambda conn: self._revoke_in(conn, _USER, (user_id,)))

    # --- rate limits ---------------------------------------------------------------------------------------
    def hit_rate_limits(self, hits: list[tuple[str, int]], window_start: int) -> list[int]:
        def work(conn: psycopg.Connection) -> list[int]:
            counts: dict[int, int] = {}
            # In bucket order: two callers counting the same buckets lock their rows in the same order.
            for index in sorted(range(len(hits)), key=lambda i: hits[i][0]):
                bucket, cost = hits[index]
                counts[index] = conn.execute(_HIT_RATE_LIMIT, (bucket, window_start, cost)).fetchone()[0]
            return [counts[i] for i in range(len(hits))]

        return self._write(work) if hits else []

    # --- audit ---------------------------------------------------------------------------------------------
    def save_audit_events(self, events: list[AuditRecord]) -> None:
        if events:
            rows = [(e.id, e.create_at, e.type, e.user_id, e.client_id, e.grant_id, e.remote_addr, e.detail)
                    for e in events]
            self._write(lambda conn: conn.cursor().executemany(_INSERT_AUDIT, rows))

    def list_audit_events(self, offset: int, limit: int) -> list[AuditRecord]:
        if limit <= 0:
            return []
        return [AuditRecord(*row) for row in self._all(_LIST_AUDIT, (limit, max(offset, 0)))]

    def delete_audit_events(self, before: int) -> int:
        return self._write(
            lambda conn: conn.execute("DELETE FROM oauth_audit_events WHERE create_at < %s", (before,)).rowcount)

    # --- expiry --------------------------------------------------------------------------------------------
    def delete_expired(self, now: int) -> int:
        """Also removes the grants left with no token and no code by this sweep (they count as rows removed)."""

        def work(conn: psycopg.Connection) -> int:
            removed = 0
            candidates: set[str] = set()
            for sql in _EXPIRE:
                rows = conn.execute(sql, (now,)).fetchall()
                removed += len(rows)
                candidates.update(row[0] for row in rows if row[0])
            if candidates:
                # Grants a rotation or issue is writing under right now are skipped (the next sweep sees them);
                # the locked ones get no new token before this commits, so the NOT EXISTS checks hold.
                locked = [row[0] for row in conn.execute(_LOCK_ORPHAN_CANDIDATES, (sorted(candidates),))]
                if locked:
                    removed += conn.execute(_DELETE_ORPHAN_GRANTS, (locked,)).rowcount
            removed += conn.execute("DELETE FROM oauth_rate_limits WHERE window_start < %s",
                                    (now - shared._RATE_LIMIT_KEEP_MS,)).rowcount
            return removed

        return self._write(work)
