"""The UserInfo endpoint (OpenID Connect Core 1.0 section 5.3), GET and POST, with RFC 6750's Bearer rules: the
token in the Authorization header, or for POST in the form body (section 2.2; never in the query), not both. Its
`sub` is the ID token's; the other claims are those the token's scope releases."""
from __future__ import annotations

import json

from ..client_request import NO_STORE, Answer
from ..errors import AppError
from ..guards import require_enabled
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .claims import has_openid, user_claims
from .errors import BearerErrorCode

REALM = "mattermost"


class BearerError(AppError):
    """RFC 6750 section 3.1: answered with the challenge (`error` "" when the request had no token at all) and a
    body of Mattermost's AppError fields beside `error` and `error_description`."""

    def __init__(self, status: int, error: str = "", description: str = "") -> None:
        message = description or "An access token is required in the Authorization header."
        super().__init__(f"api.oauth.userinfo.{error or 'missing_token'}.app_error", message, status,
                         oauth_error=error)
        self.error, self.description = error, description


def bearer_token(authorization: str, form_token: str) -> str:
    scheme, _, value = authorization.partition(" ")
    header_token = value.strip() if scheme.lower() == "bearer" else ""
    if scheme.lower() == "bearer" and not header_token:
        raise BearerError(400, BearerErrorCode.INVALID_REQUEST, "The Authorization header must be: Bearer <token>.")
    if header_token and form_token:
        raise BearerError(400, BearerErrorCode.INVALID_REQUEST, "The access token was sent in more than one way.")
    token = header_token or form_token
    if not token:
        raise BearerError(401)  # section 3.1: no error code when the request had no authentication at all
    return token


def _same_site(audience: str, site_url: str) -> bool:
    return audience.rstrip("/") in (site_url.rstrip("/"), site_url.rstrip("/") + "/api/v4")


def userinfo(server, authorization: str, form_token: str = "") -> dict:
    services = server.services
    settings = services.settings
    require_enabled(settings)
    token = bearer_token(authorization, form_token)
    try:
        info = server.endpoint("bearer").validate(token)
    except AppError as exc:
        if exc.status == 401:
            raise BearerError(401, BearerErrorCode.INVALID_TOKEN, "The access token is invalid or has expired.") \
                from None
        raise
    if info.audience and not _same_site(info.audience, settings.site_url):
        raise BearerError(401, BearerErrorCode.INVALID_TOKEN, "The access token was issued for another resource.")
    with store_errors(TOKEN_READ_FAILED):
        app = services.store.get_app(info.client_id)
    if not has_openid(info.scope) or app is None or app.openid_disabled:
        raise BearerError(403, BearerErrorCode.INSUFFICIENT_SCOPE, "The access token has no openid scope.")
    user = services.active_user(info.user_id)
    if user is None:
        raise BearerError(401, BearerErrorCode.INVALID_TOKEN, "The access token's user is no longer active.")
    return {"sub": user.id, **user_claims(user, info.scope)}


def answer(claims: dict) -> Answer:
    return Answer(200, NO_STORE, json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())


def error_answer(error: BearerError, request_id: str = "") -> Answer:
    challenge = f'Bearer realm="{REALM}"'
    if error.error:
        challenge += f', error="{error.error}", error_description="{error.message}"'
    if error.error == BearerErrorCode.INSUFFICIENT_SCOPE:
        challenge += ', scope="openid"'
    body = {**error.to_json(request_id), "error": str(error.error or BearerErrorCode.INVALID_REQUEST),
            "error_description": error.message}
    return Answer(error.status, (*NO_STORE, ("WWW-Authenticate", challenge)), json.dumps(body).encode())

