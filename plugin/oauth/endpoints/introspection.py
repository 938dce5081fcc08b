"""RFC 7662 token introspection (POST /oauth/introspect), for the confidential client the token was issued to.
Anything not active is exactly {"active": false}."""
from __future__ import annotations

from plugin.store.records import RefreshTokenRecord

from .. import client_auth
from ..guards import Caller, require_enabled
from ..rfc6749 import TokenActionRequest
from ..rfc8414 import INTROSPECTION_PATH
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .base import DISABLED, Endpoint, find_token, missing_token

INACTIVE = {"active": False}


class IntrospectionEndpoint(Endpoint):
    name = "introspection"
    path = INTROSPECTION_PATH
    metadata_key = "introspection_endpoint"
    auth_methods = client_auth.SECRET_METHODS
    auth_methods_key = "introspection_endpoint_auth_methods_supported"

    def handle(self, request: TokenActionRequest, caller: Caller | None = None) -> dict:
        services = self.services
        settings = services.settings
        require_enabled(settings, DISABLED)
        with services.limiter.metered(settings, request.client_id, caller.remote_addr if caller else "") as meter:
            app = client_auth.authenticate(services.store, request.client_id, request.client_secret,
                                           self.auth_methods)
            meter.client_authenticated()
            if not request.token:
                raise missing_token("api.oauth.introspect.missing_token.app_error")
            record = find_token(services.store, request.token, request.token_type_hint)
            now = services.now()
            if record is None or record.client_id != app.id or (record.expires_at and now > record.expires_at):
                return dict(INACTIVE)
            token_type = "access_token"
            if isinstance(record, RefreshTokenRecord):
                token_type = "refresh_token"
                with store_errors(TOKEN_READ_FAILED):
                    grant = services.store.get_grant(record.grant_id)
                if record.rotated_at is not None or grant is None \
                        or now > grant.create_at + settings.refresh_absolute_ms:
                    return dict(INACTIVE)
            return {"active": True, "scope": record.scope, "client_id": record.client_id, "token_type": token_type,
                    "exp": record.expires_at // 1000, "iat": record.create_at // 1000, "sub": record.user_id,
                    "aud": record.audience, "iss": settings.site_url}
