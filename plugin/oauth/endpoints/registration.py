"""RFC 7591 dynamic client registration (POST /api/v4/oauth/apps/register), as Mattermost has it: anonymous by
design (the caller's session is ignored and the app has no creator), under the per-address rate limit, off unless
the admin turns on EnableDynamicClientRegistration. Failures are DCRError (`error`, `error_description`)."""
from __future__ import annotations

from ..apps import App, validate_app
from ..apps.service import save_new_app
from ..audit import AuditEvent
from ..errors import AppError, DCRError
from ..guards import Caller
from ..ids import new_id, new_secret
from ..rfc7591 import (
    DEFAULT_CLIENT_NAME,
    INVALID_CLIENT_METADATA,
    INVALID_REDIRECT_URI,
    UNSUPPORTED_OPERATION,
    ClientRegistrationRequest,
    redirect_uri_matches_allowlist,
    registration_response,
    validate_registration_request,
)
from ..rfc8414 import REGISTRATION_PATH
from ..settings import Settings
from ..store_errors import STORE_UNAVAILABLE
from .base import Endpoint


class RegistrationEndpoint(Endpoint):
    name = "registration"
    path = REGISTRATION_PATH
    metadata_key = "registration_endpoint"

    def enabled(self, settings: Settings) -> bool:
        return settings.enable_dynamic_client_registration

    def handle(self, caller: Caller | None, body: dict | None) -> dict:
        services = self.services
        remote_addr = caller.remote_addr if caller else ""
        with services.limiter.metered(services.settings, "", remote_addr):
            registered = self._register(body)
        services.audit.record(AuditEvent.APP_CREATED, client_id=registered["client_id"], remote_addr=remote_addr,
                              dynamic=True, name=registered.get("client_name", ""))
        return registered

    def _register(self, body: dict | None) -> dict:
        settings = self.services.settings
        request = ClientRegistrationRequest.from_json(body)
        if not settings.enable_oauth_service_provider:
            raise DCRError(UNSUPPORTED_OPERATION, "OAuth service provider is disabled")
        if not settings.enable_dynamic_client_registration:
            raise DCRError(UNSUPPORTED_OPERATION, "Dynamic client registration is disabled")
        error = validate_registration_request(request)
        if error is not None:
            raise DCRError(INVALID_CLIENT_METADATA, error.message)
        allowlist = settings.dcr_redirect_uri_allowlist
        if not all(redirect_uri_matches_allowlist(uri, allowlist)
                   for uri in request.redirect_uris + request.post_logout_redirect_uris):
            raise DCRError(INVALID_REDIRECT_URI, "One or more redirect URIs do not match the allowlist")
        secret = "" if request.is_public else new_secret()
        now = self.services.now()
        app = App(id=new_id(), creator_id="", create_at=now, update_at=now, client_secret=secret,
                  name=request.client_name or DEFAULT_CLIENT_NAME, callback_urls=list(request.redirect_uris),
                  homepage=request.client_uri or "", is_trusted=False, is_dynamically_registered=True,
                  is_public=request.is_public, allowed_scopes=request.allowed_scopes,
                  post_logout_redirect_uris=list(request.post_logout_redirect_uris),
                  require_pushed_authorization_requests=request.require_pushed_authorization_requests,
                  require_dpop=request.dpop_bound_access_tokens)
        error = validate_app(app)
        if error is not None:
            raise DCRError(INVALID_CLIENT_METADATA, error.message, error.status)
        try:
            save_new_app(self.services.store, app, secret)
        except AppError as exc:
            if exc.id == STORE_UNAVAILABLE:
                raise  # not the metadata's fault: 503 with Retry-After
            raise DCRError(INVALID_CLIENT_METADATA, exc.message, exc.status) from exc
        return registration_response(client_id=app.id, client_secret=secret, redirect_uris=app.callback_urls,
                                     client_name=app.name, client_uri=app.homepage,
                                     issued_at_seconds=now // 1000, auth_method=request.auth_method,
                                     allowed_scopes=app.allowed_scopes,
                                     post_logout_redirect_uris=app.post_logout_redirect_uris,
                                     require_pushed_authorization_requests=app.require_pushed_authorization_requests,
                                     dpop_bound_access_tokens=app.require_dpop)
