"""RFC 7009 token revocation (POST /oauth/revoke). Revoking a refresh token ends its whole grant; an access
token, just itself. A token that is unknown, expired or another client's is answered the same way, and nothing
happens. Public clients may revoke their own tokens with their client_id alone."""
from __future__ import annotations

from plugin.store.records import RefreshTokenRecord

from .. import client_auth
from ..audit import AuditEvent
from ..guards import Caller, require_enabled
from ..rfc6749 import TokenActionRequest
from ..rfc8414 import REVOCATION_PATH
from ..store_errors import REMOVE_FAILED, store_errors
from .base import DISABLED, Endpoint, find_token, missing_token


class RevocationEndpoint(Endpoint):
    name = "revocation"
    path = REVOCATION_PATH
    metadata_key = "revocation_endpoint"
    auth_methods = client_auth.METHODS
    auth_methods_key = "revocation_endpoint_auth_methods_supported"

    def handle(self, request: TokenActionRequest, caller: Caller | None = None) -> None:
        services = self.services
        settings = services.settings
        require_enabled(settings, DISABLED)
        with services.limiter.metered(settings, request.client_id, caller.remote_addr if caller else "") as meter:
            app = client_auth.authenticate(services.store, request.client_id, request.client_secret,
                                           self.auth_methods)
            meter.client_authenticated()
            if not request.token:
                raise missing_token("api.oauth.revoke.missing_token.app_error")
            record = find_token(services.store, request.token, request.token_type_hint)
            if record is None or record.client_id != app.id:
                return
            refresh = isinstance(record, RefreshTokenRecord)
            with store_errors(REMOVE_FAILED):
                if refresh:
                    removed = services.store.revoke_grant(record.grant_id)
                else:
                    removed = int(services.store.revoke_access_token(record.token_hash))
            services.audit.record(AuditEvent.TOKEN_REVOKED, user_id=record.user_id, client_id=app.id,
                                  grant_id=record.grant_id, reason="rfc7009", tokens_revoked=removed,
                                  token_type="refresh_token" if refresh else "access_token")
