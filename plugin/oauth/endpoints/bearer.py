"""What the host asks about access tokens: what a bearer token stands for, logout with one, and a deactivated
user's tokens. Not OAuth endpoints of their own: the host calls these for its API v4."""
from __future__ import annotations

from ..audit import AuditEvent
from ..errors import app_error
from ..ids import hash_secret
from ..store_errors import REMOVE_FAILED, TOKEN_READ_FAILED, store_errors
from ..tokens import TokenInfo
from .base import Endpoint


class BearerTokens(Endpoint):
    name = "bearer"

    def validate(self, access_token: str) -> TokenInfo:
        """What a bearer token stands for; 401 when it is missing, unknown, expired or revoked."""
        expired = app_error("api.context.session_expired.app_error", 401, detailed_error="oauth token")
        if not access_token:
            raise expired
        with store_errors(TOKEN_READ_FAILED):
            record = self.services.store.get_access_token(hash_secret(access_token))
        if record is None or (record.expires_at and self.services.now() > record.expires_at):
            raise expired
        return TokenInfo(user_id=record.user_id, client_id=record.client_id, scope=record.scope,
                         audience=record.audience, expires_at=record.expires_at, grant_id=record.grant_id)

    def revoke_access_token(self, access_token: str) -> int:
        """Logout with an OAuth token: that token and every token of its grant stop working (Mattermost's
        RevokeAccessToken also removes the refresh token). An unknown token revokes nothing."""
        store = self.services.store
        with store_errors(REMOVE_FAILED):
            record = store.get_access_token(hash_secret(access_token)) if access_token else None
            removed = store.revoke_grant(record.grant_id) if record is not None else 0
        if record is not None:
            self.services.audit.record(AuditEvent.TOKEN_REVOKED, user_id=record.user_id, client_id=record.client_id,
                                       grant_id=record.grant_id, reason="logout", tokens_revoked=removed)
        return removed

    def revoke_user(self, user_id: str) -> int:
        """A deactivated user: every token, grant, pending code and consent of the user goes."""
        with store_errors(REMOVE_FAILED):
            removed = self.services.store.revoke_user(user_id)
        self.services.audit.record(AuditEvent.USER_REVOKED, user_id=user_id, tokens_revoked=removed)
        return removed
