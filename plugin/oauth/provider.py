"""The OAuth 2.0 provider: every operation the plugin offers, with Mattermost's checks in Mattermost's order.

The provider knows no HTTP, gRPC or SQL. The host authenticates the user and passes a `Caller`; the provider
answers with dataclasses or raises `AppError` (Mattermost id, English message, HTTP status; plus the RFC 6749
error code at the token endpoint) or, for registration, `DCRError`.

Where Mattermost has a documented weakness we do the secure thing (docs/provider.md lists each one): codes and
tokens are stored only as hashes; a code is consumed atomically and a failed exchange by its own client burns
it; a replayed code revokes the tokens issued from it; refresh tokens rotate with reuse detection and expire
when unused; a refresh ends the previous access token at once; every code exchange issues fresh tokens; error
redirects are URL-encoded and carry `state`; an OAuth-token session cannot approve apps on either authorization
route; the implicit grant exists only behind an off-by-default plugin setting.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Iterator

from plugin.store.contract import AlreadyExists, Issue, Store, StoreError, StoreUnavailable
from plugin.store.records import (
    AccessTokenRecord,
    AppRecord,
    AuditRecord,
    CodeRecord,
    ConsentRecord,
    GrantRecord,
    RefreshTokenRecord,
)

from .apps import (
    GRANT_AUTHORIZATION_CODE,
    GRANT_REFRESH_TOKEN,
    App,
    AppRequest,
    authenticate_client,
    validate_app,
)
from . import refresh_grace
from .audit import AuditEvent, AuditLog
from .errors import PKCE_REQUIRED_PAGE_MESSAGE, AppError, DCRError, app_error
from .host import Host, HostUnavailable, HostUser, NoHost
from .ratelimit import RateLimiter
from .ids import hash_secret, is_valid_id, new_id, new_secret, secret_matches
from .rfc6749 import (
    ACCESS_DENIED,
    AUTH_CODE_LIFETIME_SECONDS,
    RESPONSE_TYPE_CODE,
    RESPONSE_TYPE_TOKEN,
    SERVER_ERROR,
    TEMPORARILY_UNAVAILABLE,
    UNSUPPORTED_RESPONSE_TYPE,
    AuthorizeRequest,
    TokenActionRequest,
    TokenRequest,
    TokenResponse,
    code_redirect,
    error_redirect,
    implicit_redirect,
    validate_authorize_request,
)
from .rfc7591 import (
    DEFAULT_CLIENT_NAME,
    INVALID_CLIENT_METADATA,
    INVALID_REDIRECT_URI,
    UNSUPPORTED_OPERATION,
    ClientRegistrationRequest,
    redirect_uri_matches_allowlist,
    registration_response,
    validate_registration_request,
)
from .rfc7636 import validate_for_client_type
from .rfc8414 import authorization_server_metadata
from .rfc8707 import INVALID_TARGET, validate_resource
from .settings import Settings

log = logging.getLogger(__name__)

# System permissions the host resolves from the caller's roles.
MANAGE_OAUTH = "manage_oauth"
MANAGE_SYSTEM_WIDE_OAUTH = "manage_system_wide_oauth"
MANAGE_SYSTEM = "manage_system"
EDIT_OTHER_USERS = "edit_other_users"

DEFAULT_PER_PAGE = 60
MAX_PER_PAGE = 200

_SP_OFF = "api.oauth.allow_oauth.turn_off.app_error"


@dataclass(frozen=True)
class Caller:
    """Who is asking, as the host authenticated them."""
    user_id: str = ""  # "" when anonymous
    session_id: str = ""
    permissions: frozenset[str] = frozenset()
    is_oauth: bool = False  # authenticated with an OAuth access token
    request_id: str = ""
    remote_addr: str = ""

    def can(self, permission: str) -> bool:
        return permission in self.permissions


ANONYMOUS = Caller()


@dataclass
class AuthorizationOutcome:
    """What GET /oauth/authorize should do next.

    - "login": no user; send the browser to the login page and back to this request.
    - "consent": show the consent page for `app` (public info; its secret is "").
    - "redirect": send the browser to `redirect_url` (a code, an implicit token, or an error for the client).
    """
    kind: str
    request: AuthorizeRequest
    redirect_url: str = ""
    app: App | None = None


LOGIN = "login"
CONSENT = "consent"
REDIRECT = "redirect"


@dataclass
class TokenInfo:
    """A valid access token's meaning, for the host's bearer authentication."""
    user_id: str
    client_id: str
    scope: str
    audience: str
    expires_at: int
    grant_id: str


def normalize_paging(page: int | None, per_page: int | None) -> tuple[int, int]:
    """Mattermost's paging: page defaults to 0; per_page defaults to 60 and is capped at 200. Values that are
    missing, negative or not integers fall back to the defaults; 0 also means the default here (an unset proto
    field arrives as 0)."""
    if not isinstance(page, int) or isinstance(page, bool) or page < 0:
        page = 0
    if not isinstance(per_page, int) or isinstance(per_page, bool) or per_page <= 0:
        per_page = DEFAULT_PER_PAGE
    return page, min(per_page, MAX_PER_PAGE)


STORE_UNAVAILABLE = "app.store.unavailable.app_error"
STORE_RETRY_AFTER_SECONDS = 1


# Set when the client of a rate-limited call has authenticated (a public client, by being named with what its
# grant requires): only then does the request stay counted in that client's window.
_CLIENT_AUTHENTICATED: ContextVar[bool] = ContextVar("client_authenticated", default=False)


def _client_authenticated() -> None:
    _CLIENT_AUTHENTICATED.set(True)


def store_unavailable(exc: StoreUnavailable) -> AppError:
    """503 with Retry-After: the database cannot be reached now (PostgreSQL down or unreachable); nothing was
    acknowledged, and the same request may succeed in a moment."""
    log.error("store unavailable: %s", exc)
    return app_error(STORE_UNAVAILABLE, 503, oauth_error=TEMPORARILY_UNAVAILABLE,
                     retry_after=STORE_RETRY_AFTER_SECONDS)


@contextmanager
def _store_errors(error_id: str, status: int = 500, oauth_error: str = "") -> Iterator[None]:
    """Turn a database failure into Mattermost's 500 for the operation (503 with Retry-After while the database
    is unreachable); log the detail server-side."""
    try:
        yield
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    except StoreError as exc:
        log.error("store failure (%s): %s", error_id, exc)
        raise app_error(error_id, status, oauth_error=oauth_error) from exc


def _missing_token(error_id: str) -> AppError:
    """RFC 7009 section 2.1 and RFC 7662 section 2.1: `token` is REQUIRED; without it the request is
    invalid_request (RFC 6749 section 5.2), not an unknown token."""
    return app_error(error_id, 400, oauth_error="invalid_request", message="invalid_request: Missing token.")


HOST_UNAVAILABLE = "app.host.unavailable.app_error"


class OAuthProvider:
    def __init__(self, store: Store, clock, settings: Settings | None = None, host: Host | None = None) -> None:
        self.store = store
        self.clock = clock
        self.settings = settings if settings is not None else Settings()
        self.host: Host = host if host is not None else NoHost()  # who owns the users (plugin/oauth/host.py)
        self.audit = AuditLog(store, clock)
        self.limiter = RateLimiter(store, clock)

    def close(self) -> None:
        """Write pending audit events; the store stays open (its owner closes it)."""
        self.audit.close()

    def configure(self, settings: Settings) -> None:
        """Replace the settings (OnConfigurationChange). Each operation reads them once when it starts."""
        self.settings = settings

    # --- shared checks ----------------------------------------------------------------------------------------

    def _now(self) -> int:
        return self.clock.now_ms()

    @staticmethod
    def _require_session(caller: Caller | None) -> Caller:
        if caller is None or not caller.user_id:
            raise app_error("api.context.session_expired.app_error", 401)
        return caller

    @staticmethod
    def _require_app_id(app_id: str) -> None:
        if not is_valid_id(app_id):
            raise app_error("api.context.invalid_url_param.app_error", 400, name="app_id")

    @staticmethod
    def _require_permission(caller: Caller, permission: str) -> None:
        if not caller.can(permission):
            raise app_error("api.context.permissions.app_error", 403, detailed_error=f"permission={permission}")

    @staticmethod
    def _require_enabled(settings: Settings, error_id: str = _SP_OFF, oauth_error: str = "") -> None:
        if not settings.enable_oauth_service_provider:
            raise app_error(error_id, 501, oauth_error=oauth_error)

    def _find_app(self, app_id: str) -> AppRecord:
        with _store_errors("app.oauth.get_app.finding.app_error"):
            record = self.store.get_app(app_id)
        if record is None:
            raise app_error("app.oauth.get_app.find.app_error", 404, detailed_error=f"app_id={app_id}")
        return record

    @staticmethod
    def _require_owner(caller: Caller, record: AppRecord) -> None:
        if record.creator_id != caller.user_id and not caller.can(MANAGE_SYSTEM_WIDE_OAUTH):
            raise app_error(
                "api.context.permissions.app_error", 403, detailed_error=f"permission={MANAGE_SYSTEM_WIDE_OAUTH}"
            )

    def _active_user(self, user_id: str) -> HostUser | None:
        """The user a code or token was issued to, as the host knows them now; None when deactivated or gone, so
        that nothing issued to them works (Mattermost's GetOAuthAccessTokenForCodeFlow refuses DeleteAt != 0), even
        where the host could not tell us (RevokeUser while the plugin was disabled). 503 if the host cannot say."""
        try:
            user = self.host.get_user(user_id)
        except HostUnavailable as exc:
            log.error("the host cannot say whether user %s is active: %s", user_id, exc)
            raise app_error(HOST_UNAVAILABLE, 503, oauth_error=TEMPORARILY_UNAVAILABLE,
                            retry_after=STORE_RETRY_AFTER_SECONDS) from exc
        return user if user is not None and user.is_active else None

    def _owned_app(self, caller: Caller | None, app_id: str) -> tuple[Caller, AppRecord]:
        """The check chain of get/delete/regenerate: session, app id, manage_oauth, enabled, exists, owner."""
        caller = self._require_session(caller)
        self._require_app_id(app_id)
        self._require_permission(caller, MANAGE_OAUTH)
        self._require_enabled(self.settings)
        record = self._find_app(app_id)
        self._require_owner(caller, record)
        return caller, record

    # --- apps (E1-E8) -----------------------------------------------------------------------------------------

    def create_app(self, caller: Caller | None, request: AppRequest | None) -> App:
        """E1. The secret is generated here and returned in clear once; only its hash is stored."""
        caller = self._require_session(caller)
        if request is None:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="oauth_app")
        self._require_permission(caller, MANAGE_OAUTH)
        is_trusted = bool(request.is_trusted) if caller.can(MANAGE_SYSTEM) else False
        is_public = bool(request.is_public)
        secret = "" if is_public else new_secret()
        self._require_enabled(self.settings, "api.oauth.register_oauth_app.turn_off.app_error")
        now = self._now()
        app = App(
            id=new_id(),
            creator_id=caller.user_id,
            create_at=now,
            update_at=now,
            client_secret=secret,
            name=request.name,
            description=request.description,
            icon_url=request.icon_url,
            callback_urls=list(request.callback_urls or []),
            homepage=request.homepage,
            is_trusted=is_trusted,
            is_dynamically_registered=False,
            is_public=is_public,
        )
        error = validate_app(app)
        if error is not None:
            raise error
        self._save_new_app(app, secret)
        self.audit.record(AuditEvent.APP_CREATED, user_id=caller.user_id, client_id=app.id,
                          remote_addr=caller.remote_addr, name=app.name, trusted=app.is_trusted, public=is_public)
        return app

    def _save_new_app(self, app: App, secret: str) -> None:
        record = app.to_record(hash_secret(secret) if secret else "")
        try:
            self.store.save_app(record)
        except AlreadyExists as exc:
            raise app_error("app.oauth.save_app.existing.app_error", 400) from exc
        except StoreUnavailable as exc:
            raise store_unavailable(exc) from exc
        except StoreError as exc:
            log.error("store failure saving app: %s", exc)
            raise app_error("app.oauth.save_app.save.app_error", 500) from exc

    def get_app(self, caller: Caller | None, app_id: str) -> App:
        """E3. The secret is not returned (Mattermost returns it; we only have its hash)."""
        _, record = self._owned_app(caller, app_id)
        return App.from_record(record)

    def list_apps(self, caller: Caller | None, page: int | None = 0, per_page: int | None = DEFAULT_PER_PAGE) -> list[App]:
        """E2. All apps for manage_system_wide_oauth, otherwise the caller's own."""
        caller = self._require_session(caller)
        if not caller.can(MANAGE_OAUTH):
            raise app_error("api.command.admin_only.app_error", 403)
        self._require_enabled(self.settings)
        page, per_page = normalize_paging(page, per_page)
        creator = None if caller.can(MANAGE_SYSTEM_WIDE_OAUTH) else caller.user_id
        with _store_errors("app.oauth.get_apps.find.app_error"):
            records = self.store.list_apps(page * per_page, per_page, creator_id=creator)
        return [App.from_record(record) for record in records]

    def update_app(self, caller: Caller | None, app_id: str, update: App | None) -> App:
        """E4. Id, creator, create_at, secret and the registration flag keep their stored values; is_trusted
        changes only for manage_system. Existing tokens stay valid (Mattermost test MM-T649), but a pending code
        bound to a callback that was removed can no longer be exchanged."""
        caller = self._require_session(caller)
        self._require_app_id(app_id)
        self._require_permission(caller, MANAGE_OAUTH)
        if update is None:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="oauth_app")
        if update.id != app_id:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="app_id")
        self._require_enabled(self.settings)
        old = self._find_app(app_id)
        self._require_owner(caller, old)
        app = App(
            id=old.id,
            creator_id=old.creator_id,
            create_at=old.create_at,
            update_at=self._now(),
            client_secret="",
            name=update.name,
            description=update.description,
            icon_url=update.icon_url,
            callback_urls=list(update.callback_urls or []),
            homepage=update.homepage,
            is_trusted=bool(update.is_trusted) if caller.can(MANAGE_SYSTEM) else old.is_trusted,
            mattermost_app_id=update.mattermost_app_id,
            is_dynamically_registered=old.is_dynamically_registered,
            is_public=old.client_secret_hash == "",
        )
        error = validate_app(app)
        if error is not None:
            raise error
        record = app.to_record(old.client_secret_hash)
        with _store_errors("app.oauth.update_app.updating.app_error"):
            updated = self.store.update_app(record)
        if not updated:
            raise app_error("app.oauth.update_app.find.app_error", 400)
        self.audit.record(AuditEvent.APP_UPDATED, user_id=caller.user_id, client_id=app_id,
                          remote_addr=caller.remote_addr, trusted=app.is_trusted)
        return app

    def delete_app(self, caller: Caller | None, app_id: str) -> None:
        """E5. The app goes with every consent, code, grant and token of it."""
        caller, _ = self._owned_app(caller, app_id)
        with _store_errors("app.oauth.delete_app.app_error"):
            self.store.delete_app(app_id)
        self.audit.record(AuditEvent.APP_DELETED, user_id=caller.user_id, client_id=app_id,
                          remote_addr=caller.remote_addr)

    def regenerate_secret(self, caller: Caller | None, app_id: str) -> App:
        """E6. A new secret, returned in clear once. Issued tokens stay valid; the next code exchange or refresh
        needs the new secret."""
        caller, record = self._owned_app(caller, app_id)
        if record.client_secret_hash == "":
            raise app_error("api.oauth.regenerate_secret.public_client.app_error", 400)
        secret = new_secret()
        record.client_secret_hash = hash_secret(secret)
        record.update_at = self._now()
        with _store_errors("app.oauth.update_app.updating.app_error"):
            updated = self.store.update_app(record)
        if not updated:
            raise app_error("app.oauth.get_app.find.app_error", 404)
        self.audit.record(AuditEvent.APP_SECRET_REGENERATED, user_id=caller.user_id, client_id=app_id,
                          remote_addr=caller.remote_addr)
        return App.from_record(record, client_secret=secret)

    def get_app_info(self, caller: Caller | None, app_id: str) -> App:
        """E7. Public information for the consent page; any signed-in caller, OAuth tokens included."""
        self._require_session(caller)
        self._require_app_id(app_id)
        self._require_enabled(self.settings)
        return App.from_record(self._find_app(app_id))

    def list_authorized_apps(
        self,
        caller: Caller | None,
        user_id: str,
        page: int | None = 0,
        per_page: int | None = DEFAULT_PER_PAGE,
    ) -> list[App]:
        """E8. Apps the user has consented to; `user_id` may be "me"."""
        caller = self._require_session(caller)
        if user_id == "me":
            user_id = caller.user_id
        if not is_valid_id(user_id):
            raise app_error("api.context.invalid_url_param.app_error", 400, name="user_id")
        if user_id != caller.user_id:
            self._require_permission(caller, EDIT_OTHER_USERS)
        self._require_enabled(self.settings)
        page, per_page = normalize_paging(page, per_page)
        with _store_errors("app.oauth.get_apps.find.app_error"):
            records = self.store.list_authorized_apps(user_id, page * per_page, per_page)
        return [App.from_record(record) for record in records]

    # --- authorization (E11, E12, E13) ------------------------------------------------------------------------

    def begin_authorization(
        self, caller: Caller | None, request: AuthorizeRequest | None
    ) -> AuthorizationOutcome:
        """E11, GET /oauth/authorize. Errors are for the error page: nothing here ever redirects to a URI that
        is not registered for the app."""
        settings = self.settings
        caller = caller or ANONYMOUS
        self._require_enabled(settings, "api.oauth.authorize_oauth.disabled.app_error")
        request = request if request is not None else AuthorizeRequest()
        error = validate_authorize_request(request)
        if error is not None:
            raise error
        record = self._find_app(request.client_id)
        if not caller.user_id:
            return AuthorizationOutcome(LOGIN, request)
        if caller.is_oauth:
            # Mattermost checks this only on POST; an OAuth token must not approve apps on GET either.
            raise app_error("api.context.permissions.app_error", 403, detailed_error="oauth session")
        app = App.from_record(record)
        if not app.is_valid_redirect_url(request.redirect_uri):
            raise app_error("api.oauth.allow_oauth.redirect_callback.app_error", 400)
        if app.is_public and request.response_type == RESPONSE_TYPE_CODE and not request.code_challenge:
            raise app_error(
                "api.oauth.allow_oauth.pkce_required_public.app_error", 400, message=PKCE_REQUIRED_PAGE_MESSAGE
            )
        if not self._supports(settings, request.response_type):
            return AuthorizationOutcome(
                REDIRECT,
                request,
                redirect_url=error_redirect(request.redirect_uri, UNSUPPORTED_RESPONSE_TYPE, request.state,
                                            iss=settings.site_url),
            )
        if app.is_trusted or self._has_consent(caller.user_id, request):
            self.audit.record(AuditEvent.CONSENT_REMEMBERED, user_id=caller.user_id, client_id=app.id,
                              remote_addr=caller.remote_addr, trusted=app.is_trusted)
            return AuthorizationOutcome(
                REDIRECT, request, redirect_url=self._authorize(settings, caller.user_id, request, record)
            )
        return AuthorizationOutcome(CONSENT, request, app=app)

    def decide_consent(self, caller: Caller | None, request: AuthorizeRequest | None, allow: bool) -> str:
        """E12, the consent page's answer; returns the URL to send the browser to. Allow issues a code (or an
        implicit token when enabled) and remembers the consent; deny sends access_denied with the state."""
        settings = self.settings
        caller = self._require_session(caller)
        if request is None:
            raise app_error("api.context.invalid_body_param.app_error", 400, name="authorize_request")
        error = validate_authorize_request(request)
        if error is not None:
            raise error
        if caller.is_oauth:
            raise app_error("api.context.permissions.app_error", 403, detailed_error="oauth session")
        self._require_enabled(settings)
        record = self._find_app(request.client_id)
        app = App.from_record(record)
        if not app.is_valid_redirect_url(request.redirect_uri):
            raise app_error("api.oauth.allow_oauth.redirect_callback.app_error", 400)
        if not allow:
            self.audit.record(AuditEvent.CONSENT_DENIED, user_id=caller.user_id, client_id=record.id,
                              remote_addr=caller.remote_addr)
            return error_redirect(
                request.redirect_uri, ACCESS_DENIED, request.state, self._in_fragment(settings, request),
                iss=settings.site_url,
            )
        if app.is_public and request.response_type == RESPONSE_TYPE_CODE and not request.code_challenge:
            raise app_error("api.oauth.allow_oauth.pkce_required_public.app_error", 400)
        self.audit.record(AuditEvent.CONSENT_GRANTED, user_id=caller.user_id, client_id=record.id,
                          remote_addr=caller.remote_addr, scope=request.effective_scope)
        return self._authorize(settings, caller.user_id, request, record)

    def deauthorize(self, caller: Caller | None, client_id: str) -> None:
        """E13. Revokes the user's tokens and pending codes for the app and forgets the consent. An unknown but
        well-formed client id is fine."""
        caller = self._require_session(caller)
        if not is_valid_id(client_id):
            raise app_error("api.context.invalid_body_param.app_error", 400, name="client_id")
        self._require_enabled(self.settings)
        with _store_errors("app.oauth.remove_access_data.app_error"):
            removed = self.store.revoke_user_app(caller.user_id, client_id)
        self.audit.record(AuditEvent.USER_DEAUTHORIZED_APP, user_id=caller.user_id, client_id=client_id,
                          remote_addr=caller.remote_addr, tokens_revoked=removed)

    @staticmethod
    def _supports(settings: Settings, response_type: str) -> bool:
        return response_type == RESPONSE_TYPE_CODE or (
            response_type == RESPONSE_TYPE_TOKEN and settings.enable_implicit_grant
        )

    @staticmethod
    def _in_fragment(settings: Settings, request: AuthorizeRequest) -> bool:
        return request.response_type == RESPONSE_TYPE_TOKEN and settings.enable_implicit_grant

    def _has_consent(self, user_id: str, request: AuthorizeRequest) -> bool:
        """A remembered consent covers later requests for the same scope (Mattermost: any scope)."""
        with _store_errors("app.preference.get.app_error"):
            consent = self.store.get_consent(user_id, request.client_id)
        return consent is not None and consent.scope == request.effective_scope

    def _authorize(self, settings: Settings, user_id: str, request: AuthorizeRequest, record: AppRecord) -> str:
        """Mattermost's AllowOAuthAppAccessToUser after its checks: issue, remember the consent, return the
        redirect. Failures become an error redirect to the (verified) callback, as in Mattermost."""
        in_fragment = self._in_fragment(settings, request)
        scope = request.effective_scope
        try:
            if request.response_type == RESPONSE_TYPE_CODE:
                url = self._issue_code(user_id, request, scope)
            elif request.response_type == RESPONSE_TYPE_TOKEN and settings.enable_implicit_grant:
                url = self._issue_implicit(settings, user_id, request, scope)
            else:
                return error_redirect(request.redirect_uri, UNSUPPORTED_RESPONSE_TYPE, request.state,
                                      iss=settings.site_url)
            self.store.save_consent(ConsentRecord(user_id, record.id, scope, self._now()))
        except StoreError as exc:
            log.error("store failure while authorizing client %s: %s", record.id, exc)
            error = TEMPORARILY_UNAVAILABLE if isinstance(exc, StoreUnavailable) else SERVER_ERROR
            return error_redirect(request.redirect_uri, error, request.state, in_fragment,
                                  iss=settings.site_url)
        return url

    def _issue_code(self, user_id: str, request: AuthorizeRequest, scope: str) -> str:
        code = new_secret()
        self.store.save_code(
            CodeRecord(
                code_hash=hash_secret(code),
                client_id=request.client_id,
                user_id=user_id,
                redirect_uri=request.redirect_uri,
                state=request.state,
                scope=scope,
                create_at=self._now(),
                expires_in=AUTH_CODE_LIFETIME_SECONDS,
                code_challenge=request.code_challenge,
                code_challenge_method=request.code_challenge_method,
                resource=request.resource,
            )
        )
        self.audit.record(AuditEvent.CODE_ISSUED, user_id=user_id, client_id=request.client_id,
                          pkce=bool(request.code_challenge))
        return code_redirect(request.redirect_uri, code, request.state, iss=self.settings.site_url)

    def _issue_implicit(self, settings: Settings, user_id: str, request: AuthorizeRequest, scope: str) -> str:
        now = self._now()
        grant = GrantRecord(
            id=new_id(),
            client_id=request.client_id,
            user_id=user_id,
            scope=scope,
            audience=request.resource,
            redirect_uri=request.redirect_uri,
            create_at=now,
        )
        token, access = self._new_access_token(settings, grant, request.resource, now)
        self.store.issue_tokens(grant, access, None)
        self.audit.record(AuditEvent.TOKEN_ISSUED, user_id=user_id, client_id=request.client_id, grant_id=grant.id,
                          grant_type="implicit")
        return implicit_redirect(
            request.redirect_uri, token, settings.access_token_lifetime_seconds, scope, request.state,
            iss=settings.site_url,
        )

    # --- token endpoint (E14) ---------------------------------------------------------------------------------

    def token(self, request: TokenRequest | None, caller: Caller | None = None) -> TokenResponse:
        """E14, POST /oauth/access_token, checks in Mattermost's order (section 3.5/3.6), under the rate limits."""
        return self._rate_limited(
            request.client_id if request is not None else "", caller, lambda: self._token(request, caller))

    def _rate_limited(self, client_id: str, caller: Caller | None, work):
        """Run `work` under the client's and the address's windows (ratelimit.py): charged first, then settled
        by whether the client authenticated (`_client_authenticated`) and whether its authentication failed."""
        settings = self.settings
        remote_addr = caller.remote_addr if caller is not None else ""
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            window, over_limit = self.limiter.charge(settings, client_id, remote_addr)
        flag = _CLIENT_AUTHENTICATED.set(False)
        failed_authentication = False
        try:
            if over_limit is not None:
                raise over_limit
            return work()
        except AppError as exc:
            failed_authentication = exc.oauth_error == "invalid_client"
            raise
        finally:
            authenticated = _CLIENT_AUTHENTICATED.get()
            _CLIENT_AUTHENTICATED.reset(flag)
            extra = settings.rate_limit_failure_cost - 1 if failed_authentication else 0
            try:
                self.limiter.settle(settings, window, "" if authenticated else client_id, remote_addr, extra)
            except StoreError as exc:  # bookkeeping only: the answer stands
                log.warning("rate limits not settled: %s", exc)

    def _token(self, request: TokenRequest | None, caller: Caller | None) -> TokenResponse:
        settings = self.settings
        if request is None:
            raise app_error("api.oauth.get_access_token.bad_request.app_error", 400, oauth_error="invalid_request")
        if request.grant_type == GRANT_AUTHORIZATION_CODE:
            if not request.code:
                raise app_error(
                    "api.oauth.get_access_token.missing_code.app_error", 400, oauth_error="invalid_request"
                )
        elif request.grant_type == GRANT_REFRESH_TOKEN:
            if not request.refresh_token:
                raise app_error(
                    "api.oauth.get_access_token.missing_refresh_token.app_error", 400, oauth_error="invalid_request"
                )
        else:
            raise app_error(
                "api.oauth.get_access_token.bad_grant.app_error", 400, oauth_error="unsupported_grant_type"
            )
        if not is_valid_id(request.client_id):
            raise app_error("api.oauth.get_access_token.bad_client_id.app_error", 400, oauth_error="invalid_client")
        self._require_enabled(settings, "api.oauth.get_access_token.disabled.app_error")
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            record = self.store.get_app(request.client_id)
        if record is None:
            raise app_error("api.oauth.get_access_token.credentials.app_error", 404, oauth_error="invalid_client")
        authenticate_client(record, request.grant_type, request.client_secret, request.code_verifier)
        _client_authenticated()
        if request.grant_type == GRANT_AUTHORIZATION_CODE:
            return self._exchange_code(settings, record, request)
        return self._refresh(settings, record, request)

    @staticmethod
    def _invalid_code(status: int = 400) -> AppError:
        return app_error("api.oauth.get_access_token.expired_code.app_error", status, oauth_error="invalid_grant")

    def _exchange_code(self, settings: Settings, app: AppRecord, request: TokenRequest) -> TokenResponse:
        code_hash = hash_secret(request.code)
        now = self._now()
        grant_id = new_id()

        def issue(code: CodeRecord) -> Issue:
            """Inside the store's transaction, the code just spent: refuse (it stays spent) or say what to write."""
            if request.redirect_uri != code.redirect_uri or code.redirect_uri not in app.callback_urls:
                raise app_error("api.oauth.get_access_token.redirect_uri.app_error", 400,
                                oauth_error="invalid_grant")
            validate_for_client_type(
                app.client_secret_hash == "", code.code_challenge, code.code_challenge_method, request.code_verifier
            )
            if self._active_user(code.user_id) is None:  # deactivated: the code stays spent
                raise self._invalid_code(403)
            audience = self._audience(request.resource, code.resource)
            grant = GrantRecord(id=grant_id, client_id=app.id, user_id=code.user_id, scope=code.scope,
                                audience=audience, redirect_uri=code.redirect_uri, create_at=now, code_hash=code_hash)
            access_token, access = self._new_access_token(settings, grant, audience, now)
            refresh_token, refresh = self._new_refresh_token(settings, app, grant, audience, access, now)
            response = TokenResponse(access_token=access_token, expires_in=settings.access_token_lifetime_seconds,
                                     scope=grant.scope, refresh_token=refresh_token, audience=audience)
            return Issue(grant, access, refresh, response)

        # One transaction: the conditional write that decides the single winner, and what the winner issues.
        with _store_errors("api.oauth.get_access_token.internal_saving.app_error"):
            issued = self.store.redeem_code(code_hash, app.id, now, grant_id, issue)
        if issued is None:
            raise self._refused_code(app, code_hash, now)
        user_id = issued.grant.user_id
        self.audit.record(AuditEvent.CODE_CONSUMED, user_id=user_id, client_id=app.id, grant_id=grant_id)
        self.audit.record(AuditEvent.TOKEN_ISSUED, user_id=user_id, client_id=app.id, grant_id=grant_id,
                          grant_type=GRANT_AUTHORIZATION_CODE, refresh_token=issued.refresh is not None)
        return issued.result

    def _refused_code(self, app: AppRecord, code_hash: str, now: int) -> AppError:
        """Why a code could not be consumed, in Mattermost's order of checks."""
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            code = self.store.get_code(code_hash)
        if code is None:
            return self._invalid_code()
        if code.used_at is not None:
            # A second presentation of a spent code: revoke what its exchange issued (RFC 6749 §4.1.2).
            if code.client_id == app.id and code.grant_id:
                with _store_errors("api.oauth.get_access_token.internal.app_error"):
                    removed = self.store.revoke_grant(code.grant_id)
                self.audit.record(AuditEvent.CODE_REPLAYED, user_id=code.user_id, client_id=app.id,
                                  grant_id=code.grant_id, tokens_revoked=removed)
            return self._invalid_code()
        if now > code.create_at + code.expires_in * 1000:
            return self._invalid_code(403)
        if code.client_id != app.id:
            return app_error(
                "api.oauth.get_access_token.client_id_mismatch.app_error", 400, oauth_error="invalid_grant"
            )
        return self._invalid_code()  # not reached: these are the conditions the UPDATE checked

    def _refresh(self, settings: Settings, app: AppRecord, request: TokenRequest) -> TokenResponse:
        """Rotation with reuse detection: one conditional update decides which request rotates the token; a
        rotated token presented again within the grace window gets the same successor, after it revokes the
        family (RFC 9700 section 4.14.2)."""
        old_hash = hash_secret(request.refresh_token)
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            old = self.store.get_refresh_token(old_hash)
        invalid = app_error("api.oauth.get_access_token.refresh_token.app_error", 404, oauth_error="invalid_grant")
        if old is None:
            raise invalid
        if old.client_id != app.id:
            raise app_error(
                "api.oauth.get_access_token.client_id_mismatch.app_error", 400, oauth_error="invalid_grant"
            )
        if self._active_user(old.user_id) is None:  # Mattermost: deactivation deleted the token, so 404
            raise invalid
        now = self._now()
        if old.rotated_at is not None:
            return self._rotated_again(settings, app, old, request.refresh_token, now)
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            grant = self.store.get_grant(old.grant_id)
        if grant is None or (old.expires_at and now > old.expires_at) \
                or now > grant.create_at + settings.refresh_absolute_ms:
            raise invalid
        audience = self._audience(request.resource, old.audience)
        grant_view = GrantRecord(
            id=grant.id,
            client_id=grant.client_id,
            user_id=grant.user_id,
            scope=old.scope,
            audience=audience,
            redirect_uri=grant.redirect_uri,
            create_at=grant.create_at,
            code_hash=grant.code_hash,
        )
        access_token, access = self._new_access_token(settings, grant_view, audience, now)
        refresh_token, refresh = self._new_refresh_token(settings, app, grant_view, audience, access, now)
        response = TokenResponse(
            access_token=access_token,
            expires_in=settings.access_token_lifetime_seconds,
            scope=old.scope,
            refresh_token=refresh_token,
            audience=audience,
        )
        sealed = refresh_grace.seal(request.refresh_token, response.to_json()) if settings.refresh_grace_seconds else ""
        with _store_errors("api.oauth.get_access_token.internal_saving.app_error"):
            rotated = self.store.rotate_refresh_token(old_hash, now, access, refresh, sealed)
        if not rotated:
            # Another request rotated it between our read and our write.
            with _store_errors("api.oauth.get_access_token.internal.app_error"):
                old = self.store.get_refresh_token(old_hash)
            if old is None or old.rotated_at is None:
                raise invalid
            return self._rotated_again(settings, app, old, request.refresh_token, now)
        self.audit.record(AuditEvent.TOKEN_REFRESHED, user_id=grant.user_id, client_id=app.id, grant_id=grant.id)
        return response

    def _rotated_again(self, settings: Settings, app: AppRecord, old: RefreshTokenRecord, presented: str,
                       now: int) -> TokenResponse:
        """A rotated refresh token presented again: within the grace window the same successor (following the
        chain if the successor was rotated in its own window too); otherwise reuse, and the family goes."""
        token, record = presented, old
        for _ in range(8):  # a chain longer than this within the window is not two tabs refreshing
            within = record.rotated_at is not None and record.successor_sealed \
                and now - record.rotated_at <= settings.refresh_grace_seconds * 1000
            successor = refresh_grace.unseal(token, record.successor_sealed) if within else None
            if successor is None:
                break
            with _store_errors("api.oauth.get_access_token.internal.app_error"):
                following = self.store.get_refresh_token(record.successor_hash) if record.successor_hash else None
                live = self.store.get_access_token(hash_secret(successor["access_token"]))
            if following is not None and following.rotated_at is not None:
                token, record = successor["refresh_token"], following
                continue
            if live is None or (following is None and record.successor_hash):
                break  # the successor was revoked meanwhile
            self.audit.record(AuditEvent.TOKEN_REFRESHED, user_id=old.user_id, client_id=app.id,
                              grant_id=old.grant_id, within_grace_window=True)
            successor["expires_in"] = max(0, (live.expires_at - now) // 1000)
            return TokenResponse(**successor)
        self._revoke_family(old.grant_id, old.user_id, app.id)
        raise app_error("api.oauth.get_access_token.refresh_token.app_error", 404, oauth_error="invalid_grant")

    def _revoke_family(self, grant_id: str, user_id: str, client_id: str) -> None:
        """Refresh-token reuse (RFC 9700 §4.14.2): the whole grant's tokens go."""
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            removed = self.store.revoke_grant(grant_id)
        self.audit.record(AuditEvent.REFRESH_REUSE_DETECTED, user_id=user_id, client_id=client_id,
                          grant_id=grant_id, tokens_revoked=removed)

    @staticmethod
    def _audience(requested: str, bound: str) -> str:
        """RFC 8707 at the token endpoint: a requested resource must be valid and, when the code or refresh
        token is bound to one, equal to it."""
        if not requested:
            return bound
        error = validate_resource(requested, oauth_error=INVALID_TARGET)
        if error is not None:
            raise error
        if bound and requested != bound:
            raise app_error(
                "api.oauth.get_access_token.resource_mismatch.app_error", 400, oauth_error=INVALID_TARGET
            )
        return requested

    @staticmethod
    def _new_access_token(
        settings: Settings, grant: GrantRecord, audience: str, now: int
    ) -> tuple[str, AccessTokenRecord]:
        token = new_secret()
        return token, AccessTokenRecord(
            token_hash=hash_secret(token),
            grant_id=grant.id,
            client_id=grant.client_id,
            user_id=grant.user_id,
            scope=grant.scope,
            audience=audience,
            create_at=now,
            expires_at=now + settings.access_token_lifetime_seconds * 1000,
        )

    @staticmethod
    def _new_refresh_token(
        settings: Settings,
        app: AppRecord,
        grant: GrantRecord,
        audience: str,
        access: AccessTokenRecord,
        now: int,
    ) -> tuple[str, RefreshTokenRecord | None]:
        """Confidential clients get a refresh token; public clients none (Mattermost does the same)."""
        if app.client_secret_hash == "":
            return "", None
        token = new_secret()
        return token, RefreshTokenRecord(
            token_hash=hash_secret(token),
            grant_id=grant.id,
            client_id=grant.client_id,
            user_id=grant.user_id,
            scope=grant.scope,
            audience=audience,
            create_at=now,
            expires_at=min(now + settings.refresh_token_idle_ms, grant.create_at + settings.refresh_absolute_ms),
            last_used_at=now,
            access_token_hash=access.token_hash,
        )

    # --- bearer tokens ----------------------------------------------------------------------------------------

    def validate_token(self, access_token: str) -> TokenInfo:
        """What a bearer token stands for; 401 when it is missing, unknown, expired or revoked."""
        expired = app_error("api.context.session_expired.app_error", 401, detailed_error="oauth token")
        if not access_token:
            raise expired
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            record = self.store.get_access_token(hash_secret(access_token))
        if record is None or (record.expires_at and self._now() > record.expires_at):
            raise expired
        return TokenInfo(
            user_id=record.user_id,
            client_id=record.client_id,
            scope=record.scope,
            audience=record.audience,
            expires_at=record.expires_at,
            grant_id=record.grant_id,
        )

    def revoke_access_token(self, access_token: str) -> int:
        """Logout with an OAuth token: that token and every token of its grant stop working (Mattermost's
        RevokeAccessToken also removes the refresh token). An unknown token revokes nothing."""
        with _store_errors("app.oauth.remove_access_data.app_error"):
            record = self.store.get_access_token(hash_secret(access_token)) if access_token else None
            removed = self.store.revoke_grant(record.grant_id) if record is not None else 0
        if record is not None:
            self.audit.record(AuditEvent.TOKEN_REVOKED, user_id=record.user_id, client_id=record.client_id,
                              grant_id=record.grant_id, reason="logout", tokens_revoked=removed)
        return removed

    def revoke_user(self, user_id: str) -> int:
        """The host calls this when a user is deactivated: every token, grant, pending code and consent of the
        user goes. Returns the number of rows removed."""
        with _store_errors("app.oauth.remove_access_data.app_error"):
            removed = self.store.revoke_user(user_id)
        self.audit.record(AuditEvent.USER_REVOKED, user_id=user_id, tokens_revoked=removed)
        return removed

    # --- RFC 7009 revocation and RFC 7662 introspection --------------------------------------------------------

    def _authenticate_client(self, client_id: str, client_secret: str, allow_public: bool) -> AppRecord:
        """Client authentication for revocation and introspection: 401 invalid_client on any failure."""
        failed = app_error("api.oauth.get_access_token.credentials.app_error", 401, oauth_error="invalid_client")
        if not is_valid_id(client_id):
            raise failed
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            record = self.store.get_app(client_id)
        if record is None:
            raise failed
        if record.client_secret_hash == "":
            if not allow_public or client_secret:
                raise failed
        elif not secret_matches(client_secret, record.client_secret_hash):
            raise failed
        _client_authenticated()
        return record

    def _find_token(self, token: str, hint: str) -> AccessTokenRecord | RefreshTokenRecord | None:
        """The access or refresh token with this value, looking first where the hint says."""
        token_hash = hash_secret(token)
        lookups = [self.store.get_access_token, self.store.get_refresh_token]
        if hint == "refresh_token":
            lookups.reverse()
        with _store_errors("api.oauth.get_access_token.internal.app_error"):
            for lookup in lookups:
                record = lookup(token_hash)
                if record is not None:
                    return record
        return None

    def revoke(self, request: TokenActionRequest, caller: Caller | None = None) -> None:
        """RFC 7009. Revoking a refresh token ends its whole grant; an access token, just itself. A token that
        is unknown, expired or another client's is answered the same way, and nothing happens."""
        self._require_enabled(self.settings, "api.oauth.get_access_token.disabled.app_error")

        def work() -> None:
            app = self._authenticate_client(request.client_id, request.client_secret, allow_public=True)
            if not request.token:
                raise _missing_token("api.oauth.revoke.missing_token.app_error")
            record = self._find_token(request.token, request.token_type_hint)
            if record is None or record.client_id != app.id:
                return
            with _store_errors("app.oauth.remove_access_data.app_error"):
                if isinstance(record, RefreshTokenRecord):
                    removed = self.store.revoke_grant(record.grant_id)
                else:
                    removed = int(self.store.revoke_access_token(record.token_hash))
            self.audit.record(AuditEvent.TOKEN_REVOKED, user_id=record.user_id, client_id=app.id,
                              grant_id=record.grant_id, reason="rfc7009", tokens_revoked=removed,
                              token_type="refresh_token" if isinstance(record, RefreshTokenRecord) else "access_token")

        self._rate_limited(request.client_id, caller, work)

    def introspect(self, request: TokenActionRequest, caller: Caller | None = None) -> dict:
        """RFC 7662, for the client the token was issued to. Anything not active is exactly {"active": false}."""
        settings = self.settings
        self._require_enabled(settings, "api.oauth.get_access_token.disabled.app_error")

        def work() -> dict:
            app = self._authenticate_client(request.client_id, request.client_secret, allow_public=False)
            if not request.token:
                raise _missing_token("api.oauth.introspect.missing_token.app_error")
            record = self._find_token(request.token, request.token_type_hint)
            now = self._now()
            if record is None or record.client_id != app.id or (record.expires_at and now > record.expires_at):
                return {"active": False}
            token_type = "access_token"
            if isinstance(record, RefreshTokenRecord):
                token_type = "refresh_token"
                with _store_errors("api.oauth.get_access_token.internal.app_error"):
                    grant = self.store.get_grant(record.grant_id)
                if record.rotated_at is not None or grant is None \
                        or now > grant.create_at + settings.refresh_absolute_ms:
                    return {"active": False}
            user = self._active_user(record.user_id)
            if user is None:
                return {"active": False}
            return {"active": True, "scope": record.scope, "client_id": record.client_id, "token_type": token_type,
                    "exp": record.expires_at // 1000, "iat": record.create_at // 1000, "sub": record.user_id,
                    "aud": record.audience, "iss": settings.site_url, "username": user.username}

        return self._rate_limited(request.client_id, caller, work)

    # --- audit and housekeeping -------------------------------------------------------------------------------

    def list_audit_events(self, caller: Caller | None, page: int | None = 0,
                          per_page: int | None = DEFAULT_PER_PAGE) -> list[AuditRecord]:
        """The audit trail, newest first; system admins only."""
        caller = self._require_session(caller)
        self._require_permission(caller, MANAGE_SYSTEM)
        page, per_page = normalize_paging(page, per_page)
        self.audit.flush()
        with _store_errors("app.oauth.audit.list.app_error"):
            return self.store.list_audit_events(page * per_page, per_page)

    def purge_expired(self) -> int:
        """Housekeeping: expired codes and tokens, sealed successors past the grace window, old rate-limit
        windows and audit events past their retention."""
        settings, now = self.settings, self._now()
        with _store_errors("app.oauth.remove_access_data.app_error"):
            removed = self.store.delete_expired(now)
            removed += self.store.forget_successors(now - settings.refresh_grace_seconds * 1000)
            removed += self.store.delete_audit_events(now - settings.audit_retention_days * 86_400_000)
        return removed

    # --- registration and discovery (E9, E10) -----------------------------------------------------------------

    def register_client(self, caller: Caller | None, body: dict | None) -> dict:
        """E9, RFC 7591, under the per-address rate limit. Failures raise DCRError."""
        registered = self._rate_limited("", caller, lambda: self._register_client(body))
        self.audit.record(AuditEvent.APP_CREATED, client_id=registered["client_id"],
                          remote_addr=caller.remote_addr if caller else "", dynamic=True,
                          name=registered.get("client_name", ""))
        return registered

    def _register_client(self, body: dict | None) -> dict:
        """Anonymous by design; the caller's session is ignored and the app has no creator."""
        settings = self.settings
        request = ClientRegistrationRequest.from_json(body)
        if not settings.enable_oauth_service_provider:
            raise DCRError(UNSUPPORTED_OPERATION, "OAuth service provider is disabled")
        if not settings.enable_dynamic_client_registration:
            raise DCRError(UNSUPPORTED_OPERATION, "Dynamic client registration is disabled")
        error = validate_registration_request(request)
        if error is not None:
            raise DCRError(INVALID_CLIENT_METADATA, error.message)
        allowlist = settings.dcr_redirect_uri_allowlist
        if not all(redirect_uri_matches_allowlist(uri, allowlist) for uri in request.redirect_uris):
            raise DCRError(INVALID_REDIRECT_URI, "One or more redirect URIs do not match the allowlist")
        secret = "" if request.is_public else new_secret()
        now = self._now()
        app = App(
            id=new_id(),
            creator_id="",
            create_at=now,
            update_at=now,
            client_secret=secret,
            name=request.client_name or DEFAULT_CLIENT_NAME,
            callback_urls=list(request.redirect_uris),
            homepage=request.client_uri or "",
            is_trusted=False,
            is_dynamically_registered=True,
            is_public=request.is_public,
        )
        error = validate_app(app)
        if error is not None:
            raise DCRError(INVALID_CLIENT_METADATA, error.message, error.status)
        try:
            self._save_new_app(app, secret)
        except AppError as exc:
            if exc.id == STORE_UNAVAILABLE:
                raise  # not the metadata's fault: 503 with Retry-After
            raise DCRError(INVALID_CLIENT_METADATA, exc.message, exc.status) from exc
        return registration_response(
            client_id=app.id,
            client_secret=secret,
            redirect_uris=app.callback_urls,
            client_name=app.name,
            client_uri=app.homepage,
            issued_at_seconds=now // 1000,
        )

    def metadata(self) -> dict:
        """E10, RFC 8414 authorization server metadata."""
        return authorization_server_metadata(self.settings)
