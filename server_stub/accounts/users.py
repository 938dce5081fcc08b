"""Users: create (by an admin or by sign-up), look up, authenticate, change passwords, activate and deactivate,
change roles (Mattermost's app/user.go, app/authentication.go and store's UserStore).

Failed passwords are counted as Mattermost counts them (ServiceSettings.MaximumLoginAttempts, default 10): once a
user has that many since their last right one, every login and password check answers 401
`api.user.check_user_login_attempts.too_many.app_error` without computing a hash, whatever the password; a right
password resets the count, and so does a new password (an admin setting one is how an account is unlocked).
Each check takes its attempt before the hash is computed, with a conditional UPDATE, so concurrent guesses cannot
get more than the limit between them (Mattermost's TestCheckPasswordAndAllCriteria)."""
from __future__ import annotations

import dataclasses

from .. import permissions as perms
from ..web.responses import new_request_id as new_id
from .database import Store
from .errors import INCORRECT_CURRENT_PASSWORD, INVALID_CREDENTIALS, TOO_MANY_ATTEMPTS, AccountError, WrongPassword
from .model import User, validate_new_user
from .password_rules import PasswordRules, check_new_password
from .passwords import _DUMMY_HASH, check_password, hash_password

DEFAULT_MAXIMUM_LOGIN_ATTEMPTS = 10  # Mattermost's ServiceSettingsDefaultMaxLoginAttempts
_DEFAULT_RULES = PasswordRules()


def maximum_login_attempts(config: dict) -> int:
    """ServiceSettings.MaximumLoginAttempts (Mattermost's default when missing or not a positive whole number)."""
    value = (config.get("ServiceSettings") or {}).get("MaximumLoginAttempts", DEFAULT_MAXIMUM_LOGIN_ATTEMPTS)
    ok = isinstance(value, int) and not isinstance(value, bool) and value > 0
    return value if ok else DEFAULT_MAXIMUM_LOGIN_ATTEMPTS


class Users(Store):
    def _insert_user(self, db, user: User) -> None:
        # A savepoint: after a failed statement PostgreSQL accepts nothing else in the transaction until it is
        # rolled back to one, and the lookup below must run.
        db.execute("SAVEPOINT insert_user")
        try:
            db.execute("INSERT INTO users (id, username, email, password_hash, roles, first_name, last_name, "
                       "nickname, locale, create_at, update_at, delete_at, failed_attempts, last_password_update) "
                       "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", dataclasses.astuple(user))
        except self.db.integrity_errors:
            db.execute("ROLLBACK TO SAVEPOINT insert_user")
            if db.execute("SELECT 1 FROM users WHERE email = ?", (user.email,)).fetchone():
                raise AccountError("app.user.save.email_exists.app_error",
                                   "An account with that email already exists.") from None
            raise AccountError("app.user.save.username_exists.app_error",
                               "An account with that username already exists.") from None
        db.execute("RELEASE SAVEPOINT insert_user")

    def _new_user(self, email: str, username: str, password: str, roles: str, profile: dict,
                  rules: PasswordRules) -> User:
        email, username = validate_new_user(email, username, password, rules)
        stamp = self._now()
        return User(new_id(), username, email, hash_password(password), roles,
                    str(profile.get("first_name") or "")[:64], str(profile.get("last_name") or "")[:64],
                    str(profile.get("nickname") or "")[:64], str(profile.get("locale") or "en")[:5],
                    stamp, stamp, 0)

    def create_user(self, email: str, username: str, password: str, roles: str = perms.SYSTEM_USER_ROLE,
                    rules: PasswordRules = _DEFAULT_RULES, **profile) -> User:
        """Create a user with the given roles (an admin or the command line creating an account); the password
        must pass `rules` (PasswordSettings)."""
        user = self._new_user(email, username, password, roles, profile, rules)
        with self._transaction() as db:
            self._insert_user(db, user)
        return user

    def signup(self, email: str, username: str, password: str, open_server: bool,
               rules: PasswordRules = _DEFAULT_RULES, **profile) -> User:
        """Mattermost's CreateUserFromSignup: the first account of a fresh server becomes its system admin;
        after that, sign-up needs an open server. The count and the insert are one transaction."""
        user = self._new_user(email, username, password, perms.SYSTEM_USER_ROLE, profile, rules)
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

    def authenticate(self, login_id: str, password: str,
                     max_attempts: int = DEFAULT_MAXIMUM_LOGIN_ATTEMPTS) -> User:
        """The user with this username or email and password. Raises WrongPassword (401, the same answer for an
        unknown login id), AccountError 401 too_many once the user has `max_attempts` failures, or 401 inactive.

        Unlike Mattermost, a deactivated account is reported as such only after a correct password, so the
        answer does not tell a stranger which accounts exist or are deactivated."""
        user = self.find_user(login_id) if login_id else None
        if user is None:
            check_password(password, _DUMMY_HASH)  # as slow as a known user's
            raise WrongPassword(*INVALID_CREDENTIALS, status=401)
        if not self._password_attempt(user, password, max_attempts):
            raise WrongPassword(*INVALID_CREDENTIALS, status=401)
        if not user.is_active:
            raise AccountError("api.user.login.inactive.app_error",
                               "Login failed because your account has been deactivated. "
                               "Please contact an administrator.", 401)
        return user

    def _password_attempt(self, user: User, password: str, max_attempts: int) -> bool:
        """Whether `password` is the user's: one attempt, taken before the hash is computed (AccountError 401
        too_many when none is left); a right password gives them all back."""
        with self._transaction() as db:
            taken = db.execute("UPDATE users SET failed_attempts = failed_attempts + 1 WHERE id = ? "
                               "AND failed_attempts < ?", (user.id, max_attempts)).rowcount
        if not taken:
            raise AccountError(*TOO_MANY_ATTEMPTS, status=401)
        if not check_password(password, user.password_hash):
            return False
        with self._transaction() as db:
            db.execute("UPDATE users SET failed_attempts = 0 WHERE id = ?", (user.id,))
        user.failed_attempts = 0
        return True

    def change_password(self, user_id: str, new_password: str, rules: PasswordRules = _DEFAULT_RULES,
                        current_password: str | None = None, max_attempts: int = DEFAULT_MAXIMUM_LOGIN_ATTEMPTS,
                        keep_session_id: str = "") -> User | None:
        """Mattermost's UpdatePasswordAsUser (with `current_password`, checked and counted as a login checks it:
        WrongPassword 400 incorrect when wrong) or an admin's UpdatePasswordByUserId (without). The new password
        must pass `rules`; storing it resets the failure count (an admin unlocks an account this way). Unlike
        Mattermost, the user's other host sessions end: all of them, except `keep_session_id` (the session of a
        user changing their own password). None when there is no such user."""
        user = self.get_user(user_id)
        if user is None:
            return None
        if current_password is not None and not self._password_attempt(user, current_password, max_attempts):
            raise WrongPassword(*INCORRECT_CURRENT_PASSWORD)
        check_new_password(new_password, rules)
        digest = hash_password(new_password)
        stamp = self._now()
        with self._transaction() as db:
            db.execute("UPDATE users SET password_hash = ?, failed_attempts = 0, last_password_update = ?, "
                       "update_at = ? WHERE id = ?", (digest, stamp, stamp, user_id))
            db.execute("DELETE FROM sessions WHERE user_id = ? AND id <> ?", (user_id, keep_session_id))
        return self.get_user(user_id)

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
