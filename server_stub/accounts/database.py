"""The database under the accounts, and what every aggregate's queries stand on.

The SQL sticks to what SQLite and PostgreSQL both understand (`ON CONFLICT ... DO NOTHING`, no `INSERT OR ...`,
booleans as 0/1 parameters, `?` placeholders); the dialect objects (sqlite.Sqlite, postgres.Postgres) swap the
connection, the placeholders and the row locks a read-then-write needs under PostgreSQL's READ COMMITTED
(SQLite's BEGIN IMMEDIATE already serialises writers)."""
from __future__ import annotations

from .model import Clock
from .postgres import Postgres
from .sqlite import Sqlite


_DIALECTS = {"sqlite": Sqlite, "postgres": Postgres, "postgresql": Postgres}


def open_database(driver_name: str, data_source: str):
    """SqlSettings.DriverName and DataSource as the database of the accounts."""
    dialect = _DIALECTS.get((driver_name or "sqlite").lower())
    if dialect is None:
        raise ValueError(f"unsupported SqlSettings.DriverName {driver_name!r}")
    if dialect is Postgres and not data_source:
        raise ValueError("SqlSettings.DriverName postgres needs a DataSource (a PostgreSQL connection string)")
    return dialect(data_source)


class Store:
    """The plumbing each aggregate's methods use: `db` (a dialect object) and `clock`, set by Accounts."""
    db: object
    clock: Clock

    def _conn(self):
        """For single statements outside a transaction (reads)."""
        return self.db.reader()

    def _transaction(self):
        return self.db.transaction()

    def close(self) -> None:
        self.db.close()

    def _now(self) -> int:
        return self.clock.now_ms()
