"""The OAuth 2.0 provider: the built-in parts registered with the AuthorizationServer, and the operations the
plugin's RPCs call, each handed to the part that owns it.

The provider knows no HTTP, gRPC or SQL. The host authenticates the user and passes a `Caller`; the provider
answers with dataclasses or raises `AppError` (Mattermost id, English message, HTTP status; plus the RFC error
code at the client-facing endpoints; `DCRError` for registration).

Where Mattermost has a documented weakness we do the secure thing (docs/provider.md lists each one): codes and
tokens are stored only as hashes; a code is consumed atomically and a failed exchange by its own client burns
it; a replayed code revokes the tokens issued from it; refresh tokens rotate with reuse detection and expire
when unused; a refresh ends the previous access token at once; every code exchange issues fresh tokens; error
redirects are URL-encoded and carry `state`; an OAuth-token session cannot approve apps on either authorization
route; the implicit grant exists only behind an off-by-default plugin setting.
"""
from __future__ import annotations

from typing import Callable

from plugin.store.contract import Store
from plugin.store.records import AuditRecord

from .apps import App, AppRequest
from .apps.service import AppService
from .authorize import AuthorizationEndpoint, AuthorizationOutcome, CodeResponse, ImplicitResponse
from .endpoints import (
    AuditEndpoint,
    BearerTokens,
    DeviceAuthorizationEndpoint,
    DeviceVerificationEndpoint,
    IntrospectionEndpoint,
    MetadataEndpoint,
    PushedAuthorizationEndpoint,
    RegistrationEndpoint,
    RevocationEndpoint,
    TokenEndpoint,
)
from .endpoints.device_authorization import DeviceAuthorization, DeviceAuthorizationRequest
from .endpoints.device_verification import DeviceDecision, DevicePrompt
from .grants import AuthorizationCodeGrant, DeviceCodeGrant, RefreshTokenGrant
from .guards import DEFAULT_PER_PAGE, Caller
from .host import Host
from .dpop import register as register_dpop
from .oidc import register as register_openid
from .rfc6749 import AuthorizeRequest, TokenActionRequest, TokenRequest, TokenResponse
from .rfc9449 import HttpTarget
from .server import AuthorizationServer
from .services import Services
from .settings import Settings
from .store_errors import REMOVE_FAILED, store_errors
from .tokens import TokenInfo

GRANTS = (AuthorizationCodeGrant, RefreshTokenGrant, DeviceCodeGrant)
RESPONSE_TYPES = (CodeResponse, ImplicitResponse)
ENDPOINTS = (AuthorizationEndpoint, TokenEndpoint, RegistrationEndpoint, RevocationEndpoint,
             IntrospectionEndpoint, MetadataEndpoint, AuditEndpoint, BearerTokens, DeviceAuthorizationEndpoint,
             DeviceVerificationEndpoint, PushedAuthorizationEndpoint)


def build_server(services: Services, local_secret: Callable[[], bytes] | None = None) -> AuthorizationServer:
    """The authorization server with every built-in grant, response type and endpoint registered, and OpenID
    Connect on top (`local_secret`: the key-encryption secret the plugin keeps in a file, plugin/oauth/oidc/keys.py)."""
    server = AuthorizationServer(services)
    for grant in GRANTS:
        server.register_grant(grant)
    for response_type in RESPONSE_TYPES:
        server.register_response_type(response_type)
    for endpoint in ENDPOINTS:
        server.register_endpoint(endpoint)
    register_openid(server, local_secret)
    register_dpop(server)
    return server


class OAuthProvider:
    def __init__(self, store: Store, clock, settings: Settings | None = None, host: Host | None = None,
                 local_secret: Callable[[], bytes] | None = None) -> None:
        self.services = Services.create(store, clock, settings, host)
        self.server = build_server(self.services, local_secret)
        self.apps = AppService(self.services)
        self._authorization: AuthorizationEndpoint = self.server.endpoint("authorization")
        self._bearer: BearerTokens = self.server.endpoint("bearer")

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def host(self) -> Host:
        return self.services.host

    def configure(self, settings: Settings) -> None:
        """Replace the settings (OnConfigurationChange). Each operation reads them once when it starts."""
        self.services.settings = settings

    def close(self) -> None:
        """Write pending audit events; the store stays open (its owner closes it)."""
        self.services.audit.close()

    # --- apps (Integrations > OAuth 2.0 Applications) ----------------------------------------------------------

    def create_app(self, caller: Caller | None, request: AppRequest | None) -> App:
        return self.apps.create(caller, request)

    def get_app(self, caller: Caller | None, app_id: str) -> App:
        return self.apps.get(caller, app_id)

    def list_apps(self, caller: Caller | None, page: int | None = 0, per_page: int | None = DEFAULT_PER_PAGE
                  ) -> list[App]:
        return self.apps.list_apps(caller, page, per_page)

    def update_app(self, caller: Caller | None, app_id: str, update: App | None, set_allowed_scopes: bool = False
                   ) -> App:
        return self.apps.update(caller, app_id, update, set_allowed_scopes)

    def delete_app(self, caller: Caller | None, app_id: str) -> None:
        self.apps.delete(caller, app_id)

    def regenerate_secret(self, caller: Caller | None, app_id: str) -> App:
        return self.apps.regenerate_secret(caller, app_id)

    def get_app_info(self, caller: Caller | None, app_id: str) -> App:
        return self.apps.info(caller, app_id)

    def list_authorized_apps(self, caller: Caller | None, user_id: str, page: int | None = 0,
                             per_page: int | None = DEFAULT_PER_PAGE) -> list[tuple[App, str]]:
        """Each app with the scope the user granted it."""
        return self.apps.list_authorized(caller, user_id, page, per_page)

    # --- authorization --------------------------------------------------------------------------------------

    def begin_authorization(self, caller: Caller | None, request: AuthorizeRequest | None) -> AuthorizationOutcome:
        return self._authorization.begin(caller, request)

    def decide(self, caller: Caller | None, request: AuthorizeRequest | None, allow: bool) -> AuthorizationOutcome:
        """The consent's answer: a redirect, or with response_mode=form_post the fields to post."""
        return self._authorization.decide(caller, request, allow)

    def decide_consent(self, caller: Caller | None, request: AuthorizeRequest | None, allow: bool) -> str:
        """The URL the consent's answer sends the browser to (the callback itself for form_post)."""
        return self.decide(caller, request, allow).redirect_url

    def deauthorize(self, caller: Caller | None, client_id: str) -> None:
        self._authorization.deauthorize(caller, client_id)

    # --- client-facing endpoints ----------------------------------------------------------------------------

    def token(self, request: TokenRequest | None, caller: Caller | None = None) -> TokenResponse:
        return self.server.endpoint("token").handle(request, caller)

    def token_ends_tokens(self, grant_type: str) -> bool:
        """Whether a successful token request of this grant type may have ended tokens of its client."""
        grant = self.server.grant(grant_type)
        return grant is None or grant.ends_tokens

    def revoke(self, request: TokenActionRequest, caller: Caller | None = None) -> None:
        self.server.endpoint("revocation").handle(request, caller)

    def introspect(self, request: TokenActionRequest, caller: Caller | None = None) -> dict:
        return self.server.endpoint("introspection").handle(request, caller)

    def push_authorization_request(self, params: dict[str, str], client_id: str, client_secret: str,
                                   caller: Caller | None = None, target: HttpTarget | None = None) -> dict:
        """RFC 9126: the pushed request's `request_uri` and `expires_in` (`target`: for its DPoP proof)."""
        return self.server.endpoint("pushed_authorization").handle(params, client_id, client_secret, caller,
                                                                   target)

    def register_client(self, caller: Caller | None, body: dict | None) -> dict:
        return self.server.endpoint("registration").handle(caller, body)

    def metadata(self) -> dict:
        return self.server.endpoint("metadata").handle()

    # --- the device authorization grant (RFC 8628) --------------------------------------------------------------

    def device_authorization(self, request: DeviceAuthorizationRequest,
                             caller: Caller | None = None) -> DeviceAuthorization:
        return self.server.endpoint("device_authorization").handle(request, caller)

    def lookup_user_code(self, caller: Caller | None, user_code: str) -> DevicePrompt:
        """The verification page: the device request a typed user code names."""
        return self.server.endpoint("device_verification").lookup(caller, user_code)

    def decide_device(self, caller: Caller | None, user_code: str, allow: bool) -> DeviceDecision:
        return self.server.endpoint("device_verification").decide(caller, user_code, allow)

    # --- OpenID Connect (plugin/oauth/oidc/) -------------------------------------------------------------------

    def openid_configuration(self) -> dict:
        return self.server.endpoint("openid_configuration").handle()

    def jwks(self) -> dict:
        return self.server.endpoint("jwks").handle()

    def userinfo(self, authorization: str, form_token: str = "", target: HttpTarget | None = None) -> dict:
        return self.server.endpoint("userinfo").handle(authorization, form_token, target)

    def end_session(self, caller: Caller | None, **params: str):
        """RP-initiated logout: whether to ask the user first, and where to send the browser after."""
        return self.server.endpoint("end_session").handle(caller, **params)

    def ensure_signing_keys(self) -> None:
        """The signing keys of every algorithm exist (the plugin's first activation generates them)."""
        self.server.openid.keys.ensure_current()

    def rotate_signing_keys(self, caller: Caller | None) -> dict:
        return self.server.endpoint("signing_keys").rotate(caller)

    # --- what the host asks -----------------------------------------------------------------------------------

    def validate_token(self, access_token: str, scheme: str = "Bearer", target: HttpTarget | None = None
                       ) -> TokenInfo:
        return self._bearer.validate(access_token, scheme, target)

    def revoke_access_token(self, access_token: str) -> int:
        return self._bearer.revoke_access_token(access_token)

    def revoke_user(self, user_id: str) -> int:
        return self._bearer.revoke_user(user_id)

    def list_audit_events(self, caller: Caller | None, page: int | None = 0,
                          per_page: int | None = DEFAULT_PER_PAGE) -> list[AuditRecord]:
        return self.server.endpoint("audit").handle(caller, page, per_page)

    def purge_expired(self) -> int:
        """Housekeeping: expired codes and tokens, sealed successors past the grace window, old rate-limit
        windows and audit events past their retention."""
        settings, now, store = self.settings, self.services.now(), self.services.store
        with store_errors(REMOVE_FAILED):
            removed = store.delete_expired(now)
            removed += store.forget_successors(now - settings.refresh_grace_seconds * 1000)
            removed += store.delete_audit_events(now - settings.audit_retention_days * 86_400_000)
            removed += store.delete_expired_dpop(now)
        return removed + self.server.openid.housekeeping()
