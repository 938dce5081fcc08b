"""Users: create (by an admin or by sign-up), look up, authenticate, activate and deactivate, change roles
(Mattermost's app/user.go and store's UserStore)."""
from __future__ import annotations

import dataclasses

from .. import permissions as perms
from ..web.responses import new_request_id as new_id
from .database import Store
from .model import INVALID_CREDENTIALS, AccountError, User, validate_new_user
from .passwords import _DUMMY_HASH, check_password, hash_password

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


class Users(Store):
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
