"""The accounts on PostgreSQL (SqlSettings.DataSource a DSN; several hosts share it). Statements keep SQLite's `?`
placeholders (swapped for `%s` here); a read-then-write locks its rows (READ COMMITTED). While the database is
unreachable every call raises DatabaseUnavailable at once; the pool recovers by itself (plugin/store/pgpool.py,
shared with the plugin's store)."""
from __future__ import annotations

import contextlib
from typing import Iterator

from .errors import DatabaseUnavailable


class _PgRow(dict):
    """A row by column name, like sqlite3.Row, and by position (`row[0]`)."""

    def __getitem__(self, key):
        if isinstance(key, int):
            return list(self.values())[key]
        return super().__getitem__(key)


def _pg_rows(cursor):
    names = [column.name for column in cursor.description or ()]
    return lambda values: _PgRow(zip(names, values))


class _PgResult:
    """A statement's answer, read in full before its connection went back to the pool."""

    def __init__(self, cursor) -> None:
        self.rowcount = cursor.rowcount
        self._rows = cursor.fetchall() if cursor.description else []

    def fetchone(self):
        return self._rows[0] if self._rows else None

    def fetchall(self) -> list:
        return list(self._rows)


class _PgConnection:
    """What the SQL in this module needs of a connection: `execute` with `?` placeholders."""

    def __init__(self, conn) -> None:
        conn.row_factory = _pg_rows
        self._conn = conn

    def execute(self, sql: str, params=()):
        return self._conn.execute(sql.replace("?", "%s"), tuple(params))


class _PgReader:
    """Each statement on its own, in autocommit, on a pooled connection."""

    def __init__(self, pool) -> None:
        self._pool = pool

    def execute(self, sql: str, params=()) -> _PgResult:
        return self._pool.read(lambda conn: _PgResult(_PgConnection(conn).execute(sql, params)))


class Postgres:
    """A PostgreSQL database (a DSN), shared by several hosts."""
    name = "postgres"
    find = "strpos"
    for_update = " FOR UPDATE"  # READ COMMITTED: lock what a read-then-write reads
    USERS_LOCK = 0x686F737475736572  # pg_advisory_xact_lock key ("hostuser")
    SCHEMA_LOCK = 0x686F7374736368  # ("hostsch")

    def __init__(self, dsn: str) -> None:
        import psycopg

        from plugin.store.pgpool import PgPool

        self.integrity_errors = (psycopg.IntegrityError,)
        try:
            self._pool = PgPool(dsn, name="host-accounts", min_size=1, max_size=8,
                                unavailable=DatabaseUnavailable, closed=DatabaseUnavailable)
        except psycopg.Error as exc:
            raise ValueError(f"invalid SqlSettings.DataSource: {exc}") from None

    def lock_schema(self, db) -> None:
        """Hosts starting together migrate one at a time (DDL is not safe against itself in PostgreSQL)."""
        db.execute("SELECT pg_advisory_xact_lock(?)", (self.SCHEMA_LOCK,))

    def add_missing_columns(self, db, columns: tuple[tuple[str, str, str], ...]) -> None:
        """The columns (table, column, definition) a table from an older version lacks."""
        for table, column, definition in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {definition}")

    def reader(self) -> _PgReader:
        return _PgReader(self._pool)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[_PgConnection]:
        with self._pool.transaction() as conn:
            yield _PgConnection(conn)

    def lock_users(self, db) -> None:
        """Serialise writers that count users before inserting one (the first account becomes the admin)."""
        db.execute("SELECT pg_advisory_xact_lock(?)", (self.USERS_LOCK,))

    def close(self) -> None:
        self._pool.close()
