"""The host's own users, sessions and roles (Mattermost owns these, not the plugin).

One module, plain SQL, SQLite by default (WAL, one connection per thread), PostgreSQL when
SqlSettings.DriverName is "postgres" (SqlSettings.DataSource is then a DSN; several hosts share it). The SQL
sticks to what both understand (`ON CONFLICT ... DO NOTHING`, no `INSERT OR ...`, booleans as 0/1 parameters);
the dialect switch (`_Sqlite`, `_Postgres`) swaps the connection, the `?` placeholders and the row locks a
read-then-write needs under PostgreSQL's READ COMMITTED (SQLite's BEGIN IMMEDIATE already serialises writers).
While PostgreSQL is unreachable every call raises `DatabaseUnavailable` at once (the HTTP layer answers 503
with Retry-After); it recovers by itself (plugin/store/pgpool.py, shared with the plugin's store).

- Passwords: scrypt with a per-user salt.
- Session tokens: 26-character Mattermost ids (128 random bits); only their SHA-256 is stored.
- Roles: Mattermost's Role model; a user's permissions are the union of the permissions of their roles.
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import sqlite3
import threading
import time
from typing import Iterator, Protocol

from . import permissions as perms
from .web.responses import new_request_id as new_id

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9.\-_]{2,21}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ID_PATTERN = re.compile(r"^[a-z0-9]{26}$")
# Mattermost's reserved usernames.
RESERVED_USERNAMES = frozenset({"all", "channel", "here", "matterbot", "system"})
MAX_TOKEN_LENGTH = 50  # Mattermost truncates presented tokens to this length before looking them up

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    roles TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    nickname TEXT NOT NULL DEFAULT '',
    locale TEXT NOT NULL DEFAULT 'en',
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL,
    create_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    csrf_token TEXT NOT NULL,
    props TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS idx_sessions_user_id ON sessions (user_id);
CREATE TABLE IF NOT EXISTS roles (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    create_at BIGINT NOT NULL,
    update_at BIGINT NOT NULL,
    delete_at BIGINT NOT NULL DEFAULT 0,
    permissions TEXT NOT NULL DEFAULT '',
    scheme_managed INTEGER NOT NULL DEFAULT 0,
    built_in INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS systems (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# What Mattermost's login answers for an unknown login id or a wrong password (deliberately the same).
INVALID_CREDENTIALS = ("api.user.login.invalid_credentials_email_username",
                       "Enter a valid email or username and/or password.")


class DatabaseUnavailable(Exception):
    """The accounts database cannot be reached now (PostgreSQL down or unreachable): try again shortly."""


class AccountError(Exception):
    def __init__(self, error_id: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        _, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                                   dklen=len(digest) // 2)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


# Checked against when the login id matches nobody, so that an unknown user costs as much time as a known one.
_DUMMY_HASH = hash_password(secrets.token_hex(8))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def is_valid_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value or ""))


@dataclasses.dataclass
class User:
    id: str
    username: str
    email: str
    password_hash: str
    roles: str
    first_name: str
    last_name: str
    nickname: str
    locale: str
    create_at: int
    update_at: int
    delete_at: int

    @property
    def is_active(self) -> bool:
        return self.delete_at == 0

    @property
    def is_system_admin(self) -> bool:
        return perms.SYSTEM_ADMIN_ROLE in perms.split_roles(self.roles)

    def to_json(self) -> dict:
        """Mattermost's sanitized User JSON (no password, no auth data)."""
        return {
            "id": self.id, "create_at": self.create_at, "update_at": self.update_at, "delete_at": self.delete_at,
            "username": self.username, "auth_data": "", "auth_service": "", "email": self.email,
            "email_verified": True, "nickname": self.nickname, "first_name": self.first_name,
            "last_name": self.last_name, "position": "", "roles": self.roles, "locale": self.locale,
            "notify_props": {}, "props": {}, "timezone": {}, "disable_welcome_email": False,
            "last_password_update": self.create_at, "mfa_active": False, "is_bot": False,
        }


@dataclasses.dataclass
class SessionRecord:
    """A host session (a login). The token itself is never stored: only its SHA-256."""
    id: str
    user_id: str
    create_at: int
    expires_at: int
    last_activity_at: int
    csrf_token: str
    props: dict

    def to_json(self, roles: str = "") -> dict:
        """Mattermost's sanitized Session JSON (the token blanked)."""
        return {"id": self.id, "token": "", "create_at": self.create_at, "expires_at": self.expires_at,
                "last_activity_at": self.last_activity_at, "user_id": self.user_id, "device_id": "",
                "roles": roles, "is_oauth": False, "expired_notify": False, "props": dict(self.props),
                "local": False}


@dataclasses.dataclass
class Role:
    id: str
    name: str
    display_name: str
    description: str
    create_at: int
    update_at: int
    delete_at: int
    permissions: list[str]
    scheme_managed: bool
    built_in: bool

    def to_json(self) -> dict:
        """Mattermost's Role JSON."""
        return {"id": self.id, "name": self.name, "display_name": self.display_name,
                "description": self.description, "create_at": self.create_at, "update_at": self.update_at,
                "delete_at": self.delete_at, "permissions": list(self.permissions),
                "scheme_managed": self.scheme_managed, "built_in": self.built_in}


def _role(row) -> Role:
    return Role(row["id"], row["name"], row["display_name"], row["description"], row["create_at"],
                row["update_at"], row["delete_at"], (row["permissions"] or "").split(),
                bool(row["scheme_managed"]), bool(row["built_in"]))


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who a request comes from, as one statement reads it: the user with the permissions of their roles, and
    the host session when it came with one."""
    user: User
    permissions: frozenset[str]
    session: SessionRecord | None = None


_USER_FIELDS = tuple(field.name for field in dataclasses.fields(User))
# The user with one row per role whose name occurs in their role string (a superset: split exactly in Python).
_CALLER_COLUMNS = ", ".join(f"u.{name}" for name in _USER_FIELDS) + (
    ", r.name AS role_name, r.permissions AS role_permissions, r.delete_at AS role_delete_at")
_SESSION_COLUMNS = ("s.id AS s_id, s.user_id AS s_user_id, s.create_at AS s_create_at, s.expires_at AS s_expires_at,"
                    " s.last_activity_at AS s_last_activity_at, s.csrf_token AS s_csrf_token, s.props AS s_props")


def _caller(rows: list, session: SessionRecord | None = None) -> Caller | None:
    if not rows or rows[0]["id"] is None:
        return None
    user = User(**{name: rows[0][name] for name in _USER_FIELDS})
    names = set(perms.split_roles(user.roles))
    granted: set[str] = set()
    for row in rows:
        if row["role_name"] in names and row["role_delete_at"] == 0:
            granted.update((row["role_permissions"] or "").split())
    return Caller(user, frozenset(granted), session)


def _session(row) -> SessionRecord:
    try:
        props = json.loads(row["props"] or "{}")
    except ValueError:
        props = {}
    return SessionRecord(row["id"], row["user_id"], row["create_at"], row["expires_at"], row["last_activity_at"],
                         row["csrf_token"], props if isinstance(props, dict) else {})


def validate_new_user(email: str, username: str, password: str) -> tuple[str, str]:
    """Mattermost's User.IsValid for the fields the host keeps; answers (email, username) normalised."""
    username = username.lower()
    if not USERNAME_PATTERN.match(username) or username in RESERVED_USERNAMES:
        raise AccountError("model.user.is_valid.username.app_error",
                           "Username must begin with a letter, and contain between 3 to 22 lowercase "
                           "characters made up of numbers, letters, and the symbols '.', '-', and '_'.")
    if not EMAIL_PATTERN.match(email) or len(email) > 128:
        raise AccountError("model.user.is_valid.email.app_error", "Invalid email.")
    if not 5 <= len(password) <= 72:
        raise AccountError("model.user.is_valid.pwd_length.app_error",
                           "Your password must contain between 5 and 72 characters.")
    return email.lower(), username


class _Sqlite:
    """One SQLite file: a connection per thread; writers serialise through BEGIN IMMEDIATE."""
    name = "sqlite"
    find = "instr"  # position of a substring, 0 when absent
    for_update = ""  # BEGIN IMMEDIATE holds the write lock: rows read in a write transaction cannot change
    integrity_errors: tuple[type[Exception], ...] = (sqlite3.IntegrityError,)

    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._local = threading.local()

    def create_schema(self, schema: str) -> None:
        self.reader().executescript(schema)

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


class _Postgres:
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

    def create_schema(self, schema: str) -> None:
        statements = [statement.strip() for statement in schema.split(";") if statement.strip()]
        with self.transaction() as db:
            # Hosts starting together: CREATE TABLE IF NOT EXISTS is not safe against itself in PostgreSQL.
            db.execute("SELECT pg_advisory_xact_lock(?)", (self.SCHEMA_LOCK,))
            for statement in statements:
                db.execute(statement)

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


def open_database(driver_name: str, data_source: str):
    """SqlSettings.DriverName and DataSource as the database of the accounts."""
    driver = (driver_name or "sqlite").lower()
    if driver in ("postgres", "postgresql"):
        if not data_source:
            raise ValueError("SqlSettings.DriverName postgres needs a DataSource (a PostgreSQL connection string)")
        return _Postgres(data_source)
    if driver != "sqlite":
        raise ValueError(f"unsupported SqlSettings.DriverName {driver_name!r}")
    return _Sqlite(data_source)


def open_accounts(config: dict, clock: Clock | None = None) -> "Accounts":
    """The accounts of the host whose configuration this is (SqlSettings.DriverName and DataSource)."""
    sql = config.get("SqlSettings") or {}
    return Accounts(sql.get("DataSource") or "", clock=clock, driver_name=sql.get("DriverName") or "sqlite")


class Accounts:
    def __init__(self, path: str, clock: Clock | None = None, driver_name: str = "sqlite") -> None:
        """`path` is SqlSettings.DataSource: a SQLite file, or a PostgreSQL DSN when `driver_name` is
        "postgres"."""
        self.db = open_database(driver_name, path)
        self.path = path
        self.clock = clock or SystemClock()
        try:
            self.db.create_schema(SCHEMA)
            self._seed_roles()
        except BaseException:
            self.db.close()  # a failed attempt leaves no pool behind
            raise

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _conn(self):
        """For single statements outside a transaction (reads)."""
        return self.db.reader()

    def _transaction(self):
        return self.db.transaction()

    def close(self) -> None:
        self.db.close()

    def _now(self) -> int:
        return self.clock.now_ms()

    def _seed_roles(self) -> None:
        stamp = self._now()
        with self._transaction() as db:
            for name, (display_name, description, permissions) in perms.BUILT_IN_ROLES.items():
                db.execute(
                    "INSERT INTO roles (id, name, display_name, description, create_at, update_at, delete_at, "
                    "permissions, scheme_managed, built_in) VALUES (?,?,?,?,?,?,0,?,?,?) "
                    "ON CONFLICT (name) DO NOTHING",
                    (new_id(), name, display_name, description, stamp, stamp, " ".join(permissions), 1, 1))

    # --- users ------------------------------------------------------------------------------------------------

    def _insert_user(self, db, user: User) -> None:
        # A savepoint: after a failed statement PostgreSQL accepts nothing else in the transaction until it is
        # rolled back to one, and the lookup below must run.
        db.execute("SAVEPOINT insert_user")
        try:
            db.execute("INSERT INTO users (id, username, email, password_hash, roles, first_name, last_name, "
                       "nickname, locale, create_at, update_at, delete_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                       dataclasses.astuple(user))
        except self.db.integrity_errors:
            db.execute("ROLLBACK TO SAVEPOINT insert_user")
            if db.execute("SELECT 1 FROM users WHERE email = ?", (user.email,)).fetchone():
                raise AccountError("app.user.save.email_exists.app_error",
                                   "An account with that email already exists.") from None
            raise AccountError("app.user.save.username_exists.app_error",
                               "An account with that username already exists.") from None
        db.execute("RELEASE SAVEPOINT insert_user")

    def _new_user(self, email: str, username: str, password: str, roles: str, profile: dict) -> User:
        email, username = validate_new_user(email, username, password)
        stamp = self._now()
        return User(new_id(), username, email, hash_password(password), roles,
                    str(profile.get("first_name") or "")[:64], str(profile.get("last_name") or "")[:64],
                    str(profile.get("nickname") or "")[:64], str(profile.get("locale") or "en")[:5],
                    stamp, stamp, 0)

    def create_user(self, email: str, username: str, password: str, roles: str = perms.SYSTEM_USER_ROLE,
                    **profile) -> User:
        """Create a user with the given roles (an admin or the command line creating an account)."""
        user = self._new_user(email, username, password, roles, profile)
        with self._transaction() as db:
            self._insert_user(db, user)
        return user

    def signup(self, email: str, username: str, password: str, open_server: bool, **profile) -> User:
        """Mattermost's CreateUserFromSignup: the first account of a fresh server becomes its system admin;
        after that, sign-up needs an open server. The count and the insert are one transaction."""
        user = self._new_user(email, username, password, perms.SYSTEM_USER_ROLE, profile)
        with self._transaction() as db:
            self.db.lock_users(db)
            if db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0:
                user.roles = f"{perms.SYSTEM_ADMIN_ROLE} {perms.SYSTEM_USER_ROLE}"
            elif not open_server:
                raise AccountError("api.user.create_user.no_open_server",
                                   "This server does not allow open signups. Please speak with your "
                                   "Administrator to receive an invitation.", 403)
            self._insert_user(db, user)
        return user

    def count_users(self) -> int:
        return self._conn().execute("SELECT COUNT(*) FROM users").fetchone()[0]

    def get_user(self, user_id: str) -> User | None:
        row = self._conn().execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return User(**dict(row)) if row else None

    def find_user(self, login_id: str) -> User | None:
        row = self._conn().execute("SELECT * FROM users WHERE username = ? OR email = ?",
                                   (login_id.lower(), login_id.lower())).fetchone()
        return User(**dict(row)) if row else None

    def authenticate(self, login_id: str, password: str) -> User:
        """The user with this username or email and password. Raises AccountError (401) otherwise.

        Unlike Mattermost, a deactivated account is reported as such only after a correct password, so the
        answer does not tell a stranger which accounts exist or are deactivated."""
        user = self.find_user(login_id) if login_id else None
        if not check_password(password, user.password_hash if user else _DUMMY_HASH) or user is None:
            raise AccountError(*INVALID_CREDENTIALS, status=401)
        if not user.is_active:
            raise AccountError("api.user.login.inactive.app_error",
                               "Login failed because your account has been deactivated. "
                               "Please contact an administrator.", 401)
        return user

    def set_active(self, user_id: str, active: bool) -> User | None:
        """Activate or deactivate a user. Deactivation also revokes every host session of the user."""
        stamp = self._now()
        with self._transaction() as db:
            row = db.execute("SELECT * FROM users WHERE id = ?" + self.db.for_update, (user_id,)).fetchone()
            if row is None:
                return None
            user = User(**dict(row))
            if active and not user.is_active:
                user.delete_at = 0
            elif not active and user.is_active:
                user.delete_at = stamp
            else:
                return user
            user.update_at = stamp
            db.execute("UPDATE users SET delete_at = ?, update_at = ? WHERE id = ?",
                       (user.delete_at, user.update_at, user_id))
            if not active:
                db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))
        return user

    def set_user_roles(self, user_id: str, roles: str) -> User | None:
        """Replace a user's roles ("system_user system_admin"); None when there is no such user."""
        stamp = self._now()
        with self._transaction() as db:
            updated = db.execute("UPDATE users SET roles = ?, update_at = ? WHERE id = ?",
                                 (roles, stamp, user_id)).rowcount
        return self.get_user(user_id) if updated else None

    # --- sessions ---------------------------------------------------------------------------------------------

    def create_session(self, user_id: str, lifetime_ms: int, props: dict | None = None
                       ) -> tuple[str, SessionRecord]:
        """A new session for the user; answers (token, session). The token is shown once and never stored."""
        token = new_id()
        stamp = self._now()
        record = SessionRecord(new_id(), user_id, stamp, stamp + max(0, int(lifetime_ms)), stamp, new_id(),
                               dict(props or {}))
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (id, token_hash, user_id, create_at, expires_at, last_activity_at, "
                       "csrf_token, props) VALUES (?,?,?,?,?,?,?,?)",
                       (record.id, hash_token(token), user_id, record.create_at, record.expires_at,
                        record.last_activity_at, record.csrf_token, json.dumps(record.props)))
        return token, record

    def caller_by_session_token(self, token: str) -> Caller | None:
        """The live session for a presented token (truncated to 50 characters, like Mattermost) with its active
        user and their permissions, in one statement; None when unknown or expired, or when its user is gone or
        deactivated (such a session is deleted)."""
        if not token:
            return None
        rows = self._conn().execute(
            f"SELECT {_SESSION_COLUMNS}, {_CALLER_COLUMNS} FROM sessions s LEFT JOIN users u ON u.id = s.user_id"
            f" LEFT JOIN roles r ON {self.db.find}(u.roles, r.name) > 0 WHERE s.token_hash = ?",
            (hash_token(token[:MAX_TOKEN_LENGTH]),)).fetchall()
        if not rows:
            return None
        record = _session({key[2:]: rows[0][key] for key in rows[0].keys() if key.startswith("s_")})
        caller = _caller(rows, record)
        if record.expires_at <= self._now() or caller is None or not caller.user.is_active:
            self.revoke_session(record.id)
            return None
        return caller

    def caller_by_user_id(self, user_id: str) -> Caller | None:
        """An active user with their permissions, in one statement (the user an OAuth access token acts as)."""
        rows = self._conn().execute(
            f"SELECT {_CALLER_COLUMNS} FROM users u LEFT JOIN roles r ON {self.db.find}(u.roles, r.name) > 0"
            " WHERE u.id = ?", (user_id,)).fetchall()
        caller = _caller(rows)
        return caller if caller is not None and caller.user.is_active else None

    def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._conn().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _session(row) if row else None

    def sessions_for_user(self, user_id: str) -> list[SessionRecord]:
        rows = self._conn().execute("SELECT * FROM sessions WHERE user_id = ? ORDER BY last_activity_at DESC",
                                    (user_id,)).fetchall()
        return [_session(row) for row in rows]

    def touch_session(self, session_id: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE sessions SET last_activity_at = ? WHERE id = ?", (self._now(), session_id))

    def revoke_session(self, session_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def revoke_user_sessions(self, user_id: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount

    def delete_expired_sessions(self) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE expires_at <= ?", (self._now(),)).rowcount

    # --- roles and permissions --------------------------------------------------------------------------------

    def get_role(self, role_id: str) -> Role | None:
        row = self._conn().execute("SELECT * FROM roles WHERE id = ?", (role_id,)).fetchone()
        return _role(row) if row else None

    def get_role_by_name(self, name: str) -> Role | None:
        row = self._conn().execute("SELECT * FROM roles WHERE name = ?", (name,)).fetchone()
        return _role(row) if row else None

    def get_roles_by_names(self, names: list[str]) -> list[Role]:
        names = list(dict.fromkeys(names))
        roles: list[Role] = []
        for start in range(0, len(names), 500):  # stay under SQLite's limit on bound parameters
            chunk = names[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._conn().execute(f"SELECT * FROM roles WHERE name IN ({marks})", chunk).fetchall()
            roles.extend(_role(row) for row in rows)
        return sorted(roles, key=lambda role: role.name)

    def all_roles(self) -> list[Role]:
        return [_role(row) for row in self._conn().execute("SELECT * FROM roles ORDER BY name").fetchall()]

    def patch_role(self, role_id: str, permissions: list[str]) -> Role | None:
        """Replace a role's permissions (duplicates dropped, order kept)."""
        unique = list(dict.fromkeys(permissions))
        for name in unique:
            if not perms.PERMISSION_NAME_PATTERN.match(name):
                raise AccountError("app.role.save.invalid_role.app_error", "The role was not valid.")
        stamp = self._now()
        with self._transaction() as db:
            updated = db.execute("UPDATE roles SET permissions = ?, update_at = ? WHERE id = ?",
                                 (" ".join(unique), stamp, role_id)).rowcount
        return self.get_role(role_id) if updated else None

    def set_role_permission(self, role_name: str, permission: str, granted: bool) -> bool:
        """Grant or remove one permission of a role; answers whether anything changed."""
        with self._transaction() as db:
            row = db.execute("SELECT permissions FROM roles WHERE name = ?" + self.db.for_update,
                             (role_name,)).fetchone()
            if row is None:
                return False
            current = (row["permissions"] or "").split()
            if (permission in current) == granted:
                return False
            new = current + [permission] if granted else [p for p in current if p != permission]
            db.execute("UPDATE roles SET permissions = ?, update_at = ? WHERE name = ?",
                       (" ".join(new), self._now(), role_name))
        return True

    def permissions_for_roles(self, roles: str) -> frozenset[str]:
        """The union of the permissions of these roles (a user's or session's role string); deleted and unknown
        roles grant nothing."""
        names = perms.split_roles(roles)
        granted: set[str] = set()
        for role in self.get_roles_by_names(names):
            if role.delete_at == 0:
                granted.update(role.permissions)
        return frozenset(granted)

    def user_has_permission(self, user: User, permission: str) -> bool:
        return permission in self.permissions_for_roles(user.roles)

    # --- system values (Mattermost's Systems table) -----------------------------------------------------------

    def get_system(self, name: str) -> str | None:
        row = self._conn().execute("SELECT value FROM systems WHERE name = ?", (name,)).fetchone()
        return row["value"] if row else None

    def set_system(self, name: str, value: str) -> None:
        with self._transaction() as db:
            db.execute("INSERT INTO systems (name, value) VALUES (?, ?) "
                       "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name, value))


# --- "Restrict managing integrations to Admins" ---------------------------------------------------------------

INTEGRATION_POLICY_SYSTEM_KEY = "EnableOnlyAdminIntegrationsApplied"


def only_admin_integrations(config: dict) -> bool:
    return bool((config.get("ServiceSettings") or {}).get("EnableOnlyAdminIntegrations", True))


def apply_integration_policy(accounts: Accounts, only_admins: bool) -> bool:
    """Mattermost's permissions-policy mapping of the legacy EnableOnlyAdminIntegrations setting: when on,
    `system_user` lacks manage_oauth; when off, it has it. Applied when the setting's value differs from the one
    last applied (recorded in the systems table), so a role patched through the API is not undone at every start.
    Answers whether the role changed."""
    wanted = "true" if only_admins else "false"
    if accounts.get_system(INTEGRATION_POLICY_SYSTEM_KEY) == wanted:
        return False
    changed = accounts.set_role_permission(perms.SYSTEM_USER_ROLE, perms.MANAGE_OAUTH, not only_admins)
    accounts.set_system(INTEGRATION_POLICY_SYSTEM_KEY, wanted)
    return changed


def follow_integration_setting(config_store, accounts: Accounts) -> None:
    """Apply the setting now (an edit made while the server was down) and on every configuration change."""
    apply_integration_policy(accounts, only_admin_integrations(config_store.config))
    config_store.add_listener(lambda old, new: apply_integration_policy(accounts, only_admin_integrations(new)))
