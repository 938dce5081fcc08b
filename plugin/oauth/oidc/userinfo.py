"""The UserInfo endpoint (OpenID Connect Core 1.0 section 5.3), GET and POST, with RFC 6750's Bearer rules: the
token in the Authorization header, or for POST in the form body (section 2.2; never in the query), not both. Its
`sub` is the ID token's; the other claims are those the token's scope releases. A DPoP-bound token comes as
`Authorization: DPoP <token>` with a proof (RFC 9449 section 7.1), and its refusals carry the DPoP challenge."""
from __future__ import annotations

import json

from ..client_request import NO_STORE, Answer
from ..errors import AppError
from ..guards import require_enabled
from ..rfc9449 import NONCE_HEADER, SCHEME, DPoPError, HttpTarget, challenge as dpop_challenge
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .claims import has_openid, user_claims
from .errors import BearerErrorCode

REALM = "mattermost"


class BearerError(AppError):
    """RFC 6750 section 3.1: answered with the challenge (`error` "" when the request had no token at all) and a
    body of Mattermost's AppError fields beside `error` and `error_description`. `scheme` "DPoP": RFC 9449's
    challenge instead, with the nonce to use for use_dpop_nonce."""

    def __init__(self, status: int, error: str = "", description: str = "", scheme: str = "Bearer",
                 nonce: str = "") -> None:
        message = description or "An access token is required in the Authorization header."
        super().__init__(f"api.oauth.userinfo.{error or 'missing_token'}.app_error", message, status,
                         oauth_error=error)
        self.error, self.description, self.scheme, self.nonce = error, description, scheme, nonce


def bearer_token(authorization: str, form_token: str) -> tuple[str, str]:
    """(scheme, token): the token from the Authorization header (Bearer, or DPoP) or the form."""
    scheme, _, value = authorization.partition(" ")
    named = {"bearer": "Bearer", "dpop": SCHEME}.get(scheme.lower(), "")
    header_token = value.strip() if named else ""
    if named and not header_token:
        raise BearerError(400, BearerErrorCode.INVALID_REQUEST, f"The Authorization header must be: {named} <token>.",
                          scheme=named)
    if header_token and form_token:
        raise BearerError(400, BearerErrorCode.INVALID_REQUEST, "The access token was sent in more than one way.")
    token = header_token or form_token
    if not token:
        raise BearerError(401)  # section 3.1: no error code when the request had no authentication at all
    return (named if header_token else "Bearer"), token


def _same_site(audience: str, site_url: str) -> bool:
    return audience.rstrip("/") in (site_url.rstrip("/"), site_url.rstrip("/") + "/api/v4")


def userinfo(server, authorization: str, form_token: str = "", target: HttpTarget | None = None) -> dict:
    services = server.services
    settings = services.settings
    require_enabled(settings)
    scheme, token = bearer_token(authorization, form_token)
    try:
        info = server.endpoint("bearer").validate(token, scheme, target)
    except DPoPError as refused:
        raise BearerError(401, refused.error, refused.message, scheme=SCHEME, nonce=refused.nonce) from None
    except AppError as exc:
        if exc.status == 401:
            raise BearerError(401, BearerErrorCode.INVALID_TOKEN, "The access token is invalid or has expired.",
                              scheme=scheme) from None
        raise
    if info.audience and not _same_site(info.audience, settings.site_url):
        raise BearerError(401, BearerErrorCode.INVALID_TOKEN, "The access token was issued for another resource.",
                          scheme=scheme)
    with store_errors(TOKEN_READ_FAILED):
        app = services.store.get_app(info.client_id)
    if not has_openid(info.scope) or app is None or app.openid_disabled:
        raise BearerError(403, BearerErrorCode.INSUFFICIENT_SCOPE, "The access token has no openid scope.",
                          scheme=scheme)
    user = services.active_user(info.user_id)
    if user is None:
        raise BearerError(401, BearerErrorCode.INVALID_TOKEN, "The access token's user is no longer active.",
                          scheme=scheme)
    return {"sub": user.id, **user_claims(user, info.scope)}


def answer(claims: dict) -> Answer:
    return Answer(200, NO_STORE, json.dumps(claims, ensure_ascii=False, separators=(",", ":")).encode())


def error_answer(error: BearerError, request_id: str = "") -> Answer:
    if error.scheme == SCHEME:
        challenge = dpop_challenge(error.error, error.message)
    else:
        challenge = f'Bearer realm="{REALM}"'
        if error.error:
            challenge += f', error="{error.error}", error_description="{error.message}"'
    if error.error == BearerErrorCode.INSUFFICIENT_SCOPE:
        challenge += ', scope="openid"'
    headers = (*NO_STORE, ("WWW-Authenticate", challenge)) + (((NONCE_HEADER, error.nonce),) if error.nonce else ())
    body = {**error.to_json(request_id), "error": str(error.error or BearerErrorCode.INVALID_REQUEST),
            "error_description": error.message}
    return Answer(error.status, headers, json.dumps(body).encode())

