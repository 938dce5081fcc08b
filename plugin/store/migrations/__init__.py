"""Numbered schema migrations shared by every store implementation.

Layout of this directory::

    NNNN_name.sql             portable SQL, used by every dialect
    NNNN_name.<dialect>.sql   optional per-dialect variant (dialect: "sqlite" or "postgres"); when present it
                              replaces NNNN_name.sql for that dialect only

Rules for writing a migration:

- Numbers start at 1 and increase; a number is never reused or edited once released (add a new one). A number
  may be missing: each migration is applied once, in number order among those not applied yet, so one numbered
  below the last applied (written beside it, on top of the same schema) still runs when it arrives.
- Prefer SQL both databases accept: TEXT, BIGINT, INTEGER, BOOLEAN with TRUE/FALSE defaults, plain and partial
  indexes, `REFERENCES`. Write a dialect variant only for a statement that cannot be shared.
- Statements are separated by `;` and comments start with `--`. Neither may appear inside a statement's string
  literals (nor `;` inside a comment), because `split_statements` is a plain text split that lets each statement
  run through the driver on its own.
- Each migration runs in one transaction together with the insert of its row in `schema_version`, which the
  runner creates itself (see SCHEMA_VERSION_DDL) so that it exists before the first migration.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable

DIALECTS = ("sqlite", "postgres")

# Created by the runner before it reads the applied versions, so it is not part of a numbered migration.
SCHEMA_VERSION_DDL = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER NOT NULL PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL)"
)

_FILE_RE = re.compile(r"^(\d{4})_([a-z0-9_]+?)(?:\.(" + "|".join(DIALECTS) + r"))?\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        return split_statements(self.sql)


def split_statements(sql: str) -> list[str]:
    """Split a migration into statements: drop `--` comments, split on `;`, skip empty pieces."""
    lines = [line.split("--", 1)[0] for line in sql.splitlines()]
    return [stmt.strip() for stmt in "\n".join(lines).split(";") if stmt.strip()]


def load(dialect: str, directory: Traversable | None = None) -> list[Migration]:
    """The migrations for `dialect` in version order, from this package (or `directory`, for tests).
    Raises ValueError when the set is malformed."""
    if dialect not in DIALECTS:
        raise ValueError(f"unknown dialect {dialect!r}")
    shared: dict[int, tuple[str, str]] = {}
    variants: dict[int, tuple[str, str]] = {}
    names: dict[int, str] = {}
    for entry in (directory or resources.files(__package__)).iterdir():
        match = _FILE_RE.match(entry.name)
        if match is None:
            continue
        version, name, file_dialect = int(match[1]), match[2], match[3]
        if names.setdefault(version, name) != name:
            raise ValueError(f"migration {version:04d} has two names: {names[version]!r} and {name!r}")
        if file_dialect is None:
            shared[version] = (name, entry.read_text(encoding="utf-8"))
        elif file_dialect == dialect:
            variants[version] = (name, entry.read_text(encoding="utf-8"))
    migrations = []
    for version in sorted(names):
        if version < 1:
            raise ValueError(f"migration numbers start at 1; got {version:04d}")
        chosen = variants.get(version) or shared.get(version)
        if chosen is None:
            raise ValueError(f"migration {version:04d} has no file for dialect {dialect!r}")
        migrations.append(Migration(version, chosen[0], chosen[1]))
    return migrations


def latest_version(dialect: str) -> int:
    migrations = load(dialect)
    return migrations[-1].version if migrations else 0
