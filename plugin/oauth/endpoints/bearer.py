"""What the host asks about access tokens: what a bearer token stands for, logout with one, and a deactivated
user's tokens. Not OAuth endpoints of their own: the host calls these for its API v4."""
from __future__ import annotations

import hmac

from ..audit import AuditEvent
from ..errors import app_error
from ..ids import hash_secret
from ..rfc9449 import SCHEME, DPoPError, DPoPErrorCode, HttpTarget
from ..store_errors import REMOVE_FAILED, TOKEN_READ_FAILED, store_errors
from ..tokens import TokenInfo
from .base import Endpoint


class BearerTokens(Endpoint):
    name = "bearer"

    def validate(self, access_token: str, scheme: str = "Bearer", target: HttpTarget | None = None) -> TokenInfo:
        """What an access token stands for; 401 when it is missing, unknown, expired or revoked. `scheme` is the
        Authorization scheme it came with: a DPoP-bound token only as "DPoP", with a proof of its key for this
        request (`target`; RFC 9449 section 7.1), and a bearer token never as "DPoP" (DPoPError, 401)."""
        expired = app_error("api.context.session_expired.app_error", 401, detailed_error="oauth token")
        if not access_token:
            raise expired
        with store_errors(TOKEN_READ_FAILED):
            record = self.services.store.get_access_token(hash_secret(access_token))
        if record is None or (record.expires_at and self.services.now() > record.expires_at):
            raise expired
        if scheme.lower() == SCHEME.lower():
            self._check_proof(record.dpop_jkt, access_token, target or HttpTarget())
        elif record.dpop_jkt:
            raise DPoPError(DPoPErrorCode.INVALID_TOKEN,
                            "The access token is DPoP-bound: send it as DPoP with a proof.", 401)
        return TokenInfo(user_id=record.user_id, client_id=record.client_id, scope=record.scope,
                         audience=record.audience, expires_at=record.expires_at, grant_id=record.grant_id,
                         dpop_jkt=record.dpop_jkt)

    def _check_proof(self, bound: str, access_token: str, target: HttpTarget) -> None:
        if not bound:
            raise DPoPError(DPoPErrorCode.INVALID_TOKEN, "The access token is not DPoP-bound: send it as Bearer.", 401)
        if not target.proofs:
            raise DPoPError(DPoPErrorCode.INVALID_DPOP_PROOF, "The request has no DPoP proof.", 401)
        try:
            proof = self.server.dpop.proofs.check(target, access_token)
        except DPoPError as refused:
            raise refused.at_resource() from None
        if not hmac.compare_digest(proof.jkt.encode(), bound.encode()):
            raise DPoPError(DPoPErrorCode.INVALID_DPOP_PROOF,
                            "The DPoP proof's key is not the key the access token is bound to.", 401)

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
