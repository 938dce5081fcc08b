"""The gateway between HTTP and the plugin's OAuth RPCs.

Every OAuth request goes through here: find the running plugin, call its RPC with the request context,
turn an RPC error or an unavailable plugin into Mattermost's answer (501 when the plugin is disabled, 503 with
Retry-After while it (re)starts; never a hang).
"""
from __future__ import annotations

import dataclasses

RETRY_AFTER_SECONDS = 1


class PluginUnavailable(Exception):
    """The OAuth plugin cannot answer now. `status` is 501 (disabled) or 503 (starting, restarting, failed)."""

    def __init__(self, status: int, error_id: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status, self.error_id, self.message, self.retry_after = status, error_id, message, retry_after


@dataclasses.dataclass(frozen=True)
class OAuthTokenInfo:
    """What a valid OAuth access token stands for."""
    user_id: str
    client_id: str
    scope: str
    audience: str
    expires_at: int  # Unix ms
    grant_id: str
