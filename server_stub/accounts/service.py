"""Accounts: the host's users, sessions, roles, system values, teams, channels and posts over one database, each
aggregate's methods in its own module (users.py, sessions.py, roles.py, systems.py, teams.py, channels.py,
posts.py); the tables are the numbered migrations' (migrate.py)."""
from __future__ import annotations

from .channels import Channels
from .database import open_database
from .migrate import migrate
from .model import Clock, SystemClock
from .posts import Posts
from .roles import Roles
from .sessions import Sessions
from .systems import Systems
from .teams import Teams
from .users import Users


def open_accounts(config: dict, clock: Clock | None = None) -> "Accounts":
    """The accounts of the host whose configuration this is (SqlSettings.DriverName and DataSource)."""
    sql = config.get("SqlSettings") or {}
    return Accounts(sql.get("DataSource") or "", clock=clock, driver_name=sql.get("DriverName") or "sqlite")


class Accounts(Users, Sessions, Roles, Systems, Teams, Channels, Posts):
    def __init__(self, path: str, clock: Clock | None = None, driver_name: str = "sqlite") -> None:
        """`path` is SqlSettings.DataSource: a SQLite file, or a PostgreSQL DSN when `driver_name` is
        "postgres"."""
        self.db = open_database(driver_name, path)
        self.path = path
        self.clock = clock or SystemClock()
        try:
            migrate(self.db, self.clock.now_ms())
            self._seed_roles()
        except BaseException:
            self.db.close()  # a failed attempt leaves no pool behind
            raise
