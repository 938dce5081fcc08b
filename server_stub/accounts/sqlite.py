"""The accounts on one SQLite file: a connection per thread (WAL); writers serialise through BEGIN IMMEDIATE."""
from __future__ import annotations

import contextlib
import sqlite3
import threading
from typing import Iterator

from .. import files


class Sqlite:
    """One SQLite file: a connection per thread; writers serialise through BEGIN IMMEDIATE."""
    name = "sqlite"
    find = "instr"  # position of a substring, 0 when absent
    for_update = ""  # BEGIN IMMEDIATE holds the write lock: rows read in a write transaction cannot change
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def __init__(self, path: str) -> None:
        # 0600 before SQLite opens it, so that its -wal and -shm files (which take the database's mode) are too.
        if path and path != ":memory:" and not path.startswith("file:"):
            files.private_file(path)
            for suffix in ("-wal", "-shm"):
                files.restrict(path + suffix, files.FILE_MODE)
        self.path = path
        self._local = threading.local()

    def lock_schema(self, db) -> None:
        """Serialise migrations (BEGIN IMMEDIATE already does)."""

    def add_missing_columns(self, db, columns: tuple[tuple[str, str, str], ...]) -> None:
        """The columns (table, column, definition) a table from an older version lacks."""
        for table, column, definition in columns:
            if column not in {row["name"] for row in db.execute(f"PRAGMA table_info({table})")}:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")

    def reader(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that takes the write lock up front (no read-then-upgrade deadlocks)."""
        db = self.reader()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def lock_users(self, db) -> None:
        """Serialise with other writers of the users table (BEGIN IMMEDIATE already does)."""

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
