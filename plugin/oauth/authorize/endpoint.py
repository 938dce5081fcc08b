"""The authorization endpoint (RFC 6749 §3.1, GET and POST /oauth/authorize) and the consent decision, in
Mattermost's order of checks. Errors before the redirect URI is verified are for the error page: nothing here
ever redirects to a URI that is not registered for the app.

Scopes (plugin/oauth/scopes.py): once the redirect URI is verified, a scope the app may not ask for is an
`invalid_scope` redirect; system:manage is refused for a user who is not a system admin (the rest is granted).
A remembered consent covers a request for nothing new; the consent kept after an Allow is everything the user
agreed to for the app, the token carries what this request granted.

Pushed requests (RFC 9126, plugin/oauth/rfc9126.py): with a `request_uri`, the request answered is exactly the
pushed one. GET makes it the signed-in user's (the consent page's round trip needs it again); it is consumed,
once, before anything is issued or any redirect leaves, and the consent decision consumes it as it reads it.
The pushed authorization request endpoint checks what it accepts with `check_pushed`, the same checks up to what
needs the user."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from plugin.store.contract import StoreError, StoreUnavailable
from plugin.store.records import AppRecord, ConsentRecord

from ..apps import App
from ..apps.service import find_app
from ..audit import AuditEvent
from ..endpoints.base import Endpoint
from ..errors import PKCE_REQUIRED_PAGE_MESSAGE, AppError, ErrorCode, OAuthErrorCode, app_error, rfc_error
from ..guards import (
    ANONYMOUS,
    MANAGE_SYSTEM,
    Caller,
    require_browser_session,
    require_enabled,
    require_id,
    require_session,
)
from ..ids import hash_secret, is_valid_id
from ..policy import consent_covers, pkce_required
from ..rfc6749 import (
    ACCESS_DENIED,
    RESPONSE_TYPE_CODE,
    SERVER_ERROR,
    TEMPORARILY_UNAVAILABLE,
    UNSUPPORTED_RESPONSE_TYPE,
    AuthorizeRequest,
    authorization_redirect,
    validate_authorize_request,
)
from ..rfc8414 import AUTHORIZATION_PATH
from ..rfc9126 import (
    CONSENT_PAGE_SECONDS,
    from_pushed,
    invalid_request_uri,
    pushed_request_required,
    return_path,
)
from ..scopes import ScopeDecision, decide as decide_scopes, join, merge
from ..server import AFTER_AUTHORIZE
from ..oidc import authentication as oidc
from ..store_errors import REMOVE_FAILED, TOKEN_READ_FAILED, log, store_errors

LOGIN = "login"
CONSENT = "consent"
REDIRECT = "redirect"


@dataclass
class AuthorizationOutcome:
    """What GET /oauth/authorize should do next.

    - "login": no user, or one who must sign in again (`reauthenticate`: OpenID's prompt=login, max_age); send
      the browser to the login page (prefilled with `login_hint`) and back to `return_to` ("": this request).
    - "consent": show the consent page for `app` (public info; its secret is ""): the user would grant `scopes`;
      `refused_scopes` were asked for but only a system admin can grant them.
    - "redirect": send the browser to `redirect_url` (a code, an implicit token, or an error for the client);
      with `form_fields` (response_mode=form_post), post them there instead.
    """
    kind: str
    request: AuthorizeRequest
    redirect_url: str = ""
    app: App | None = None
    scopes: tuple[str, ...] = ()
    refused_scopes: tuple[str, ...] = ()
    return_to: str = ""
    reauthenticate: bool = False
    login_hint: str = ""
    form_fields: dict[str, str] | None = None


class AuthorizationEndpoint(Endpoint):
    name = "authorization"
    path = AUTHORIZATION_PATH
    metadata_key = "authorization_endpoint"

    def begin(self, caller: Caller | None, request: AuthorizeRequest | None) -> AuthorizationOutcome:
        """GET /oauth/authorize: log in, ask for consent, or redirect at once (trusted app, remembered consent).
        OpenID Connect's prompt and max_age decide when a session or a remembered consent is not enough; with
        prompt=none the answer is always a redirect (Core 1.0 section 3.1.2.6)."""
        settings = self.services.settings
        caller = caller or ANONYMOUS
        require_enabled(settings, "api.oauth.authorize_oauth.disabled.app_error")
        request = request if request is not None else AuthorizeRequest()
        pushed = bool(request.request_uri)
        if pushed:
            request = self._pushed(caller, request, consume=False)
        error = validate_authorize_request(request)
        if error is not None:
            raise error
        record = find_app(self.services.store, request.client_id)
        self._require_pushed(record, pushed)
        silent = "none" in oidc.prompts(request)
        if not caller.user_id:
            if silent:  # never a page: the client hears login_required at its verified callback
                self._verified_app(record, request)
                return self._error(request, oidc.OpenIDErrorCode.LOGIN_REQUIRED, caller)
            return AuthorizationOutcome(LOGIN, request, login_hint=request.login_hint,
                                        return_to=return_path(request) if pushed else "")
        require_browser_session(caller)
        app = self._verified_app(record, request)
        if request.response_type == RESPONSE_TYPE_CODE and pkce_required(record) and not request.code_challenge:
            raise app_error("api.oauth.allow_oauth.pkce_required_public.app_error", 400,
                            message=PKCE_REQUIRED_PAGE_MESSAGE)
        invalid = self._parameter_error(request)
        if invalid is not None:
            return self._error(request, invalid, caller)
        hinted = self._hinted_user(request)
        if hinted is None:
            return self._error(request, oidc.OAuthErrorCode.INVALID_REQUEST, caller)
        if oidc.needs_sign_in(self.services, caller, request, hinted):
            if silent:
                return self._error(request, oidc.OpenIDErrorCode.LOGIN_REQUIRED, caller)
            return AuthorizationOutcome(LOGIN, request, return_to=oidc.return_after_sign_in(request, self.services),
                                        reauthenticate=True, login_hint=request.login_hint)
        scopes = self._scopes(caller, record, request)
        if scopes.error:
            return self._error(request, scopes.error, caller)
        remembered = app.is_trusted or self._has_consent(caller.user_id, request, scopes.granted)
        if remembered and "consent" not in oidc.prompts(request):
            self.services.audit.record(AuditEvent.CONSENT_REMEMBERED, user_id=caller.user_id, client_id=app.id,
                                       remote_addr=caller.remote_addr, trusted=app.is_trusted,
                                       scope=join(scopes.granted))
            return self._authorize(caller, request, record, scopes.granted)
        if silent:
            return self._error(request, oidc.OpenIDErrorCode.CONSENT_REQUIRED, caller)
        return AuthorizationOutcome(CONSENT, request, app=app, scopes=tuple(scopes.granted),
                                    refused_scopes=tuple(scopes.refused))

    def decide(self, caller: Caller | None, request: AuthorizeRequest | None, allow: bool) -> AuthorizationOutcome:
        """The consent page's answer: where to send the browser (a redirect, or with response_mode=form_post the
        fields to post). Allow issues what the response type gives and remembers the consent; deny sends
        access_denied with the state."""
        settings = self.services.settings
        caller = require_session(caller)
        if request is None:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="authorize_request")
        pushed = bool(request.request_uri)
        if pushed:  # consumed here, whatever the decision: the page that led here is its only use
            require_browser_session(caller)
            require_enabled(settings)
            request = self._pushed(caller, request, consume=True)
        error = validate_authorize_request(request)
        if error is not None:
            raise error
        require_browser_session(caller)
        require_enabled(settings)
        record = find_app(self.services.store, request.client_id)
        self._require_pushed(record, pushed)
        self._verified_app(record, request)
        if not allow:
            self.services.audit.record(AuditEvent.CONSENT_DENIED, user_id=caller.user_id, client_id=record.id,
                                       remote_addr=caller.remote_addr)
            return self._error(request, ACCESS_DENIED)
        if request.response_type == RESPONSE_TYPE_CODE and pkce_required(record) and not request.code_challenge:
            raise app_error("api.oauth.allow_oauth.pkce_required_public.app_error", 400)
        invalid = oidc.request_error(request, self._in_fragment(request))
        if invalid is not None:
            return self._error(request, invalid)
        scopes = self._scopes(caller, record, request)
        if scopes.error:
            return self._error(request, scopes.error)
        self.services.audit.record(AuditEvent.CONSENT_GRANTED, user_id=caller.user_id, client_id=record.id,
                                   remote_addr=caller.remote_addr, scope=join(scopes.granted))
        return self._authorize(caller, request, record, scopes.granted)

    def deauthorize(self, caller: Caller | None, client_id: str) -> None:
        """Revokes the user's tokens and pending codes for the app and forgets the consent. An unknown but
        well-formed client id is fine."""
        caller = require_session(caller)
        require_id(client_id, "client_id", "api.context.invalid_body_param.app_error")
        require_enabled(self.services.settings)
        with store_errors(REMOVE_FAILED):
            removed = self.services.store.revoke_user_app(caller.user_id, client_id)
        self.services.audit.record(AuditEvent.USER_DEAUTHORIZED_APP, user_id=caller.user_id, client_id=client_id,
                                   remote_addr=caller.remote_addr, tokens_revoked=removed)

    # --- pushed authorization requests (RFC 9126) -------------------------------------------------------------

    def check_pushed(self, record: AppRecord, request: AuthorizeRequest) -> None:
        """RFC 9126 section 2.1: a pushed request is checked as this endpoint checks a request, up to what needs
        the user; what would be an error page or an error redirect here is an error answer to the client there."""
        error = validate_authorize_request(request)
        if error is not None:
            raise error
        self._verified_app(record, request)
        if request.response_type == RESPONSE_TYPE_CODE and pkce_required(record) and not request.code_challenge:
            raise app_error("api.oauth.allow_oauth.pkce_required_public.app_error", 400,
                            oauth_error=OAuthErrorCode.INVALID_REQUEST)
        code = self._parameter_error(request)
        if code is None and self._hinted_user(request) is None:
            code = OAuthErrorCode.INVALID_REQUEST
        if code is None:  # the app's allowed scopes; what a user may grant is decided when one does
            code = decide_scopes(request.scope, record.allowed_scopes, True).error or None
        if code is not None:
            raise rfc_error(code, "api.oauth.par.refused.app_error", error=str(code))

    def _require_pushed(self, record: AppRecord, pushed: bool) -> None:
        """Section 4 (and 5, 6): where the server or the app requires pushed requests, a plain one is refused."""
        if not pushed and (self.services.settings.require_pushed_authorization_requests
                           or record.require_pushed_authorization_requests):
            raise pushed_request_required()

    def _pushed(self, caller: Caller, request: AuthorizeRequest, consume: bool) -> AuthorizeRequest:
        """The pushed request `request_uri` names, for `client_id`: started by the signed-in user (GET), or
        consumed (the consent decision; its request_uri is then "", nothing left to spend). Unknown, expired,
        used, another app's or another user's: invalid_request_uri, on the error page (its redirect URI cannot be
        trusted)."""
        if not is_valid_id(request.client_id):
            raise app_error("model.authorize.is_valid.client_id.app_error", 400)
        store, now = self.services.store, self.services.now()
        request_hash = hash_secret(request.request_uri)
        with store_errors(TOKEN_READ_FAILED):
            if consume:
                found = store.consume_pushed_request(request_hash, request.client_id, caller.user_id, now)
            elif caller.user_id:
                lifetime = max(self.services.settings.pushed_request_lifetime_seconds, CONSENT_PAGE_SECONDS)
                found = store.start_pushed_request(request_hash, request.client_id, caller.user_id, now,
                                                   now + lifetime * 1000)
            else:
                found = store.get_pushed_request(request_hash, request.client_id, now)
        if found is None:
            self.services.audit.record(AuditEvent.PUSHED_REQUEST_REFUSED, user_id=caller.user_id,
                                       client_id=request.client_id, remote_addr=caller.remote_addr)
            raise invalid_request_uri()
        if consume:
            self._audit_used(caller, request.client_id)
        return from_pushed(found.params, "" if consume else request.request_uri, request.authenticated_after)

    def _spend(self, caller: Caller | None, request: AuthorizeRequest) -> AuthorizeRequest:
        """Consume a pushed request before the authorization answers (a code, or an error redirect): of two
        browsers answering it at once, one wins and the other sees invalid_request_uri. The request, with nothing
        left to spend."""
        if not request.request_uri:
            return request
        caller = caller or ANONYMOUS
        with store_errors(TOKEN_READ_FAILED):
            spent = self.services.store.consume_pushed_request(
                hash_secret(request.request_uri), request.client_id, caller.user_id, self.services.now())
        if spent is None:
            self.services.audit.record(AuditEvent.PUSHED_REQUEST_REFUSED, user_id=caller.user_id,
                                       client_id=request.client_id, remote_addr=caller.remote_addr)
            raise invalid_request_uri()
        self._audit_used(caller, request.client_id)
        return dataclasses.replace(request, request_uri="")

    def _audit_used(self, caller: Caller, client_id: str) -> None:
        self.services.audit.record(AuditEvent.PUSHED_REQUEST_USED, user_id=caller.user_id, client_id=client_id,
                                   remote_addr=caller.remote_addr)

    def _parameter_error(self, request: AuthorizeRequest) -> ErrorCode | None:
        """An unsupported response type, or OpenID parameters that are not acceptable."""
        if self.server.response_type(request.response_type) is None:
            return UNSUPPORTED_RESPONSE_TYPE
        return oidc.request_error(request, self._in_fragment(request))

    @staticmethod
    def _verified_app(record: AppRecord, request: AuthorizeRequest) -> App:
        app = App.from_record(record)
        if not app.is_valid_redirect_url(request.redirect_uri):
            raise app_error("api.oauth.allow_oauth.redirect_callback.app_error", 400)
        return app

    def _in_fragment(self, request: AuthorizeRequest) -> bool:
        response_type = self.server.response_type(request.response_type)
        return response_type is not None and response_type.in_fragment

    @staticmethod
    def _scopes(caller: Caller, record: AppRecord, request: AuthorizeRequest) -> ScopeDecision:
        return decide_scopes(request.scope, record.allowed_scopes, caller.can(MANAGE_SYSTEM))

    def _has_consent(self, user_id: str, request: AuthorizeRequest, granted: list[str]) -> bool:
        with store_errors("app.preference.get.app_error"):
            consent = self.services.store.get_consent(user_id, request.client_id)
        return consent_covers(consent, granted)

    def _authorize(self, caller: Caller, request: AuthorizeRequest, record: AppRecord,
                   granted: list[str]) -> AuthorizationOutcome:
        """Mattermost's AllowOAuthAppAccessToUser after its checks: issue, run the after_authorize hooks, remember
        the consent (with what the user agreed to before), answer. Failures become an error answer to the
        (verified) callback, as in Mattermost."""
        response_type = self.server.response_type(request.response_type)
        if response_type is None:
            return self._error(request, UNSUPPORTED_RESPONSE_TYPE, caller)
        request = self._spend(caller, request)
        scope = join(granted)
        store = self.services.store
        try:
            params = response_type.issue(caller.user_id, request, scope)
            self.server.run_hooks(AFTER_AUTHORIZE, response_type, caller, request, scope, params)
            before = store.get_consent(caller.user_id, record.id)
            consented = merge(before.scope, granted) if before is not None else scope
            store.save_consent(ConsentRecord(caller.user_id, record.id, consented, self.services.now()))
        except (StoreError, AppError) as exc:
            log.error("failure while authorizing client %s: %s", record.id, exc)
            unavailable = isinstance(exc, StoreUnavailable) or getattr(exc, "status", 0) == 503
            refused = getattr(exc, "oauth_error", "") if getattr(exc, "status", 500) < 500 else ""
            return self._error(request, TEMPORARILY_UNAVAILABLE if unavailable else refused or SERVER_ERROR)
        return self._respond(request, params)

    def _hinted_user(self, request: AuthorizeRequest) -> str | None:
        """The user an `id_token_hint` names ("" without one); None when it is not an ID token this provider issued
        to this client (Core 1.0 section 3.1.2.1)."""
        if not request.id_token_hint:
            return ""
        try:
            claims = self.server.openid.logout.hint(request.id_token_hint)
        except AppError:
            return None
        return claims["sub"] if claims["aud"] == request.client_id else None

    def _respond(self, request: AuthorizeRequest, params: dict[str, str]) -> AuthorizationOutcome:
        """The answer in the request's response mode: the query or the fragment of the redirect (the response
        type's default, or what response_mode asks), or the fields of an auto-submitting form (form_post)."""
        iss = self.services.settings.site_url
        if request.response_mode == oidc.FORM_POST:
            fields = {**params, "iss": iss} if iss else dict(params)
            return AuthorizationOutcome(REDIRECT, request, redirect_url=request.redirect_uri, form_fields=fields)
        in_fragment = oidc.in_fragment(request, self._in_fragment(request))
        return AuthorizationOutcome(REDIRECT, request,
                                    redirect_url=authorization_redirect(request.redirect_uri, params, in_fragment, iss))

    def _error(self, request: AuthorizeRequest, error: str, caller: Caller | None = None) -> AuthorizationOutcome:
        """An error for the client at its verified callback, with the state (RFC 6749 section 4.1.2.1); a pushed
        request it answers is spent."""
        request = self._spend(caller, request)
        return self._respond(request, {"error": str(error), "state": request.state})
