"""The host's schema: its numbered migrations (accounts/migrations/) applied at start, on SQLite and PostgreSQL.

Each pending migration runs in one transaction with the row that records it in `host_schema_version`; under
PostgreSQL a transaction-level advisory lock makes hosts that start together apply each one once (SQLite's BEGIN
IMMEDIATE serialises them already). Migration 1 is the schema of the host before it numbered its migrations; on a
database from then it also adds the columns that the tables gained meanwhile (LEGACY_COLUMNS)."""
from __future__ import annotations

from importlib import resources

from plugin.store.migrations import load

VERSION_TABLE = "host_schema_version"
VERSION_DDL = (f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
               " version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
# Columns added to the tables of migration 1 before migrations were numbered: (table, column, definition).
LEGACY_COLUMNS = (("users", "failed_attempts", "INTEGER NOT NULL DEFAULT 0"),
                  ("users", "last_password_update", "BIGINT NOT NULL DEFAULT 0"))


def migrations(dialect: str):
    return load(dialect, resources.files(__package__) / "migrations")


def migrate(db, now_ms: int, upto: int | None = None) -> int:
    """Apply the pending migrations (up to `upto`, for tests) to `db` (a dialect object); answers the version."""
    current = 0
    for migration in migrations(db.name):
        if upto is not None and migration.version > upto:
            break
        with db.transaction() as conn:
            db.lock_schema(conn)
            conn.execute(VERSION_DDL)
            current = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {VERSION_TABLE}").fetchone()[0]
            if current >= migration.version:
                continue  # applied before, or by another host meanwhile
            for statement in migration.statements():
                conn.execute(statement)
            if migration.version == 1:
                db.add_missing_columns(conn, LEGACY_COLUMNS)
            conn.execute(f"INSERT INTO {VERSION_TABLE} (version, name, applied_at) VALUES (?, ?, ?)",
                         (migration.version, migration.name, now_ms))
            current = migration.version
    return current

