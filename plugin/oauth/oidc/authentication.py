"""The authentication behind an OpenID Connect authorization request (Core 1.0 section 3.1.2): when the user signed
in (`auth_time`, from the host session), the request's `nonce`, `prompt` and `max_age`, and what the ID token of
the code later says about it."""
from __future__ import annotations

import dataclasses
import json
import logging

from plugin.store.records import AuthenticationRecord

from ..errors import ErrorCode, OAuthErrorCode, app_error
from ..guards import Caller
from ..host import HostUnavailable
from ..ids import hash_secret
from ..rfc6749 import AUTH_CODE_LIFETIME_SECONDS, AuthorizeRequest
from .. import rfc9126
from ..rfc8414 import AUTHORIZATION_PATH
from ..services import HOST_RETRY_AFTER_SECONDS, HOST_UNAVAILABLE, Services
from ..store_errors import TOKEN_WRITE_FAILED, store_errors
from ..urls import encode_query
from .claims import has_openid
from .errors import OpenIDErrorCode
from .id_token import session_id_claim

__all__ = ["FORM_POST", "OAuthErrorCode", "OpenIDErrorCode", "in_fragment", "needs_sign_in", "prompts", "request_error",
           "return_after_sign_in"]

log = logging.getLogger("plugin.oauth.oidc")

# Core 1.0 section 3.1.2.1. select_account: Mattermost has one account per session, so it is the session's.
PROMPTS = ("none", "login", "consent", "select_account")
QUERY, FRAGMENT, FORM_POST = "query", "fragment", "form_post"  # OAuth 2.0 Multiple Response Types, Form Post
PARAMETER_MAX = 2048  # nonce, hints, locales and claims: longer is not a real request


def prompts(request: AuthorizeRequest) -> set[str]:
    return set(request.prompt.split())


def request_error(request: AuthorizeRequest, fragment_by_default: bool) -> ErrorCode | None:
    """OpenID's parameters, checked once the redirect URI is verified (so the client hears about them):
    invalid_request for a malformed one (`max_age` not a whole number, prompt=none with another value, an
    unknown prompt or response_mode, tokens asked in the query, a `claims` that is not a JSON object, a
    parameter too long)."""
    if request.request:  # request objects are not supported (discovery: request_parameter_supported false)
        return OpenIDErrorCode.REQUEST_NOT_SUPPORTED
    values = prompts(request)
    too_long = any(len(getattr(request, name)) > PARAMETER_MAX for name in (
        "nonce", "login_hint", "id_token_hint", "ui_locales", "claims_locales", "claims", "prompt", "max_age"))
    if too_long or (request.max_age and not request.max_age.isdigit()):
        return OAuthErrorCode.INVALID_REQUEST
    if not values <= set(PROMPTS) or ("none" in values and len(values) > 1):
        return OAuthErrorCode.INVALID_REQUEST
    if request.response_mode not in ("", QUERY, FRAGMENT, FORM_POST):
        return OAuthErrorCode.INVALID_REQUEST
    if fragment_by_default and request.response_mode == QUERY:  # tokens never travel in a query
        return OAuthErrorCode.INVALID_REQUEST
    if "id_token" in request.response_type.split() and (not request.nonce or not has_openid(request.scope)):
        return OAuthErrorCode.INVALID_REQUEST  # section 3.2.2.1: the implicit flow needs openid and a nonce
    if request.claims:
        try:
            if not isinstance(json.loads(request.claims), dict):
                return OAuthErrorCode.INVALID_REQUEST
        except ValueError:
            return OAuthErrorCode.INVALID_REQUEST
    return None


def in_fragment(request: AuthorizeRequest, fragment_by_default: bool) -> bool:
    """Where the answer goes: the response mode asked for, else the response type's default."""
    if request.response_mode == QUERY:
        return False
    return request.response_mode == FRAGMENT or fragment_by_default


def return_after_sign_in(request: AuthorizeRequest, services: Services) -> str:
    """This request again, marked with the time the user is sent to sign in: a session created after it is fresh
    enough for prompt=login and max_age, so the way back does not ask again."""
    if request.request_uri:  # a pushed request (RFC 9126): its parameters stay off the address bar
        return rfc9126.return_path(request, str(services.now()))
    marked = dataclasses.replace(request, authenticated_after=str(services.now()))
    values = {name: [value] for name, value in dataclasses.asdict(marked).items() if value}
    return f"/{AUTHORIZATION_PATH}?{encode_query(values)}"


def max_age_seconds(request: AuthorizeRequest) -> int | None:
    """`max_age` as a number of seconds (validated: a non-negative whole number), None when absent."""
    return int(request.max_age) if request.max_age else None


def session_created_at(services: Services, caller: Caller) -> int:
    """When the caller's host session signed in (Unix ms); now when the host cannot name a session (a host without
    HostAPI). 503 when the host does not answer: auth_time is never guessed."""
    if not caller.session_id:
        return services.now()
    try:
        session = services.host.get_session(caller.session_id)
    except HostUnavailable as exc:
        log.error("the host cannot say when session %s signed in: %s", caller.session_id, exc)
        raise app_error(HOST_UNAVAILABLE, 503, oauth_error=OAuthErrorCode.TEMPORARILY_UNAVAILABLE,
                        retry_after=HOST_RETRY_AFTER_SECONDS) from exc
    return session.create_at if session is not None and session.create_at else services.now()


def signed_in_again(services: Services, caller: Caller, request: AuthorizeRequest) -> bool:
    """Whether the user signed in after the provider sent them to the login page (`authenticated_after`)."""
    return request.authenticated_after.isdigit() and \
        session_created_at(services, caller) >= int(request.authenticated_after)


def needs_sign_in(services: Services, caller: Caller, request: AuthorizeRequest, hinted_user: str = "") -> bool:
    """Whether the user must sign in again before this request is answered: prompt=login, a session older than
    max_age, or an id_token_hint naming someone else (Core 1.0 section 3.1.2.1), unless they just signed in
    again on the provider's way through the login page."""
    login = "login" in prompts(request) or hinted_user not in ("", caller.user_id)
    max_age = max_age_seconds(request)
    if not login and max_age is None:
        return False
    if signed_in_again(services, caller, request):
        return False
    if login:
        return True
    return services.now() - session_created_at(services, caller) > max_age * 1000


class Authentications:
    """Keeps what an OpenID code's ID token will say of the authentication: the `after_authorize` hook."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def after_authorize(self, response_type, caller: Caller, request: AuthorizeRequest, scope: str,
                        params: dict[str, str]) -> None:
        code = params.get("code")
        if not code or not has_openid(scope):
            return
        services = self.services
        now = services.now()
        record = AuthenticationRecord(
            code_hash=hash_secret(code), client_id=request.client_id, user_id=caller.user_id, nonce=request.nonce,
            auth_time=session_created_at(services, caller), sid=session_id_claim(caller.session_id),
            expires_at=now + AUTH_CODE_LIFETIME_SECONDS * 1000 + services.settings.refresh_absolute_ms)
        with store_errors(TOKEN_WRITE_FAILED):
            services.store.save_authentication(record)
