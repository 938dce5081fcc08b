"""The token endpoint (RFC 6749 §3.2, POST /oauth/access_token): the grant is looked up by `grant_type` in the
registry, and the checks run in Mattermost's order, under the rate limits."""
from __future__ import annotations

from plugin.store.records import AppRecord

from .. import client_auth
from ..errors import OAuthErrorCode, rfc_error
from ..guards import Caller, require_enabled
from ..ids import is_valid_id
from ..rfc6749 import TokenRequest, TokenResponse
from ..rfc8414 import TOKEN_PATH
from ..server import AFTER_ISSUE, BEFORE_ISSUE
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .base import DISABLED, Endpoint


class TokenEndpoint(Endpoint):
    name = "token"
    path = TOKEN_PATH
    metadata_key = "token_endpoint"
    auth_methods_key = "token_endpoint_auth_methods_supported"

    @property
    def auth_methods(self) -> tuple[str, ...]:
        return self.server.token_auth_methods()

    def handle(self, request: TokenRequest | None, caller: Caller | None = None) -> TokenResponse:
        services = self.services
        client_id = request.client_id if request is not None else ""
        remote_addr = caller.remote_addr if caller is not None else ""
        with services.limiter.metered(services.settings, client_id, remote_addr) as meter:
            if request is None:
                raise rfc_error(OAuthErrorCode.INVALID_REQUEST, "api.oauth.get_access_token.bad_request.app_error")
            grant = self.server.grant(request.grant_type)
            if grant is None:
                raise rfc_error(OAuthErrorCode.UNSUPPORTED_GRANT_TYPE, "api.oauth.get_access_token.bad_grant.app_error")
            grant.check_request(request)
            app = self._client(request.client_id)
            client_auth.authenticate_for_grant(app, request.client_secret, grant.auth_methods,
                                               grant.public_refused_id)
            grant.check_client(app, request)
            if not client_auth.is_public(app):
                meter.client_authenticated()  # its secret proved it; a public client proves itself in `issue`
            self.server.run_hooks(BEFORE_ISSUE, grant, app, request)
            issued = grant.issue(app, request, meter)
            self.server.run_hooks(AFTER_ISSUE, grant, app, request, issued)
            return issued.response

    def _client(self, client_id: str) -> AppRecord:
        if not is_valid_id(client_id):
            raise rfc_error(OAuthErrorCode.INVALID_CLIENT, "api.oauth.get_access_token.bad_client_id.app_error")
        require_enabled(self.services.settings, DISABLED)
        with store_errors(TOKEN_READ_FAILED):
            app = self.services.store.get_app(client_id)
        if app is None:
            raise client_auth.invalid_client(404)
        return app
