"""Who is asking and what they may do: the caller the host authenticated, and the checks every operation runs
in Mattermost's order (session, URL parameter, permission, service switched on, ownership)."""
from __future__ import annotations

from dataclasses import dataclass

from .errors import app_error
from .ids import is_valid_id
from .settings import Settings

# System permissions the host resolves from the caller's roles.
MANAGE_OAUTH = "manage_oauth"
MANAGE_SYSTEM_WIDE_OAUTH = "manage_system_wide_oauth"
MANAGE_SYSTEM = "manage_system"
EDIT_OTHER_USERS = "edit_other_users"

SERVICE_OFF = "api.oauth.allow_oauth.turn_off.app_error"

DEFAULT_PER_PAGE = 60
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Caller:
    """Who is asking, as the host authenticated them."""
    user_id: str = ""  # "" when anonymous
    session_id: str = ""
    permissions: frozenset[str] = frozenset()
    is_oauth: bool = False  # authenticated with an OAuth access token
    request_id: str = ""
    remote_addr: str = ""

    def can(self, permission: str) -> bool:
        return permission in self.permissions


ANONYMOUS = Caller()


def require_session(caller: Caller | None) -> Caller:
    if caller is None or not caller.user_id:
        raise app_error("api.context.session_expired.app_error", 401)
    return caller


def require_browser_session(caller: Caller) -> None:
    """An OAuth access token never approves apps (Mattermost checks this on POST only; we check both routes)."""
    if caller.is_oauth:
        raise app_error("api.context.permissions.app_error", 403, detailed_error="oauth session")


def require_id(value: str, name: str, error_id: str = "api.context.invalid_url_param.app_error") -> None:
    if not is_valid_id(value):
        raise app_error(error_id, 400, name=name)


def require_permission(caller: Caller, permission: str) -> None:
    if not caller.can(permission):
        raise app_error("api.context.permissions.app_error", 403, detailed_error=f"permission={permission}")


def require_enabled(settings: Settings, error_id: str = SERVICE_OFF, oauth_error: str = "") -> None:
    if not settings.enable_oauth_service_provider:
        raise app_error(error_id, 501, oauth_error=oauth_error)


def require_owner(caller: Caller, creator_id: str) -> None:
    if creator_id != caller.user_id and not caller.can(MANAGE_SYSTEM_WIDE_OAUTH):
        raise app_error(
            "api.context.permissions.app_error", 403, detailed_error=f"permission={MANAGE_SYSTEM_WIDE_OAUTH}"
        )


def normalize_paging(page: int | None, per_page: int | None) -> tuple[int, int]:
    """Mattermost's paging: page defaults to 0; per_page defaults to 60 and is capped at 200. Values that are
    missing, negative or not integers fall back to the defaults; 0 also means the default here (an unset proto
    field arrives as 0)."""
    if not isinstance(page, int) or isinstance(page, bool) or page < 0:
        page = 0
    if not isinstance(per_page, int) or isinstance(per_page, bool) or per_page <= 0:
        per_page = DEFAULT_PER_PAGE
    return page, min(per_page, MAX_PER_PAGE)
