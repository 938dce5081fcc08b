"""What the host's accounts are: users, sessions, roles and the caller of a request, with Mattermost's JSON for
each, and the checks a new user passes (Mattermost's `model` package: model/user.go, session.go, role.go)."""
from __future__ import annotations

import dataclasses
import re
import time
from typing import Protocol

from .. import permissions as perms
from .errors import AccountError
from .password_rules import PasswordRules, check_new_password

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9.\-_]{2,21}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ID_PATTERN = re.compile(r"^[a-z0-9]{26}$")
# Mattermost's reserved usernames.
RESERVED_USERNAMES = frozenset({"all", "channel", "here", "matterbot", "system"})
MAX_TOKEN_LENGTH = 50  # Mattermost truncates presented tokens to this length before looking them up

class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


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
    failed_attempts: int = 0  # wrong passwords since the last right one (Mattermost's FailedAttempts)
    last_password_update: int = 0  # 0: the password is the one the account was created with

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
            "last_password_update": self.last_password_update or self.create_at, "mfa_active": False,
            "is_bot": False,
            # Mattermost's `failed_attempts,omitempty`: shown to the user and admins while there are any.
            **({"failed_attempts": self.failed_attempts} if self.failed_attempts else {}),
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


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who a request comes from, as one statement reads it: the user with the permissions of their roles, and
    the host session when it came with one."""
    user: User
    permissions: frozenset[str]
    session: SessionRecord | None = None


def validate_new_user(email: str, username: str, password: str,
                      rules: PasswordRules = PasswordRules()) -> tuple[str, str]:
    """Mattermost's User.IsValid for the fields the host keeps, then its PasswordSettings rules for the password;
    answers (email, username) normalised."""
    username = username.lower()
    if not USERNAME_PATTERN.match(username) or username in RESERVED_USERNAMES:
        raise AccountError("model.user.is_valid.username.app_error",
                           "Username must begin with a letter, and contain between 3 to 22 lowercase "
                           "characters made up of numbers, letters, and the symbols '.', '-', and '_'.")
    if not EMAIL_PATTERN.match(email) or len(email) > 128:
        raise AccountError("model.user.is_valid.email.app_error", "Invalid email.")
    check_new_password(password, rules)
    return email.lower(), username
