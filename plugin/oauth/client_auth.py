"""Client authentication (RFC 6749 §2.3), in one place for every endpoint that takes client credentials.

Methods: `none` (a public client names itself; it has no secret), `client_secret_basic` and
`client_secret_post` (the secret, compared in constant time with the stored SHA-256). Which methods an endpoint
or grant accepts is its own declaration (`auth_methods`); metadata lists what they accept. Later methods
(`private_key_jwt`, DPoP-bound public clients) join `METHODS` and `authenticate`.

Two shapes of failure, as Mattermost has them: the token endpoint answers with the reason (Mattermost's
ValidateForGrantType ids), revocation and introspection with one 401 invalid_client whatever went wrong.
"""
from __future__ import annotations

from plugin.store.records import AppRecord

from .errors import AppError, OAuthErrorCode, rfc_error
from .ids import is_valid_id, secret_matches
from .store_errors import TOKEN_READ_FAILED, store_errors

NONE = "none"
CLIENT_SECRET_BASIC = "client_secret_basic"
CLIENT_SECRET_POST = "client_secret_post"
SECRET_METHODS = (CLIENT_SECRET_BASIC, CLIENT_SECRET_POST)
METHODS = (NONE, *SECRET_METHODS)

INVALID_CREDENTIALS = "api.oauth.get_access_token.credentials.app_error"


def is_public(app: AppRecord) -> bool:
    """A public client has no secret (Mattermost: an empty ClientSecret)."""
    return app.client_secret_hash == ""


def invalid_client(status: int = 401) -> AppError:
    return rfc_error(OAuthErrorCode.INVALID_CLIENT, INVALID_CREDENTIALS, status)


def authenticate_for_grant(app: AppRecord, client_secret: str, auth_methods: tuple[str, ...],
                           public_refused_id: str) -> None:
    """The token endpoint's check (ValidateForGrantType): a public client sends no secret and may use only a
    grant that accepts `none` (`public_refused_id` otherwise); a confidential client's secret must match."""
    if is_public(app):
        if client_secret:
            raise rfc_error(OAuthErrorCode.INVALID_CLIENT,
                            "model.oauth.validate_grant.public_client_secret.app_error", 400)
        if NONE not in auth_methods:
            raise rfc_error(OAuthErrorCode.UNAUTHORIZED_CLIENT, public_refused_id, 400)
        return
    if not secret_matches(client_secret, app.client_secret_hash):
        raise rfc_error(OAuthErrorCode.INVALID_CLIENT, "model.oauth.validate_grant.credentials.app_error", 401)


def authenticate(store, client_id: str, client_secret: str, auth_methods: tuple[str, ...]) -> AppRecord:
    """Revocation and introspection: the client, or 401 invalid_client on any failure."""
    if not is_valid_id(client_id):
        raise invalid_client()
    with store_errors(TOKEN_READ_FAILED):
        app = store.get_app(client_id)
    if app is None:
        raise invalid_client()
    if is_public(app):
        if NONE not in auth_methods or client_secret:
            raise invalid_client()
    elif not secret_matches(client_secret, app.client_secret_hash):
        raise invalid_client()
    return app
