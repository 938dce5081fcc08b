"""What the OAuth domain may ask the host: Mattermost's plugin API (p.API.GetUser, HasPermissionTo, ...) as a
Protocol, so the domain knows no gRPC.

The plugin's runtime gives the provider a `Host` at activation (plugin/rpc/host_client.py, over the HostAPI the
host serves to its own plugin: docs/plugin-api.md). Without one the provider has `NoHost`, which knows nothing and
treats every user as active: the domain's unit tests, and a host that serves no HostAPI (a plain go-plugin host).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class HostUnavailable(Exception):
    """The host did not answer (in time, or at all). Nothing can be concluded about the user: the caller refuses
    with 503 and Retry-After rather than guess."""


@dataclass(frozen=True)
class HostUser:
    """Mattermost's User as the host gives it to plugins (no password, no auth data)."""
    id: str
    username: str = ""
    email: str = ""
    email_verified: bool = False
    first_name: str = ""
    last_name: str = ""
    nickname: str = ""
    locale: str = ""
    roles: str = ""
    create_at: int = 0  # Unix ms
    update_at: int = 0
    delete_at: int = 0  # non-zero: deactivated
    picture: str = ""  # an absolute URL a relying party can fetch, "" when none

    @property
    def is_active(self) -> bool:
        return self.delete_at == 0


@dataclass(frozen=True)
class HostSession:
    """A host session (a login), without its token."""
    id: str
    user_id: str
    create_at: int = 0  # when it authenticated, Unix ms
    expires_at: int = 0
    last_activity_at: int = 0
    roles: str = ""
    is_oauth: bool = False


class Host(Protocol):
    """The host's answers. Each call may raise HostUnavailable."""

    def get_user(self, user_id: str) -> HostUser | None:
        """The user, deactivated ones included; None when there is no such user."""

    def get_user_by_username(self, username: str) -> HostUser | None: ...

    def has_permission_to(self, user_id: str, permission: str) -> bool: ...

    def get_session(self, session_id: str) -> HostSession | None: ...

    def get_config(self) -> dict:
        """The host's configuration with its secrets masked."""


@dataclass(frozen=True)
class NoHost:
    """No host to ask: every user id stands for an active user of whom nothing else is known (what the provider
    assumed before it could ask); nobody has a permission, a session or a username."""
    config: dict = field(default_factory=dict)

    def get_user(self, user_id: str) -> HostUser | None:
        return HostUser(id=user_id)

    def get_user_by_username(self, username: str) -> HostUser | None:
        return None

    def has_permission_to(self, user_id: str, permission: str) -> bool:
        return False

    def get_session(self, session_id: str) -> HostSession | None:
        return None

    def get_config(self) -> dict:
        return dict(self.config)
