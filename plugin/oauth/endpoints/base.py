"""What an endpoint declares: its name in the registry, its path under the site URL and its RFC 8414 metadata
names (the URL's, and that of the client authentication methods it accepts)."""
from __future__ import annotations

from typing import ClassVar

from plugin.store.records import AccessTokenRecord, AppRecord, RefreshTokenRecord

from .. import client_auth
from ..errors import OAuthErrorCode, rfc_error
from ..guards import Caller, require_enabled
from ..ids import hash_secret
from ..rfc6749 import TokenActionRequest
from ..settings import Settings
from ..store_errors import TOKEN_READ_FAILED, store_errors


class Endpoint:
    name: ClassVar[str]
    path: ClassVar[str] = ""
    metadata_key: ClassVar[str] = ""
    auth_methods: tuple[str, ...] = ()
    auth_methods_key: ClassVar[str] = ""

    def __init__(self, server) -> None:
        self.server = server
        self.services = server.services

    def enabled(self, settings: Settings) -> bool:
        return True

    def metadata_fields(self, settings: Settings) -> dict:
        """Further RFC 8414 members the endpoint adds to the metadata documents (RFC 9126's
        `require_pushed_authorization_requests`)."""
        return {}


# --- endpoints that take a token from a client (RFC 7009, RFC 7662) ---------------------------------------------

DISABLED = "api.oauth.get_access_token.disabled.app_error"


class ClientTokenEndpoint(Endpoint):
    """An endpoint where a client presents a token (revocation, introspection): the service must be on, the
    client authenticates under the rate limits, and `token` is REQUIRED (RFC 7009 §2.1, RFC 7662 §2.1: without
    it the request is invalid_request, not an unknown token). `answer` gets the token's row, or None."""
    missing_token_id: ClassVar[str]

    def handle(self, request: TokenActionRequest, caller: Caller | None = None):
        services = self.services
        settings = services.settings
        require_enabled(settings, DISABLED)
        with services.limiter.metered(settings, request.client_id, caller.remote_addr if caller else "") as meter:
            app = client_auth.authenticate(services.store, request.client_id, request.client_secret,
                                           self.auth_methods)
            public = client_auth.is_public(app)
            if not public:
                meter.client_authenticated()
            if not request.token:
                raise rfc_error(OAuthErrorCode.INVALID_REQUEST, self.missing_token_id,
                                message="invalid_request: Missing token.")
            record = self._find(request.token, request.token_type_hint)
            if public and record is not None and record.client_id == app.id:
                meter.client_authenticated()  # a public client proves itself only with a token of its own
            return self.answer(app, record, settings)

    def answer(self, app: AppRecord, record: AccessTokenRecord | RefreshTokenRecord | None, settings: Settings):
        raise NotImplementedError

    def _find(self, token: str, hint: str) -> AccessTokenRecord | RefreshTokenRecord | None:
        """The access or refresh token with this value, looking first where the hint says."""
        store = self.services.store
        token_hash = hash_secret(token)
        lookups = [store.get_access_token, store.get_refresh_token]
        if hint == "refresh_token":
            lookups.reverse()
        with store_errors(TOKEN_READ_FAILED):
            for lookup in lookups:
                record = lookup(token_hash)
                if record is not None:
                    return record
        return None
