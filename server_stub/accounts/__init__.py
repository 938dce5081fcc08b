"""The host's own users, sessions and roles (Mattermost owns these, not the plugin).

Plain SQL, SQLite by default (WAL, one connection per thread), PostgreSQL when SqlSettings.DriverName is
"postgres" (SqlSettings.DataSource is then a DSN; several hosts share it). While PostgreSQL is unreachable every
call raises `DatabaseUnavailable` at once (the HTTP layer answers 503 with Retry-After); it recovers by itself.

| Module | What |
|---|---|
| `model.py`, `errors.py` | User, SessionRecord, Role, Caller; AccountError and the ids it carries |
| `passwords.py`, `password_rules.py` | scrypt with a per-user salt; PasswordSettings for new passwords |
| `database.py`, `sqlite.py`, `postgres.py` | the two databases: connections, transactions, row locks |
| `migrations/`, `migrate.py` | the tables: numbered migrations, applied at start |
| `users.py`, `sessions.py`, `roles.py`, `systems.py` | one aggregate each: its queries |
| `teams.py`, `channels.py`, `posts.py` | teams and their members, channels and theirs, posts: model and queries |
| `access.py` | what a user may do in a team or a channel (system, team and channel roles) |
| `service.py` | `Accounts`, the aggregates over one database, and `open_accounts(config)` |

A new aggregate is one more module with a `Store` subclass, listed in service.py, and a new numbered migration for
its tables. Everything is importable from `server_stub.accounts`.
"""
from . import access
from .channels import DIRECT, OPEN, PRIVATE, Channel, ChannelMember
from .database import open_database
from .errors import INVALID_CREDENTIALS, TOO_MANY_ATTEMPTS, AccountError, DatabaseUnavailable, WrongPassword
from .model import (EMAIL_PATTERN, ID_PATTERN, MAX_TOKEN_LENGTH, RESERVED_USERNAMES, USERNAME_PATTERN, Caller,
                    Clock, Role, SessionRecord, SystemClock, User, is_valid_id, now_ms, validate_new_user)
from .posts import Post, PostList
from .password_rules import PasswordRules, check_new_password
from .passwords import check_password, hash_password
from .service import Accounts, open_accounts
from .sessions import hash_token
from .teams import Team, TeamMember
from .systems import (INTEGRATION_POLICY_SYSTEM_KEY, apply_integration_policy, follow_integration_setting,
                      only_admin_integrations)
from .users import maximum_login_attempts

__all__ = [
    "DIRECT", "OPEN", "PRIVATE", "Channel", "ChannelMember", "Post", "PostList", "Team", "TeamMember", "access",
    "EMAIL_PATTERN", "ID_PATTERN", "INTEGRATION_POLICY_SYSTEM_KEY", "INVALID_CREDENTIALS", "MAX_TOKEN_LENGTH",
    "RESERVED_USERNAMES", "TOO_MANY_ATTEMPTS", "USERNAME_PATTERN", "AccountError", "Accounts", "Caller",
    "Clock", "DatabaseUnavailable", "PasswordRules", "Role", "SessionRecord", "SystemClock", "User",
    "WrongPassword", "apply_integration_policy", "check_new_password", "check_password", "follow_integration_setting",
    "hash_password", "hash_token", "is_valid_id", "maximum_login_attempts", "now_ms", "only_admin_integrations",
    "open_accounts", "open_database", "validate_new_user",
]
