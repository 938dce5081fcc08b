"""RFC 7009 token revocation (POST /oauth/revoke). Revoking a refresh token ends its whole grant; an access
token, just itself. A token that is unknown, expired or another client's is answered the same way, and nothing
happens. Public clients may revoke their own tokens with their client_id alone."""
from __future__ import annotations

from plugin.store.records import AppRecord, RefreshTokenRecord

from .. import client_auth
from ..audit import AuditEvent
from ..rfc8414 import REVOCATION_PATH
from ..store_errors import REMOVE_FAILED, store_errors
from .base import ClientTokenEndpoint


class RevocationEndpoint(ClientTokenEndpoint):
    name = "revocation"
    path = REVOCATION_PATH
    metadata_key = "revocation_endpoint"
    auth_methods = client_auth.METHODS
    auth_methods_key = "revocation_endpoint_auth_methods_supported"
    missing_token_id = "api.oauth.revoke.missing_token.app_error"

    def answer(self, app: AppRecord, record, settings) -> None:
        if record is None or record.client_id != app.id:
            return
        store = self.services.store
        refresh = isinstance(record, RefreshTokenRecord)
        with store_errors(REMOVE_FAILED):
            removed = store.revoke_grant(record.grant_id) if refresh else int(store.revoke_access_token(record.token_hash))
        self.services.audit.record(AuditEvent.TOKEN_REVOKED, user_id=record.user_id, client_id=app.id,
                                   grant_id=record.grant_id, reason="rfc7009", tokens_revoked=removed,
                                   token_type="refresh_token" if refresh else "access_token")
