"""What every part of the provider shares: the store, the clock, the audit trail, the rate limiter, the host and the
settings in force. Settings are replaced as a whole (OnConfigurationChange); each operation reads them once when
it starts, so one request never sees two configurations."""
from __future__ import annotations

import logging
from dataclasses import dataclass

from plugin.store.contract import Store

from .audit import AuditLog
from .errors import OAuthErrorCode, app_error
from .host import Host, HostUnavailable, HostUser, NoHost
from .ratelimit import RateLimiter
from .settings import Settings

log = logging.getLogger("plugin.oauth")

HOST_UNAVAILABLE = "app.host.unavailable.app_error"
HOST_RETRY_AFTER_SECONDS = 1


@dataclass
class Services:
    store: Store
    clock: object  # now_ms() -> int
    settings: Settings
    audit: AuditLog
    limiter: RateLimiter
    host: Host  # who owns the users (plugin/oauth/host.py)

    @classmethod
    def create(cls, store: Store, clock, settings: Settings | None = None, host: Host | None = None) -> "Services":
        return cls(store, clock, settings if settings is not None else Settings(), AuditLog(store, clock),
                   RateLimiter(store, clock), host if host is not None else NoHost())

    def now(self) -> int:
        return self.clock.now_ms()

    def active_user(self, user_id: str) -> HostUser | None:
        """The user a code or token was issued to, as the host knows them now; None when deactivated or gone, so
        that nothing issued to them works (Mattermost's GetOAuthAccessTokenForCodeFlow refuses DeleteAt != 0),
        even where the host could not tell the plugin (a deactivation while it was disabled). 503 with
        Retry-After when the host cannot say."""
        try:
            user = self.host.get_user(user_id)
        except HostUnavailable as exc:
            log.error("the host cannot say whether user %s is active: %s", user_id, exc)
            raise app_error(HOST_UNAVAILABLE, 503, oauth_error=OAuthErrorCode.TEMPORARILY_UNAVAILABLE,
                            retry_after=HOST_RETRY_AFTER_SECONDS) from exc
        return user if user is not None and user.is_active else None
