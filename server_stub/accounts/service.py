"""Accounts: the host's users, sessions, roles and system values over one database, each aggregate's methods in
its own module (users.py, sessions.py, roles.py, systems.py) and its table there too."""
from __future__ import annotations

from . import roles, sessions, systems, users
from .database import open_database
from .model import Clock, SystemClock
from .roles import Roles
from .sessions import Sessions
from .systems import Systems
from .users import Users

AGGREGATES = (users, sessions, roles, systems)
# Every aggregate's tables, created (if missing) at start, in this order, and the columns added to them since.
SCHEMA = "".join(module.SCHEMA for module in AGGREGATES)
ADDED_COLUMNS = tuple(column for module in AGGREGATES for column in getattr(module, "ADDED_COLUMNS", ()))


def open_accounts(config: dict, clock: Clock | None = None) -> "Accounts":
    """The accounts of the host whose configuration this is (SqlSettings.DriverName and DataSource)."""
    sql = config.get("SqlSettings") or {}
    return Accounts(sql.get("DataSource") or "", clock=clock, driver_name=sql.get("DriverName") or "sqlite")


class Accounts(Users, Sessions, Roles, Systems):
    def __init__(self, path: str, clock: Clock | None = None, driver_name: str = "sqlite") -> None:
        """`path` is SqlSettings.DataSource: a SQLite file, or a PostgreSQL DSN when `driver_name` is
        "postgres"."""
        self.db = open_database(driver_name, path)
        self.path = path
        self.clock = clock or SystemClock()
        try:
            self.db.create_schema(SCHEMA, ADDED_COLUMNS)
            self._seed_roles()
        except BaseException:
            self.db.close()  # a failed attempt leaves no pool behind
            raise
