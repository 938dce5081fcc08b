"""RFC 7662 token introspection (POST /oauth/introspect), for the confidential client the token was issued to.
Anything not active is exactly {"active": false}."""
from __future__ import annotations

from plugin.store.records import AppRecord, RefreshTokenRecord

from .. import client_auth
from ..rfc8414 import INTROSPECTION_PATH
from ..settings import Settings
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .base import ClientTokenEndpoint

INACTIVE = {"active": False}


class IntrospectionEndpoint(ClientTokenEndpoint):
    name = "introspection"
    path = INTROSPECTION_PATH
    metadata_key = "introspection_endpoint"
    auth_methods = client_auth.SECRET_METHODS
    auth_methods_key = "introspection_endpoint_auth_methods_supported"
    missing_token_id = "api.oauth.introspect.missing_token.app_error"

    def answer(self, app: AppRecord, record, settings: Settings) -> dict:
        now = self.services.now()
        if record is None or record.client_id != app.id or (record.expires_at and now > record.expires_at):
            return dict(INACTIVE)
        token_type = "access_token"
        if isinstance(record, RefreshTokenRecord):
            token_type = "refresh_token"
            with store_errors(TOKEN_READ_FAILED):
                grant = self.services.store.get_grant(record.grant_id)
            if record.rotated_at is not None or grant is None or now > grant.create_at + settings.refresh_absolute_ms:
                return dict(INACTIVE)
        user = self.services.active_user(record.user_id)
        if user is None:
            return dict(INACTIVE)
        answer = {"active": True, "scope": record.scope, "client_id": record.client_id, "token_type": token_type,
                  "exp": record.expires_at // 1000, "iat": record.create_at // 1000, "sub": record.user_id,
                  "aud": record.audience, "iss": settings.site_url}
        if user.username:  # a host that serves no HostAPI knows no usernames
            answer["username"] = user.username
        if record.dpop_jkt:  # RFC 9449 section 6.2 (RFC 7800's confirmation claim)
            answer["cnf"] = {"jkt": record.dpop_jkt}
        return answer
