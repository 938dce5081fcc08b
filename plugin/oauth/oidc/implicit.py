"""OpenID Connect's implicit flow (Core 1.0 section 3.2): `response_type=id_token` and `id_token token`, only while
the admin has switched the implicit grant on (EnableImplicitGrant; RFC 9700 advises against it). The `nonce` is
required (section 3.2.2.1) and comes back in the ID token, which travels in the fragment with `at_hash` binding the
access token of `id_token token`. The ID token is added by the `after_authorize` hook (`add_id_token`), which
knows the session it is signed for."""
from __future__ import annotations

from ..authorize.response_types import ImplicitResponse, ResponseType
from ..errors import OAuthErrorCode, rfc_error
from ..rfc6749 import AuthorizeRequest
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .authentication import session_created_at
from .claims import has_openid
from .id_token import IDTokens, left_half_hash, session_id_claim


OPENID_DISABLED = "api.oauth.openid.disabled.app_error"


def wants_id_token(response_type: str) -> bool:
    return "id_token" in response_type.split()


class IDTokenResponse(ResponseType):
    """`id_token`: no access token, the ID token alone (it carries the scope's claims)."""
    response_type = "id_token"
    grant_type = "implicit"
    in_fragment = True
    openid_only = True  # listed by the OpenID configuration, not by the RFC 8414 document

    def enabled(self, settings) -> bool:
        return settings.enable_implicit_grant

    def issue(self, user_id: str, request: AuthorizeRequest, scope: str) -> dict[str, str]:
        return {"state": request.state}


class IDTokenTokenResponse(ImplicitResponse):
    """`id_token token`: the implicit access token and an ID token bound to it."""
    response_type = "id_token token"
    openid_only = True


def add_id_token(id_tokens: IDTokens, response_type, caller, request: AuthorizeRequest, scope: str,
                 params: dict[str, str]) -> None:
    """The `after_authorize` hook for the implicit response types that carry an ID token."""
    if not wants_id_token(response_type.response_type) or not has_openid(scope):
        return
    services = id_tokens.services
    with store_errors(TOKEN_READ_FAILED):
        app = services.store.get_app(request.client_id)
    if app is None or app.openid_disabled:
        raise rfc_error(OAuthErrorCode.UNAUTHORIZED_CLIENT, OPENID_DISABLED)
    user = services.active_user(caller.user_id)
    if user is None:
        return
    hashes = {"at_hash": left_half_hash(params["access_token"])} if "access_token" in params else {}
    params["id_token"] = id_tokens.sign(id_tokens.claims(
        user, request.client_id, scope, session_created_at(services, caller), session_id_claim(caller.session_id),
        request.nonce, **hashes))
