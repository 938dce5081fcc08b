"""The host's own users (Mattermost owns users, not the plugin): SQLite, passwords under scrypt."""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
import time

from .web.responses import new_request_id as new_id

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
USERNAME_PATTERN = re.compile(r"^[a-z0-9.\-_]{3,22}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

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
"""


class AccountError(Exception):
    def __init__(self, error_id: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_id, self.message, self.status = error_id, message, status


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


def now_ms() -> int:
    return time.time_ns() // 1_000_000


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

    def to_json(self) -> dict:
        """Mattermost's sanitized User JSON (no password, no auth data)."""
        return {
            "id": self.id, "create_at": self.create_at, "update_at": self.update_at, "delete_at": self.delete_at,
            "username": self.username, "auth_data": "", "auth_service": "", "email": self.email,
            "email_verified": True, "nickname": self.nickname, "first_name": self.first_name,
            "last_name": self.last_name, "position": "", "roles": self.roles, "locale": self.locale,
            "notify_props": {}, "timezone": {}, "disable_welcome_email": False,
        }


class Accounts:
    def __init__(self, path: str) -> None:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        self.path = path
        self._local = threading.local()
        with self._conn() as db:
            db.executescript(SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=5, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.row_factory = sqlite3.Row
            self._local.db = db
        return db

    def create_user(self, email: str, username: str, password: str, roles: str = "system_user") -> User:
        username = username.lower()
        if not USERNAME_PATTERN.match(username):
            raise AccountError("model.user.is_valid.username.app_error",
                               "Username must begin with a letter, and contain between 3 to 22 lowercase "
                               "characters made up of numbers, letters, and the symbols '.', '-', and '_'.")
        if not EMAIL_PATTERN.match(email) or len(email) > 128:
            raise AccountError("model.user.is_valid.email.app_error", "Invalid email.")
        if not 5 <= len(password) <= 72:
            raise AccountError("model.user.is_valid.pwd_length.app_error",
                               "Your password must contain between 5 and 72 characters.")
        stamp = now_ms()
        user = User(new_id(), username, email.lower(), hash_password(password), roles, "", "", "", "en",
                    stamp, stamp, 0)
        db = self._conn()
        try:
            db.execute(
                "INSERT INTO users VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", dataclasses.astuple(user))
        except sqlite3.IntegrityError:
            raise AccountError("app.user.save.username_exists.app_error",
                               "An account with that username or email already exists.") from None
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
