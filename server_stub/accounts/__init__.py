"""The host's own users, sessions and roles (Mattermost owns these, not the plugin).

Plain SQL, SQLite by default (WAL, one connection per thread), PostgreSQL when SqlSettings.DriverName is
"postgres" (SqlSettings.DataSource is then a DSN; several hosts share it). While PostgreSQL is unreachable every
call raises `DatabaseUnavailable` at once (the HTTP layer answers 503 with Retry-After); it recovers by itself.

| Module | What |
|---|---|
| `model.py` | User, SessionRecord, Role, Caller, AccountError, the checks a new user passes |
| `passwords.py` | scrypt with a per-user salt |
| `database.py`, `sqlite.py`, `postgres.py` | the two databases: connections, transactions, row locks |
| `users.py`, `sessions.py`, `roles.py`, `systems.py` | one aggregate each: its table and its queries |
| `service.py` | `Accounts`, the aggregates over one database, and `open_accounts(config)` |

A new aggregate (teams, channels, posts) is one more module with its `SCHEMA` and a `Store` subclass, listed in
service.py. Everything is importable from `server_stub.accounts`.
"""
from .database import open_database
from .model import (EMAIL_PATTERN, ID_PATTERN, INVALID_CREDENTIALS, MAX_TOKEN_LENGTH, RESERVED_USERNAMES,
                    USERNAME_PATTERN, AccountError, Caller, Clock, DatabaseUnavailable, Role, SessionRecord,
                    SystemClock, User, is_valid_id, now_ms, validate_new_user)
from .passwords import check_password, hash_password
from .service import SCHEMA, Accounts, open_accounts
from .sessions import hash_token
from .systems import (INTEGRATION_POLICY_SYSTEM_KEY, apply_integration_policy, follow_integration_setting,
                      only_admin_integrations)

__all__ = [
    "EMAIL_PATTERN", "ID_PATTERN", "INTEGRATION_POLICY_SYSTEM_KEY", "INVALID_CREDENTIALS", "MAX_TOKEN_LENGTH",
    "RESERVED_USERNAMES", "SCHEMA", "USERNAME_PATTERN", "AccountError", "Accounts", "Caller", "Clock",
    "DatabaseUnavailable", "Role", "SessionRecord", "SystemClock", "User", "apply_integration_policy",
    "check_password", "follow_integration_setting", "hash_password", "hash_token", "is_valid_id", "now_ms",
    "only_admin_integrations", "open_accounts", "open_database", "validate_new_user",
]
